"""Design-week event pages: the programme, an event, a session with its live seats, the
reserve form and the waiting list; a reservation with its payment, cancellation and
tickets; my tickets with their QR codes; my events (reservations, waiting lists,
messages); and the operators' attendance figures.

Everything is a read from ``events.selectors`` or a call to ``events.services``; a
refused change comes back as a message on the page it was asked from. A session's seats
left are read when the page is drawn and kept live by a small script polling the API's
session endpoint (``data-seats-url``); without JavaScript the page is still right when
drawn, and the services re-check everything anyway.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from designmall.core import clock
from designmall.core.errors import DomainError, NotFound
from designmall.core.money import format_fen
from designmall.core.ratelimit import rate_limited
from designmall.events import rules, selectors, services
from designmall.events.models import (
    EventKind,
    Reservation,
    ReservationStatus,
    Session,
    Ticket,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.payments.services import payment_start
from designmall.storefront.views.orders import pickup_qr_svg
from designmall.storefront.week import design_week

RESERVATIONS_PER_PAGE = 20
NOTIFICATIONS_SHOWN = 30
WAITLIST_SHOWN = 20
PAST_TICKETS_SHOWN = 50
SEATS_POLL_SECONDS = 5
HOME_STRIP_SIZE = 6
# A seat count typed into the form is passed to the service as a number if it is one.
SEATS_TEXT_MAX = 20

BOOKING_LABELS = {
    rules.Booking.NOT_OPEN: gettext_lazy("未开放预约"),
    rules.Booking.OPEN: gettext_lazy("可预约"),
    rules.Booking.FULL: gettext_lazy("已满，可候补"),
    rules.Booking.CLOSED: gettext_lazy("预约已截止"),
    rules.Booking.CANCELLED: gettext_lazy("已取消"),
}


def _booking(session: Session) -> str:
    return selectors.booking_state(session=session)


def _with_booking(sessions) -> list[Session]:
    """The sessions, each with ``booking`` (a ``rules.Booking``) and its label set."""
    sessions = list(sessions)
    for session in sessions:
        session.booking = _booking(session)
        session.booking_label = BOOKING_LABELS[session.booking]
    return sessions


def _session_or_404(public_id: str) -> Session:
    try:
        return selectors.session_on_programme(public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个场次。")) from None


def _seats_posted(request: HttpRequest) -> int | str:
    text = request.POST.get("seats", "").strip()
    try:
        return int(text)
    except ValueError:
        return text[:SEATS_TEXT_MAX]


def _to_login(request: HttpRequest, back: str) -> HttpResponse:
    messages.info(request, _("请先登录，再预约活动。"))
    return redirect(f"{reverse('storefront:login')}?{urlencode({'next': back})}")


# --- the programme ------------------------------------------------------------------------


def _default_day(days: list[date]) -> date:
    today = timezone.localtime(clock.now()).date()
    return today if today in days else days[0]


@require_GET
def programme(request: HttpRequest) -> HttpResponse:
    """The programme of one day (tabs for the week's days), by venue, type, free only."""
    days = selectors.programme_days()
    venues = selectors.venues_with_halls()
    wanted_day = request.GET.get("day", "")
    day = next((d for d in days if d.isoformat() == wanted_day), None) or _default_day(days)
    venue = request.GET.get("venue", "")
    if venue not in {v.public_id for v in venues}:
        venue = ""
    kind = request.GET.get("kind", "")
    if kind not in EventKind.values:
        kind = ""
    free = request.GET.get("free") == "1"
    filters = {"venue": venue, "kind": kind, "free": "1" if free else ""}

    def link(**changes) -> str:
        query = {k: v for k, v in {**filters, "day": day.isoformat(), **changes}.items() if v}
        return f"?{urlencode(query)}"

    sessions = _with_booking(
        selectors.programme_sessions(
            day=day, venue=venue or None, kind=kind or None, free=True if free else None
        )
    )
    return render(
        request,
        "storefront/events/programme.html",
        {
            "days": [{"day": d, "link": link(day=d.isoformat()), "on": d == day} for d in days],
            "day": day,
            "venues": venues,
            "venue": venue,
            "kinds": [
                {"value": value, "label": label, "link": link(kind=value), "on": value == kind}
                for value, label in EventKind.choices
            ],
            "all_kinds_link": link(kind=""),
            "kind": kind,
            "free": free,
            "free_link": link(free="" if free else "1"),
            "sessions": sessions,
            "can_see_attendance": _can_see_attendance(request.user),
        },
    )


@require_GET
def event(request: HttpRequest, public_id: str) -> HttpResponse:
    """An event with its speakers and its sessions, by day."""
    try:
        found = selectors.event_on_programme(public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个活动。")) from None
    by_day: dict[date, list[Session]] = {}
    for session in _with_booking(selectors.programme_sessions(event=found.public_id)):
        by_day.setdefault(timezone.localtime(session.starts_at).date(), []).append(session)
    return render(
        request,
        "storefront/events/event.html",
        {
            "event": found,
            "speakers": list(found.speakers.all()),
            "days": list(by_day.items()),
        },
    )


# --- a session: seats, reserve, waiting list ----------------------------------------------


@require_GET
def session(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _session_or_404(public_id)
    seats = selectors.session_seats(session=found)
    context = {
        "session": found,
        "event": found.event,
        "seats": seats,
        "booking": seats.booking,
        "booking_labels": BOOKING_LABELS,
        "seats_url": reverse("api-v1:events_session", kwargs={"public_id": found.public_id}),
        "poll_seconds": SEATS_POLL_SECONDS,
        "hold_minutes": settings.EVENT_HOLD_MINUTES,
        "allowance": found.per_user_limit,
        "mine": [],
        "entry": None,
    }
    user = request.user
    if user.is_authenticated:
        have = selectors.session_seats_for_user(user=user, session=found)
        context["have"] = have
        context["allowance"] = max(found.per_user_limit - have, 0)
        context["mine"] = list(
            selectors.reservations_for_user(user=user).filter(
                session=found, status__in=rules.ACTIVE_RESERVATIONS
            )
        )
        entry = selectors.waitlist_entry_for_session(user=user, session=found)
        if entry is not None:
            context["entry"] = entry
            context["position"] = selectors.waitlist_position(entry)
            context["offer_open"] = selectors.offer_running(entry)
    context["seat_choices"] = range(1, context["allowance"] + 1)
    return render(request, "storefront/events/session.html", context)


def _session_url(session: Session) -> str:
    return reverse("storefront:event_session", args=[session.public_id])


def _to_cashier(request: HttpRequest, reservation: Reservation) -> HttpResponse:
    """To the cashier to pay the reservation's held seats; back to it if that fails."""
    try:
        url = payment_start(payment=reservation.payment, channel="page").url
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("storefront:reservation", public_id=reservation.public_id)
    return redirect(url)


def _reserved(request: HttpRequest, reservation: Reservation) -> HttpResponse:
    """After a reservation is made: a free one shows its tickets, a priced one is paid."""
    if reservation.status == ReservationStatus.CONFIRMED:
        messages.success(
            request,
            ngettext(
                "预约成功，%(n)s 张电子票已放入「我的票」。",
                "预约成功，%(n)s 张电子票已放入「我的票」。",
                reservation.seats,
            )
            % {"n": reservation.seats},
        )
        return redirect("storefront:reservation", public_id=reservation.public_id)
    return _to_cashier(request, reservation)


@require_POST
@rate_limited("reservation")
def session_reserve(request: HttpRequest, public_id: str) -> HttpResponse:
    """Reserve the seats asked for: a free session's tickets at once, a priced one's seats
    held while the visitor pays at the cashier."""
    found = _session_or_404(public_id)
    if not request.user.is_authenticated:
        return _to_login(request, _session_url(found))
    try:
        reservation = services.reservation_create(
            session=found, user=request.user, seats=_seats_posted(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_session_url(found))
    return _reserved(request, reservation)


@require_POST
def session_waitlist_join(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _session_or_404(public_id)
    if not request.user.is_authenticated:
        return _to_login(request, _session_url(found))
    try:
        entry = services.waitlist_join(
            session=found, user=request.user, seats=_seats_posted(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if entry.status == WaitlistStatus.OFFERED:
            messages.success(request, _("刚好有座位空出，已为您保留，请及时领取。"))
        else:
            position = selectors.waitlist_position(entry)
            messages.success(request, _("已加入候补名单，当前排第 %(n)s 位。") % {"n": position})
    return redirect(_session_url(found))


def _own_entry(request: HttpRequest, session: Session) -> WaitlistEntry | None:
    entry = selectors.waitlist_entry_for_session(user=request.user, session=session)
    if entry is None:
        messages.error(request, _("您不在这个场次的候补名单中。"))
    return entry


def _back_to(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the visitor's events page when the form came from there, else ``default``."""
    if request.POST.get("next") == "my_events":
        return redirect("storefront:my_events")
    return redirect(default)


@login_required
@require_POST
def session_waitlist_leave(request: HttpRequest, public_id: str) -> HttpResponse:
    """Leave the waiting list, or decline the seats offered: they pass to the next."""
    found = _session_or_404(public_id)
    entry = _own_entry(request, found)
    if entry is not None:
        was_offered = entry.status == WaitlistStatus.OFFERED
        try:
            services.waitlist_leave(entry=entry, user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("已放弃候补座位。") if was_offered else _("已退出候补名单。")
            )
    return _back_to(request, _session_url(found))


@login_required
@require_POST
def session_waitlist_claim(request: HttpRequest, public_id: str) -> HttpResponse:
    """Take the seats offered: tickets at once when free, else to the cashier."""
    found = _session_or_404(public_id)
    entry = _own_entry(request, found)
    if entry is None:
        return _back_to(request, _session_url(found))
    try:
        reservation = services.waitlist_offer_claim(entry=entry, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back_to(request, _session_url(found))
    return _reserved(request, reservation)


# --- tickets ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def ticket_qr_svg(payload: str) -> str:
    """The QR code of a signed payload as inline SVG. Payloads are deterministic (same
    ticket, key and validity give the same text), so drawing each once is enough."""
    return pickup_qr_svg(payload)


@dataclass
class TicketCard:
    ticket: Ticket
    payload: str  # "" when revoked
    qr: str  # inline SVG, "" when revoked

    @property
    def session(self) -> Session:
        return self.ticket.session


def _cards(tickets) -> list[TicketCard]:
    """Each ticket with its signed payload and QR code (none when revoked)."""
    tickets = list(tickets)
    payloads = selectors.ticket_qr_payloads(tickets)
    cards = []
    for ticket in tickets:
        payload = payloads.get(ticket.pk, "")
        cards.append(TicketCard(ticket, payload, ticket_qr_svg(payload) if payload else ""))
    return cards


@login_required
@require_GET
def my_tickets(request: HttpRequest) -> HttpResponse:
    """The visitor's tickets of sessions to come, each with its QR code (revoked ones
    marked), and the recent past ones below without."""
    upcoming = selectors.tickets_for_user(user=request.user, include_revoked=True, upcoming=True)
    past = selectors.tickets_for_user(user=request.user, include_revoked=True, upcoming=False)
    return render(
        request,
        "storefront/events/my_tickets.html",
        {
            "cards": _cards(upcoming),
            "past": list(past.reverse()[:PAST_TICKETS_SHOWN]),
        },
    )


@login_required
@require_GET
def my_ticket(request: HttpRequest, public_id: str) -> HttpResponse:
    """One ticket, its QR code large (to show at the door) and its code for typing in."""
    try:
        ticket = selectors.ticket_for_user(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这张票。")) from None
    return render(request, "storefront/events/ticket.html", {"card": _cards([ticket])[0]})


# --- a reservation ------------------------------------------------------------------------


def _own_reservation(request: HttpRequest, public_id: str) -> Reservation:
    try:
        return selectors.reservation_for_user(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个预约。")) from None


@login_required
@require_GET
def reservation(request: HttpRequest, public_id: str) -> HttpResponse:
    """Where the cashier returns: the reservation's status, payment, what cancelling now
    would refund, and its tickets."""
    found = _own_reservation(request, public_id)
    tickets = selectors.tickets_for_user(user=request.user, include_revoked=True).filter(
        reservation=found
    )
    return render(
        request,
        "storefront/events/reservation.html",
        {
            "reservation": found,
            "session": found.session,
            "payment": found.payment,
            "can_pay": selectors.reservation_hold_running(found),
            "can_cancel": selectors.reservation_cancellable(found),
            "cancel_refund_fen": selectors.reservation_refund_if_cancelled(found),
            "cards": _cards(tickets),
        },
    )


@login_required
@require_POST
def reservation_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _own_reservation(request, public_id)
    try:
        cancelled = services.reservation_cancel(
            reservation=found, by=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if cancelled.refund_fen:
            messages.success(
                request,
                _("预约已取消，%(amount)s 将原路退回。")
                % {"amount": format_fen(cancelled.refund_fen)},
            )
        else:
            messages.success(request, _("预约已取消。"))
    return redirect("storefront:reservation", public_id=found.public_id)


@login_required
@require_POST
def reservation_pay(request: HttpRequest, public_id: str) -> HttpResponse:
    """Pay a reservation whose seats are still held: to the cashier again."""
    found = _own_reservation(request, public_id)
    if not selectors.reservation_hold_running(found):
        messages.error(request, _("这个预约已不能付款。"))
        return redirect("storefront:reservation", public_id=found.public_id)
    return _to_cashier(request, found)


# --- my events: reservations, waiting lists, messages -------------------------------------


@login_required
@require_GET
def my_events(request: HttpRequest) -> HttpResponse:
    user = request.user
    page = Paginator(selectors.reservations_for_user(user=user), RESERVATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    entries = list(selectors.waitlist_entries_for_user(user=user)[:WAITLIST_SHOWN])
    for entry in entries:
        entry.position = selectors.waitlist_position(entry)
        entry.offer_open = selectors.offer_running(entry)
    inbox = list(selectors.notifications_for_user(user=user)[:NOTIFICATIONS_SHOWN])
    for message in inbox:
        message.text = selectors.notification_text(message)
    return render(
        request,
        "storefront/events/my_events.html",
        {
            "page": page,
            "entries": entries,
            "inbox": inbox,
            "unread": selectors.notifications_for_user(user=user, unread_only=True).count(),
            "tickets": selectors.tickets_for_user(user=user, upcoming=True).count(),
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        notification = selectors.notification_for_user(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这条通知。")) from None
    services.notification_mark_read(notification=notification, user=request.user)
    return redirect(reverse("storefront:my_events") + "#inbox")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    for notification in selectors.notifications_for_user(user=request.user, unread_only=True):
        services.notification_mark_read(notification=notification, user=request.user)
    messages.success(request, _("通知已全部标为已读。"))
    return redirect(reverse("storefront:my_events") + "#inbox")


# --- operators: attendance ----------------------------------------------------------------

ATTENDANCE_PERMISSION = "events.view_reservation"


def _can_see_attendance(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(ATTENDANCE_PERMISSION)
    )


@dataclass(frozen=True)
class Bar:
    """One hour's bar of the chart: where to draw it (SVG units) and what it says."""

    hour: int
    x: float
    confirmed_y: float
    confirmed_h: float
    held_y: float
    held_h: float
    value: int
    label_y: float


CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM = 640, 220, 18, 24


def bar_chart(hours: list[selectors.HourAttendance]) -> dict:
    """The seats of each hour as bars (confirmed below, held on top), scaled to the
    busiest hour, in a ``CHART_W`` × ``CHART_H`` drawing."""
    if not hours:
        return {"bars": [], "width": CHART_W, "height": CHART_H}
    top = max(h.confirmed_seats + h.held_seats for h in hours) or 1
    slot = CHART_W / len(hours)
    plot = CHART_H - CHART_TOP - CHART_BOTTOM
    base = CHART_H - CHART_BOTTOM
    bars = []
    for n, hour in enumerate(hours):
        confirmed_h = plot * hour.confirmed_seats / top
        held_h = plot * hour.held_seats / top
        bars.append(
            Bar(
                hour=hour.hour,
                x=round(n * slot + slot * 0.15, 1),
                confirmed_y=round(base - confirmed_h, 1),
                confirmed_h=round(confirmed_h, 1),
                held_y=round(base - confirmed_h - held_h, 1),
                held_h=round(held_h, 1),
                value=hour.confirmed_seats + hour.held_seats,
                label_y=round(base - confirmed_h - held_h - 4, 1),
            )
        )
    return {
        "bars": bars,
        "bar_width": round(slot * 0.7, 1),
        "half": round(slot * 0.35, 1),
        "width": CHART_W,
        "height": CHART_H,
        "base": base,
        "axis_y": base + 16,
    }


@require_GET
def attendance(request: HttpRequest) -> HttpResponse:
    """Operators: each session's reservations confirmed, held and cancelled (and checked
    in, once check-in records it), and the seats of each hour of the day as a chart."""
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('storefront:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    if not _can_see_attendance(request.user):
        raise PermissionDenied
    days = selectors.programme_days()
    venues = selectors.venues_with_halls()
    wanted = request.GET.get("day", "")
    day = None if wanted == "all" else next((d for d in days if d.isoformat() == wanted), None)
    if day is None and wanted != "all":
        day = _default_day(days)
    venue = request.GET.get("venue", "")
    if venue not in {v.public_id for v in venues}:
        venue = ""
    rows = selectors.attendance_by_session(day=day, venue=venue or None)
    hours = selectors.attendance_by_hour(rows)

    def link(day_value: str) -> str:
        return "?" + urlencode({k: v for k, v in {"day": day_value, "venue": venue}.items() if v})

    counting = any(row.checked_in is not None for row in rows)
    totals = {
        "capacity": sum(r.session.capacity for r in rows),
        "confirmed_n": sum(r.confirmed_n for r in rows),
        "confirmed_seats": sum(r.confirmed_seats for r in rows),
        "held_n": sum(r.held_n for r in rows),
        "held_seats": sum(r.held_seats for r in rows),
        "cancelled_n": sum(r.cancelled_n for r in rows),
        "cancelled_seats": sum(r.cancelled_seats for r in rows),
        "waiting": sum(r.waiting for r in rows),
        "checked_in": sum(r.checked_in or 0 for r in rows) if counting else None,
    }
    return render(
        request,
        "storefront/events/attendance.html",
        {
            "days": [{"day": d, "link": link(d.isoformat()), "on": d == day} for d in days],
            "all_link": link("all"),
            "all_on": day is None,
            "day": day,
            "venues": venues,
            "venue": venue,
            "rows": rows,
            "hours": hours,
            "chart": bar_chart(hours),
            "totals": totals,
            "counting": counting,
        },
    )


# --- the home page's strip ----------------------------------------------------------------


def home_strip() -> dict:
    """What is on at the design week today (or, before it opens, on its first day), one
    session per event, for the home page: one query."""
    week = design_week()
    if week.is_on:
        day, today = week.today, True
    elif week.is_upcoming:
        day, today = week.starts_on, False
    else:
        return {"sessions": []}
    sessions = selectors.programme_highlights(day=day, after=clock.now(), limit=HOME_STRIP_SIZE)
    return {"sessions": sessions, "day": day, "today": today}
