"""A single-use coupon under real concurrent checkouts on PostgreSQL: of 20 checkouts that
all choose it at once, exactly one gets the discount, and no order is written with a
coupon it could not have."""

from __future__ import annotations

from collections import Counter

import pytest

from designmall.core.errors import Conflict
from designmall.inventory.selectors import stock_verify
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Checkout, Order
from designmall.promotions.models import Coupon, CouponState
from designmall.promotions.services import coupon_claim
from tests.concurrency import concurrently
from tests.factories import make_product, make_user
from tests.promotions.conftest import make_platform_coupon

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_20_parallel_checkouts_with_one_single_use_coupon_make_one_discounted_order(
    on_postgres, settings
):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 50
    settings.ORDER_MAX_UNPAID_UNITS = 500
    sku = make_product(skus=[(12_900, 100)]).skus.get()
    buyer = make_user()
    coupon = coupon_claim(template=make_platform_coupon(), buyer=buyer)  # 满¥100减¥20

    def checkout():
        return checkout_create(
            buyer=buyer, lines=[(sku.public_id, 1)], delivery="pickup", coupons=[coupon.public_id]
        ).public_id

    results = concurrently([checkout] * 20, pool=20)

    made = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(made) == 1, Counter(type(r).__name__ + ":" + getattr(r, "code", "") for r in results)
    assert all(isinstance(r, Conflict) and r.code == "coupon_unavailable" for r in refused), (
        Counter(type(r).__name__ + ":" + getattr(r, "code", str(r)) for r in refused)
    )
    assert Checkout.objects.count() == Order.objects.count() == 1
    order = Order.objects.get()
    assert (order.discount_fen, order.total_fen) == (2_000, 12_900 - 2_000)
    coupon = Coupon.objects.get(pk=coupon.pk)
    assert (coupon.state, coupon.checkout_ref) == (CouponState.LOCKED, made[0])
    assert stock_verify() == []
