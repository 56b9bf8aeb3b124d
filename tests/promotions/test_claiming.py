"""Claiming coupons (领券): the total quantity, the per-buyer limit, the claim window and
the two kinds of validity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.promotions.models import Coupon, CouponState, CouponTemplate
from designmall.promotions.selectors import coupon_state, coupons_of_buyer
from designmall.promotions.services import coupon_claim, coupons_expire, template_set_status
from tests.factories import make_operator, make_user

from .conftest import make_platform_coupon

pytestmark = pytest.mark.django_db


def refused(code, call):
    with pytest.raises(Conflict) as caught:
        call()
    assert caught.value.code == code
    return caught.value


def test_a_claim_takes_one_from_the_remaining_count():
    template = make_platform_coupon(total_quantity=3)

    coupon = coupon_claim(template=template, buyer=make_user())

    template.refresh_from_db()
    assert template.remaining == 2
    assert coupon.state == CouponState.AVAILABLE
    assert coupon.public_id.startswith("cp_")


def test_the_last_coupon_goes_to_one_buyer_and_the_next_is_told_it_is_sold_out():
    template = make_platform_coupon(total_quantity=1)
    coupon_claim(template=template, buyer=make_user())

    refused("coupon_sold_out", lambda: coupon_claim(template=template, buyer=make_user()))

    template.refresh_from_db()
    assert template.remaining == 0
    assert Coupon.objects.filter(template=template).count() == 1


def test_a_buyer_claims_at_most_the_per_buyer_limit():
    template = make_platform_coupon(per_buyer_limit=2)
    buyer = make_user()
    coupon_claim(template=template, buyer=buyer)
    coupon_claim(template=template, buyer=buyer)

    error = refused("claim_limit_reached", lambda: coupon_claim(template=template, buyer=buyer))

    assert error.details == {"limit": 2}
    assert sorted(Coupon.objects.filter(buyer=buyer).values_list("seq", flat=True)) == [1, 2]
    template.refresh_from_db()
    assert template.remaining == 98


def test_a_refused_claim_takes_nothing_from_the_count():
    template = make_platform_coupon(per_buyer_limit=1, total_quantity=5)
    buyer = make_user()
    coupon_claim(template=template, buyer=buyer)

    refused("claim_limit_reached", lambda: coupon_claim(template=template, buyer=buyer))

    template.refresh_from_db()
    assert template.remaining == 4


def test_the_limit_counts_claims_not_coupons_still_held():
    template = make_platform_coupon(per_buyer_limit=1)
    buyer = make_user()
    coupon = coupon_claim(template=template, buyer=buyer)
    Coupon.objects.filter(pk=coupon.pk).update(state=CouponState.USED)

    refused("claim_limit_reached", lambda: coupon_claim(template=template, buyer=buyer))


def test_claims_before_the_window_opens_or_after_it_closes_are_refused():
    now = clock.now()
    template = make_platform_coupon(
        claim_starts_at=now + timedelta(hours=1), claim_ends_at=now + timedelta(days=1)
    )
    buyer = make_user()

    refused("claim_not_started", lambda: coupon_claim(template=template, buyer=buyer))
    clock.advance(timedelta(days=1))
    refused("claim_ended", lambda: coupon_claim(template=template, buyer=buyer))


def test_paused_and_stopped_coupons_cannot_be_claimed_and_resumed_ones_can():
    operator = make_operator()
    template = make_platform_coupon(by=operator)
    buyer = make_user()

    template_set_status(template=template, status="paused", by=operator)
    refused("coupon_not_active", lambda: coupon_claim(template=template, buyer=buyer))
    template_set_status(template=template, status="active", by=operator)
    coupon_claim(template=template, buyer=buyer)
    template_set_status(template=template, status="stopped", by=operator)
    refused(
        "invalid_transition",
        lambda: template_set_status(template=template, status="active", by=operator),
    )


def test_a_fixed_window_coupon_is_valid_for_the_templates_window_whenever_claimed():
    now = clock.now()
    template = make_platform_coupon(
        claim_ends_at=now + timedelta(days=2),
        valid_from=now + timedelta(days=1),
        valid_until=now + timedelta(days=3),
    )
    clock.advance(timedelta(hours=5))

    coupon = coupon_claim(template=template, buyer=make_user())

    assert (coupon.valid_from, coupon.valid_until) == (template.valid_from, template.valid_until)


def test_a_days_from_claim_coupon_is_valid_for_n_days_from_the_moment_it_is_claimed():
    template = make_platform_coupon(validity="days_from_claim", valid_days=3)
    clock.advance(timedelta(hours=5))

    coupon = coupon_claim(template=template, buyer=make_user())

    assert coupon.valid_from == clock.now()
    assert coupon.valid_until == clock.now() + timedelta(days=3)
    template.refresh_from_db()
    assert template.valid_from is None and template.valid_until is None


def test_a_coupon_past_its_end_counts_as_expired_before_the_sweeper_runs():
    template = make_platform_coupon(validity="days_from_claim", valid_days=1)
    buyer = make_user()
    coupon = coupon_claim(template=template, buyer=buyer)

    clock.advance(timedelta(days=1))

    assert coupon_state(coupon) == CouponState.EXPIRED
    assert list(coupons_of_buyer(buyer=buyer, state="available")) == []
    assert list(coupons_of_buyer(buyer=buyer, state="expired")) == [coupon]


def test_the_expiry_sweeper_marks_expired_coupons_once_and_is_harmless_twice():
    template = make_platform_coupon(validity="days_from_claim", valid_days=1)
    expiring = coupon_claim(template=template, buyer=make_user())
    clock.advance(timedelta(hours=12))
    later = coupon_claim(template=template, buyer=make_user())
    clock.advance(timedelta(hours=12))

    assert coupons_expire() == 1
    assert coupons_expire() == 0

    expiring.refresh_from_db()
    later.refresh_from_db()
    assert expiring.state == CouponState.EXPIRED
    assert later.state == CouponState.AVAILABLE


def test_stopping_a_coupon_leaves_claimed_ones_valid():
    operator = make_operator()
    template = make_platform_coupon(by=operator)
    buyer = make_user()
    coupon = coupon_claim(template=template, buyer=buyer)

    template_set_status(template=template, status="stopped", by=operator)

    assert list(coupons_of_buyer(buyer=buyer, state="available")) == [coupon]
    assert CouponTemplate.objects.get(pk=template.pk).status == "stopped"


def test_the_worker_runs_the_expiry_sweeper():
    import designmall.promotions.tasks  # noqa: F401  (registers it, as the worker does)
    from designmall.core.tasks import run_due_tasks

    coupon = coupon_claim(
        template=make_platform_coupon(validity="days_from_claim", valid_days=1), buyer=make_user()
    )
    clock.advance(timedelta(days=1))

    assert "promotions.coupons_expire" in run_due_tasks()

    coupon.refresh_from_db()
    assert coupon.state == CouponState.EXPIRED
