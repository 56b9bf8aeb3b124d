"""An operator's force refund of a pre-order that became an order goes through the order's
refund bookkeeping: the order's refunded amount and state, both of its payments (balance
first, then deposit, each never beyond its part), escrow before settlement and the
seller's balance after it; never a refund straight out of escrow beside the order."""

from __future__ import annotations

import pytest

from designmall.core.errors import Conflict
from designmall.ledger.services import escrow_balance, seller_balance
from designmall.orders.models import OrderStatus
from designmall.orders.services import order_confirm_receipt, order_ship
from designmall.payments.models import Refund, RefundStatus
from designmall.presale.models import PreorderStatus
from designmall.presale.services import preorder_force_refund
from tests.factories import make_operator
from tests.presale.conftest import CREDIT, DEPOSIT, PRICE, fresh, make_campaign, run_jobs
from tests.presale.test_fulfilment import ADDRESS, TOTAL, balance_paid, deposit_paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_balance")]


@pytest.fixture
def shipped():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign, delivery="address", address=ADDRESS))
    order_ship(
        order=preorder.order, by=campaign.shop.owner, carrier="SF", tracking_number="SF123456789"
    )
    return fresh(preorder)


def refunds_by_payment(preorder) -> dict[int, int]:
    return dict(
        Refund.objects.filter(status=RefundStatus.SUCCEEDED).values_list("payment_id", "amount_fen")
    )


def test_a_shipped_pre_order_is_force_refunded_through_its_order(shipped):
    preorder_force_refund(preorder=shipped, by=make_operator(), reason="运营介入全额退款")
    run_jobs()

    order = fresh(shipped.order)
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_fen == TOTAL
    assert refunds_by_payment(shipped) == {
        shipped.balance_payment_id: PRICE - CREDIT,
        shipped.deposit_payment_id: DEPOSIT,
    }
    assert all(r.refs["order"] == order.public_id for r in Refund.objects.all())
    assert escrow_balance() == 0
    assert fresh(shipped).status == PreorderStatus.FULLY_PAID


def test_a_settled_pre_order_is_force_refunded_out_of_the_sellers_balance(shipped):
    order_confirm_receipt(order=shipped.order, by=shipped.buyer)
    assert seller_balance(shipped.campaign.shop.public_id) > 0

    preorder_force_refund(preorder=shipped, by=make_operator(), reason="运营介入全额退款")
    run_jobs()

    order = fresh(shipped.order)
    assert order.refunded_fen == TOTAL
    assert escrow_balance() == 0  # never out of escrow: the money had left it for the seller
    assert seller_balance(shipped.campaign.shop.public_id) == 0


def test_nothing_is_left_to_force_refund_twice(shipped):
    operator = make_operator()
    preorder_force_refund(preorder=shipped, by=operator, reason="运营介入全额退款")

    with pytest.raises(Conflict) as refused:
        preorder_force_refund(preorder=shipped, by=operator, reason="再退一次")

    assert refused.value.code == "nothing_to_refund"
    run_jobs()
    assert fresh(shipped.order).refunded_fen == TOTAL
