"""Event reads: the programme, seats left, a visitor's reservations, tickets, waiting-list
places and inbox, and what scanners need (public keys, revocations).

Access is part of each read: a visitor reaches only their own reservations,
tickets, entries and messages; anything else is 404, exactly as if it did not
exist. Drafts are not on the programme.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.catalog.models import Designer
from designmall.core import clock
from designmall.core.bilingual import pick_from
from designmall.core.errors import Conflict, NotFound
from designmall.core.money import format_fen
from designmall.events import rules, signing
from designmall.events.models import (
    Event,
    EventKey,
    EventStatus,
    Hall,
    Notification,
    NotificationKind,
    Reservation,
    ReservationStatus,
    Session,
    SessionStatus,
    Ticket,
    TicketStatus,
    Venue,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.events.week import week_dates
from designmall.payments.models import PaymentStatus

# --- the programme ------------------------------------------------------------------------


def programme_days() -> list[date]:
    """The days of the design week (``events.week``: configured or stored)."""
    return week_dates().dates


def venues_with_halls() -> list[Venue]:
    return list(Venue.objects.prefetch_related(Prefetch("halls", Hall.objects.order_by("id"))))


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    return start, start + timedelta(days=1)


def programme_sessions(
    *,
    day: date | None = None,
    venue: str | None = None,
    kind: str | None = None,
    event: str | None = None,
    free: bool | None = None,
    include_cancelled: bool = True,
) -> QuerySet[Session]:
    """Sessions of published (or cancelled) events, by start: filtered to a local ``day``,
    a ``venue`` or ``event`` public id, an event ``kind``, free or priced. Each comes with
    its event, hall and venue."""
    sessions = Session.objects.filter(
        event__status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED]
    ).select_related("event", "hall__venue")
    if not include_cancelled:
        sessions = sessions.filter(
            status=SessionStatus.SCHEDULED, event__status=EventStatus.PUBLISHED
        )
    if day is not None:
        start, end = _day_bounds(day)
        sessions = sessions.filter(starts_at__gte=start, starts_at__lt=end)
    if venue:
        sessions = sessions.filter(hall__venue__public_id=venue)
    if kind:
        sessions = sessions.filter(event__kind=kind)
    if event:
        sessions = sessions.filter(event__public_id=event)
    if free is not None:
        sessions = sessions.filter(price_fen=0) if free else sessions.filter(price_fen__gt=0)
    return sessions.order_by("starts_at", "id")


def events_published(
    *, kind: str | None = None, venue: str | None = None, day: date | None = None
) -> QuerySet[Event]:
    """Events on the programme (published), with their speakers; filtered to a kind, to
    those with a session at a venue (public id) or on a local day."""
    events = Event.objects.filter(status=EventStatus.PUBLISHED)
    if kind:
        events = events.filter(kind=kind)
    if venue:
        events = events.filter(sessions__hall__venue__public_id=venue)
    if day is not None:
        start, end = _day_bounds(day)
        events = events.filter(sessions__starts_at__gte=start, sessions__starts_at__lt=end)
    return (
        events.distinct()
        .annotate(sessions_n=Count("sessions", distinct=True))
        .prefetch_related(Prefetch("speakers", Designer.objects.order_by("name_en", "id")))
        .order_by("id")
    )


def event_on_programme(*, public_id: str) -> Event:
    """A published or cancelled event with its speakers; drafts and others are 404."""
    event = (
        Event.objects.filter(
            public_id=public_id, status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED]
        )
        .prefetch_related(Prefetch("speakers", Designer.objects.order_by("name_en", "id")))
        .first()
    )
    if event is None:
        raise NotFound(_("没有找到这个活动。"), code="event_not_found")
    return event


def session_on_programme(*, public_id: str) -> Session:
    """A session of a published or cancelled event, with event, hall and venue; else 404."""
    session = (
        Session.objects.filter(
            public_id=public_id,
            event__status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED],
        )
        .select_related("event", "hall__venue")
        .first()
    )
    if session is None:
        raise NotFound(_("没有找到这个场次。"), code="session_not_found")
    return session


def session_ref_on_programme(*, public_id: str) -> Session:
    """Just the key of a session on the programme (as ``session_on_programme``), for a
    service that reads what it needs itself (reserving); else 404."""
    session = next(
        iter(
            Session.objects.filter(
                public_id=public_id,
                event__status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED],
            ).only("id", "public_id")
        ),
        None,
    )
    if session is None:
        raise NotFound(_("没有找到这个场次。"), code="session_not_found")
    return session


@dataclass(frozen=True)
class Seats:
    capacity: int
    confirmed: int
    held: int
    left: int
    waiting: int  # visitors in the waiting list (not yet offered)
    booking: str  # rules.Booking: what a visitor can do now


def session_seats(*, session: Session) -> Seats:
    """The session's seats as they are now (read fresh, not from ``session``'s copy)."""
    row = Session.objects.select_related("event").get(pk=session.pk)
    left = row.seats_left
    waiting = WaitlistEntry.objects.filter(session=row, status=WaitlistStatus.WAITING).count()
    return Seats(
        capacity=row.capacity,
        confirmed=row.confirmed,
        held=row.held,
        left=left,
        waiting=waiting,
        booking=booking_state(session=row, seats_left=left),
    )


def booking_state(*, session: Session, seats_left: int | None = None) -> str:
    """``rules.Booking`` of ``session`` (its event loaded) at the clock's now."""
    return rules.booking_state(
        now=clock.now(),
        opens_at=session.reservation_opens_at,
        closes_at=session.reservation_closes_at,
        cancelled=session.status == SessionStatus.CANCELLED
        or session.event.status == EventStatus.CANCELLED,
        seats_left=session.seats_left if seats_left is None else seats_left,
    )


def seats_left_by_session(session_ids: Iterable[int]) -> dict[int, int]:
    """Seats left now of each session (by primary key), for listings: one query."""
    rows = Session.objects.filter(pk__in=list(session_ids)).values_list(
        "pk", "capacity", "confirmed", "held"
    )
    return {
        pk: rules.seats_left(capacity=capacity, confirmed=confirmed, held=held)
        for pk, capacity, confirmed, held in rows
    }


# --- a visitor's reservations and tickets -------------------------------------------------


def _reservations(user: User) -> QuerySet[Reservation]:
    return Reservation.objects.filter(user=user).select_related(
        "session__event", "session__hall__venue", "payment"
    )


def reservations_for_user(
    *, user: User, status: str | None = None, upcoming: bool | None = None
) -> QuerySet[Reservation]:
    """The visitor's reservations, newest first; ``upcoming``: only sessions not ended
    (True) or only ended ones (False)."""
    reservations = _reservations(user)
    if status:
        reservations = reservations.filter(status=status)
    if upcoming is not None:
        now = clock.now()
        reservations = (
            reservations.filter(session__ends_at__gt=now)
            if upcoming
            else reservations.filter(session__ends_at__lte=now)
        )
    return reservations.order_by("-created_at", "-id")


def reservation_for_user(*, user: User, public_id: str) -> Reservation:
    reservation = _reservations(user).filter(public_id=public_id).first()
    if reservation is None:
        raise NotFound(_("没有找到这个预约。"), code="reservation_not_found")
    return reservation


def reservation_hold_running(reservation: Reservation) -> bool:
    """A pending reservation whose hold has not run out by the clock (it can be paid)."""
    return (
        reservation.status == ReservationStatus.PENDING_PAYMENT
        and reservation.hold_expires_at is not None
        and clock.now() < reservation.hold_expires_at
    )


def reservation_refund_if_cancelled(reservation: Reservation) -> int:
    """What the visitor would get back by cancelling now (fen), for the cancel button."""
    if reservation.status != ReservationStatus.CONFIRMED or not reservation.amount_fen:
        return 0
    payment = reservation.payment
    if payment is None or payment.status != PaymentStatus.PAID:
        return 0
    session = reservation.session
    return min(
        rules.refund_fen(
            paid_fen=reservation.amount_fen,
            now=clock.now(),
            cancel_until=session.cancel_until,
            by_operator=session.status == SessionStatus.CANCELLED,
        ),
        payment.amount_fen - payment.refunded_fen,
    )


def _tickets(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(user=user).select_related(
        "session__event", "session__hall__venue", "reservation"
    )


def tickets_for_user(
    *,
    user: User,
    session: Session | None = None,
    include_revoked: bool = False,
    upcoming: bool | None = None,
) -> QuerySet[Ticket]:
    """The visitor's tickets ("my tickets"), by session start then seat; valid ones only
    unless ``include_revoked``; ``upcoming``: sessions not ended (True) or ended (False)."""
    tickets = _tickets(user)
    if not include_revoked:
        tickets = tickets.filter(status=TicketStatus.VALID)
    if session is not None:
        tickets = tickets.filter(session=session)
    if upcoming is not None:
        now = clock.now()
        tickets = (
            tickets.filter(session__ends_at__gt=now)
            if upcoming
            else tickets.filter(session__ends_at__lte=now)
        )
    return tickets.order_by("session__starts_at", "session_id", "reservation_id", "seat_no")


def ticket_for_user(*, user: User, public_id: str) -> Ticket:
    ticket = _tickets(user).filter(public_id=public_id).first()
    if ticket is None:
        raise NotFound(_("没有找到这张票。"), code="ticket_not_found")
    return ticket


def ticket_qr_payload(*, ticket: Ticket) -> str:
    """The signed QR payload of a valid ticket (``ticketsign``'s format); a revoked
    ticket has none (``Conflict`` ``ticket_revoked``)."""
    if ticket.status != TicketStatus.VALID:
        raise Conflict(_("这张票已作废。"), code="ticket_revoked")
    return signing.ticket_payload(ticket)


# --- waiting lists ------------------------------------------------------------------------


def waitlist_entries_for_user(*, user: User, open_only: bool = False) -> QuerySet[WaitlistEntry]:
    entries = WaitlistEntry.objects.filter(user=user).select_related(
        "session__event", "session__hall__venue", "reservation"
    )
    if open_only:
        entries = entries.filter(status__in=rules.OPEN_WAITLIST)
    return entries.order_by("-joined_at", "-id")


def waitlist_entry_for_user(*, user: User, public_id: str) -> WaitlistEntry:
    entry = waitlist_entries_for_user(user=user).filter(public_id=public_id).first()
    if entry is None:
        raise NotFound(_("没有找到这条候补记录。"), code="waitlist_entry_not_found")
    return entry


def waitlist_entry_for_session(*, user: User, session: Session) -> WaitlistEntry | None:
    """The visitor's open entry for ``session``, if any."""
    return (
        WaitlistEntry.objects.filter(user=user, session=session, status__in=rules.OPEN_WAITLIST)
        .order_by("-id")
        .first()
    )


def waitlist_position(entry: WaitlistEntry) -> int | None:
    """The entry's place in its queue (1 = next), while it waits; None otherwise."""
    if entry.status != WaitlistStatus.WAITING:
        return None
    ahead = WaitlistEntry.objects.filter(
        session_id=entry.session_id, status=WaitlistStatus.WAITING
    ).filter(Q(joined_at__lt=entry.joined_at) | Q(joined_at=entry.joined_at, pk__lt=entry.pk))
    return ahead.count() + 1


def offer_running(entry: WaitlistEntry) -> bool:
    """An offer that can still be claimed by the clock."""
    return (
        entry.status == WaitlistStatus.OFFERED
        and entry.offer_expires_at is not None
        and clock.now() < entry.offer_expires_at
    )


# --- what scanners need -------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    kid: str
    algorithm: str
    public_key: str  # the raw 32 bytes, base64url without padding
    edition: str
    created_at: datetime
    retired_at: datetime | None


def _public(key: EventKey) -> PublicKey:
    return PublicKey(
        kid=key.kid,
        algorithm=key.algorithm,
        public_key=key.public_key,
        edition=key.edition,
        created_at=key.created_at,
        retired_at=key.retired_at,
    )


def event_public_key() -> PublicKey:
    """The key scanners verify this design week's tickets with (created on first use)."""
    return _public(signing.event_key_current())


def event_public_keys() -> list[PublicKey]:
    """Every ticket key of the current edition, the active one first, retired ones after
    (with ``retired_at``): what an offline device downloads."""
    signing.event_key_current()
    keys = EventKey.objects.filter(edition=signing.edition()).order_by("-created_at", "-id")
    return [_public(key) for key in sorted(keys, key=lambda k: k.retired_at is not None)]


@dataclass(frozen=True)
class Revocation:
    ticket_id: str
    session_id: str
    revoked_at: datetime


def revoked_tickets(
    *, since: datetime | None = None, sessions: Iterable[str] | None = None
) -> list[Revocation]:
    """Tickets revoked (after ``since``, if given; of the ``sessions`` public ids, if
    given), oldest first: what a scanner adds to its refusal list.

    A device asks again with ``since`` a little before the last ``revoked_at`` it has
    seen (a minute, say): a revocation stamped just before another may commit just after
    it, and asking with an overlap picks it up; repeats are harmless."""
    revoked = Ticket.objects.filter(status=TicketStatus.REVOKED)
    if since is not None:
        revoked = revoked.filter(revoked_at__gt=since)
    if sessions is not None:
        revoked = revoked.filter(session__public_id__in=list(sessions))
    rows = revoked.order_by("revoked_at", "id").values_list(
        "public_id", "session__public_id", "revoked_at"
    )
    return [Revocation(ticket, session, at) for ticket, session, at in rows]


# --- inbox --------------------------------------------------------------------------------


def notifications_for_user(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    messages = Notification.objects.filter(user=user)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-id")


def notification_text(notification: Notification) -> str:
    """The message in the active language."""
    data = notification.data or {}
    title = pick_from(data, "title")
    starts = _local_text(data.get("starts_at"))
    if notification.kind == NotificationKind.WAITLIST_OFFER:
        return _("「%(title)s」%(time)s 有 %(n)s 个座位为您保留至 %(until)s，请及时领取。") % {
            "title": title,
            "time": starts,
            "n": data.get("seats", 1),
            "until": _local_text(data.get("offer_expires_at")),
        }
    if notification.kind == NotificationKind.SESSION_CANCELLED:
        text = _("「%(title)s」%(time)s 的场次已取消：%(reason)s。") % {
            "title": title,
            "time": starts,
            "reason": data.get("reason", ""),
        }
        if data.get("refund_fen"):
            text += _("已付的 %(amount)s 将全额退回。") % {"amount": format_fen(data["refund_fen"])}
        return text
    return ""


def _local_text(iso: str | None) -> str:
    if not iso:
        return ""
    return timezone.localtime(datetime.fromisoformat(iso)).strftime("%m-%d %H:%M")


# --- for the sweepers and the checks ------------------------------------------------------


def reservations_to_expire(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Reservation.objects.filter(
            status=ReservationStatus.PENDING_PAYMENT, hold_expires_at__lte=now
        )
        .order_by("hold_expires_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def offers_to_lapse(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED, offer_expires_at__lte=now)
        .order_by("offer_expires_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def reservations_to_release(*, now: datetime, limit: int = 500) -> list[int]:
    """Paid reservations of sessions over whose money has not been recognised yet."""
    return list(
        Reservation.objects.filter(
            released_at__isnull=True,
            payment__status=PaymentStatus.PAID,
            status__in=[ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED],
            session__ends_at__lte=now,
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def sessions_cancel_unfinished(*, limit: int = 100) -> list[int]:
    """Cancelled sessions with reservations still open (an interrupted cancellation)."""
    return list(
        Session.objects.filter(
            status=SessionStatus.CANCELLED,
            reservations__status__in=rules.ACTIVE_RESERVATIONS,
        )
        .distinct()
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def session_verify(session_ids: Iterable[int] | None = None) -> list[str]:
    """Sessions whose counters disagree with their reservations and offers: ``confirmed``
    must be the seats of confirmed reservations, ``held`` those of pending reservations
    and open offers; and every confirmed reservation has one valid ticket per seat.
    Empty when all is sound."""
    sessions = Session.objects.all()
    if session_ids is not None:
        sessions = sessions.filter(pk__in=list(session_ids))

    def sums(queryset, field="session_id"):
        return dict(queryset.values_list(field).annotate(n=Sum("seats")).order_by())

    confirmed = sums(Reservation.objects.filter(status=ReservationStatus.CONFIRMED))
    pending = sums(Reservation.objects.filter(status=ReservationStatus.PENDING_PAYMENT))
    offered = sums(WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED))
    problems = []
    for pk, public_id, c, h, capacity in sessions.values_list(
        "pk", "public_id", "confirmed", "held", "capacity"
    ).order_by("pk"):
        want_c = confirmed.get(pk, 0)
        want_h = pending.get(pk, 0) + offered.get(pk, 0)
        if (c, h) != (want_c, want_h):
            problems.append(
                f"session {public_id}: confirmed {c} held {h}, "
                f"reservations say confirmed {want_c} held {want_h}"
            )
        if c + h > capacity:
            problems.append(f"session {public_id}: {c + h} seats taken of {capacity}")
    tickets = dict(
        Ticket.objects.filter(status=TicketStatus.VALID)
        .values_list("reservation_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    active = Reservation.objects.filter(status=ReservationStatus.CONFIRMED)
    if session_ids is not None:
        active = active.filter(session_id__in=list(session_ids))
    for pk, public_id, seats in active.values_list("pk", "public_id", "seats"):
        if tickets.get(pk, 0) != seats:
            problems.append(f"reservation {public_id}: {tickets.get(pk, 0)} tickets, {seats} seats")
    stray = Ticket.objects.filter(status=TicketStatus.VALID).exclude(
        reservation__status=ReservationStatus.CONFIRMED
    )
    for public_id in stray.values_list("public_id", flat=True)[:50]:
        problems.append(f"ticket {public_id} is valid but its reservation is not confirmed")
    return problems


# --- for the pages: a visitor's allowance and inbox, the home strip, attendance -----------


def notification_for_user(*, user: User, public_id: str) -> Notification:
    """One of the visitor's messages; anyone else's is 404."""
    notification = notifications_for_user(user=user).filter(public_id=public_id).first()
    if notification is None:
        raise NotFound(_("没有找到这条通知。"), code="notification_not_found")
    return notification


def session_seats_for_user(*, user: User, session: Session) -> int:
    """The visitor's seats of ``session`` that count against its per-user limit now:
    confirmed, held for payment and offered (holds and offers still running), counted as
    ``services`` counts them when it checks the limit."""
    now = clock.now()
    reserved = (
        Reservation.objects.filter(session=session, user=user)
        .filter(
            Q(status=ReservationStatus.CONFIRMED)
            | Q(status=ReservationStatus.PENDING_PAYMENT, hold_expires_at__gt=now)
        )
        .aggregate(n=Sum("seats"))["n"]
    )
    offered = WaitlistEntry.objects.filter(
        session=session, user=user, status=WaitlistStatus.OFFERED, offer_expires_at__gt=now
    ).aggregate(n=Sum("seats"))["n"]
    return int(reserved or 0) + int(offered or 0)


def reservation_cancellable(reservation: Reservation) -> bool:
    """Whether the visitor may cancel it now (``services.reservation_cancel`` decides):
    still active, and its session not started (or called off by the operator)."""
    if reservation.status not in rules.ACTIVE_RESERVATIONS:
        return False
    session = reservation.session
    return session.status == SessionStatus.CANCELLED or clock.now() < session.starts_at


def programme_highlights(*, day: date, after: datetime, limit: int = 6) -> list[Session]:
    """Scheduled sessions of ``day`` not over by ``after``, by start, only the first of
    each event (an exhibition's hourly entries count once): the home page's strip.
    One query of a bounded number of rows."""
    rows = programme_sessions(day=day, include_cancelled=False).filter(ends_at__gt=after)
    picked: list[Session] = []
    seen: set[int] = set()
    for session in rows[: limit * 20]:
        if session.event_id in seen:
            continue
        seen.add(session.event_id)
        picked.append(session)
        if len(picked) == limit:
            break
    return picked


@dataclass(frozen=True)
class SessionAttendance:
    """What a session's reservations amount to now (``held``: pending reservations whose
    hold is still running). ``checked_in`` is None while check-in is not installed."""

    session: Session
    confirmed_n: int
    confirmed_seats: int
    held_n: int
    held_seats: int
    cancelled_n: int
    cancelled_seats: int
    waiting: int
    checked_in: int | None

    @property
    def fill_percent(self) -> int:
        taken = self.confirmed_seats + self.held_seats
        return round(100 * taken / self.session.capacity) if self.session.capacity else 0


def _checked_in_by_session(session_ids: list[int]) -> dict[int, int] | None:
    """Tickets of each session that entered at least once, from check-in's ``CheckIn``
    rows (one per ticket scan, with a ``ticket``); None when there is no such model.
    Looked up when asked, so this module does not depend on check-in being there."""
    from django.apps import apps

    try:
        model = apps.get_model("events", "CheckIn")
    except LookupError:
        return None
    if "ticket" not in {field.name for field in model._meta.get_fields()}:
        return None
    rows = (
        model.objects.filter(ticket__session_id__in=session_ids)
        .values_list("ticket__session_id")
        .annotate(n=Count("ticket_id", distinct=True))
        .order_by()
    )
    return dict(rows)


def attendance_by_session(
    *, day: date | None = None, venue: str | None = None
) -> list[SessionAttendance]:
    """Each session on the programme (of a local ``day``, a ``venue``; cancelled ones
    too) with its reservations confirmed, held and cancelled (count and seats), its
    waiting list and, once check-in exists, its tickets checked in. Three queries."""
    sessions = list(programme_sessions(day=day, venue=venue))
    ids = [session.pk for session in sessions]
    now = clock.now()
    confirmed = Q(status=ReservationStatus.CONFIRMED)
    held = Q(status=ReservationStatus.PENDING_PAYMENT, hold_expires_at__gt=now)
    cancelled = Q(status=ReservationStatus.CANCELLED)
    sums = {
        row["session_id"]: row
        for row in Reservation.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(
            confirmed_n=Count("id", filter=confirmed),
            confirmed_seats=Sum("seats", filter=confirmed),
            held_n=Count("id", filter=held),
            held_seats=Sum("seats", filter=held),
            cancelled_n=Count("id", filter=cancelled),
            cancelled_seats=Sum("seats", filter=cancelled),
        )
        .order_by()
    }
    waiting = dict(
        WaitlistEntry.objects.filter(session_id__in=ids, status=WaitlistStatus.WAITING)
        .values_list("session_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    checked_in = _checked_in_by_session(ids) if ids else None
    rows = []
    for session in sessions:
        row = sums.get(session.pk, {})
        rows.append(
            SessionAttendance(
                session=session,
                confirmed_n=row.get("confirmed_n") or 0,
                confirmed_seats=row.get("confirmed_seats") or 0,
                held_n=row.get("held_n") or 0,
                held_seats=row.get("held_seats") or 0,
                cancelled_n=row.get("cancelled_n") or 0,
                cancelled_seats=row.get("cancelled_seats") or 0,
                waiting=waiting.get(session.pk, 0),
                checked_in=None if checked_in is None else checked_in.get(session.pk, 0),
            )
        )
    return rows


@dataclass(frozen=True)
class HourAttendance:
    hour: int  # local hour of the day the sessions start in, 0..23
    sessions: int
    capacity: int
    confirmed_seats: int
    held_seats: int
    checked_in: int | None


def attendance_by_hour(rows: Iterable[SessionAttendance]) -> list[HourAttendance]:
    """``attendance_by_session`` rows summed by the local hour their sessions start in
    (scheduled sessions only), from the earliest hour to the latest, empty hours too."""
    rows = list(rows)
    counting = any(row.checked_in is not None for row in rows)
    by_hour: dict[int, list[SessionAttendance]] = {}
    for row in rows:
        if row.session.status == SessionStatus.CANCELLED:
            continue
        by_hour.setdefault(timezone.localtime(row.session.starts_at).hour, []).append(row)
    if not by_hour:
        return []
    hours = []
    for hour in range(min(by_hour), max(by_hour) + 1):
        group = by_hour.get(hour, [])
        hours.append(
            HourAttendance(
                hour=hour,
                sessions=len(group),
                capacity=sum(r.session.capacity for r in group),
                confirmed_seats=sum(r.confirmed_seats for r in group),
                held_seats=sum(r.held_seats for r in group),
                checked_in=sum(r.checked_in or 0 for r in group) if counting else None,
            )
        )
    return hours


def ticket_qr_payloads(tickets: Iterable[Ticket]) -> dict[int, str]:
    """The signed QR payloads of the valid ones among ``tickets`` (their sessions loaded),
    by primary key, as ``ticket_qr_payload`` gives them, with one read of the key: for
    lists of tickets. Revoked tickets have none."""
    key = signing.event_key_current()
    return {
        ticket.pk: signing.ticket_payload(ticket, key=key)
        for ticket in tickets
        if ticket.status == TicketStatus.VALID
    }
