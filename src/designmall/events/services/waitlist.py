"""Waiting lists: joining and leaving, the offer round that hands free seats to the queue,
claiming an offer and its lapse.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
)
from designmall.core.jobs import enqueue
from designmall.events import rules
from designmall.events.models import (
    NotificationKind,
    Reservation,
    Session,
    SessionStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.events.services.booking import (
    NOTIFY_JOB,
    CountersOutOfStep,
    _check_bookable,
    _check_seats,
    _check_user_limit,
    _entry_not_found,
    _lock_user,
    _move,
    _open_reservation,
    _seats_change,
    _seats_take,
    _user_seats,
)


def _waiting_entry_trim(session: Session, user: User, now: datetime) -> None:
    """A visitor whose direct reservation leaves no room under the limit for their waiting
    entry leaves the queue: an offer to them could never be claimed."""
    entry = WaitlistEntry.objects.filter(
        session=session, user=user, status=WaitlistStatus.WAITING
    ).first()
    if entry is None:
        return
    have = _user_seats(session_id=session.pk, user_id=user.pk, now=now)
    if have + entry.seats > session.per_user_limit:
        _move(
            entry,
            WaitlistStatus.LEFT,
            by=user,
            reason=_("已直接预约到座位"),
            closed_at=now,
        )


# --- waiting lists ------------------------------------------------------------------------


def _offers_make(session_id: int) -> list[WaitlistEntry]:
    """Offer the session's free seats to its waiting entries, first come first served,
    each entry whose seats fit; locks the session. Returns the entries offered."""
    session = Session.objects.select_for_update().get(pk=session_id)
    now = clock.now()
    if session.status != SessionStatus.SCHEDULED or now >= session.reservation_closes_at:
        return []
    expires = min(
        now + timedelta(hours=settings.WAITLIST_OFFER_HOURS), session.reservation_closes_at
    )
    free = session.seats_left
    offered = []
    while free > 0:
        entry = (
            WaitlistEntry.objects.filter(
                session_id=session_id, status=WaitlistStatus.WAITING, seats__lte=free
            )
            .order_by("joined_at", "id")
            .first()
        )
        if entry is None:
            break
        moved = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.OFFERED, offered_at=now, offer_expires_at=expires
        )
        if not moved:
            continue  # the visitor left meanwhile
        if not _seats_take(session_id, entry.seats, confirm=False):
            raise CountersOutOfStep(f"session {session_id}: {free} seats free but none taken")
        free -= entry.seats
        audit_record(
            actor=None,
            action="waitlist.offered",
            target=entry,
            from_state=WaitlistStatus.WAITING,
            to_state=WaitlistStatus.OFFERED,
            data={"seats": entry.seats, "offer_expires_at": expires.isoformat()},
        )
        enqueue(
            NOTIFY_JOB,
            {"kind": NotificationKind.WAITLIST_OFFER, "entry_id": entry.pk},
            key=f"{NOTIFY_JOB}:offer:{entry.pk}",
        )
        offered.append(entry)
    return offered


@transaction.atomic
def waitlist_offers_make(*, session: Session) -> list[WaitlistEntry]:
    """Offer whatever seats of ``session`` are free to its waiting list (after capacity was
    raised, say). Returns the entries that got an offer."""
    return _offers_make(session.pk)


@transaction.atomic
def waitlist_join(*, session: Session, user: User, seats: int) -> WaitlistEntry:
    """Queue ``user`` for ``seats`` of a session that cannot seat them now.

    One open entry per visitor and session (``Conflict`` ``already_waitlisted``),
    within the per-user limit together with what they have (``over_user_limit``), and
    only while reservations are open. When the seats fit right now the visitor is told
    to reserve instead (``seats_available``). Seats that come free while joining are
    offered at once, so the returned entry may already be ``offered``.
    """
    now = clock.now()
    session = Session.objects.select_related("event").get(pk=session.pk)
    _check_bookable(session, now)
    seats = _check_seats(seats, session.per_user_limit)
    _lock_user(user)
    if WaitlistEntry.objects.filter(
        session=session, user=user, status__in=rules.OPEN_WAITLIST
    ).exists():
        raise Conflict(_("您已在候补名单中。"), code="already_waitlisted")
    _check_user_limit(session, user, seats, now)
    live = Session.objects.only("capacity", "confirmed", "held").get(pk=session.pk)
    if live.seats_left >= seats:
        raise Conflict(
            _("还有座位，请直接预约。"),
            code="seats_available",
            details={"seats_left": live.seats_left},
        )
    entry = WaitlistEntry.objects.create(session=session, user=user, seats=seats, joined_at=now)
    audit_record(
        actor=user,
        action="waitlist.joined",
        target=entry,
        to_state=WaitlistStatus.WAITING,
        data={"session": session.public_id, "seats": seats},
    )
    _offers_make(session.pk)
    entry.refresh_from_db()
    return entry


def _entry_locked(entry: WaitlistEntry) -> tuple[Session, WaitlistEntry]:
    """The entry's session, then the entry, locked in that order (as the offer round)."""
    session = Session.objects.select_for_update().select_related("event").get(pk=entry.session_id)
    return session, WaitlistEntry.objects.select_for_update().get(pk=entry.pk)


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, user: User) -> WaitlistEntry:
    """The visitor leaves the waiting list, or declines the offer they have: offered seats
    pass to the next in line at once. Others' entries are 404; a closed one is
    ``InvalidTransition``."""
    if entry.user_id != user.pk:
        raise _entry_not_found()
    _session, entry = _entry_locked(entry)
    was = entry.status
    _move(entry, WaitlistStatus.LEFT, by=user, closed_at=clock.now())
    if was == WaitlistStatus.OFFERED:
        _seats_change(entry.session_id, held=-entry.seats)
        _offers_make(entry.session_id)
    return entry


@transaction.atomic
def waitlist_offer_claim(*, entry: WaitlistEntry, user: User) -> Reservation:
    """The visitor takes the seats offered to them, before the offer runs out: a free
    session's reservation is confirmed with its tickets; a priced one holds the seats for
    payment like any reservation (``EVENT_HOLD_MINUTES``). Refused when the offer is not
    open (``Conflict`` ``offer_not_open``: lapsed, claimed, left) or the visitor has
    reserved up to the limit meanwhile (``over_user_limit``). Others' entries are 404."""
    if entry.user_id != user.pk:
        raise _entry_not_found()
    _lock_user(user)
    session, entry = _entry_locked(entry)
    now = clock.now()
    if entry.status != WaitlistStatus.OFFERED or now >= entry.offer_expires_at:
        raise Conflict(
            _("这个候补邀请已失效。"), code="offer_not_open", details={"status": entry.status}
        )
    _check_user_limit(session, user, entry.seats, now, exclude_entry=entry.pk)
    reservation = _open_reservation(
        session=session, user=user, seats=entry.seats, now=now, held_already=True
    )
    _move(entry, WaitlistStatus.CLAIMED, by=user, closed_at=now, reservation=reservation)
    return reservation


@transaction.atomic
def waitlist_offer_lapse(*, entry: WaitlistEntry) -> WaitlistEntry:
    """An offer that ran out unclaimed lapses and its seats pass to the next in line (the
    sweeper's step); idempotent. Anything else is left as it is."""
    _session, entry = _entry_locked(entry)
    if entry.status != WaitlistStatus.OFFERED or clock.now() < entry.offer_expires_at:
        return entry
    _move(entry, WaitlistStatus.LAPSED, by=None, closed_at=clock.now())
    _seats_change(entry.session_id, held=-entry.seats)
    _offers_make(entry.session_id)
    return entry
