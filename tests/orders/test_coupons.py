"""Coupons at checkout: the best combination suggested, the buyer's choice applied and
apportioned over the lines it covers (stored per line), refusals that leave nothing
behind, coupons used on payment and given back exactly once when an unpaid checkout
ends, partial refunds capped by what a line really cost, and who pays in the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.ledger import accounts
from designmall.ledger.services import account_balance, ledger_verify, seller_balance
from designmall.orders import checkout as checkout_module
from designmall.orders.coupons import coupons_suggest
from designmall.orders.models import Checkout, CheckoutStatus, OrderLine
from designmall.orders.selectors import lines_priced
from designmall.orders.services import (
    order_cancel,
    order_confirm_receipt,
    order_pickup_confirm,
    order_ready_for_pickup,
    order_refund,
    order_ship,
)
from designmall.orders.tasks import checkouts_expire
from designmall.payments.models import Payment
from designmall.promotions.coupon_math import refund_share
from designmall.promotions.models import Coupon, CouponState
from designmall.promotions.services import coupon_claim
from tests.orders.conftest import available, buy, orders_of, pay, refreshed
from tests.payments.conftest import run_jobs
from tests.promotions.conftest import make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db


def platform_coupon(buyer, **values) -> Coupon:
    return coupon_claim(template=make_platform_coupon(**values), buyer=buyer)


def shop_coupon(buyer, shop, **values) -> Coupon:
    return coupon_claim(template=make_shop_coupon(shop=shop, **values), buyer=buyer)


def off(fen: int) -> dict:
    """立减 ``fen``."""
    return {"kind": "amount_off", "threshold_fen": 0, "off_fen": fen}


def state(coupon: Coupon) -> str:
    coupon.refresh_from_db()
    return coupon.state


def refused(error_type, buyer, *lines, coupons):
    before = (Checkout.objects.count(), Payment.objects.count())
    with pytest.raises(error_type) as caught:
        buy(buyer, *lines, coupons=[c if isinstance(c, str) else c.public_id for c in coupons])
    assert (Checkout.objects.count(), Payment.objects.count()) == before
    return caught.value


# --- suggesting and choosing ----------------------------------------------------------------


def test_the_checkout_suggests_the_combination_that_saves_most(store, buyer):
    small = shop_coupon(buyer, store.shop_a, **off(1_000))
    big = shop_coupon(buyer, store.shop_a, **off(3_000))
    platform = platform_coupon(buyer)  # 满¥100减¥20
    priced = lines_priced({store.lamp.public_id: 1, store.cup.public_id: 1}, delivery="address")

    suggestion = coupons_suggest(buyer=buyer, priced=priced)

    assert set(suggestion.best) == {big.public_id, platform.public_id}
    assert suggestion.best_discount_fen == 5_000
    assert {u.coupon.public_id for u in suggestion.usable} == {
        small.public_id,
        big.public_id,
        platform.public_id,
    }


def test_the_buyers_chosen_coupons_lower_the_payment_and_are_held(store, buyer):
    shop = shop_coupon(buyer, store.shop_a, **off(1_000))
    platform = platform_coupon(buyer)

    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1), coupons=[shop.public_id])

    # lamp ¥129 + cup ¥59 + shipping ¥15 × 2 = ¥218; the shop coupon takes ¥10 off shop A.
    assert (checkout.discount_fen, checkout.total_fen) == (1_000, 21_800 - 1_000)
    assert checkout.payment.amount_fen == 20_800
    order_a, order_b = orders_of(checkout)
    assert (order_a.discount_fen, order_a.total_fen) == (1_000, 12_900 + 1_500 - 1_000)
    assert (order_b.discount_fen, order_b.total_fen) == (0, 5_900 + 1_500)
    assert (state(shop), state(platform)) == (CouponState.LOCKED, CouponState.AVAILABLE)
    assert shop.checkout_ref == checkout.public_id


def test_a_checkout_without_coupons_reads_and_writes_no_coupon(store, buyer):
    lamp = store.lamp

    with CaptureQueriesContext(connection) as statements:
        checkout = buy(buyer, (lamp, 1), delivery="pickup")

    assert checkout.discount_fen == 0
    assert not any("promotions_" in q["sql"] for q in statements.captured_queries)


def test_the_discount_is_apportioned_pro_rata_with_the_remainder_on_the_last_line(store, buyer):
    coupon = shop_coupon(buyer, store.shop_a, **off(10_000))

    checkout = buy(buyer, (store.lamp, 2), (store.vase, 1), coupons=[coupon.public_id])

    lines = {line.sku_id: line for line in OrderLine.objects.filter(order__checkout=checkout)}
    lamp, vase = lines[store.lamp.id], lines[store.vase.id]
    # ¥258 and ¥350 of ¥608: 10000 × 25800 // 60800 = 4243 on the lamps, the rest on the vase.
    assert (lamp.discount_fen, vase.discount_fen) == (4_243, 5_757)
    assert (lamp.paid_fen, vase.paid_fen) == (25_800 - 4_243, 35_000 - 5_757)
    assert orders_of(checkout)[0].discount_fen == 10_000


def test_a_platform_coupon_is_split_over_the_orders_of_every_shop(store, buyer):
    coupon = platform_coupon(buyer)  # 满¥100减¥20 over lamp ¥129 and cup ¥59

    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1), coupons=[coupon.public_id])

    order_a, order_b = orders_of(checkout)
    assert order_a.discount_fen + order_b.discount_fen == 2_000
    assert (order_a.platform_discount_fen, order_b.platform_discount_fen) == (
        order_a.discount_fen,
        order_b.discount_fen,
    )
    assert order_a.discount_fen == 2_000 * 12_900 // 18_800


def test_an_order_never_costs_less_than_one_fen(store, buyer):
    coupon = shop_coupon(buyer, store.shop_b, kind="amount_off", threshold_fen=0, off_fen=99_999)

    checkout = buy(buyer, (store.cup, 1), delivery="pickup", coupons=[coupon.public_id])

    assert checkout.total_fen == 1
    assert orders_of(checkout)[0].total_fen == 1


# --- refusals -------------------------------------------------------------------------------


def test_a_coupon_chosen_twice_is_refused(store, buyer):
    coupon = shop_coupon(buyer, store.shop_a, **off(1_000))

    error = refused(ValidationFailed, buyer, (store.lamp, 1), coupons=[coupon, coupon])

    assert error.code == "coupon_used_twice"
    assert state(coupon) == CouponState.AVAILABLE


def test_two_platform_coupons_do_not_stack(store, buyer):
    first, second = platform_coupon(buyer), platform_coupon(buyer)

    error = refused(ValidationFailed, buyer, (store.lamp, 1), coupons=[first, second])

    assert error.code == "platform_coupons_do_not_stack"
    assert (state(first), state(second)) == (CouponState.AVAILABLE, CouponState.AVAILABLE)


def test_two_coupons_of_one_shop_do_not_stack(store, buyer):
    first = shop_coupon(buyer, store.shop_a, **off(1_000))
    second = shop_coupon(buyer, store.shop_a, **off(2_000))

    error = refused(ValidationFailed, buyer, (store.lamp, 1), coupons=[first, second])

    assert error.code == "shop_coupons_do_not_stack"
    assert error.details == {"coupon": second.public_id}


def test_an_expired_coupon_is_refused(store, buyer):
    coupon = platform_coupon(buyer)
    clock.set_frozen(clock.now() + timedelta(days=8))
    try:
        error = refused(Conflict, buyer, (store.lamp, 1), coupons=[coupon])
    finally:
        clock.reset()

    assert error.code == "coupon_expired"
    assert error.details == {"coupon": coupon.public_id}


def test_someone_elses_coupon_is_refused_as_not_found(store, buyer, other_buyer):
    theirs = platform_coupon(other_buyer)

    error = refused(NotFound, buyer, (store.lamp, 1), coupons=[theirs])

    assert error.code == "coupon_not_found"
    assert state(theirs) == CouponState.AVAILABLE


def test_a_coupon_whose_threshold_the_covered_lines_miss_is_refused(store, buyer):
    coupon = shop_coupon(buyer, store.shop_b)  # 满¥100 on shop B; the cup is ¥59

    error = refused(ValidationFailed, buyer, (store.cup, 1), (store.lamp, 1), coupons=[coupon])

    assert error.code == "coupon_threshold_not_met"


def test_a_coupon_held_by_another_unpaid_checkout_is_refused(store, buyer):
    coupon = platform_coupon(buyer)
    buy(buyer, (store.lamp, 1), coupons=[coupon.public_id])

    error = refused(Conflict, buyer, (store.vase, 1), coupons=[coupon])

    assert error.code == "coupon_unavailable"


def test_a_coupon_taken_between_the_check_and_the_lock_leaves_nothing_written(
    store, buyer, monkeypatch
):
    coupon = platform_coupon(buyer)
    plan = checkout_module.coupon_plan

    def plan_then_lose_the_race(**kwargs):
        planned = plan(**kwargs)
        Coupon.objects.filter(pk=coupon.pk).update(
            state=CouponState.LOCKED, checkout_ref="co-other"
        )
        return planned

    monkeypatch.setattr(checkout_module, "coupon_plan", plan_then_lose_the_race)

    error = refused(Conflict, buyer, (store.lamp, 1), coupons=[coupon])

    assert error.code == "coupon_unavailable"
    assert available(store.lamp) == 5
    coupon.refresh_from_db()
    assert coupon.checkout_ref == "co-other"


# --- used on payment, given back once -------------------------------------------------------


def test_paying_the_checkout_uses_its_coupons(store, buyer):
    coupon = platform_coupon(buyer)
    checkout = buy(buyer, (store.lamp, 1), coupons=[coupon.public_id])

    pay(checkout)

    assert state(coupon) == CouponState.USED


def test_cancelling_the_checkout_gives_its_coupons_back(store, buyer):
    coupon = platform_coupon(buyer)
    checkout = buy(buyer, (store.lamp, 1), coupons=[coupon.public_id])

    order_cancel(order=orders_of(checkout)[0], by=buyer)

    assert state(coupon) == CouponState.AVAILABLE
    assert coupon.checkout_ref == ""


def test_an_expired_checkout_gives_its_coupons_back_exactly_once(store, buyer):
    coupon = platform_coupon(buyer)
    clock.set_frozen(clock.now())
    try:
        first = buy(buyer, (store.lamp, 1), coupons=[coupon.public_id])
        clock.advance(timedelta(minutes=16))
        assert checkouts_expire() == 1
        run_jobs()
        assert state(coupon) == CouponState.AVAILABLE
        # The buyer uses it again; the sweeper running again must not take it back.
        second = buy(buyer, (store.lamp, 1), coupons=[coupon.public_id])
        checkouts_expire()
        run_jobs()
    finally:
        clock.reset()

    first.refresh_from_db()
    assert first.status == CheckoutStatus.EXPIRED
    assert state(coupon) == CouponState.LOCKED
    assert coupon.checkout_ref == second.public_id


def test_a_coupon_whose_time_ran_out_while_held_is_not_given_back(store, buyer):
    coupon = platform_coupon(buyer, validity="days_from_claim", valid_days=1)
    checkout = buy(buyer, (store.lamp, 1), coupons=[coupon.public_id])
    clock.set_frozen(clock.now() + timedelta(days=2))
    try:
        order_cancel(order=orders_of(checkout)[0], by=buyer)
    finally:
        clock.reset()

    assert state(coupon) == CouponState.EXPIRED


# --- refunds and who pays -------------------------------------------------------------------


def complete(order, buyer):
    order_ship(order=order, by=order.shop.owner, carrier="SF", tracking_number="SF1234567890")
    return order_confirm_receipt(order=refreshed(order), by=buyer)


def test_a_partial_refund_of_a_line_is_capped_by_what_the_line_really_cost(store, buyer):
    coupon = shop_coupon(buyer, store.shop_a, **off(10_000))
    checkout = buy(buyer, (store.lamp, 2), (store.vase, 1), coupons=[coupon.public_id])
    pay(checkout)
    order = refreshed(orders_of(checkout)[0])
    lamps = order.lines.get(sku=store.lamp)
    one_lamp = refund_share(paid_fen=lamps.paid_fen, quantity=2, before=0, units=1)

    with pytest.raises(ValidationFailed) as error:
        order_refund(
            order=order, amount_fen=12_900, reason="少发", by=order.shop.owner, line=lamps, units=1
        )
    assert error.value.code == "refund_exceeds_line"
    assert error.value.details["refundable_fen"] == one_lamp

    order_refund(
        order=order, amount_fen=one_lamp, reason="少发", by=order.shop.owner, line=lamps, units=1
    )
    run_jobs()
    second = refund_share(paid_fen=lamps.paid_fen, quantity=2, before=1, units=1)
    assert one_lamp + second == lamps.paid_fen
    with pytest.raises(ValidationFailed) as error:
        order_refund(
            order=refreshed(order),
            amount_fen=second + 1,
            reason="又少一件",
            by=order.shop.owner,
            line=lamps,
            units=1,
        )
    assert error.value.code == "refund_exceeds_line"
    assert ledger_verify() == []


def test_a_shop_coupon_lowers_the_sellers_sale(store, buyer):
    coupon = shop_coupon(buyer, store.shop_b, **off(1_000))
    checkout = buy(buyer, (store.cup, 1), delivery="pickup", coupons=[coupon.public_id])
    pay(checkout)
    order = refreshed(orders_of(checkout)[0])
    order_ready_for_pickup(order=order, by=order.shop.owner)
    order_pickup_confirm(order=refreshed(order), code=order.pickup_code, by=order.shop.owner)

    # ¥59 - ¥10 = ¥49, less 5% commission (¥2.45): the seller's sale is simply lower.
    assert seller_balance(store.shop_b.public_id) == 4_900 - 245
    assert account_balance(accounts.PLATFORM_COUPONS) == 0
    assert ledger_verify() == []


def test_a_platform_coupon_is_the_platforms_expense_and_the_seller_is_made_whole(store, buyer):
    coupon = platform_coupon(buyer)  # ¥20 off the lamp (¥129 + ¥15 shipping)
    checkout = buy(buyer, (store.lamp, 1), coupons=[coupon.public_id])
    pay(checkout)
    order = refreshed(orders_of(checkout)[0])

    complete(order, buyer)

    # Escrow releases ¥124 less 8% commission (¥9.92); the platform adds the ¥20.
    assert seller_balance(store.shop_a.public_id) == 12_400 - 992 + 2_000
    assert account_balance(accounts.PLATFORM_COUPONS) == 2_000
    assert ledger_verify() == []
