"""The checkout page suggests the buyer's best coupons, lets the buyer change the choice,
and shows a refused coupon as a readable message."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.urls import reverse

from designmall.orders.cart import cart_add
from designmall.orders.models import Checkout
from designmall.promotions.models import CouponState
from designmall.promotions.services import coupon_claim
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    ADDRESS,
    _orders_settings,
    _payments_settings,
    buyer,
    keys,
    sandbox_key_dir,
    store,
)
from tests.promotions.conftest import make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("storefront:checkout")


@pytest.fixture
def cart(client, store, buyer):
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    return buyer


def form_of(page) -> dict:
    initial = page.context["form"].initial
    return {
        "delivery": "address",
        "idempotency_key": initial["idempotency_key"],
        "total_address": str(initial["total_address"]),
        "total_pickup": str(initial["total_pickup"]),
        **ADDRESS,
    }


def test_the_page_checks_the_best_coupons_and_checking_out_uses_them(client, cart, store):
    platform = coupon_claim(template=make_platform_coupon(), buyer=cart)  # 满¥100减¥20
    page = client.get(CHECKOUT)

    shown = {c["public_id"]: c for c in page.context["coupons"]}
    assert shown[platform.public_id]["checked"]
    assert page.context["best_discount_fen"] == 2_000
    assert "设计周满减券" in page.content.decode()

    client.post(CHECKOUT, {**form_of(page), "coupons": [platform.public_id]})

    checkout = Checkout.objects.get(buyer=cart)
    assert (checkout.discount_fen, checkout.total_fen) == (2_000, 12_900 + 1_500 - 2_000)
    platform.refresh_from_db()
    assert platform.state == CouponState.LOCKED


def test_the_buyer_may_uncheck_the_suggestion(client, cart):
    platform = coupon_claim(template=make_platform_coupon(), buyer=cart)
    page = client.get(CHECKOUT)

    client.post(CHECKOUT, form_of(page))  # no coupon ticked

    assert Checkout.objects.get(buyer=cart).discount_fen == 0
    platform.refresh_from_db()
    assert platform.state == CouponState.AVAILABLE


def test_a_refused_choice_is_shown_readably_and_nothing_is_ordered(client, cart, store):
    first = coupon_claim(
        template=make_shop_coupon(shop=store.shop_a, kind="amount_off", off_fen=500), buyer=cart
    )
    second = coupon_claim(
        template=make_shop_coupon(shop=store.shop_a, kind="amount_off", off_fen=800), buyer=cart
    )
    page = client.get(CHECKOUT)

    response = client.post(
        CHECKOUT, {**form_of(page), "coupons": [first.public_id, second.public_id]}
    )

    assert response.status_code == 200
    assert "每家店铺只能使用一张店铺优惠券" in response.content.decode()
    assert not Checkout.objects.filter(buyer=cart).exists()
    kept = {c["public_id"] for c in response.context["coupons"] if c["checked"]}
    assert kept == {first.public_id, second.public_id}
