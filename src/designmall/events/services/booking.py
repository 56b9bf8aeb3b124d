"""The common ground of reservations and waiting lists: the checks a booking passes, the
seat counters (one conditional ``UPDATE`` each), status transitions along their tables,
tickets, and opening a reservation for seats already taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from designmall.events import rules
from designmall.events.models import (
    EventStatus,
    Reservation,
    ReservationStatus,
    Session,
    SessionStatus,
    Ticket,
    TicketStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.payments.models import Payment
from designmall.payments.services import payment_create

PAYABLE_TYPE = "reservation"
NOTIFY_JOB = "events.notify"
REASON_MAX = 500


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
    return f"{session.event.title} {_local(session.starts_at)} × {seats}"


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
