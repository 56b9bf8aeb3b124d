"""Real concurrent connections on PostgreSQL: a cart checkout's one payment for cart orders
and a pre-order's balance, its notification racing the seller cancelling the pre-order and
the buyer cancelling the checkout, ends in one consistent state per checkout: both paid
(then the cancelled pre-order's balance part alone refunded, the cart orders kept), or
neither (the payment closed, the money refunded in full, the stock back); never a deadlock,
never money lost, the books balanced."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.inventory.models import StockLevel
from designmall.ledger.services import ledger_verify
from designmall.orders.models import CheckoutStatus, Order, OrderStatus
from designmall.orders.services import checkout_cancel
from designmall.payments.gateways import sandbox
from designmall.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from designmall.payments.services import notification_receive
from designmall.presale.cart_balance import checkout_with_balances_create
from designmall.presale.models import PreorderStatus
from designmall.presale.selectors import campaign_skus_verify
from designmall.presale.services import preorder_cancel, preorder_deposit_create
from tests.concurrency import concurrently
from tests.factories import make_product
from tests.presale.conftest import CREDIT, PRICE, buyers, first_sku, fresh, make_campaign
from tests.presale.conftest import run_jobs as run_jobs

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 12
N = 8
CART_PRICE = 12_900


def _deposit_paid(row, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    paid = sandbox.sandbox_pay(payment=preorder.deposit_payment)
    notification_receive(params=paid.notification)
    return fresh(preorder)


def test_the_notification_racing_cancellations_ends_in_both_paid_or_neither(on_postgres):
    campaign = make_campaign(quantity=N, per_buyer_limit=1)
    row = first_sku(campaign)
    sku = make_product(skus=[(CART_PRICE, N)]).skus.get()
    seller = campaign.shop.owner
    people = buyers(N, prefix="cartbal")
    preorders = [_deposit_paid(row, b) for b in people]
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    checkouts, notes = [], []
    for preorder in preorders:
        checkout = checkout_with_balances_create(
            buyer=preorder.buyer,
            preorders=[preorder.public_id],
            lines=[(sku.public_id, 1)],
            delivery="pickup",
        )
        checkouts.append(checkout)
        notes.append(sandbox.sandbox_pay(payment=checkout.payment).notification)

    works = []
    for i, (preorder, checkout) in enumerate(zip(preorders, checkouts, strict=True)):
        works.append(lambda n=notes[i]: notification_receive(params=n).outcome)
        if i % 2 == 0:
            works.append(lambda p=preorder: preorder_cancel(preorder=p, by=seller).status)
        else:
            works.append(lambda c=checkout: _cancel_or_paid(c))
    results = concurrently(works, pool=THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    run_jobs()

    balance = PRICE - CREDIT
    for i, (preorder, checkout) in enumerate(zip(preorders, checkouts, strict=True)):
        preorder, checkout = fresh(preorder), fresh(checkout)
        payment = Payment.objects.get(pk=checkout.payment_id)
        assert payment.status == PaymentStatus.PAID
        refunded = sum(
            r.amount_fen for r in payment.refunds.all() if r.status == RefundStatus.SUCCEEDED
        )
        cart_order = Order.objects.get(checkout=checkout, prepaid_payment__isnull=True)
        if checkout.status == CheckoutStatus.PAID:  # both paid
            assert cart_order.status == OrderStatus.PAID
            assert preorder.order.checkout_id == checkout.pk
            if i % 2 == 0:  # then the pre-order was cancelled: its balance part back alone
                assert preorder.status == PreorderStatus.CANCELLED
                assert refunded == balance
            else:
                assert preorder.status == PreorderStatus.FULLY_PAID
                assert refunded == 0
        else:  # neither: the whole payment back
            assert checkout.status in (CheckoutStatus.CANCELLED, CheckoutStatus.EXPIRED)
            assert cart_order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED)
            assert refunded == payment.amount_fen
            assert preorder.order_id is None
            assert preorder.status in (PreorderStatus.DEPOSIT_PAID, PreorderStatus.CANCELLED)
    stock = StockLevel.objects.get(sku=sku)
    sold = Order.objects.filter(
        checkout__in=checkouts, prepaid_payment__isnull=True, status=OrderStatus.PAID
    ).count()
    assert (stock.available, stock.sold) == (N - sold, sold)
    assert not Refund.objects.filter(status=RefundStatus.PENDING).exists()
    assert campaign_skus_verify() == []
    assert ledger_verify() == []


def _cancel_or_paid(checkout):
    from designmall.core.errors import InvalidTransition

    try:
        return checkout_cancel(checkout=checkout, by=checkout.buyer).status
    except InvalidTransition:
        return "paid first"
