"""A visitor cancels (seats back, tickets revoked, refund by the deadline rule); unpaid holds
expire by the clock, the sweeper makes it permanent once, and money that arrives too late
is refunded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from designmall.core import clock
from designmall.core.errors import Conflict, InvalidTransition, NotFound
from designmall.events import tasks
from designmall.events.models import Reservation, ReservationStatus, TicketStatus
from designmall.events.payables import reservation_return_url
from designmall.events.selectors import (
    reservation_refund_if_cancelled,
    revoked_tickets,
    session_verify,
)
from designmall.events.services import (
    reservation_cancel,
    reservation_create,
    reservation_expire,
    reservation_is_payable,
)
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.models import PaymentStatus, RefundStatus
from designmall.payments.services import payment_close
from tests.events.conftest import fresh, pay, run_jobs, seats
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return make_user()


# --- cancelling ---------------------------------------------------------------------------


def test_cancelling_a_free_reservation_returns_the_seats_and_revokes_the_tickets(visitor):
    session = make_session(capacity=5)
    reservation = reservation_create(session=session, user=visitor, seats=2)

    reservation_cancel(reservation=reservation, by=visitor)

    reservation = fresh(reservation)
    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.refund_fen == 0 and not reservation.by_operator
    assert seats(session) == (0, 0)
    tickets = list(reservation.tickets.all())
    assert {t.status for t in tickets} == {TicketStatus.REVOKED}
    assert {r.ticket_id for r in revoked_tickets()} == {t.public_id for t in tickets}
    assert session_verify() == []


def test_a_paid_reservation_cancelled_before_the_deadline_is_refunded_in_full(visitor):
    session = make_session(price_fen=8_800)
    reservation = reservation_create(session=session, user=visitor, seats=2)
    pay(reservation)
    assert reservation_refund_if_cancelled(fresh(reservation)) == 17_600

    reservation_cancel(reservation=reservation, by=visitor, reason="临时有事")
    run_jobs()

    reservation = fresh(reservation)
    assert (reservation.refund_fen, reservation.refunded_fen) == (17_600, 17_600)
    refund = reservation.payment.refunds.get()
    assert (refund.status, refund.amount_fen, refund.automatic) == (
        RefundStatus.SUCCEEDED,
        17_600,
        False,
    )
    assert refund.refs == {"reservation": reservation.public_id}
    assert escrow_balance() == 0 and ledger_verify() == []
    assert seats(session) == (0, 0)


def test_a_paid_reservation_cancelled_from_the_deadline_on_is_not_refunded(visitor):
    session = make_session(price_fen=8_800)
    reservation = reservation_create(session=session, user=visitor, seats=1)
    pay(reservation)
    clock.set_frozen(session.cancel_until)
    assert reservation_refund_if_cancelled(fresh(reservation)) == 0

    reservation_cancel(reservation=reservation, by=visitor)
    run_jobs()

    reservation = fresh(reservation)
    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.refund_fen == 0
    assert not reservation.payment.refunds.exists()
    assert seats(session) == (0, 0)  # the seat is free for someone else all the same
    assert escrow_balance() == 8_800


def test_a_reservation_cannot_be_cancelled_once_the_session_started(visitor):
    session = make_session()
    reservation = reservation_create(session=session, user=visitor, seats=1)
    clock.set_frozen(session.starts_at)

    with pytest.raises(Conflict) as refused:
        reservation_cancel(reservation=reservation, by=visitor)

    assert refused.value.code == "session_started"
    assert fresh(reservation).status == ReservationStatus.CONFIRMED


def test_someone_elses_reservation_is_not_found(visitor):
    reservation = reservation_create(session=make_session(), user=visitor, seats=1)
    with pytest.raises(NotFound):
        reservation_cancel(reservation=reservation, by=make_user())
    assert fresh(reservation).status == ReservationStatus.CONFIRMED


def test_a_cancelled_reservation_cannot_be_cancelled_again(visitor):
    reservation = reservation_create(session=make_session(), user=visitor, seats=1)
    reservation_cancel(reservation=reservation, by=visitor)
    with pytest.raises(InvalidTransition):
        reservation_cancel(reservation=reservation, by=visitor)


def test_cancelling_an_unpaid_reservation_closes_its_payment_and_late_money_goes_back(visitor):
    from designmall.payments.gateways import sandbox

    session = make_session(price_fen=5_000)
    reservation = reservation_create(session=session, user=visitor, seats=1)
    reservation.refresh_from_db()
    paid_too_late = sandbox.sandbox_pay(payment=reservation.payment).notification

    reservation_cancel(reservation=reservation, by=visitor)
    assert fresh(reservation).payment.status == PaymentStatus.CLOSING  # until the gateway says
    assert seats(session) == (0, 0)

    from designmall.payments.services import notification_receive

    assert notification_receive(params=paid_too_late).outcome == "refunding"
    run_jobs()
    reservation = fresh(reservation)
    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.payment.refunds.get().automatic
    assert escrow_balance() == 0 and ledger_verify() == []


# --- expiry -------------------------------------------------------------------------------


def test_a_hold_past_its_expiry_cannot_be_paid_even_before_the_sweeper_runs(visitor, settings):
    settings.PAYMENT_TIMEOUT_MINUTES = 30  # the cashier is still open after the hold ran out
    reservation = reservation_create(session=make_session(price_fen=5_000), user=visitor, seats=1)
    clock.advance(timedelta(minutes=15))

    assert not reservation_is_payable(fresh(reservation).payment)
    assert pay(reservation) == "refunding"
    run_jobs()
    reservation = fresh(reservation)
    assert reservation.status == ReservationStatus.PENDING_PAYMENT  # until the sweeper
    assert reservation.payment.refunds.get().automatic
    assert not reservation.tickets.exists()


def test_the_sweeper_expires_holds_that_ran_out_and_frees_their_seats_once(visitor):
    session = make_session(price_fen=5_000, capacity=4)
    due = reservation_create(session=session, user=visitor, seats=2)
    clock.advance(timedelta(minutes=10))
    running = reservation_create(session=session, user=make_user(), seats=1)
    clock.advance(timedelta(minutes=5))

    assert tasks.holds_expire() == 1
    assert tasks.holds_expire() == 0  # twice is harmless

    run_jobs()  # the gateway is asked and closes the trade
    due = fresh(due)
    assert due.status == ReservationStatus.EXPIRED
    assert due.payment.status == PaymentStatus.CLOSED
    assert fresh(running).status == ReservationStatus.PENDING_PAYMENT
    assert seats(session) == (0, 1)
    assert session_verify() == []


def test_expiring_a_reservation_that_is_not_due_changes_nothing(visitor):
    reservation = reservation_create(session=make_session(price_fen=5_000), user=visitor, seats=1)
    assert reservation_expire(reservation=reservation).status == ReservationStatus.PENDING_PAYMENT
    pay(reservation)
    clock.advance(timedelta(hours=1))
    assert reservation_expire(reservation=reservation).status == ReservationStatus.CONFIRMED


def test_a_hold_whose_late_payment_was_refunded_is_expired_by_the_sweeper(visitor, settings):
    settings.PAYMENT_TIMEOUT_MINUTES = 30
    session = make_session(price_fen=5_000)
    reservation = reservation_create(session=session, user=visitor, seats=1)
    clock.advance(timedelta(minutes=20))
    pay(reservation)  # credited and refunded by payments: the payment is paid, not pending

    tasks.holds_expire()

    assert fresh(reservation).status == ReservationStatus.EXPIRED
    assert seats(session) == (0, 0)


def test_a_payment_closed_by_payments_expires_its_reservation(visitor):
    session = make_session(price_fen=5_000)
    reservation = reservation_create(session=session, user=visitor, seats=1)

    payment_close(payment=fresh(reservation).payment)

    assert fresh(reservation).status == ReservationStatus.EXPIRED
    assert seats(session) == (0, 0)


def test_a_full_session_frees_seats_whose_holds_ran_out_before_refusing(visitor):
    session = make_session(price_fen=5_000, capacity=2)
    stale = reservation_create(session=session, user=make_user(), seats=2)
    clock.advance(timedelta(minutes=16))

    reservation = reservation_create(session=session, user=visitor, seats=2)

    assert reservation.status == ReservationStatus.PENDING_PAYMENT
    assert fresh(stale).status == ReservationStatus.EXPIRED
    assert seats(session) == (0, 2)
    assert session_verify() == []


def test_the_cashier_sends_the_visitor_back_to_the_reservation_page(visitor):
    reservation = reservation_create(session=make_session(price_fen=100), user=visitor, seats=1)
    assert reservation_return_url(fresh(reservation).payment) == reverse(
        "storefront:reservation", kwargs={"public_id": reservation.public_id}
    )


def test_a_reservation_record_keeps_its_price_when_the_session_price_changes(visitor):
    session = make_session(price_fen=5_000)
    reservation = reservation_create(session=session, user=visitor, seats=1)
    type(session).objects.filter(pk=session.pk).update(price_fen=9_000)
    assert Reservation.objects.get(pk=reservation.pk).amount_fen == 5_000
    assert pay(reservation) == "credited"
