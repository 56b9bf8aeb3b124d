"""Holding coupons for a checkout: locked while it is unpaid, used once it is paid, given
back exactly once when it expires or is cancelled (expired instead if their time ran out)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.promotions.models import Coupon, CouponState
from designmall.promotions.services import (
    coupon_claim,
    coupons_expire,
    coupons_lock,
    coupons_release,
    coupons_use,
)
from tests.factories import make_user

from .conftest import make_platform_coupon

pytestmark = pytest.mark.django_db


def fresh(coupon: Coupon) -> Coupon:
    coupon.refresh_from_db()
    return coupon


def claimed(buyer=None, **values) -> Coupon:
    return coupon_claim(template=make_platform_coupon(**values), buyer=buyer or make_user())


def lock_fails(**kw) -> Conflict:
    with pytest.raises(Conflict) as caught, transaction.atomic():
        coupons_lock(**kw)
    return caught.value


def test_a_checkout_locks_the_buyers_coupons_and_payment_uses_them_once():
    coupon = claimed()

    coupons_lock(buyer=coupon.buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:1")

    assert fresh(coupon).state == CouponState.LOCKED
    assert coupon.checkout_ref == "checkout:1"
    assert coupons_use(checkout_ref="checkout:1") == 1
    assert coupons_use(checkout_ref="checkout:1") == 0
    assert fresh(coupon).state == CouponState.USED
    assert coupon.used_at == clock.now()


def test_a_coupon_held_by_one_checkout_is_refused_to_another():
    coupon = claimed()
    coupons_lock(buyer=coupon.buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:1")

    error = lock_fails(buyer=coupon.buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:2")

    assert error.code == "coupon_unavailable"
    assert error.details == {"coupon": coupon.public_id}
    assert fresh(coupon).checkout_ref == "checkout:1"


def test_another_buyers_expired_or_not_yet_valid_coupons_cannot_be_locked():
    buyer = make_user()
    theirs = claimed()
    expiring = claimed(buyer, validity="days_from_claim", valid_days=1)
    now = clock.now()
    later = claimed(
        buyer,
        claim_ends_at=now + timedelta(days=1),
        valid_from=now + timedelta(days=1),
        valid_until=now + timedelta(days=3),
    )

    assert lock_fails(buyer=buyer, coupon_ids=[theirs.pk], checkout_ref="c").code == (
        "coupon_unavailable"
    )
    assert lock_fails(buyer=buyer, coupon_ids=[later.pk], checkout_ref="c").code == (
        "coupon_unavailable"
    )
    clock.advance(timedelta(days=1, seconds=1))
    assert lock_fails(buyer=buyer, coupon_ids=[expiring.pk], checkout_ref="c").code == (
        "coupon_unavailable"
    )


def test_one_unavailable_coupon_refuses_the_whole_lock():
    buyer = make_user()
    good, used = claimed(buyer), claimed(buyer)
    Coupon.objects.filter(pk=used.pk).update(state=CouponState.USED)

    lock_fails(buyer=buyer, coupon_ids=[good.pk, used.pk], checkout_ref="c")

    assert fresh(good).state == CouponState.AVAILABLE


def test_a_released_checkout_gives_its_coupons_back_exactly_once():
    coupon = claimed()
    coupons_lock(buyer=coupon.buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:1")

    assert coupons_release(checkout_ref="checkout:1") == 1
    assert coupons_release(checkout_ref="checkout:1") == 0

    assert fresh(coupon).state == CouponState.AVAILABLE
    assert coupon.checkout_ref == ""
    coupons_lock(buyer=coupon.buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:2")


def test_a_coupon_whose_time_ran_out_while_held_is_expired_not_given_back():
    coupon = claimed(validity="days_from_claim", valid_days=1)
    coupons_lock(buyer=coupon.buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:1")
    clock.advance(timedelta(days=2))

    assert coupons_expire() == 0  # held coupons are left to their checkout
    assert coupons_release(checkout_ref="checkout:1") == 0

    assert fresh(coupon).state == CouponState.EXPIRED


def test_a_paid_checkout_cannot_be_released():
    coupon = claimed()
    coupons_lock(buyer=coupon.buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:1")
    coupons_use(checkout_ref="checkout:1")

    assert coupons_release(checkout_ref="checkout:1") == 0
    assert fresh(coupon).state == CouponState.USED
