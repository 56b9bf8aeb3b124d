"""Refunds of one line of an order that had coupons: never more than what the line really
cost after its share of the discount (分摊), by the service, after-sales and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from designmall.core.errors import ValidationFailed
from designmall.ledger.services import ledger_verify
from designmall.orders.aftersales import aftersales_accept, aftersales_create
from designmall.orders.services import line_refundable, order_refund
from designmall.promotions.coupon_math import refund_share
from designmall.promotions.services import coupon_claim
from tests.api.conftest import ApiClient, assert_error, token_for
from tests.orders.conftest import buy, orders_of, pay, refreshed
from tests.payments.conftest import run_jobs
from tests.promotions.conftest import make_shop_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture
def discounted(store, buyer):
    """Two lamps (¥129 each) and a vase (¥350) of shop A, paid with ¥100 off the shop:
    the lamps' line carries 2×129/(2×129+350) of it."""
    coupon = coupon_claim(
        template=make_shop_coupon(
            shop=store.shop_a, kind="amount_off", threshold_fen=0, off_fen=10_000
        ),
        buyer=buyer,
    )
    checkout = buy(buyer, (store.lamp, 2), (store.vase, 1), coupons=[coupon.public_id])
    pay(checkout)
    order = refreshed(orders_of(checkout)[0])
    return order, order.lines.get(sku=store.lamp)


def test_the_lines_discount_lowers_what_it_may_refund(discounted):
    order, lamps = discounted
    assert lamps.discount_fen > 0
    assert line_refundable(order, lamps) == (2, lamps.line_total_fen - lamps.discount_fen)


def test_a_line_refund_without_units_is_capped_at_the_lines_paid_amount(discounted):
    order, lamps = discounted
    with pytest.raises(ValidationFailed) as error:
        order_refund(
            order=order,
            amount_fen=lamps.paid_fen + 1,
            reason="整件退",
            by=order.shop.owner,
            line=lamps,
        )
    assert error.value.code == "refund_exceeds_line"
    assert error.value.details["refundable_fen"] == lamps.paid_fen


def test_refunds_by_units_and_without_count_against_each_other(discounted):
    order, lamps = discounted
    one = refund_share(paid_fen=lamps.paid_fen, quantity=2, before=0, units=1)
    order_refund(order=order, amount_fen=one, reason="一件", by=order.shop.owner, line=lamps)
    run_jobs()

    assert line_refundable(refreshed(order), lamps) == (2, lamps.paid_fen - one)
    with pytest.raises(ValidationFailed) as error:
        order_refund(
            order=refreshed(order),
            amount_fen=lamps.paid_fen - one + 1,
            reason="又一件",
            by=order.shop.owner,
            line=lamps,
            units=2,
        )
    assert error.value.code == "refund_exceeds_line"
    assert error.value.details["refundable_fen"] == lamps.paid_fen - one
    assert ledger_verify() == []


def test_an_after_sales_refund_names_its_line_and_later_refunds_count_it(discounted, buyer):
    order, lamps = discounted
    request = aftersales_create(
        order=order, line=lamps, by=buyer, kind="refund_only", quantity=1, reason="damaged"
    )
    assert request.amount_fen == refund_share(
        paid_fen=lamps.paid_fen, quantity=2, before=0, units=1
    )
    aftersales_accept(request=request, by=order.shop.owner)
    run_jobs()

    _units, left = line_refundable(refreshed(order), lamps)
    assert left == lamps.paid_fen - request.amount_fen
    with pytest.raises(ValidationFailed) as error:
        order_refund(
            order=refreshed(order),
            amount_fen=left + 1,
            reason="再退",
            by=order.shop.owner,
            line=lamps,
        )
    assert error.value.code == "refund_exceeds_line"


def api(user) -> ApiClient:
    return ApiClient(Client(), token_for(user))


def test_the_refund_api_takes_a_line_and_units_and_caps_them(discounted, store):
    order, lamps = discounted
    seller = api(order.shop.owner)
    url = f"/seller/orders/{order.public_id}/refunds"
    one = refund_share(paid_fen=lamps.paid_fen, quantity=2, before=0, units=1)

    refused = seller.post(
        url, {"amount_fen": 12_900, "reason": "少发", "sku": store.lamp.public_id, "units": 1}
    )
    assert_error(refused, 422, "refund_exceeds_line")
    assert refused.json()["error"]["details"]["refundable_fen"] == one

    made = seller.post(
        url, {"amount_fen": one, "reason": "少发", "sku": store.lamp.public_id, "units": 1}
    )
    assert made.status_code == 201, made.content

    too_many = seller.post(
        url, {"amount_fen": 1, "reason": "再退", "sku": store.lamp.public_id, "units": 2}
    )
    assert_error(too_many, 422, "invalid_units")
    assert_error(
        seller.post(url, {"amount_fen": 1, "reason": "x", "units": 1}), 422, "invalid_units"
    )
    assert_error(
        seller.post(url, {"amount_fen": 1, "reason": "x", "sku": store.cup.public_id, "units": 1}),
        404,
        "line_not_found",
    )
