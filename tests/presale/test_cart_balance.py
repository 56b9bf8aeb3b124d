"""A pre-order's balance paid together with cart items: one checkout, one payment (one
Alipay trade) for the cart's orders and the balance; credited, both are paid; closed
unpaid, both are undone; refunds never take more from a part than it paid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from designmall.core import clock
from designmall.core.errors import Conflict, InvalidTransition
from designmall.core.jobs import Job
from designmall.inventory.models import StockLevel
from designmall.ledger.services import ledger_verify
from designmall.orders.models import CheckoutStatus, Order, OrderStatus
from designmall.orders.services import checkout_cancel, order_refund
from designmall.orders.tasks import checkouts_expire
from designmall.payments.gateways import sandbox
from designmall.payments.models import (
    NotifyOutcome,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from designmall.payments.services import notification_receive
from designmall.payments.tasks import payments_sweep
from designmall.presale.cart_balance import CART_BALANCE_PAYABLE, checkout_with_balances_create
from designmall.presale.models import PreorderStatus
from designmall.presale.services import (
    preorder_balance_pay,
    preorder_cancel,
    preorder_default,
    preorder_deposit_create,
)
from tests.factories import make_product, make_user
from tests.presale.conftest import (
    CREDIT,
    DEPOSIT,
    PRICE,
    first_sku,
    fresh,
    make_campaign,
    pay_deposit,
    run_jobs,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_balance")]

CART_PRICE = 12_900
BALANCE = PRICE - CREDIT


@pytest.fixture
def campaign():
    return make_campaign(quantity=5)


@pytest.fixture
def buyer():
    return make_user()


@pytest.fixture
def paid(campaign, buyer):
    """A pre-order whose deposit is paid, its balance window open now."""
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    return fresh(preorder)


@pytest.fixture
def sku():
    return make_product(skus=[(CART_PRICE, 5)]).skus.get()


def check_out(buyer, preorder, sku, **extra):
    return checkout_with_balances_create(
        buyer=buyer,
        preorders=[preorder.public_id],
        lines=[(sku.public_id, 2)],
        delivery="pickup",
        **extra,
    )


def pay(payment) -> str:
    done = sandbox.sandbox_pay(payment=payment)
    return notification_receive(params=done.notification).outcome


def available(sku) -> int:
    return StockLevel.objects.values_list("available", flat=True).get(sku=sku)


def test_one_payment_asks_for_the_cart_and_the_balance_computed_by_the_server(paid, buyer, sku):
    checkout = check_out(buyer, paid, sku, expected_total_fen=2 * CART_PRICE)

    payment = checkout.payment
    assert payment.payable_type == CART_BALANCE_PAYABLE
    assert payment.payable_id == checkout.public_id
    assert payment.amount_fen == 2 * CART_PRICE + BALANCE
    assert checkout.total_fen == 2 * CART_PRICE  # the cart's part; the balance is the pre-order's
    assert payment.expires_at <= paid.campaign.balance_ends_at
    assert fresh(paid).balance_payment_id == payment.pk
    assert Payment.objects.filter(buyer=buyer).count() == 2  # the deposit's and this one


def test_credited_the_cart_orders_and_the_balance_are_paid_and_the_books_balance(paid, buyer, sku):
    checkout = check_out(buyer, paid, sku)

    assert pay(checkout.payment) == NotifyOutcome.CREDITED

    assert fresh(checkout).status == CheckoutStatus.PAID
    paid = fresh(paid)
    assert paid.status == PreorderStatus.FULLY_PAID
    cart_order = Order.objects.get(checkout=checkout, prepaid_payment__isnull=True)
    assert cart_order.status == OrderStatus.PAID
    assert cart_order.total_fen == 2 * CART_PRICE
    ordered = paid.order
    assert ordered.status == OrderStatus.PAID
    assert ordered.checkout_id == checkout.pk  # paid by the checkout's one payment
    assert ordered.total_fen == PRICE - (CREDIT - DEPOSIT)  # deposit + balance
    assert ordered.prepaid_payment_id == paid.deposit_payment_id
    assert available(sku) == 3
    assert ledger_verify() == []


def test_a_notification_replayed_credits_once(paid, buyer, sku):
    checkout = check_out(buyer, paid, sku)
    done = sandbox.sandbox_pay(payment=checkout.payment)

    assert notification_receive(params=done.notification).outcome == NotifyOutcome.CREDITED
    assert notification_receive(params=done.notification).outcome == NotifyOutcome.DUPLICATE

    assert Order.objects.filter(checkout=checkout).count() == 2
    assert Order.objects.filter(buyer=buyer, prepaid_payment__isnull=False).count() == 1
    assert not Refund.objects.exists()


def test_expired_the_cart_holds_go_back_and_the_pre_order_is_still_payable_in_its_window(
    paid, buyer, sku
):
    checkout = check_out(buyer, paid, sku)
    assert available(sku) == 3

    clock.advance(timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES + 1))
    payments_sweep()
    run_jobs()

    assert fresh(checkout).status == CheckoutStatus.EXPIRED
    assert available(sku) == 5
    paid = fresh(paid)
    assert paid.status == PreorderStatus.DEPOSIT_PAID
    alone = preorder_balance_pay(buyer=buyer, preorder=paid)
    assert alone.amount_fen == BALANCE
    assert pay(alone) == NotifyOutcome.CREDITED
    assert fresh(paid).status == PreorderStatus.FULLY_PAID


def test_cancelling_the_checkout_keeps_the_deposit_and_the_balance_payable(paid, buyer, sku):
    checkout = check_out(buyer, paid, sku)

    checkout_cancel(checkout=checkout, by=buyer)

    assert available(sku) == 5
    assert fresh(paid).status == PreorderStatus.DEPOSIT_PAID
    assert preorder_balance_pay(buyer=buyer, preorder=paid).amount_fen == BALANCE


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_balance_outside_its_window_is_refused_and_nothing_is_written(campaign, buyer, sku, when):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    if when == "after":
        clock.set_frozen(campaign.balance_ends_at + timedelta(minutes=1))

    with pytest.raises(Conflict) as refused:
        check_out(buyer, preorder, sku)

    assert refused.value.code == ("balance_not_open" if when == "before" else "balance_closed")
    assert available(sku) == 5
    assert Payment.objects.filter(buyer=buyer).count() == 1  # the deposit's alone


def test_an_unpaid_deposit_is_refused(campaign, buyer, sku):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))

    with pytest.raises(Conflict) as refused:
        check_out(buyer, preorder, sku)

    assert refused.value.code in ("deposit_unpaid", "preorder_closed")


def test_someone_elses_pre_order_is_not_found(paid, sku):
    with pytest.raises(Exception) as refused:
        check_out(make_user(), paid, sku)
    assert refused.value.code == "preorder_not_found"


def test_a_pending_balance_payment_alone_gives_way_to_the_checkout(paid, buyer, sku):
    alone = preorder_balance_pay(buyer=buyer, preorder=paid)

    checkout = check_out(buyer, paid, sku)

    assert Payment.objects.get(pk=alone.pk).status == PaymentStatus.CLOSING
    assert fresh(paid).balance_payment_id == checkout.payment_id


def test_the_balance_alone_is_refused_while_a_checkout_holds_it(paid, buyer, sku):
    checkout = check_out(buyer, paid, sku)

    with pytest.raises(Conflict) as refused:
        preorder_balance_pay(buyer=buyer, preorder=paid)

    assert refused.value.code == "balance_in_checkout"
    assert refused.value.details["checkout"] == checkout.public_id


def test_the_same_idempotency_key_returns_the_same_checkout(paid, buyer, sku):
    first = check_out(buyer, paid, sku, idempotency_key="k-1")
    again = check_out(buyer, paid, sku, idempotency_key="k-1")

    assert again.pk == first.pk
    assert Payment.objects.filter(payable_type=CART_BALANCE_PAYABLE).count() == 1


def test_a_lost_notification_is_credited_by_the_reconciliation_sweeper(paid, buyer, sku):
    checkout = check_out(buyer, paid, sku)
    sandbox.sandbox_pay(payment=checkout.payment)
    Job.objects.filter(name=sandbox.NOTIFY_JOB).delete()

    clock.advance(timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES + 1))
    payments_sweep()
    run_jobs()

    assert fresh(checkout).status == CheckoutStatus.PAID
    assert fresh(paid).status == PreorderStatus.FULLY_PAID
    assert not Refund.objects.exists()


def test_a_lost_notification_found_after_the_window_closed_is_refunded_in_full(paid, buyer, sku):
    checkout = check_out(buyer, paid, sku)
    sandbox.sandbox_pay(payment=checkout.payment)
    Job.objects.filter(name=sandbox.NOTIFY_JOB).delete()

    clock.set_frozen(paid.campaign.balance_ends_at + timedelta(minutes=1))
    payments_sweep()
    run_jobs()
    checkouts_expire()  # the checkouts' own sweeper ends it, as for any late payment

    payment = Payment.objects.get(pk=checkout.payment_id)
    assert payment.status == PaymentStatus.PAID
    refund = payment.refunds.get()
    assert (refund.status, refund.amount_fen) == (RefundStatus.SUCCEEDED, payment.amount_fen)
    assert fresh(checkout).status == CheckoutStatus.EXPIRED
    assert available(sku) == 5
    assert fresh(paid).status == PreorderStatus.DEPOSIT_PAID  # the default sweeper's now
    assert not Order.objects.filter(prepaid_payment__isnull=False).exists()


def test_the_window_ending_while_the_checkout_waits_defaults_the_pre_order_and_ends_both(
    paid, buyer, sku
):
    checkout = check_out(buyer, paid, sku)
    clock.set_frozen(paid.campaign.balance_ends_at + timedelta(minutes=1))

    preorder_default(preorder=paid)
    run_jobs()

    assert fresh(paid).status == PreorderStatus.DEFAULTED
    assert fresh(checkout).status == CheckoutStatus.EXPIRED
    assert available(sku) == 5
    assert Payment.objects.get(pk=checkout.payment_id).status in (
        PaymentStatus.CLOSING,
        PaymentStatus.CLOSED,
    )


def test_a_cancelled_pre_order_gets_back_its_balance_part_only_and_the_cart_keeps_its_own(
    paid, buyer, sku
):
    checkout = check_out(buyer, paid, sku)
    pay(checkout.payment)
    seller = paid.campaign.shop.owner

    preorder_cancel(preorder=paid, by=seller, reason="停产")
    run_jobs()

    combined = Payment.objects.get(pk=checkout.payment_id)
    assert combined.refunded_fen == BALANCE
    deposit = Payment.objects.get(pk=paid.deposit_payment_id)
    assert deposit.refunded_fen == DEPOSIT
    assert fresh(paid).order.status == OrderStatus.REFUNDED
    cart_order = Order.objects.get(checkout=checkout, prepaid_payment__isnull=True)
    assert cart_order.status == OrderStatus.PAID
    # The cart order can still be refunded in full, from what is left of the payment.
    order_refund(
        order=cart_order, amount_fen=cart_order.total_fen, reason="缺货", by=cart_order.shop.owner
    )
    run_jobs()
    assert fresh(cart_order).status == OrderStatus.REFUNDED
    assert Payment.objects.get(pk=checkout.payment_id).refunded_fen == combined.amount_fen


def test_refunding_the_pre_orders_order_in_full_takes_the_balance_part_then_the_deposit(
    paid, buyer, sku
):
    checkout = check_out(buyer, paid, sku)
    pay(checkout.payment)
    order = fresh(paid).order

    order_refund(order=order, amount_fen=order.total_fen, reason="质量问题", by=order.shop.owner)
    run_jobs()

    by_payment = dict(
        Refund.objects.filter(status=RefundStatus.SUCCEEDED).values_list("payment_id", "amount_fen")
    )
    assert by_payment == {checkout.payment_id: BALANCE, paid.deposit_payment_id: DEPOSIT}
    assert fresh(order).status == OrderStatus.REFUNDED
    with pytest.raises(InvalidTransition):  # nothing is left of it to refund
        order_refund(order=fresh(order), amount_fen=1, reason="再退", by=order.shop.owner)


# --- the checkout page ---------------------------------------------------------------------


def test_the_checkout_page_offers_the_balance_and_one_payment_pays_both(client, paid, buyer, sku):
    from django.urls import reverse

    from designmall.orders.cart import cart_add

    cart_add(user=buyer, sku_public_id=sku.public_id, quantity=1)
    client.force_login(buyer)
    page = client.get(reverse("storefront:checkout"))
    assert page.status_code == 200
    assert f'value="{paid.public_id}"' in page.text
    assert "¥850.00" in page.text
    initial = page.context["form"].initial

    response = client.post(
        reverse("storefront:checkout"),
        {
            "delivery": "pickup",
            "idempotency_key": initial["idempotency_key"],
            "total_address": str(initial["total_address"]),
            "total_pickup": str(initial["total_pickup"]),
            "preorders": [paid.public_id],
        },
    )

    payment = Payment.objects.get(payable_type=CART_BALANCE_PAYABLE)
    assert response.status_code == 302
    assert response.url == sandbox.cashier_url(payment.out_trade_no)
    assert payment.amount_fen == CART_PRICE + BALANCE
    done = client.get(reverse("storefront:checkout_done", args=[payment.payable_id])).text
    assert "¥979.00" in done and "含预售尾款 ¥850.00" in done
    mine = client.get(reverse("storefront:my_presales")).text
    assert "data-balance-in-checkout" in mine  # paid there, not by a second payment
    assert reverse("storefront:presale_pay_balance", args=[paid.public_id]) not in mine
    assert pay(payment) == NotifyOutcome.CREDITED
    assert fresh(paid).status == PreorderStatus.FULLY_PAID
    assert f'value="{paid.public_id}"' not in client.get(reverse("storefront:cart")).text


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def api(db, buyer):
    from django.test import Client

    from tests.api.conftest import ApiClient, token_for

    return ApiClient(Client(), token_for(buyer))


def test_the_api_checks_out_the_cart_with_the_balance_once_per_idempotency_key(api, paid, sku):
    api.headers["Idempotency-Key"] = "cart-with-balance-1"
    body = {
        "lines": [{"sku": sku.public_id, "quantity": 1}],
        "delivery": "pickup",
        "preorders": [paid.public_id],
    }

    first = api.post("/checkout", body)
    again = api.post("/checkout", body)

    assert first.status_code == 201, first.content
    placed = first.json()
    assert again.json()["public_id"] == placed["public_id"]
    assert placed["total_fen"] == CART_PRICE
    assert placed["preorder_balances"] == [
        {"preorder": paid.public_id, "balance_fen": BALANCE, "balance_display": "¥850.00"}
    ]
    assert placed["payment"]["amount_fen"] == CART_PRICE + BALANCE
    assert Payment.objects.filter(payable_type=CART_BALANCE_PAYABLE).count() == 1


def test_the_api_refuses_a_balance_outside_its_window_with_409(api, campaign, buyer, sku):
    from tests.api.conftest import assert_error

    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    pay_deposit(preorder)  # the balance window opens in 4 days

    response = api.post(
        "/checkout",
        {
            "lines": [{"sku": sku.public_id, "quantity": 1}],
            "delivery": "pickup",
            "preorders": [preorder.public_id],
        },
    )

    error = assert_error(response, 409, "balance_not_open")
    assert error["details"]["preorder"] == preorder.public_id
    assert available(sku) == 5
