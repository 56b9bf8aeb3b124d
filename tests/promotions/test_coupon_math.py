"""The coupon arithmetic by example: each rule of ``coupon_math`` in one case."""

from __future__ import annotations

import pytest

from designmall.promotions.coupon_math import (
    Coupon,
    CouponRefused,
    Line,
    Scope,
    apply,
    apportion,
    best,
    refund_share,
)


def line(key, amount, *, shop="s1", product=None, categories=()):
    return Line(key, shop, product or key, amount, frozenset(categories))


EVERYTHING = Scope()


def spend_off(ident, threshold, off, *, shop=None, scope=EVERYTHING):
    issuer = "shop" if shop else "platform"
    return Coupon(
        ident, issuer, "spend_off", threshold_fen=threshold, off_fen=off, shop=shop, scope=scope
    )


def amount_off(ident, off, *, shop=None, products=None):
    issuer = "shop" if shop else "platform"
    scope = Scope("products", products=products) if products else EVERYTHING
    return Coupon(ident, issuer, "amount_off", off_fen=off, shop=shop, scope=scope)


def test_spend_off_applies_from_its_threshold_on_the_pre_discount_amount():
    coupon = spend_off("c", 10_000, 2_000)

    assert apply([coupon], [line("a", 10_000)]).discount_fen == 2_000
    with pytest.raises(CouponRefused) as caught:
        apply([coupon], [line("a", 9_999)])
    assert caught.value.code == "coupon_threshold_not_met"


def test_amount_off_is_at_most_what_it_covers_less_the_orders_last_fen():
    coupon = Coupon("c", "platform", "amount_off", off_fen=5_000)

    outcome = apply([coupon], [line("a", 3_000)])

    assert outcome.discount_fen == 2_999
    assert outcome.applied[0].nominal_fen == 3_000
    assert outcome.order_totals() == {"s1": 1}


def test_percent_off_rounds_down_and_stops_at_its_cap():
    coupon = Coupon("c", "platform", "percent_off", percent=15, cap_fen=1_000)

    assert apply([coupon], [line("a", 999)]).discount_fen == 149  # 149.85 rounded down
    assert apply([coupon], [line("a", 100_000)]).discount_fen == 1_000


def test_a_shop_coupon_covers_only_its_shops_lines():
    coupon = spend_off("c", 1_000, 100, shop="s1")
    lines = [line("a", 600, shop="s1"), line("b", 5_000, shop="s2")]

    with pytest.raises(CouponRefused) as caught:
        apply([coupon], lines)  # only ¥6 of its own shop: below ¥10
    assert caught.value.code == "coupon_threshold_not_met"


def test_a_category_coupon_covers_products_in_the_category_or_below_it():
    coupon = spend_off("c", 100, 50, scope=Scope("categories", categories={"furniture"}))
    chair = line("chair", 300, categories={"chairs", "furniture"})
    vase = line("vase", 300, categories={"ceramics"})

    outcome = apply([coupon], [chair, vase])

    assert outcome.applied[0].parts == {"chair": 50}


def test_the_discount_is_apportioned_pro_rata_with_the_remainder_on_the_last_line():
    coupon = Coupon("c", "platform", "amount_off", off_fen=1_000)
    lines = [line("a", 3_333), line("b", 3_333), line("c", 3_334)]

    assert apply([coupon], lines).applied[0].parts == {"a": 333, "b": 333, "c": 334}
    assert apportion(100, [100, 100, 100]) == [33, 33, 34]


def test_a_remainder_that_does_not_fit_on_the_last_line_goes_on_the_line_before():
    assert apportion(200, [100, 100, 1]) == [99, 100, 1]


def test_two_platform_coupons_or_two_shop_coupons_of_one_shop_do_not_stack():
    lines = [line("a", 50_000)]
    with pytest.raises(CouponRefused) as platform:
        apply([spend_off("p1", 100, 10), spend_off("p2", 100, 10)], lines)
    with pytest.raises(CouponRefused) as shop:
        apply([spend_off("s1a", 100, 10, shop="s1"), spend_off("s1b", 100, 10, shop="s1")], lines)
    with pytest.raises(CouponRefused) as twice:
        apply([spend_off("p1", 100, 10), spend_off("p1", 100, 10)], lines)

    assert platform.value.code == "platform_coupons_do_not_stack"
    assert shop.value.code == "shop_coupons_do_not_stack"
    assert twice.value.code == "coupon_used_twice"


def test_best_prefers_a_smaller_shop_coupon_when_the_bigger_one_would_starve_the_platforms():
    # The platform coupon covers the lamp only, and the lamp can give ¥9.99 at most (one fen
    # of the order stays on it). A ¥6 shop coupon on the lamp would leave the platform
    # coupon ¥3.99; the ¥5 one on the vase leaves it whole: ¥5 + ¥9.99 beats ¥6 + ¥3.99.
    lamp = line("lamp", 1_000, product="lamp")
    vase = line("vase", 1_000, product="vase")
    platform = amount_off("p", 999, products={"lamp"})
    on_lamp = amount_off("big", 600, shop="s1", products={"lamp"})
    on_vase = amount_off("small", 500, shop="s1", products={"vase"})

    outcome = best([platform, on_lamp, on_vase], [lamp, vase])

    assert {a.coupon.id for a in outcome.applied} == {"small", "p"}
    assert outcome.discount_fen == 1_499


def test_refunding_a_line_unit_by_unit_gives_back_exactly_what_it_cost():
    shares = [refund_share(paid_fen=1_000, quantity=3, before=i, units=1) for i in range(3)]

    assert shares == [333, 333, 334]
