"""Reserving seats, cancelling a reservation, and the expiry of unpaid holds."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
)
from designmall.core.ids import new_public_id
from designmall.events import rules
from designmall.events.models import (
    Reservation,
    ReservationStatus,
    Session,
    SessionStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.events.services.booking import (
    _check_bookable,
    _check_seats,
    _check_user_limit,
    _full,
    _lock_user,
    _locked,
    _move,
    _open_reservation,
    _reason,
    _reservation_not_found,
    _seats_change,
    _seats_take,
    _session_full,
    _tickets_issue,
    _tickets_revoke,
)
from designmall.events.services.waitlist import (
    _offers_make,
    _waiting_entry_trim,
    waitlist_offer_lapse,
)
from designmall.events.ticketsign import TICKET_PREFIX
from designmall.payments.models import Payment, PaymentStatus
from designmall.payments.services import payment_close, refund_create


def _refuse_if_surely_full(*, session_id: int, seats: Any) -> Session | None:
    """Refuse at once, without a transaction or a lock, a bookable session the counters
    say is full while no hold or offer of it has run out: in a rush most visitors come
    after the last seat. (The conditional update still decides for everyone else.)
    Returns the session as read (its event with it), or ``None`` if there is none."""
    now = clock.now()
    found = (
        Session.objects.select_related("event", "hall__venue")  # what the answer shows
        .annotate(
            overdue=Exists(
                Reservation.objects.filter(
                    session_id=OuterRef("pk"),
                    status=ReservationStatus.PENDING_PAYMENT,
                    hold_expires_at__lte=now,
                )
            )
            | Exists(
                WaitlistEntry.objects.filter(
                    session_id=OuterRef("pk"),
                    status=WaitlistStatus.OFFERED,
                    offer_expires_at__lte=now,
                )
            )
        )
        .filter(pk=session_id)
    )
    session = next(iter(found), None)  # by key: no ORDER BY to compile
    if session is None:
        return None  # _reserve says what is wrong
    _check_bookable(session, now)
    seats = _check_seats(seats, session.per_user_limit)
    if not session.overdue and session.seats_left < seats:
        raise _full(session.seats_left, seats)
    return session


def _reserve_free_in_one_trip(*, session: Session, user: User, seats: int) -> Reservation:
    """PostgreSQL, a free session: ``_reserve``'s work as one call of the database function
    ``events_reserve_free`` (migration ``events.0005``) in autocommit, so the session's row
    is locked for one statement, never while Python runs. What it refuses is explained
    here afterwards, from a fresh read."""
    reservation = Reservation(
        session=session,
        user=user,
        seats=seats,
        unit_price_fen=0,
        amount_fen=0,
        status=ReservationStatus.CONFIRMED,
    )
    frozen, offset = clock.database_reference()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT outcome, reservation_id, at FROM events_reserve_free"
            "(%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)",
            [
                session.pk,
                user.pk,
                seats,
                frozen,
                offset,
                reservation.public_id,
                [new_public_id(TICKET_PREFIX) for _seat in range(seats)],
                json.dumps({"session": session.public_id, "seats": seats, "amount_fen": 0}),
                _("已直接预约到座位"),
            ],
        )
        outcome, reservation.pk, at = cursor.fetchone()
    if outcome == "ok":
        reservation.created_at = reservation.confirmed_at = at
        session.confirmed += seats  # as this reservation left it, for the answer
        return reservation
    now = clock.now()
    fresh = Session.objects.select_related("event").get(pk=session.pk)
    _check_bookable(fresh, now)
    if outcome == "over_user_limit":
        _check_user_limit(fresh, user, seats, now)
    raise _full(fresh.seats_left, seats)


@transaction.atomic
def _reserve(*, session: Session, user: User, seats: Any) -> Reservation:
    now = clock.now()
    session = Session.objects.select_related("event", "hall__venue").get(pk=session.pk)
    _check_bookable(session, now)
    seats = _check_seats(seats, session.per_user_limit)
    _lock_user(user)
    _check_user_limit(session, user, seats, now)
    if not _seats_take(session.pk, seats, confirm=session.is_free):
        raise _session_full(session.pk, seats)
    # As this reservation left them, for the answer (the row was changed in the database).
    if session.is_free:
        session.confirmed += seats
    else:
        session.held += seats
    reservation = _open_reservation(
        session=session, user=user, seats=seats, now=now, held_already=False
    )
    _waiting_entry_trim(session, user, now)
    return reservation


def reservation_create(*, session: Session, user: User, seats: int) -> Reservation:
    """Reserve ``seats`` of ``session`` for ``user``: one transaction, seats taken with one
    conditional update. Returns the reservation with its session (event, hall and venue)
    as it left them.

    A free session's reservation is confirmed with one ticket per seat; a priced one
    holds the seats for ``EVENT_HOLD_MINUTES`` and has a pending payment (``payment``)
    to pay at the cashier. Refused: before the window (``Conflict``
    ``reservation_not_open``) or after it (``reservation_closed``), for a cancelled
    session (``session_cancelled``), beyond the session's per-user limit counting the
    visitor's running reservations and offers (``over_user_limit``), and when the seats
    do not fit (``session_full``, details ``seats_left``: join the waiting list). A
    draft session is ``NotFound``. Holds and offers that ran out are released first
    (``session_release_overdue``), so the answer never waits for the sweeper.
    """
    if not getattr(user, "pk", None):
        raise PermissionDenied(_("请先登录。"), code="login_required")
    found = _refuse_if_surely_full(session_id=session.pk, seats=seats)
    reserve = _reserve
    if found is not None and found.is_free and connection.vendor == "postgresql":
        session, reserve = found, _reserve_free_in_one_trip
    try:
        return reserve(session=session, user=user, seats=seats)
    except Conflict as exc:
        if exc.code != "session_full" or not session_release_overdue(session=session):
            raise
    return reserve(session=session, user=user, seats=seats)


@transaction.atomic
def reservation_complimentary(*, session: Session, user: User, reason: str) -> Reservation:
    """Give ``user`` one seat of ``session`` at no charge (a design-week reward), confirmed
    with its ticket at once, whatever the session's price: one transaction, the seat taken
    with the same conditional update as any booking, so capacity holds.

    Refused like a booking (``session_cancelled``, ``reservation_closed``, ``NotFound`` for
    a draft, ``over_user_limit``, ``session_full``), except that it may be given before
    reservations open. The audit row keeps ``reason``."""
    now = clock.now()
    session = Session.objects.select_related("event").get(pk=session.pk)
    # Checked as if reservations were open already: a reward may come before they open.
    _check_bookable(session, max(now, session.reservation_opens_at))
    _lock_user(user)
    _check_user_limit(session, user, 1, now)
    if not _seats_take(session.pk, 1, confirm=True):
        raise _session_full(session.pk, 1)
    reservation = Reservation.objects.create(
        session=session,
        user=user,
        seats=1,
        unit_price_fen=0,
        amount_fen=0,
        status=ReservationStatus.CONFIRMED,
        created_at=now,
        confirmed_at=now,
    )
    _tickets_issue(reservation, now)
    audit_record(
        actor=None,
        action="reservation.complimentary",
        target=reservation,
        to_state=reservation.status,
        reason=_reason(reason),
        data={"session": session.public_id, "seats": 1},
    )
    return reservation


def _cancel(
    *,
    payment: Payment | None,
    reservation: Reservation,
    by: User | None,
    by_operator: bool,
    reason: str,
) -> Reservation:
    """Cancel the locked, active ``reservation``: its seats return, its tickets are
    revoked and its refund (by the rule) is requested."""
    session = reservation.session
    now = clock.now()
    was = reservation.status
    refund = 0
    if was == ReservationStatus.CONFIRMED:
        _seats_change(session.pk, confirmed=-reservation.seats)
        if payment is not None and payment.status == PaymentStatus.PAID:
            refund = min(
                rules.refund_fen(
                    paid_fen=reservation.amount_fen,
                    now=now,
                    cancel_until=session.cancel_until,
                    by_operator=by_operator,
                ),
                payment.amount_fen - payment.refunded_fen,
            )
    else:
        _seats_change(session.pk, held=-reservation.seats)
    _move(
        reservation,
        ReservationStatus.CANCELLED,
        by=by,
        reason=reason,
        data={"refund_fen": refund, "by_operator": by_operator},
        closed_at=now,
        cancelled_by=by if getattr(by, "pk", None) else None,
        by_operator=by_operator,
        cancel_reason=reason,
        refund_fen=refund,
    )
    _tickets_revoke(reservation, reason=reason or _("预约已取消"))
    if refund:
        refund_create(
            payment=payment,
            amount_fen=refund,
            reason=reason or _("取消活动预约"),
            refs={"reservation": reservation.public_id},
            by=by if getattr(by, "pk", None) else None,
        )
    if payment is not None and payment.status == PaymentStatus.PENDING:
        # Closed after the reservation, so the payable's expiry handler finds nothing to do;
        # money that still arrives is refunded in full by payments.
        payment_close(payment=payment, reason="reservation cancelled")
    _offers_make(session.pk)
    return reservation


@transaction.atomic
def reservation_cancel(*, reservation: Reservation, by: User, reason: str = "") -> Reservation:
    """The visitor cancels their reservation before the session starts: the seats go back
    (to the waiting list first), the tickets are revoked, and a paid reservation is
    refunded in full strictly before the session's ``cancel_until``, not at all from then
    on (``refund_fen`` says which). A reservation of a session the operator cancelled is
    refunded in full. Others' reservations are 404; an ended one is
    ``InvalidTransition``; a started session is ``Conflict`` ``session_started``.
    """
    if reservation.user_id != by.pk:
        raise _reservation_not_found()
    reason = _reason(reason)
    payment, reservation = _locked(reservation.pk)
    if reservation.status not in rules.ACTIVE_RESERVATIONS:
        raise InvalidTransition(
            _("这个预约已经结束，不能取消。"),
            code="reservation_not_active",
            details={"from": reservation.status},
        )
    session = reservation.session
    session_off = session.status == SessionStatus.CANCELLED
    if not session_off and clock.now() >= session.starts_at:
        raise Conflict(_("场次已经开始，不能取消预约。"), code="session_started")
    return _cancel(
        payment=payment,
        reservation=reservation,
        by=by,
        by_operator=session_off,
        reason=reason or _("观众取消"),
    )


def _expire(reservation: Reservation, *, reason: str) -> Reservation:
    _seats_change(reservation.session_id, held=-reservation.seats)
    _move(reservation, ReservationStatus.EXPIRED, by=None, reason=reason, closed_at=clock.now())
    _offers_make(reservation.session_id)
    return reservation


@transaction.atomic
def reservation_expire(*, reservation: Reservation) -> Reservation:
    """End an unpaid reservation whose hold ran out (the sweeper's step); idempotent.

    Its pending payment is closed (``payment_close``), which calls back
    ``reservation_payment_expired``; if the payment is no longer pending (money that
    came too late is being refunded by payments), the reservation expires here. Its
    seats go to the waiting list first. Anything else is left as it is.
    """
    payment, reservation = _locked(reservation.pk)
    if (
        reservation.status != ReservationStatus.PENDING_PAYMENT
        or clock.now() < reservation.hold_expires_at
    ):
        return reservation
    if payment.status == PaymentStatus.PENDING:
        payment_close(payment=payment, reason="reservation hold expired")
        reservation.refresh_from_db()
        return reservation
    return _expire(reservation, reason=_("超时未支付"))


def session_release_overdue(*, session: Session) -> int:
    """Release the session's holds and offers that ran out by the clock (each in its own
    transaction, as the sweepers do); returns how many this call released."""
    now = clock.now()
    released = 0
    holds = Reservation.objects.filter(
        session_id=session.pk,
        status=ReservationStatus.PENDING_PAYMENT,
        hold_expires_at__lte=now,
    ).order_by("pk")
    for reservation in holds:
        if reservation_expire(reservation=reservation).status == ReservationStatus.EXPIRED:
            released += 1
    offers = WaitlistEntry.objects.filter(
        session_id=session.pk, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
    ).order_by("pk")
    for entry in offers:
        if waitlist_offer_lapse(entry=entry).status == WaitlistStatus.LAPSED:
            released += 1
    return released
