"""Real concurrent connections on PostgreSQL: a flash sale never oversells or deadlocks,
one Idempotency-Key makes one checkout (and one refund, from the API or a double-submitted
form), and a payment racing the expiry ends paid or
refunded, never both and never neither."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from designmall.core.errors import Conflict
from designmall.inventory.models import StockLevel
from designmall.inventory.selectors import stock_verify
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Checkout, CheckoutStatus, IdempotencyKey, Order, OrderStatus
from designmall.orders.services import order_cancel, order_refund
from designmall.payments.gateways import sandbox
from designmall.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from designmall.payments.services import notification_receive, payment_close
from tests.concurrency import concurrently
from tests.factories import make_product, make_user
from tests.orders.conftest import buy, orders_of, pay, refreshed
from tests.payments.conftest import run_jobs

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_200_buyers_for_the_last_50_units_make_exactly_50_checkouts(on_postgres):
    sku = make_product(skus=[(9_900, 50)]).skus.get()
    buyers = [make_user(role=None) for _ in range(200)]

    def checkout_for(buyer):
        return lambda: (
            checkout_create(buyer=buyer, lines=[(sku.public_id, 1)], delivery="pickup").public_id
        )

    results = concurrently([checkout_for(buyer) for buyer in buyers])

    made = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(made) == 50
    assert all(isinstance(r, Conflict) and r.code == "out_of_stock" for r in refused), Counter(
        type(r).__name__ + ":" + getattr(r, "code", str(r)) for r in refused
    )
    assert Checkout.objects.count() == Order.objects.count() == 50
    level = StockLevel.objects.get(sku=sku)
    assert (level.available, level.held, level.sold) == (0, 50, 0)
    assert stock_verify() == []


def test_one_idempotency_key_sent_by_ten_connections_makes_one_checkout(on_postgres, store):
    buyer = make_user()
    lamp = store.lamp

    def send():
        return checkout_create(
            buyer=buyer,
            lines=[(lamp.public_id, 1)],
            delivery="pickup",
            idempotency_key="flash-retry-1",
        ).pk

    results = concurrently([send] * 10)

    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert Checkout.objects.count() == 1
    assert StockLevel.objects.get(sku=lamp).available == 4


def _outcome(checkout: Checkout) -> str:
    """ "paid" or "refunded", after checking that everything agrees with it."""
    checkout.refresh_from_db()
    payment = checkout.payment
    refunds = list(payment.refunds.all())
    orders = orders_of(checkout)
    assert payment.status == PaymentStatus.PAID  # the money arrived: recorded either way
    if checkout.status == CheckoutStatus.PAID:
        assert refunds == []
        assert {o.status for o in orders} == {OrderStatus.PAID}
        return "paid"
    assert checkout.status in (CheckoutStatus.EXPIRED, CheckoutStatus.CANCELLED)
    assert {o.status for o in orders} == {checkout.status}
    assert [(r.status, r.automatic, r.amount_fen) for r in refunds] == [
        (RefundStatus.SUCCEEDED, True, payment.amount_fen)
    ]
    return "refunded"


@pytest.mark.parametrize("closing", ["expiry", "cancel"])
def test_a_payment_racing_the_checkouts_end_is_paid_or_refunded(on_postgres, store, closing):
    buyer = make_user()
    checkouts = [buy(buyer, (store.cup, 1), (store.lamp, 1)) for _ in range(5)]
    notifications = [sandbox.sandbox_pay(payment=c.payment).notification for c in checkouts]

    def close(checkout):
        if closing == "cancel":
            return lambda: order_cancel(order=checkout.orders.first(), by=buyer)
        return lambda: payment_close(payment=checkout.payment)  # the payment timed out

    for checkout, notification in zip(checkouts, notifications, strict=True):
        results = concurrently(
            [lambda n=notification: notification_receive(params=n).answer, close(checkout)]
        )
        assert results[0] == "success", results
        assert not isinstance(results[1], Exception) or isinstance(results[1], Conflict)
    run_jobs()

    outcomes = [_outcome(checkout) for checkout in checkouts]
    kept = sum(c.total_fen for c, o in zip(checkouts, outcomes, strict=True) if o == "paid")
    assert escrow_balance() == kept
    assert ledger_verify() == []
    assert stock_verify() == []
    sold = StockLevel.objects.get(sku=store.cup)
    assert (sold.held, sold.sold, sold.available) == (0, outcomes.count("paid"), 10 - sold.sold)


# --- refunds with one Idempotency-Key ------------------------------------------------------


@pytest.mark.parametrize("amount_fen", [1_000, 14_400], ids=["part", "whole"])
def test_one_refund_key_sent_by_ten_connections_makes_one_refund(on_postgres, store, amount_fen):
    """A part leaves enough for the later requests to refund again, and the whole leaves
    nothing: either way each answers the first refund, never a second one or an error."""
    buyer = make_user()
    checkout = buy(buyer, (store.lamp, 1))  # ¥129 + ¥15 shipping
    pay(checkout)
    order = orders_of(checkout)[0]
    seller = order.shop.owner

    def send():
        return order_refund(
            order=order,
            amount_fen=amount_fen,
            reason="少寄一件配件",
            by=seller,
            idempotency_key="seller-retry-1",
        ).pk

    results = concurrently([send] * 10, pool=10)

    assert len(set(results)) == 1 and isinstance(results[0], int), results
    refund = Refund.objects.get()
    assert (refund.pk, refund.amount_fen) == (results[0], amount_fen)
    assert Payment.objects.get(pk=checkout.payment_id).refunded_fen == amount_fen
    assert IdempotencyKey.objects.get().refund_id == refund.pk
    run_jobs()
    assert refreshed(order).refunded_fen == amount_fen
    assert ledger_verify() == []


def test_a_double_submitted_refund_form_makes_one_refund(on_postgres, store):
    buyer = make_user()
    checkout = buy(buyer, (store.lamp, 1))
    pay(checkout)
    order = orders_of(checkout)[0]
    seller = order.shop.owner
    url = reverse("storefront:seller_refund", args=[order.public_id])
    page = reverse("storefront:seller_order", args=[order.public_id])
    browser = Client()
    browser.force_login(seller)
    token = browser.get(page).context["refund_form"]["form_token"].value()
    typed = {"form_token": token, "amount": "12.50", "reason": "少发了配件"}

    def submit():
        clicked = Client()
        clicked.cookies = browser.cookies
        return clicked.post(url, typed).status_code

    results = concurrently([submit] * 5, pool=5)

    assert results == [302] * 5, results
    assert Refund.objects.get().amount_fen == 1_250
