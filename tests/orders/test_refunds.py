"""Refunds of an order, in part or in full, before the seller was paid (out of escrow) or
after (out of the seller's balance, with the commission's share given back)."""

from __future__ import annotations

import pytest

from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.ledger.services import (
    escrow_balance,
    ledger_verify,
    platform_revenue,
    seller_balance,
)
from designmall.orders.models import OrderStatus
from designmall.orders.services import (
    order_confirm_receipt,
    order_ready_for_pickup,
    order_refund,
    order_ship,
)
from designmall.payments.models import RefundStatus
from tests.orders.conftest import buy, orders_of, pay, refreshed
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(store, buyer):
    """Shop A: lamp ×2 (¥258 + ¥15 shipping = ¥273, 8%); shop B: cup ×1 (¥74, 5%). Paid."""
    checkout = buy(buyer, (store.lamp, 2), (store.cup, 1))
    pay(checkout)
    return orders_of(checkout)


def refund(order, amount_fen, by=None, reason="少发了一件"):
    refund = order_refund(
        order=order, amount_fen=amount_fen, reason=reason, by=by or order.shop.owner
    )
    run_jobs()
    refund.refresh_from_db()
    return refund


def complete(order, buyer):
    order_ship(order=order, by=order.shop.owner, carrier="SF", tracking_number="SF1234567890")
    return order_confirm_receipt(order=refreshed(order), by=buyer)


def test_a_partial_refund_before_release_comes_out_of_escrow(paid, store):
    order_a, _ = paid
    done = refund(order_a, 12_900)

    assert done.status == RefundStatus.SUCCEEDED
    order_a = refreshed(order_a)
    assert (order_a.status, order_a.refunded_fen) == (OrderStatus.PAID, 12_900)
    assert escrow_balance() == 27_300 + 7_400 - 12_900
    assert seller_balance(store.shop_a.public_id) == 0
    assert ledger_verify() == []


def test_the_seller_is_paid_what_is_left_after_a_refund(paid, store, buyer):
    order_a, _ = paid
    refund(order_a, 12_900)

    complete(refreshed(order_a), buyer)

    # ¥144.00 released, 8% commission ¥11.52.
    assert seller_balance(store.shop_a.public_id) == 14_400 - 1_152
    assert platform_revenue() == 1_152
    assert escrow_balance() == 7_400
    assert refreshed(order_a).released_fen == 14_400


def test_a_full_refund_before_release_makes_the_order_refunded(paid, store):
    _, order_b = paid
    refund(order_b, 7_400)

    order_b = refreshed(order_b)
    assert order_b.status == OrderStatus.REFUNDED
    assert [e.to_status for e in order_b.events.all()][-1] == OrderStatus.REFUNDED
    assert escrow_balance() == 27_300
    assert ledger_verify() == []


def test_a_refund_after_release_comes_out_of_the_sellers_balance(paid, store, buyer):
    order_a, _ = paid
    complete(order_a, buyer)
    assert seller_balance(store.shop_a.public_id) == 27_300 - 2_184

    refund(refreshed(order_a), 13_650)  # half

    # Half the commission (¥10.92) comes back from the platform with it.
    assert seller_balance(store.shop_a.public_id) == 27_300 - 2_184 - (13_650 - 1_092)
    assert platform_revenue() == 2_184 - 1_092
    assert refreshed(order_a).status == OrderStatus.COMPLETED
    assert ledger_verify() == []


def test_refunding_everything_after_release_takes_back_all_and_returns_all_commission(
    paid, store, buyer
):
    order_a, _ = paid
    complete(order_a, buyer)

    refund(refreshed(order_a), 10_000)
    refund(refreshed(order_a), 17_300)

    assert seller_balance(store.shop_a.public_id) == 0
    assert platform_revenue() == 0
    assert refreshed(order_a).status == OrderStatus.REFUNDED
    assert ledger_verify() == []


def test_sellers_end_with_their_completed_orders_less_commission_and_refunds(paid, store, buyer):
    order_a, order_b = paid
    refund(order_a, 1_000)  # before release
    complete(refreshed(order_a), buyer)
    complete(order_b, buyer)
    refund(refreshed(order_b), 2_000)  # after release

    a_released, b_released = 27_300 - 1_000, 7_400
    a_commission = (a_released * 800 + 5_000) // 10_000
    b_commission = (b_released * 500 + 5_000) // 10_000
    b_back = (b_commission * 2_000 * 2 + b_released) // (b_released * 2)
    assert seller_balance(store.shop_a.public_id) == a_released - a_commission
    assert seller_balance(store.shop_b.public_id) == b_released - b_commission - (2_000 - b_back)
    assert escrow_balance() == 0
    assert ledger_verify() == []


def test_a_refund_larger_than_the_order_is_refused(paid):
    order_a, _ = paid
    with pytest.raises(ValidationFailed) as refused:
        order_refund(order=order_a, amount_fen=27_301, reason="退款", by=order_a.shop.owner)
    assert refused.value.code == "refund_exceeds_paid"
    assert refused.value.details == {"amount_fen": 27_301, "refundable_fen": 27_300}


def test_refunds_under_way_count_against_what_is_left(paid):
    order_a, _ = paid
    order_refund(order=order_a, amount_fen=20_000, reason="退款", by=order_a.shop.owner)

    with pytest.raises(ValidationFailed) as refused:
        order_refund(order=order_a, amount_fen=7_301, reason="退款", by=order_a.shop.owner)

    assert refused.value.details["refundable_fen"] == 7_300


def test_one_orders_refund_cannot_take_another_shops_money(paid):
    _, order_b = paid
    with pytest.raises(ValidationFailed) as refused:
        order_refund(order=order_b, amount_fen=7_401, reason="退款", by=order_b.shop.owner)
    assert refused.value.code == "refund_exceeds_paid"


@pytest.mark.parametrize("amount_fen", [0, -100, True, 1.5])
def test_a_refund_is_a_positive_number_of_fen(paid, amount_fen):
    order_a, _ = paid
    with pytest.raises(ValidationFailed) as refused:
        order_refund(order=order_a, amount_fen=amount_fen, reason="退款", by=order_a.shop.owner)
    assert refused.value.code == "invalid_amount"


def test_a_refund_needs_a_reason(paid):
    order_a, _ = paid
    with pytest.raises(ValidationFailed) as refused:
        order_refund(order=order_a, amount_fen=100, reason=" ", by=order_a.shop.owner)
    assert refused.value.code == "reason_required"


def test_an_unpaid_order_cannot_be_refunded(store, buyer):
    (order,) = orders_of(buy(buyer, (store.lamp, 1)))
    with pytest.raises(InvalidTransition) as refused:
        order_refund(order=order, amount_fen=100, reason="退款", by=order.shop.owner)
    assert refused.value.code == "order_not_refundable"


def test_an_operator_may_refund_any_order(paid, operator):
    order_a, _ = paid
    assert refund(order_a, 500, by=operator).status == RefundStatus.SUCCEEDED


def test_the_buyer_cannot_refund_their_own_order(paid, buyer):
    order_a, _ = paid
    with pytest.raises(PermissionDenied):
        order_refund(order=order_a, amount_fen=100, reason="退款", by=buyer)


def test_another_seller_cannot_refund_an_order(paid, store):
    order_a, _ = paid
    with pytest.raises(NotFound):
        order_refund(order=order_a, amount_fen=100, reason="退款", by=store.shop_b.owner)


def test_an_order_being_refunded_in_full_is_not_fulfilled(paid):
    order_a, _ = paid
    order_refund(order=order_a, amount_fen=27_300, reason="缺货", by=order_a.shop.owner)
    with pytest.raises(Conflict) as refused:
        order_ship(
            order=order_a, by=order_a.shop.owner, carrier="SF", tracking_number="SF1234567890"
        )
    assert refused.value.code == "order_refunding"


def test_a_pickup_order_refunded_in_full_is_refunded(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")
    pay(checkout)
    (order,) = orders_of(checkout)
    order = order_ready_for_pickup(order=order, by=store.shop_a.owner)

    refund(order, 12_900)

    assert refreshed(order).status == OrderStatus.REFUNDED


def test_the_refund_steps_are_in_the_orders_history(paid):
    order_a, _ = paid
    done = refund(order_a, 1_000)
    history = [
        (e.from_status, e.to_status, e.data.get("refund")) for e in refreshed(order_a).events.all()
    ]
    assert history[-2:] == [
        (OrderStatus.PAID, OrderStatus.PAID, done.public_id),
        (OrderStatus.PAID, OrderStatus.PAID, done.public_id),
    ]
