"""Before payment: the buyer cancels, or the stock hold runs out and the sweeper expires
the checkout; either way the stock goes back on sale once and the payment is closed.
Money that arrives too late is refunded, never kept for a dead order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, InvalidTransition, NotFound
from designmall.core.models import Job
from designmall.inventory.models import HoldStatus, StockHold, StockLevel
from designmall.inventory.selectors import stock_verify
from designmall.inventory.services import holds_release
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.orders.models import Checkout, CheckoutStatus, OrderStatus
from designmall.orders.payables import checkout_is_payable
from designmall.orders.services import checkout_expire, order_cancel
from designmall.orders.tasks import checkouts_expire
from designmall.payments.gateways import sandbox
from designmall.payments.models import (
    NotifyOutcome,
    Payment,
    PaymentStatus,
    RefundStatus,
    SandboxTrade,
)
from designmall.payments.services import notification_receive, payment_reconcile
from designmall.payments.tasks import payments_sweep
from tests.orders.conftest import available, buy, orders_of, pay
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_shops(store, buyer):
    clock.set_frozen(clock.now())
    return buy(buyer, (store.lamp, 2), (store.cup, 1))


# --- cancelling ---------------------------------------------------------------------------


def test_cancelling_one_order_cancels_the_whole_checkout(two_shops, store, buyer):
    order_a, order_b = orders_of(two_shops)

    order_cancel(order=order_a, by=buyer, reason="买错了")

    two_shops.refresh_from_db()
    assert two_shops.status == CheckoutStatus.CANCELLED
    assert [o.status for o in orders_of(two_shops)] == [OrderStatus.CANCELLED] * 2
    assert (available(store.lamp), available(store.cup)) == (5, 10)
    assert two_shops.payment.status == PaymentStatus.CLOSING  # until the gateway says
    cancelled = order_b.events.get(to_status=OrderStatus.CANCELLED)
    assert (cancelled.by, cancelled.reason) == (buyer, "买错了")
    assert stock_verify() == []


def test_a_buyer_cannot_cancel_another_buyers_order(two_shops, other_buyer):
    order, _ = orders_of(two_shops)
    with pytest.raises(NotFound):
        order_cancel(order=order, by=other_buyer)
    assert orders_of(two_shops)[0].status == OrderStatus.PENDING_PAYMENT


def test_a_paid_order_cannot_be_cancelled(two_shops, buyer):
    pay(two_shops)
    order, _ = orders_of(two_shops)
    with pytest.raises(InvalidTransition):
        order_cancel(order=order, by=buyer)


def test_a_cancelled_checkout_cannot_be_cancelled_again(two_shops, buyer):
    order, _ = orders_of(two_shops)
    order_cancel(order=order, by=buyer)
    with pytest.raises(InvalidTransition):
        order_cancel(order=order, by=buyer)


def test_money_arriving_for_a_cancelled_checkout_goes_back(two_shops, buyer):
    notification = sandbox.sandbox_pay(payment=two_shops.payment).notification
    order, _ = orders_of(two_shops)
    order_cancel(order=order, by=buyer)

    assert notification_receive(params=notification).outcome == NotifyOutcome.REFUNDING
    run_jobs()

    assert [o.status for o in orders_of(two_shops)] == [OrderStatus.CANCELLED] * 2
    refund = two_shops.payment.refunds.get()
    assert (refund.status, refund.amount_fen) == (RefundStatus.SUCCEEDED, two_shops.total_fen)
    assert escrow_balance() == 0
    assert ledger_verify() == []


# --- expiry -------------------------------------------------------------------------------


def test_the_sweeper_expires_a_checkout_once_its_hold_ran_out(two_shops, store):
    clock.advance(timedelta(minutes=15))

    assert checkouts_expire() == 1
    run_jobs()  # the gateway is asked and closes the trade

    two_shops.refresh_from_db()
    assert two_shops.status == CheckoutStatus.EXPIRED
    assert [o.status for o in orders_of(two_shops)] == [OrderStatus.EXPIRED] * 2
    assert two_shops.payment.status == PaymentStatus.CLOSED
    assert (available(store.lamp), available(store.cup)) == (5, 10)
    assert set(
        StockHold.objects.filter(owner_ref=two_shops.owner_ref).values_list("status", flat=True)
    ) == {HoldStatus.RELEASED}


def test_running_the_expiry_sweeper_twice_changes_nothing_more(two_shops, store):
    clock.advance(timedelta(minutes=16))
    checkouts_expire()
    events = sorted(o.events.count() for o in orders_of(two_shops))

    assert checkouts_expire() == 0
    checkout_expire(checkout=two_shops)

    assert sorted(o.events.count() for o in orders_of(two_shops)) == events
    assert (available(store.lamp), available(store.cup)) == (5, 10)
    assert stock_verify() == []


def test_nothing_expires_before_the_hold_time(two_shops, store):
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    assert checkouts_expire() == 0
    checkout_expire(checkout=two_shops)
    two_shops.refresh_from_db()
    assert two_shops.status == CheckoutStatus.PENDING_PAYMENT
    assert available(store.lamp) == 3


def test_a_paid_checkout_never_expires(two_shops):
    pay(two_shops)
    clock.advance(timedelta(hours=1))
    assert checkouts_expire() == 0
    assert [o.status for o in orders_of(two_shops)] == [OrderStatus.PAID] * 2


def test_the_payment_reconciler_closing_the_payment_expires_the_checkout(two_shops, store):
    clock.advance(timedelta(minutes=15))
    payment_reconcile(payment=two_shops.payment)

    two_shops.refresh_from_db()
    assert two_shops.status == CheckoutStatus.EXPIRED
    assert available(store.lamp) == 5


def test_a_checkout_past_its_hold_is_not_payable_even_before_the_sweeper(two_shops):
    clock.advance(timedelta(minutes=15))
    assert not checkout_is_payable(two_shops.payment)


def test_money_arriving_after_the_hold_ran_out_is_refunded_and_the_checkout_expires(
    two_shops, store
):
    notification = sandbox.sandbox_pay(payment=two_shops.payment).notification
    clock.advance(timedelta(minutes=15))  # the notification is late: the hold has run out

    assert notification_receive(params=notification).outcome == NotifyOutcome.REFUNDING
    assert checkouts_expire() == 1  # the payment is no longer pending: expired by orders
    run_jobs()

    two_shops.refresh_from_db()
    assert two_shops.status == CheckoutStatus.EXPIRED
    assert [o.status for o in orders_of(two_shops)] == [OrderStatus.EXPIRED] * 2
    assert two_shops.payment.refunds.get().status == RefundStatus.SUCCEEDED
    assert (available(store.lamp), available(store.cup)) == (5, 10)
    assert escrow_balance() == 0
    assert ledger_verify() == []


def test_money_arriving_after_the_sweeper_expired_the_checkout_is_refunded(two_shops):
    notification = sandbox.sandbox_pay(payment=two_shops.payment).notification
    clock.advance(timedelta(minutes=15))
    checkouts_expire()

    assert notification_receive(params=notification).outcome == NotifyOutcome.REFUNDING
    run_jobs()

    assert Checkout.objects.get(pk=two_shops.pk).status == CheckoutStatus.EXPIRED
    assert escrow_balance() == 0


def test_money_for_a_checkout_whose_stock_is_no_longer_held_is_refunded(two_shops, store):
    holds_release(owner_ref=two_shops.owner_ref)  # e.g. an operator freed the stock

    assert pay(two_shops) == NotifyOutcome.REFUNDING
    run_jobs()

    assert [o.status for o in orders_of(two_shops)] == [OrderStatus.PENDING_PAYMENT] * 2
    assert two_shops.payment.refunds.get().status == RefundStatus.SUCCEEDED
    assert StockLevel.objects.get(sku=store.lamp).sold == 0
    assert escrow_balance() == 0


# --- paid at the gateway, but its notification never comes ----------------------------------


def paid_but_never_notified(checkout) -> None:
    """The buyer pays at the gateway in the last moment; the notification is lost."""
    sandbox.sandbox_pay(payment=checkout.payment)
    Job.objects.filter(name=sandbox.NOTIFY_JOB).delete()


def assert_refunded_in_full_at_the_gateway(checkout) -> None:
    payment = Payment.objects.get(pk=checkout.payment_id)
    assert payment.status == PaymentStatus.PAID
    refund = payment.refunds.get()
    assert (refund.status, refund.amount_fen) == (RefundStatus.SUCCEEDED, checkout.total_fen)
    trade = SandboxTrade.objects.get(out_trade_no=payment.out_trade_no)
    assert trade.refunded_fen == trade.total_fen == checkout.total_fen
    assert escrow_balance() == 0
    assert ledger_verify() == []


def test_an_expired_checkout_paid_at_the_gateway_without_a_notification_is_refunded(
    two_shops, store
):
    paid_but_never_notified(two_shops)
    clock.advance(timedelta(minutes=15))

    assert checkouts_expire() == 1
    run_jobs()

    assert Checkout.objects.get(pk=two_shops.pk).status == CheckoutStatus.EXPIRED
    assert_refunded_in_full_at_the_gateway(two_shops)
    assert (available(store.lamp), available(store.cup)) == (5, 10)
    assert stock_verify() == []


def test_a_cancelled_checkout_paid_at_the_gateway_without_a_notification_is_refunded(
    two_shops, buyer
):
    paid_but_never_notified(two_shops)
    order, _ = orders_of(two_shops)

    order_cancel(order=order, by=buyer)
    run_jobs()

    assert [o.status for o in orders_of(two_shops)] == [OrderStatus.CANCELLED] * 2
    assert_refunded_in_full_at_the_gateway(two_shops)


def test_a_cancelled_checkout_is_closed_at_the_gateway_not_only_here(two_shops, buyer):
    sandbox.sandbox_trade_for(two_shops.payment)  # the buyer opened the cashier
    order, _ = orders_of(two_shops)

    order_cancel(order=order, by=buyer)
    run_jobs()

    trade = SandboxTrade.objects.get(out_trade_no=two_shops.payment.out_trade_no)
    assert trade.status == "TRADE_CLOSED"
    assert Payment.objects.get(pk=two_shops.payment_id).status == PaymentStatus.CLOSED
    with pytest.raises(Conflict):
        sandbox.sandbox_pay(payment=two_shops.payment)


def test_a_trade_the_gateway_never_saw_stays_closing_until_its_time_to_pay_is_over(
    two_shops, buyer
):
    order, _ = orders_of(two_shops)
    order_cancel(order=order, by=buyer)  # the cashier was never opened
    run_jobs()
    assert Payment.objects.get(pk=two_shops.payment_id).status == PaymentStatus.CLOSING

    clock.advance(timedelta(minutes=15))
    payments_sweep()
    run_jobs()

    assert Payment.objects.get(pk=two_shops.payment_id).status == PaymentStatus.CLOSED


def test_while_the_gateway_cannot_be_reached_the_payment_stays_closing_and_is_asked_again(
    two_shops, monkeypatch
):
    paid_but_never_notified(two_shops)
    clock.advance(timedelta(minutes=15))

    def unreachable(self, url, data, *, timeout):
        raise OSError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(sandbox.SandboxServer, "post_form", unreachable)
        checkouts_expire()
        for _ in range(8):  # the job's retries, then the sweeper's new jobs, all fail
            clock.advance(timedelta(hours=1))
            payments_sweep()
            run_jobs()
        assert Payment.objects.get(pk=two_shops.payment_id).status == PaymentStatus.CLOSING

    clock.advance(timedelta(hours=1))
    payments_sweep()  # the gateway is back: the money is found and refunded
    run_jobs()

    assert_refunded_in_full_at_the_gateway(two_shops)
