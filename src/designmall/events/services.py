"""Event services: reservations, waiting lists, tickets and cancelled sessions.

Seats. A session's ``confirmed`` and ``held`` counters change only through one
conditional ``UPDATE`` each (``held = held + n WHERE confirmed + held + n <=
capacity AND status = 'scheduled'``), never a read followed by a write; the
CHECK constraints on ``Session`` stand behind them. ``held`` counts the seats
of reservations waiting for payment and of open waiting-list offers.

Time. A hold or an offer past its expiry counts as gone wherever it matters
(it cannot be paid or claimed, the visitor's limit no longer counts it), so a
late sweeper never changes an answer; the sweepers (``events.tasks``) only make
it permanent, each step a conditional transition, idempotent and safe on
several workers. A reservation that finds the session full first releases what
has run out itself, so seats that are free by the clock are never refused.

Waiting lists. Whenever seats come free (a cancellation, an expiry, a declined
or lapsed offer, more capacity) they are offered in the same transaction to the
waiting entries in order of joining (``joined_at``, then id) whose seats fit;
an offer takes its seats with the same conditional update, so no seat is ever
offered twice, and holds them until ``WAITLIST_OFFER_HOURS`` have passed.

Locks are taken in one order everywhere: the visitor's user row, a payment, a
reservation, the session, waiting-list entries. Payments calls our handlers
with the payment locked (``events.payables``), so a payment arriving, the
visitor cancelling and the sweeper queue behind each other instead of
deadlocking.

Money. A priced reservation is paid through ``payments`` (payable type
``reservation``); the money waits in escrow. A refund comes out of escrow; once
the session is over, what was kept is recognised as ticket revenue
(``reservation_revenue_release``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.core.jobs import enqueue
from designmall.events import rules
from designmall.events.models import (
    Event,
    EventStatus,
    Notification,
    NotificationKind,
    Reservation,
    ReservationStatus,
    Session,
    SessionStatus,
    Ticket,
    TicketStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.ledger.accounts import ESCROW, PLATFORM_TICKETS, gateway_account
from designmall.ledger.services import ledger_post, refund_from_escrow
from designmall.payments.models import Payment, PaymentStatus, Refund
from designmall.payments.services import payment_close, payment_create, refund_create

PAYABLE_TYPE = "reservation"
NOTIFY_JOB = "events.notify"
REASON_MAX = 500
# The revenue account ticket money goes to once a session is over (see the ledger's chart).
TICKET_REVENUE = PLATFORM_TICKETS
LEDGER_TICKET_REVENUE = "ticket_revenue"
LEDGER_TICKET_REFUND = "ticket_refund_after_release"


class CountersOutOfStep(RuntimeError):
    """A session's counters disagree with its reservations: a bug, never a visitor's doing."""


# --- small helpers ------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _reason(reason: str, *, required: bool = False) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("原因最多 %(n)s 个字。") % {"n": REASON_MAX}, code="reason_too_long"
        )
    if required and not reason:
        raise ValidationFailed(_("请填写原因。"), code="reason_required")
    return reason


def _reservation_not_found() -> NotFound:
    return NotFound(_("没有找到这个预约。"), code="reservation_not_found")


def _entry_not_found() -> NotFound:
    return NotFound(_("没有找到这条候补记录。"), code="waitlist_entry_not_found")


def _session_not_found() -> NotFound:
    return NotFound(_("没有找到这个场次。"), code="session_not_found")


def can_cancel_sessions(user: User | None) -> bool:
    return bool(user and user.is_active and user.has_perm("events.cancel_session"))


def _lock_user(user: User) -> None:
    """Serialises one visitor's reservations and waiting-list steps (the per-user limit)."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def _check_seats(seats: Any, limit: int) -> int:
    if not rules.is_count(seats):
        raise ValidationFailed(
            _("座位数必须是正整数。"), code="invalid_seats", details={"seats": repr(seats)}
        )
    if seats > limit:
        raise ValidationFailed(
            _("每人最多预约 %(n)d 个座位。") % {"n": limit},
            code="over_user_limit",
            details={"per_user_limit": limit, "seats": seats},
        )
    return seats


def _check_bookable(session: Session, now: datetime) -> None:
    """Reservations and the waiting list are open for ``session`` (its event loaded)."""
    if session.status == SessionStatus.CANCELLED or session.event.status == EventStatus.CANCELLED:
        raise Conflict(_("该场次已取消。"), code="session_cancelled")
    if session.event.status != EventStatus.PUBLISHED:
        raise _session_not_found()
    if now < session.reservation_opens_at:
        raise Conflict(
            _("预约尚未开放，将于 %(time)s 开放。")
            % {"time": _local(session.reservation_opens_at)},
            code="reservation_not_open",
            details={"opens_at": session.reservation_opens_at.isoformat()},
        )
    if now >= session.reservation_closes_at:
        raise Conflict(
            _("预约已于 %(time)s 截止。") % {"time": _local(session.reservation_closes_at)},
            code="reservation_closed",
            details={"closed_at": session.reservation_closes_at.isoformat()},
        )


def _user_seats(*, session_id: int, user_id: int, now: datetime, exclude_entry: int = 0) -> int:
    """The visitor's seats of a session that count against its per-user limit now:
    confirmed, held for payment and offered (holds and offers still running)."""
    reserved = (
        Reservation.objects.filter(session_id=session_id, user_id=user_id)
        .filter(
            Q(status=ReservationStatus.CONFIRMED)
            | Q(status=ReservationStatus.PENDING_PAYMENT, hold_expires_at__gt=now)
        )
        .aggregate(n=Sum("seats"))["n"]
    )
    offered = (
        WaitlistEntry.objects.filter(
            session_id=session_id,
            user_id=user_id,
            status=WaitlistStatus.OFFERED,
            offer_expires_at__gt=now,
        )
        .exclude(pk=exclude_entry)
        .aggregate(n=Sum("seats"))["n"]
    )
    return int(reserved or 0) + int(offered or 0)


def _check_user_limit(session: Session, user: User, seats: int, now: datetime, **kw) -> None:
    have = _user_seats(session_id=session.pk, user_id=user.pk, now=now, **kw)
    if have + seats > session.per_user_limit:
        raise Conflict(
            _("每人最多预约 %(n)d 个座位，您已有 %(have)d 个。")
            % {"n": session.per_user_limit, "have": have},
            code="over_user_limit",
            details={"per_user_limit": session.per_user_limit, "have": have, "seats": seats},
        )


# --- seat counters: one conditional UPDATE each ------------------------------------------


def _seats_take(session_id: int, seats: int, *, confirm: bool) -> bool:
    """Take ``seats`` of a scheduled session, confirmed or held; False when they do not fit."""
    column = "confirmed" if confirm else "held"
    return (
        Session.objects.filter(
            pk=session_id,
            status=SessionStatus.SCHEDULED,
            capacity__gte=F("confirmed") + F("held") + seats,
        ).update(**{column: F(column) + seats})
        == 1
    )


def _seats_change(session_id: int, **deltas: int) -> None:
    """Apply ``deltas`` (``held``/``confirmed``, negative to give back) to seats the caller
    knows are there; a mismatch is ``CountersOutOfStep``."""
    guard = Q()
    for column, delta in deltas.items():
        if delta < 0:
            guard &= Q(**{f"{column}__gte": -delta})
    updated = Session.objects.filter(guard, pk=session_id).update(
        **{column: F(column) + delta for column, delta in deltas.items()}
    )
    if updated != 1:
        raise CountersOutOfStep(f"session {session_id}: cannot apply {deltas}")


def _full(left: int, seats: int) -> Conflict:
    message = (
        _("座位已满，可以加入候补名单。")
        if left == 0
        else _("只剩 %(n)d 个座位，可以少约几个或加入候补名单。") % {"n": left}
    )
    return Conflict(message, code="session_full", details={"seats_left": left, "seats": seats})


def _session_full(session_id: int, seats: int) -> Conflict:
    session = Session.objects.only("capacity", "confirmed", "held").get(pk=session_id)
    return _full(session.seats_left, seats)


# --- transitions --------------------------------------------------------------------------


def _move(
    obj: Reservation | WaitlistEntry,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """Move the locked reservation or entry to ``to`` along its table, set ``fields``,
    save them and record the step."""
    table = (
        rules.RESERVATION_TRANSITIONS
        if isinstance(obj, Reservation)
        else rules.WAITLIST_TRANSITIONS
    )
    before = obj.status
    if not rules.can_transition(table, before, to):
        raise InvalidTransition(
            _("当前状态为「%(status)s」，不能执行此操作。") % {"status": obj.get_status_display()},
            details={"from": before, "to": to},
        )
    obj.status = to
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=["status", *fields])
    kind = "reservation" if isinstance(obj, Reservation) else "waitlist"
    audit_record(
        actor=by,
        action=f"{kind}.{to}",
        target=obj,
        from_state=before,
        to_state=to,
        reason=reason,
        data=data,
    )


def _locked(reservation_id: int) -> tuple[Payment | None, Reservation]:
    """The reservation's payment (if any), then the reservation, locked in that order."""
    payment_id = (
        Reservation.objects.filter(pk=reservation_id).values_list("payment_id", flat=True).get()
    )
    payment = Payment.objects.select_for_update().get(pk=payment_id) if payment_id else None
    reservation = (
        Reservation.objects.select_for_update().select_related("session").get(pk=reservation_id)
    )
    return payment, reservation


# --- tickets ------------------------------------------------------------------------------


def _tickets_issue(reservation: Reservation, now: datetime) -> list[Ticket]:
    return Ticket.objects.bulk_create(
        [
            Ticket(
                reservation=reservation,
                session_id=reservation.session_id,
                user_id=reservation.user_id,
                seat_no=seat,
                issued_at=now,
            )
            for seat in range(1, reservation.seats + 1)
        ]
    )


def _tickets_revoke(reservation: Reservation, *, reason: str) -> int:
    return Ticket.objects.filter(reservation=reservation, status=TicketStatus.VALID).update(
        status=TicketStatus.REVOKED, revoked_at=clock.now(), revoke_reason=reason[:500]
    )


# --- reserving ----------------------------------------------------------------------------


def _subject(session: Session, seats: int) -> str:
    return f"{session.event.title_zh} {_local(session.starts_at)} × {seats}"


def _open_reservation(
    *, session: Session, user: User, seats: int, now: datetime, held_already: bool
) -> Reservation:
    """Write a reservation for seats already taken (confirmed for a free session, held for
    a priced one); a priced one gets its payment and its hold."""
    reservation = Reservation(
        session=session,
        user=user,
        seats=seats,
        unit_price_fen=session.price_fen,
        amount_fen=session.price_fen * seats,
        created_at=now,
    )
    if session.is_free:
        if held_already:  # an offer's held seats become confirmed
            _seats_change(session.pk, held=-seats, confirmed=seats)
        reservation.status = ReservationStatus.CONFIRMED
        reservation.confirmed_at = now
        reservation.save()
        _tickets_issue(reservation, now)
    else:
        reservation.status = ReservationStatus.PENDING_PAYMENT
        reservation.hold_expires_at = now + timedelta(minutes=settings.EVENT_HOLD_MINUTES)
        reservation.payment = payment_create(
            buyer=user,
            amount_fen=reservation.amount_fen,
            subject=_subject(session, seats),
            payable_type=PAYABLE_TYPE,
            payable_id=reservation.public_id,
        )
        reservation.save()
    audit_record(
        actor=user,
        action=f"reservation.{reservation.status}",
        target=reservation,
        to_state=reservation.status,
        data={"session": session.public_id, "seats": seats, "amount_fen": reservation.amount_fen},
    )
    return reservation


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


def _refuse_if_surely_full(*, session_id: int, seats: Any) -> None:
    """Refuse at once, without a transaction or a lock, a bookable session the counters
    say is full while no hold or offer of it has run out: in a rush most visitors come
    after the last seat. (The conditional update still decides for everyone else.)"""
    now = clock.now()
    found = (
        Session.objects.select_related("event")
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
        return  # _reserve says what is wrong
    _check_bookable(session, now)
    seats = _check_seats(seats, session.per_user_limit)
    if not session.overdue and session.seats_left < seats:
        raise _full(session.seats_left, seats)


@transaction.atomic
def _reserve(*, session_id: int, user: User, seats: Any) -> Reservation:
    now = clock.now()
    session = Session.objects.select_related("event").get(pk=session_id)
    _check_bookable(session, now)
    seats = _check_seats(seats, session.per_user_limit)
    _lock_user(user)
    _check_user_limit(session, user, seats, now)
    if not _seats_take(session.pk, seats, confirm=session.is_free):
        raise _session_full(session.pk, seats)
    reservation = _open_reservation(
        session=session, user=user, seats=seats, now=now, held_already=False
    )
    _waiting_entry_trim(session, user, now)
    return reservation


def reservation_create(*, session: Session, user: User, seats: int) -> Reservation:
    """Reserve ``seats`` of ``session`` for ``user``: one transaction, seats taken with one
    conditional update.

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
    _refuse_if_surely_full(session_id=session.pk, seats=seats)
    try:
        return _reserve(session_id=session.pk, user=user, seats=seats)
    except Conflict as exc:
        if exc.code != "session_full" or not session_release_overdue(session=session):
            raise
    return _reserve(session_id=session.pk, user=user, seats=seats)


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


# --- payments' handlers (called with the payment locked) ---------------------------------


def _reservation_of(payment: Payment) -> Reservation | None:
    return (
        Reservation.objects.select_for_update()
        .select_related("session")
        .filter(public_id=payment.payable_id, payment_id=payment.pk)
        .first()
    )


def reservation_is_payable(payment: Payment) -> bool:
    """Still waiting for this payment, its hold running by the clock, its session on."""
    reservation = _reservation_of(payment)
    return (
        reservation is not None
        and reservation.status == ReservationStatus.PENDING_PAYMENT
        and clock.now() < reservation.hold_expires_at
        and reservation.session.status == SessionStatus.SCHEDULED
    )


def reservation_mark_paid(payment: Payment) -> Reservation:
    """The payment arrived: the held seats become confirmed and the tickets are issued."""
    reservation = _reservation_of(payment)
    if reservation is None or reservation.status != ReservationStatus.PENDING_PAYMENT:
        raise Conflict(_("这个预约已经结束。"), code="reservation_not_active")
    now = clock.now()
    _seats_change(reservation.session_id, held=-reservation.seats, confirmed=reservation.seats)
    _move(
        reservation,
        ReservationStatus.CONFIRMED,
        by=None,
        data={"payment": payment.public_id},
        confirmed_at=now,
    )
    _tickets_issue(reservation, now)
    return reservation


def reservation_payment_expired(payment: Payment) -> None:
    """The payment was closed unpaid: a reservation still waiting for it expires."""
    reservation = _reservation_of(payment)
    if reservation is not None and reservation.status == ReservationStatus.PENDING_PAYMENT:
        _expire(reservation, reason=_("支付已关闭"))


def reservation_refund_succeeded(refund: Refund) -> Reservation:
    """A refund of a reservation went through: book it (out of escrow, or out of ticket
    revenue if the money had been recognised before the refund was asked for)."""
    ref = (refund.refs or {}).get("reservation")
    if not ref:
        raise LookupError(f"refund {refund.public_id} names no reservation")
    reservation = Reservation.objects.select_for_update().get(public_id=ref)
    gateway = refund.payment.gateway
    refs = {"reservation": reservation.public_id, "payment": refund.payment.public_id}
    if reservation.released_at is None or refund.created_at < reservation.released_at:
        refund_from_escrow(
            refund_ref=refund.public_id, gateway=gateway, amount_fen=refund.amount_fen, refs=refs
        )
    else:
        ledger_post(
            key=f"refund:{refund.public_id}",
            kind=LEDGER_TICKET_REFUND,
            postings=[
                (TICKET_REVENUE, refund.amount_fen),
                (gateway_account(gateway), -refund.amount_fen),
            ],
            refs={**refs, "refund": refund.public_id},
        )
    reservation.refunded_fen += refund.amount_fen
    reservation.save(update_fields=["refunded_fen"])
    audit_record(
        actor=refund.requested_by,
        action="reservation.refunded",
        target=reservation,
        reason=refund.reason,
        data={"refund": refund.public_id, "amount_fen": refund.amount_fen},
    )
    return reservation


# --- ticket revenue -----------------------------------------------------------------------


@transaction.atomic
def reservation_revenue_release(*, reservation: Reservation) -> Reservation:
    """Once its session is over, the money a paid reservation kept (paid less refunds done
    or under way) leaves escrow as ticket revenue, once; idempotent (the sweeper's step).
    Anything unpaid, not over yet or released already is left as it is."""
    payment, reservation = _locked(reservation.pk)
    now = clock.now()
    if (
        reservation.released_at is not None
        or payment is None
        or payment.status != PaymentStatus.PAID
        or reservation.status not in (ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED)
        or now < reservation.session.ends_at
    ):
        return reservation
    kept = payment.amount_fen - payment.refunded_fen
    if kept > 0:
        ledger_post(
            key=f"ticket_revenue:{reservation.public_id}",
            kind=LEDGER_TICKET_REVENUE,
            postings=[(ESCROW, kept), (TICKET_REVENUE, -kept)],
            refs={
                "reservation": reservation.public_id,
                "session": reservation.session.public_id,
                "payment": payment.public_id,
            },
        )
    reservation.released_fen = kept
    reservation.released_at = now
    reservation.save(update_fields=["released_fen", "released_at"])
    audit_record(
        actor=None,
        action="reservation.revenue_released",
        target=reservation,
        data={"released_fen": kept},
    )
    return reservation


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


# --- cancelling a session -----------------------------------------------------------------


def session_cancel(*, session: Session, by: User, reason: str) -> Session:
    """The operator calls a session off: nobody can reserve or pay for it any more, every
    reservation is cancelled and refunded in full, every ticket revoked, the waiting list
    closed, and everyone concerned is notified (a queued job).

    Two steps: one transaction marks the session cancelled and closes its waiting list
    (after it, every seat-taking update and payment refuses the session); then each
    reservation is cancelled in its own transaction in the usual lock order
    (``session_cancel_finish``, which the sweeper completes if this is interrupted).
    Needs the ``events.cancel_session`` permission; an ended or cancelled session is
    refused.
    """
    if not can_cancel_sessions(by):
        raise PermissionDenied(_("只有运营人员可以取消场次。"), code="operator_only")
    reason = _reason(reason, required=True)
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
        if session.status != SessionStatus.SCHEDULED:
            raise InvalidTransition(
                _("该场次已取消。"), code="session_cancelled", details={"from": session.status}
            )
        now = clock.now()
        if now >= session.ends_at:
            raise Conflict(_("场次已经结束，不能取消。"), code="session_over")
        session.status = SessionStatus.CANCELLED
        session.cancelled_at = now
        session.cancel_reason = reason
        # Never a plain save(): the counters are only ever changed by conditional updates.
        session.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(
            actor=by,
            action="session.cancelled",
            target=session,
            from_state=SessionStatus.SCHEDULED,
            to_state=SessionStatus.CANCELLED,
            reason=reason,
        )
        entries = WaitlistEntry.objects.select_for_update().filter(
            session=session, status__in=rules.OPEN_WAITLIST
        )
        for entry in entries.order_by("pk"):
            was = entry.status
            _move(entry, WaitlistStatus.CANCELLED, by=by, reason=reason, closed_at=now)
            if was == WaitlistStatus.OFFERED:
                _seats_change(session.pk, held=-entry.seats)
    session_cancel_finish(session=session, by=by)
    return Session.objects.get(pk=session.pk)


@transaction.atomic
def _cancel_for_session(reservation_id: int, *, by: User | None, reason: str) -> None:
    payment, reservation = _locked(reservation_id)
    if reservation.status in rules.ACTIVE_RESERVATIONS:
        _cancel(payment=payment, reservation=reservation, by=by, by_operator=True, reason=reason)


def session_cancel_finish(*, session: Session, by: User | None = None) -> int:
    """Cancel what is still open of a cancelled session (each reservation in its own
    transaction), then queue the notifications once; idempotent. Returns how many
    reservations this call cancelled."""
    session = Session.objects.get(pk=session.pk)
    if session.status != SessionStatus.CANCELLED:
        return 0
    reason = session.cancel_reason or _("主办方取消场次")
    open_ids = list(
        Reservation.objects.filter(session=session, status__in=rules.ACTIVE_RESERVATIONS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for reservation_id in open_ids:
        _cancel_for_session(reservation_id, by=by, reason=reason)
    enqueue(
        NOTIFY_JOB,
        {"kind": NotificationKind.SESSION_CANCELLED, "session_id": session.pk},
        key=f"{NOTIFY_JOB}:session_cancelled:{session.pk}",
    )
    return len(open_ids)


def event_cancel(*, event: Event, by: User, reason: str) -> Event:
    """The operator calls a whole event off: it is cancelled and so is each of its
    sessions that has not ended (``session_cancel``)."""
    if not can_cancel_sessions(by):
        raise PermissionDenied(_("只有运营人员可以取消活动。"), code="operator_only")
    reason = _reason(reason, required=True)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status == EventStatus.CANCELLED:
            raise InvalidTransition(_("该活动已取消。"), code="event_cancelled")
        before = event.status
        event.status = EventStatus.CANCELLED
        event.cancelled_at = clock.now()
        event.save(update_fields=["status", "cancelled_at"])
        audit_record(
            actor=by,
            action="event.cancelled",
            target=event,
            from_state=before,
            to_state=EventStatus.CANCELLED,
            reason=reason,
        )
    upcoming = Session.objects.filter(
        event=event, status=SessionStatus.SCHEDULED, ends_at__gt=clock.now()
    ).order_by("starts_at", "pk")
    for session in upcoming:
        session_cancel(session=session, by=by, reason=reason)
    return event


# --- notifications ------------------------------------------------------------------------


def _session_data(session: Session) -> dict[str, Any]:
    return {
        "session": session.public_id,
        "event": session.event.public_id,
        "title_zh": session.event.title_zh,
        "title_en": session.event.title_en,
        "starts_at": session.starts_at.isoformat(),
    }


def notifications_write(payload: dict[str, Any]) -> int:
    """The notify job: write the inbox messages ``payload`` asks for; idempotent (one
    message per visitor, kind and subject). Returns how many were new."""
    now = clock.now()
    kind = payload.get("kind")
    rows: list[Notification] = []
    if kind == NotificationKind.WAITLIST_OFFER:
        entry = (
            WaitlistEntry.objects.select_related("session__event")
            .filter(pk=payload["entry_id"])
            .first()
        )
        if entry is not None and entry.offer_expires_at is not None:
            rows.append(
                Notification(
                    user_id=entry.user_id,
                    kind=kind,
                    ref=entry.public_id,
                    data={
                        **_session_data(entry.session),
                        "seats": entry.seats,
                        "offer_expires_at": entry.offer_expires_at.isoformat(),
                    },
                    created_at=now,
                )
            )
    elif kind == NotificationKind.SESSION_CANCELLED:
        session = Session.objects.select_related("event").get(pk=payload["session_id"])
        data = {**_session_data(session), "reason": session.cancel_reason}
        for reservation in Reservation.objects.filter(
            session=session, status=ReservationStatus.CANCELLED, by_operator=True
        ).order_by("pk"):
            rows.append(
                Notification(
                    user_id=reservation.user_id,
                    kind=kind,
                    ref=reservation.public_id,
                    data={**data, "seats": reservation.seats, "refund_fen": reservation.refund_fen},
                    created_at=now,
                )
            )
        for entry in WaitlistEntry.objects.filter(
            session=session, status=WaitlistStatus.CANCELLED
        ).order_by("pk"):
            rows.append(
                Notification(
                    user_id=entry.user_id,
                    kind=kind,
                    ref=entry.public_id,
                    data={**data, "seats": entry.seats, "refund_fen": 0},
                    created_at=now,
                )
            )
    else:
        raise ValueError(f"unknown notification kind {kind!r}")
    before = Notification.objects.filter(kind=kind, ref__in=[r.ref for r in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    after = Notification.objects.filter(kind=kind, ref__in=[r.ref for r in rows]).count()
    return after - before


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """The visitor has read their message; others' are 404."""
    if notification.user_id != user.pk:
        raise NotFound(_("没有找到这条通知。"), code="notification_not_found")
    if notification.read_at is None:
        notification.read_at = clock.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification
