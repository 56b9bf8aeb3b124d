"""A reservation's money: payments' handlers (called with the payment locked, see
``events.payables``), refunds booked in the ledger, and ticket revenue released once the
session is over.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
)
from designmall.events.models import (
    Reservation,
    ReservationStatus,
    SessionStatus,
)
from designmall.events.services.booking import (
    _locked,
    _move,
    _seats_change,
    _tickets_issue,
)
from designmall.events.services.reservations import _expire
from designmall.ledger.accounts import ESCROW, PLATFORM_TICKETS, gateway_account
from designmall.ledger.services import ledger_post, refund_from_escrow
from designmall.payments.models import Payment, PaymentStatus, Refund

# The revenue account ticket money goes to once a session is over (see the ledger's chart).
TICKET_REVENUE = PLATFORM_TICKETS
LEDGER_TICKET_REVENUE = "ticket_revenue"
LEDGER_TICKET_REFUND = "ticket_refund_after_release"

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
