"""What buyers see: coupons claimable on a product or shop page, and which of their coupons
apply to a cart, with what each saves and the best combination."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.promotions.selectors import (
    CartLine,
    claims_by_buyer,
    coupons_for_cart,
    templates_claimable_for_product,
    templates_claimable_for_shop,
    terms_display,
)
from designmall.promotions.services import coupon_claim, template_set_status
from tests.factories import make_category, make_operator, make_product, make_shop, make_user

from .conftest import make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db


def test_a_product_page_offers_the_coupons_that_cover_the_product():
    furniture = make_category()
    chairs = make_category(parent=furniture)
    shop = make_shop()
    chair = make_product(shop=shop, category=chairs)
    everything = make_platform_coupon()
    by_parent_category = make_platform_coupon(scope="categories", categories=[furniture])
    for_this_shop = make_shop_coupon(shop=shop)
    for_this_product = make_shop_coupon(shop=shop, scope="products", products=[chair])
    make_platform_coupon(scope="categories", categories=[make_category()])  # another category
    make_shop_coupon(shop=make_shop())  # another shop
    make_platform_coupon(scope="products", products=[make_product()])  # another product
    make_platform_coupon(distribution="codes")  # handed out by codes only
    paused = make_platform_coupon()
    template_set_status(template=paused, status="paused", by=make_operator())

    offered = set(templates_claimable_for_product(chair))

    assert offered == {everything, by_parent_category, for_this_shop, for_this_product}


def test_coupons_offered_only_within_their_claim_window():
    product = make_product()
    now = clock.now()
    later = make_platform_coupon(
        claim_starts_at=now + timedelta(hours=1), claim_ends_at=now + timedelta(days=1)
    )

    assert list(templates_claimable_for_product(product)) == []
    clock.advance(timedelta(hours=1))
    assert list(templates_claimable_for_product(product)) == [later]


def test_a_shop_page_offers_the_shops_coupons_and_platform_coupons_for_it():
    shop = make_shop()
    own = make_shop_coupon(shop=shop)
    for_it = make_platform_coupon(scope="shop", shop=shop)
    make_platform_coupon()

    assert set(templates_claimable_for_shop(shop)) == {own, for_it}


def test_claims_by_buyer_counts_each_templates_claims():
    template = make_platform_coupon(per_buyer_limit=3)
    buyer = make_user()
    coupon_claim(template=template, buyer=buyer)
    coupon_claim(template=template, buyer=buyer)

    assert claims_by_buyer(buyer, [template]) == {template.pk: 2}
    assert claims_by_buyer(None, [template]) == {}


def test_the_cart_shows_what_each_coupon_saves_and_picks_the_best_combination():
    shop = make_shop()
    vase = make_product(shop=shop, skus=[(8_000, 5)])
    lamp = make_product(shop=shop, skus=[(12_000, 5)])
    buyer = make_user()
    spend_off = coupon_claim(template=make_shop_coupon(shop=shop), buyer=buyer)  # 满100减20
    percent = coupon_claim(
        template=make_platform_coupon(
            kind="percent_off", threshold_fen=0, percent_off=10, cap_fen=5_000
        ),
        buyer=buyer,
    )
    too_high = coupon_claim(
        template=make_platform_coupon(threshold_fen=100_000, off_fen=10_000), buyer=buyer
    )
    lines = [CartLine("vase", vase.pk, 8_000), CartLine("lamp", lamp.pk, 12_000)]

    cart = coupons_for_cart(buyer=buyer, lines=lines)

    saves = {u.coupon.pk: (u.discount_fen, u.refusal) for u in cart.usable}
    assert saves == {
        spend_off.pk: (2_000, ""),
        percent.pk: (2_000, ""),
        too_high.pk: (0, "coupon_threshold_not_met"),
    }
    assert cart.best.discount_fen == 4_000
    assert {a.coupon.id for a in cart.best.applied} == {spend_off.pk, percent.pk}
    # 满减 ¥20 over ¥80 + ¥120: ¥8 and ¥12; then 10% of the pre-discount ¥200 = ¥20,
    # pro rata over what the lines cost after it (¥72 and ¥108): ¥8 and ¥12.
    assert cart.best.line_discounts() == {"vase": 1_600, "lamp": 2_400}


def test_coupons_not_yet_valid_or_used_are_not_offered_for_the_cart():
    now = clock.now()
    product = make_product(skus=[(20_000, 5)])
    buyer = make_user()
    coupon_claim(
        template=make_platform_coupon(
            claim_ends_at=now + timedelta(days=1),
            valid_from=now + timedelta(days=1),
            valid_until=now + timedelta(days=2),
        ),
        buyer=buyer,
    )

    cart = coupons_for_cart(buyer=buyer, lines=[CartLine(1, product.pk, 20_000)])

    assert cart.usable == []
    assert cart.best.discount_fen == 0


def test_terms_read_as_a_shopper_expects():
    assert terms_display(make_platform_coupon()) == "满¥100.00减¥20.00"
    assert terms_display(make_platform_coupon(kind="amount_off", threshold_fen=0)) == "立减¥20.00"
    percent = make_platform_coupon(
        kind="percent_off", threshold_fen=5_000, percent_off=15, cap_fen=3_000
    )
    assert terms_display(percent) == "15% 折扣，最高减¥30.00（满¥50.00可用）"
