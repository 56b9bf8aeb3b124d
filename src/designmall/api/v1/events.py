"""Design-week events: the programme, reservations, waiting lists, e-tickets, the inbox,
and what scanners download (public keys and revocations).

The programme, keys and revocations are public; everything under ``/me`` and every
change needs a login. A visitor reaches only their own reservations, tickets, waiting
places and messages: anyone else's is 404, exactly like one that does not exist.

Seats: ``seats.left`` is read when asked (poll ``GET /events/sessions/{id}`` to keep a
screen live); ``booking`` says what a visitor can do now: ``not_open`` (reservations
open later), ``open``, ``full`` (join the waiting list), ``closed`` or ``cancelled``.
A priced reservation holds its seats until ``hold_expires_at``; pay at ``payment.pay_url``
(the cashier) or through ``/payments/{id}``. A ticket's ``qr_payload`` is the signed text
its QR code carries (see ``GET /events/keys`` for how scanners verify it offline).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

import qrcode
import qrcode.image.svg
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, Field

from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    DesignerRef,
    Input,
    OptionalReasonIn,
    Page,
    PageQuery,
    PublicId,
    absolute_url,
    designer_ref,
    page_out,
)
from designmall.api.v1.payments import PaymentStatusValue
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound
from designmall.core.money import format_fen
from designmall.core.ratelimit import rate_limited
from designmall.events import selectors, services
from designmall.events.models import (
    Event,
    Hall,
    Notification,
    Reservation,
    Session,
    Ticket,
    TicketStatus,
    Venue,
    WaitlistEntry,
)
from designmall.events.ticketsign import ALGORITHM, PAYLOAD_CHARS
from designmall.payments.services import GatewayDown, payment_start

router = Router(tags=["events"], auth=AUTHENTICATED)

# A client's bound on one request's seats; each session's per-user limit is the events' rule.
SeatCount = Annotated[int, Field(ge=1, le=100)]
EventKindValue = Literal["exhibition", "show", "lecture", "workshop"]
BookingValue = Literal["not_open", "open", "full", "closed", "cancelled"]
ReservationStatusValue = Literal["pending_payment", "confirmed", "cancelled", "expired"]
WaitlistStatusValue = Literal["waiting", "offered", "claimed", "left", "lapsed", "cancelled"]


def _money(name: str, fen: int) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen)}


# --- the programme ------------------------------------------------------------------------


class HallOut(Schema):
    public_id: str
    name_zh: str
    name_en: str
    capacity: int


class VenueRef(Schema):
    public_id: str
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str


class VenueOut(VenueRef):
    halls: list[HallOut]


class EventRef(Schema):
    public_id: str
    kind: EventKindValue
    kind_display: str
    title_zh: str
    title_en: str
    status: Literal["published", "cancelled"]


class SessionOut(Schema):
    public_id: str
    event: EventRef
    venue: VenueRef
    hall: HallOut
    starts_at: datetime
    ends_at: datetime
    status: Literal["scheduled", "cancelled"]
    cancel_reason: str
    is_free: bool
    price_fen: int
    price_display: str
    per_user_limit: int
    capacity: int
    reservation_opens_at: datetime
    reservation_closes_at: datetime
    cancel_until: datetime = Field(
        description="Visitors who cancel before this get a full refund; from then on none."
    )
    seats_left: int
    booking: BookingValue


class SeatsOut(Schema):
    capacity: int
    confirmed: int
    held: int = Field(description="Held for payment or offered to the waiting list.")
    left: int
    waiting: int = Field(description="Visitors in the waiting list not offered seats yet.")
    booking: BookingValue


class SessionDetailOut(SessionOut):
    seats: SeatsOut


class EventOut(Schema):
    public_id: str
    kind: EventKindValue
    kind_display: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    status: Literal["published", "cancelled"]
    cover_url: str | None
    speakers: list[DesignerRef]
    sessions: list[SessionOut]


def _venue_ref(venue: Venue) -> dict[str, Any]:
    return {
        "public_id": venue.public_id,
        "name_zh": venue.name_zh,
        "name_en": venue.name_en,
        "address_zh": venue.address_zh,
        "address_en": venue.address_en,
    }


def _hall_out(hall: Hall) -> dict[str, Any]:
    return {
        "public_id": hall.public_id,
        "name_zh": hall.name_zh,
        "name_en": hall.name_en,
        "capacity": hall.capacity,
    }


def _event_ref(event: Event) -> dict[str, Any]:
    return {
        "public_id": event.public_id,
        "kind": event.kind,
        "kind_display": event.get_kind_display(),
        "title_zh": event.title_zh,
        "title_en": event.title_en,
        "status": event.status,
    }


def session_out(session: Session) -> dict[str, Any]:
    """A session (its event, hall and venue loaded) with its seats as the row was read."""
    return {
        "public_id": session.public_id,
        "event": _event_ref(session.event),
        "venue": _venue_ref(session.hall.venue),
        "hall": _hall_out(session.hall),
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "status": session.status,
        "cancel_reason": session.cancel_reason,
        "is_free": session.is_free,
        **_money("price", session.price_fen),
        "per_user_limit": session.per_user_limit,
        "capacity": session.capacity,
        "reservation_opens_at": session.reservation_opens_at,
        "reservation_closes_at": session.reservation_closes_at,
        "cancel_until": session.cancel_until,
        "seats_left": session.seats_left,
        "booking": selectors.booking_state(session=session),
    }


class ProgrammeQuery(PageQuery):
    day: date | None = Field(None, description="A local day (Asia/Shanghai) of the week.")
    venue: PublicId | None = None
    kind: EventKindValue | None = None
    event: PublicId | None = None
    free: bool | None = Field(None, description="Only free (true) or only priced (false).")
    include_cancelled: bool = True


@router.get("/events/programme", auth=None, response=with_errors({200: Page[SessionOut]}, 422))
def programme(request: HttpRequest, query: Query[ProgrammeQuery]):
    """The programme's sessions by start time, with seats left now: filtered to a
    ``day``, a ``venue``, an event ``kind`` or one ``event``, free or priced. Sessions
    called off are included (``status`` cancelled) unless ``include_cancelled=false``;
    an unknown venue or event matches nothing."""
    sessions = selectors.programme_sessions(
        day=query.day,
        venue=query.venue,
        kind=query.kind,
        event=query.event,
        free=query.free,
        include_cancelled=query.include_cancelled,
    )
    return page_out(sessions, query, session_out)


@router.get("/events/venues", auth=None, response=with_errors({200: list[VenueOut]}))
def venues(request: HttpRequest):
    """The design week's venues with their halls (for the programme's venue filter)."""
    return [
        {**_venue_ref(venue), "halls": [_hall_out(hall) for hall in venue.halls.all()]}
        for venue in selectors.venues_with_halls()
    ]


# --- what scanners download (declared before /events/{id}, though ids never clash) --------


class KeyOut(Schema):
    kid: str = Field(description="Key id: hex of the first 4 bytes of SHA-256 of the key.")
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="The raw 32-byte public key, base64url, no padding.")
    edition: str
    active: bool
    created_at: datetime
    retired_at: datetime | None


class KeysOut(Schema):
    keys: list[KeyOut]
    payload_chars: int


@router.get("/events/keys", auth=None, response=with_errors({200: KeysOut}))
def keys(request: HttpRequest):
    """The public keys tickets of this design week are signed with, the active one first;
    retired keys stay listed (with ``retired_at``) for tickets signed before.

    A ticket's QR text is base64url (no padding, 130 characters) of 97 bytes: version
    (1), key id (4), ticket id (10) and session id (10) as the 80 bits of their 16
    base32 symbols, valid from and until (unix seconds, 4 each, big-endian), then the
    Ed25519 signature (64) of the first 33 bytes. A scanner checks the key id, the
    signature and the validity window, then its revocation list."""
    return {
        "keys": [
            {
                "kid": key.kid,
                "algorithm": key.algorithm,
                "public_key": key.public_key,
                "edition": key.edition,
                "active": key.retired_at is None,
                "created_at": key.created_at,
                "retired_at": key.retired_at,
            }
            for key in selectors.event_public_keys()
            if key.algorithm == ALGORITHM
        ],
        "payload_chars": PAYLOAD_CHARS,
    }


class RevocationOut(Schema):
    ticket_id: str
    session_id: str
    revoked_at: datetime


class RevocationsOut(Schema):
    revocations: list[RevocationOut]
    as_of: datetime = Field(description="The server's time when the list was read.")


class RevocationsQuery(BaseModel):
    since: datetime | None = Field(
        None,
        description="Only tickets revoked after this. Ask again with a little before the "
        "last `revoked_at` you have seen (a minute): a revocation may commit just after "
        "a later one; repeats are harmless.",
    )
    session: list[PublicId] | None = Field(
        None, max_length=200, description="Only tickets of these sessions (repeatable)."
    )


@router.get("/events/revocations", auth=None, response=with_errors({200: RevocationsOut}, 422))
def revocations(request: HttpRequest, query: Query[RevocationsQuery]):
    """Tickets revoked (cancelled or refunded reservations, cancelled sessions), oldest
    first: a scanner refuses these even though their QR signature is valid. Only ids,
    nothing about people."""
    as_of = clock.now()
    rows = selectors.revoked_tickets(since=query.since, sessions=query.session)
    return {
        "revocations": [
            {"ticket_id": r.ticket_id, "session_id": r.session_id, "revoked_at": r.revoked_at}
            for r in rows
        ],
        "as_of": as_of,
    }


@router.get("/events/{pid:public_id}", auth=None, response=with_errors({200: EventOut}, 404))
def event_detail(request: HttpRequest, public_id: str):
    """An event on the programme (or called off) with its speakers and all its sessions."""
    event = selectors.event_on_programme(public_id=public_id)
    return {
        "public_id": event.public_id,
        "kind": event.kind,
        "kind_display": event.get_kind_display(),
        "title_zh": event.title_zh,
        "title_en": event.title_en,
        "description_zh": event.description_zh,
        "description_en": event.description_en,
        "status": event.status,
        "cover_url": absolute_url(request, event.cover),
        "speakers": [designer_ref(designer) for designer in event.speakers.all()],
        "sessions": [
            session_out(session) for session in selectors.programme_sessions(event=event.public_id)
        ],
    }


@router.get(
    "/events/sessions/{pid:public_id}",
    auth=None,
    url_name="events_session",
    response=with_errors({200: SessionDetailOut}, 404),
)
def session_detail(request: HttpRequest, public_id: str):
    """A session with its seats read now (poll it every few seconds to show them live)."""
    session = selectors.session_on_programme(public_id=public_id)
    seats = selectors.session_seats(session=session)
    return {
        **session_out(session),
        "seats_left": seats.left,
        "booking": seats.booking,
        "seats": {
            "capacity": seats.capacity,
            "confirmed": seats.confirmed,
            "held": seats.held,
            "left": seats.left,
            "waiting": seats.waiting,
            "booking": seats.booking,
        },
    }


# --- reservations -------------------------------------------------------------------------


class ReservationPaymentOut(Schema):
    public_id: str
    status: PaymentStatusValue
    amount_fen: int
    amount_display: str
    refunded_fen: int
    refunded_display: str
    expires_at: datetime
    pay_url: str | None = Field(
        description="The cashier (computer browser) while the hold runs; else null."
    )


class ReservationOut(Schema):
    public_id: str
    status: ReservationStatusValue
    status_display: str
    session: SessionOut
    seats: int
    unit_price_fen: int
    unit_price_display: str
    amount_fen: int
    amount_display: str
    created_at: datetime
    confirmed_at: datetime | None
    closed_at: datetime | None
    hold_expires_at: datetime | None = Field(
        description="A pending reservation's seats are held until then, to pay."
    )
    payment: ReservationPaymentOut | None
    can_cancel: bool
    cancel_refund_fen: int = Field(description="What cancelling now would refund.")
    cancel_refund_display: str
    by_operator: bool = Field(description="Cancelled because the session was called off.")
    cancel_reason: str
    refund_fen: int
    refund_display: str
    refunded_fen: int
    refunded_display: str
    tickets: list[str] = Field(description="Ids of its valid tickets (see /me/tickets).")


def _pay_url(reservation: Reservation) -> str | None:
    if not selectors.reservation_hold_running(reservation):
        return None
    try:
        return payment_start(payment=reservation.payment, channel="page").url
    except (Conflict, GatewayDown):  # paid, closed or expired; or the gateway is away
        return None


def reservation_out(reservation: Reservation) -> dict[str, Any]:
    payment = reservation.payment
    return {
        "public_id": reservation.public_id,
        "status": reservation.status,
        "status_display": reservation.get_status_display(),
        "session": session_out(reservation.session),
        "seats": reservation.seats,
        **_money("unit_price", reservation.unit_price_fen),
        **_money("amount", reservation.amount_fen),
        "created_at": reservation.created_at,
        "confirmed_at": reservation.confirmed_at,
        "closed_at": reservation.closed_at,
        "hold_expires_at": reservation.hold_expires_at,
        "payment": None
        if payment is None
        else {
            "public_id": payment.public_id,
            "status": payment.status,
            **_money("amount", payment.amount_fen),
            **_money("refunded", payment.refunded_fen),
            "expires_at": payment.expires_at,
            "pay_url": _pay_url(reservation),
        },
        "can_cancel": selectors.reservation_cancellable(reservation),
        **_money("cancel_refund", selectors.reservation_refund_if_cancelled(reservation)),
        "by_operator": reservation.by_operator,
        "cancel_reason": reservation.cancel_reason,
        **_money("refund", reservation.refund_fen),
        **_money("refunded", reservation.refunded_fen),
        "tickets": [
            ticket.public_id
            for ticket in reservation.tickets.all()
            if ticket.status == TicketStatus.VALID
        ],
    }


def _reservation(request: HttpRequest, public_id: str) -> dict[str, Any]:
    reservation = selectors.reservation_for_user(user=request.auth, public_id=public_id)
    return reservation_out(reservation)


class SeatsIn(Input):
    seats: SeatCount


@router.post(
    "/events/sessions/{pid:public_id}/reservations",
    response=with_errors({201: ReservationOut}, 400, 401, 403, 404, 409, 422, 429, 503),
)
@rate_limited("reservation")
def reserve(request: HttpRequest, public_id: str, payload: SeatsIn):
    """Reserve ``seats`` of a session for the caller, within its per-user limit (counting
    what they have). A free session is confirmed at once with one ticket per seat; a
    priced one holds the seats until ``hold_expires_at`` with a pending ``payment``
    (``pay_url``). Refused: ``reservation_not_open`` / ``reservation_closed`` (409, with
    the time), ``session_cancelled``, ``over_user_limit`` (422 or 409), ``session_full``
    (409, ``details.seats_left``: fewer seats, or join the waiting list)."""
    # Only the key: in a rush most visitors are refused, and the service reads the rest.
    reservation = services.reservation_create(
        session=selectors.session_ref_on_programme(public_id=public_id),
        user=request.auth,
        seats=payload.seats,
    )
    return Status(201, reservation_out(reservation))  # as it was made: no second read


class ReservationsQuery(PageQuery):
    status: ReservationStatusValue | None = None
    upcoming: bool | None = Field(
        None, description="Only sessions not over yet (true) or only past ones (false)."
    )


@router.get("/me/reservations", response=with_errors({200: Page[ReservationOut]}, 401, 422))
def my_reservations(request: HttpRequest, query: Query[ReservationsQuery]):
    """The caller's reservations, newest first."""
    reservations = selectors.reservations_for_user(
        user=request.auth, status=query.status, upcoming=query.upcoming
    ).prefetch_related("tickets")
    return page_out(reservations, query, reservation_out)


@router.get(
    "/me/reservations/{pid:public_id}", response=with_errors({200: ReservationOut}, 401, 404)
)
def my_reservation(request: HttpRequest, public_id: str):
    """One of the caller's reservations: its status, payment, refund and tickets."""
    return _reservation(request, public_id)


@router.post(
    "/me/reservations/{pid:public_id}/cancel",
    response=with_errors({200: ReservationOut}, 400, 401, 403, 404, 409, 422),
)
def my_reservation_cancel(request: HttpRequest, public_id: str, payload: OptionalReasonIn):
    """Cancel one of the caller's reservations before its session starts: the seats go
    back (to the waiting list first), the tickets are revoked, and a paid reservation is
    refunded in full before the session's ``cancel_until``, not at all after it (the
    reservation's ``cancel_refund_fen`` says which beforehand). Refused once it has
    ended (``reservation_not_active``) or the session started (``session_started``)."""
    reservation = selectors.reservation_for_user(user=request.auth, public_id=public_id)
    services.reservation_cancel(reservation=reservation, by=request.auth, reason=payload.reason)
    return _reservation(request, public_id)


# --- waiting lists ------------------------------------------------------------------------


class WaitlistEntryOut(Schema):
    public_id: str
    session: SessionOut
    seats: int
    status: WaitlistStatusValue
    status_display: str
    position: int | None = Field(description="Place in the queue (1 = next) while waiting.")
    joined_at: datetime
    offered_at: datetime | None
    offer_expires_at: datetime | None = Field(
        description="An offer holds the seats until then: claim it before."
    )
    offer_open: bool = Field(description="An offer that can be claimed now.")
    closed_at: datetime | None
    reservation: str | None = Field(description="The reservation a claimed offer became.")


def waitlist_entry_out(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "public_id": entry.public_id,
        "session": session_out(entry.session),
        "seats": entry.seats,
        "status": entry.status,
        "status_display": entry.get_status_display(),
        "position": selectors.waitlist_position(entry),
        "joined_at": entry.joined_at,
        "offered_at": entry.offered_at,
        "offer_expires_at": entry.offer_expires_at,
        "offer_open": selectors.offer_running(entry),
        "closed_at": entry.closed_at,
        "reservation": entry.reservation.public_id if entry.reservation else None,
    }


def _entry_of(request: HttpRequest, public_id: str) -> WaitlistEntry:
    """The caller's open entry for the session, with what ``waitlist_entry_out`` needs."""
    session = selectors.session_on_programme(public_id=public_id)
    entry = selectors.waitlist_entry_for_session(user=request.auth, session=session)
    if entry is None:
        raise NotFound(_("没有找到这条候补记录。"), code="waitlist_entry_not_found")
    return selectors.waitlist_entry_for_user(user=request.auth, public_id=entry.public_id)


@router.post(
    "/events/sessions/{pid:public_id}/waitlist",
    response=with_errors({201: WaitlistEntryOut}, 400, 401, 403, 404, 409, 422),
)
def waitlist_join(request: HttpRequest, public_id: str, payload: SeatsIn):
    """Join a session's waiting list for ``seats`` when they cannot be reserved now.
    First come, first served: when seats free up the next entry whose seats fit gets an
    offer holding them until ``offer_expires_at`` (claim it with ``.../waitlist/claim``).
    Refused: ``seats_available`` (reserve instead), ``already_waitlisted``,
    ``over_user_limit``, and while reservations are not open."""
    session = selectors.session_on_programme(public_id=public_id)
    entry = services.waitlist_join(session=session, user=request.auth, seats=payload.seats)
    return Status(
        201,
        waitlist_entry_out(
            selectors.waitlist_entry_for_user(user=request.auth, public_id=entry.public_id)
        ),
    )


@router.get(
    "/events/sessions/{pid:public_id}/waitlist",
    response=with_errors({200: WaitlistEntryOut}, 401, 404),
)
def waitlist_mine(request: HttpRequest, public_id: str):
    """The caller's open place on the session's waiting list: the position while waiting,
    or the offer and its deadline. 404 ``waitlist_entry_not_found`` when there is none."""
    return waitlist_entry_out(_entry_of(request, public_id))


@router.delete(
    "/events/sessions/{pid:public_id}/waitlist",
    response=with_errors({200: WaitlistEntryOut}, 401, 403, 404, 409),
)
def waitlist_leave(request: HttpRequest, public_id: str):
    """Leave the session's waiting list, or decline the offer made to you: offered seats
    pass to the next in line at once."""
    entry = services.waitlist_leave(entry=_entry_of(request, public_id), user=request.auth)
    return waitlist_entry_out(
        selectors.waitlist_entry_for_user(user=request.auth, public_id=entry.public_id)
    )


@router.post(
    "/events/sessions/{pid:public_id}/waitlist/claim",
    response=with_errors({201: ReservationOut}, 401, 403, 404, 409, 422, 503),
)
def waitlist_claim(request: HttpRequest, public_id: str):
    """Take the seats offered to you before ``offer_expires_at``: a reservation, confirmed
    with tickets when free, else held for payment like any other (``payment.pay_url``).
    Refused when there is no open offer (``offer_not_open``)."""
    reservation = services.waitlist_offer_claim(
        entry=_entry_of(request, public_id), user=request.auth
    )
    return Status(201, _reservation(request, reservation.public_id))


class WaitlistQuery(PageQuery):
    open_only: bool = False


@router.get("/me/waitlist", response=with_errors({200: Page[WaitlistEntryOut]}, 401, 422))
def my_waitlist(request: HttpRequest, query: Query[WaitlistQuery]):
    """The caller's waiting-list places, newest first (``open_only``: waiting or offered)."""
    entries = selectors.waitlist_entries_for_user(user=request.auth, open_only=query.open_only)
    return page_out(entries, query, waitlist_entry_out)


# --- tickets ------------------------------------------------------------------------------


class TicketOut(Schema):
    public_id: str
    status: Literal["valid", "revoked"]
    status_display: str
    seat_no: int
    reservation: str
    session: SessionOut
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str
    qr_payload: str | None = Field(
        description="The signed text of the ticket's QR code; null once revoked."
    )


class TicketDetailOut(TicketOut):
    qr_svg: str | None = Field(description="The QR code as an SVG document; null once revoked.")


def ticket_qr_svg(payload: str) -> str:
    """``payload`` as a QR code, an SVG document that scales to its box."""
    image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg width="100%"', svg)


def ticket_out(ticket: Ticket, payload: str | None, *, svg: bool = False) -> dict[str, Any]:
    """A ticket with its signed QR ``payload`` (None when revoked)."""
    out = {
        "public_id": ticket.public_id,
        "status": ticket.status,
        "status_display": ticket.get_status_display(),
        "seat_no": ticket.seat_no,
        "reservation": ticket.reservation.public_id,
        "session": session_out(ticket.session),
        "issued_at": ticket.issued_at,
        "revoked_at": ticket.revoked_at,
        "revoke_reason": ticket.revoke_reason,
        "qr_payload": payload,
    }
    if svg:
        out["qr_svg"] = ticket_qr_svg(payload) if payload else None
    return out


class TicketsQuery(PageQuery):
    include_revoked: bool = False
    upcoming: bool | None = Field(
        None, description="Only sessions not over yet (true) or only past ones (false)."
    )


@router.get("/me/tickets", response=with_errors({200: Page[TicketOut]}, 401, 422))
def my_tickets(request: HttpRequest, query: Query[TicketsQuery]):
    """The caller's tickets by session start, each with its signed QR payload (keep them
    to show at the door offline); revoked ones only with ``include_revoked``."""
    tickets = selectors.tickets_for_user(
        user=request.auth, include_revoked=query.include_revoked, upcoming=query.upcoming
    )
    page = page_out(tickets, query, lambda ticket: ticket)
    payloads = selectors.ticket_qr_payloads(page["items"])
    page["items"] = [ticket_out(ticket, payloads.get(ticket.pk)) for ticket in page["items"]]
    return page


@router.get("/me/tickets/{pid:public_id}", response=with_errors({200: TicketDetailOut}, 401, 404))
def my_ticket(request: HttpRequest, public_id: str):
    """One of the caller's tickets with its QR payload and the QR code as SVG."""
    ticket = selectors.ticket_for_user(user=request.auth, public_id=public_id)
    payload = (
        selectors.ticket_qr_payload(ticket=ticket) if ticket.status == TicketStatus.VALID else None
    )
    return ticket_out(ticket, payload, svg=True)


# --- the inbox ----------------------------------------------------------------------------


class NotificationOut(Schema):
    public_id: str
    kind: Literal["session_cancelled", "waitlist_offer"]
    ref: str = Field(description="The reservation or waiting-list entry it is about.")
    session: str | None
    text: str
    created_at: datetime
    read_at: datetime | None


def notification_out(notification: Notification) -> dict[str, Any]:
    return {
        "public_id": notification.public_id,
        "kind": notification.kind,
        "ref": notification.ref,
        "session": (notification.data or {}).get("session"),
        "text": selectors.notification_text(notification),
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


class NotificationsQuery(PageQuery):
    unread_only: bool = False


@router.get("/me/notifications", response=with_errors({200: Page[NotificationOut]}, 401, 422))
def my_notifications(request: HttpRequest, query: Query[NotificationsQuery]):
    """The caller's messages (a waiting-list offer, a session called off), newest first,
    in the language asked for."""
    messages = selectors.notifications_for_user(user=request.auth, unread_only=query.unread_only)
    return page_out(messages, query, notification_out)


@router.post(
    "/me/notifications/{pid:public_id}/read",
    response=with_errors({200: NotificationOut}, 401, 403, 404),
)
def my_notification_read(request: HttpRequest, public_id: str):
    """Mark one of the caller's messages read (again is harmless)."""
    notification = selectors.notification_for_user(user=request.auth, public_id=public_id)
    notification = services.notification_mark_read(notification=notification, user=request.auth)
    return notification_out(notification)
