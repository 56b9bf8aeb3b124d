"""Real concurrent connections on PostgreSQL: a coupon's total quantity, the per-buyer limit
and a code's single use hold however many claims race.

The helpers' rule here is at most 20 connections at once, so 50 claims run on 20
connections released together (each connection claims again as soon as it is done)."""

from __future__ import annotations

import pytest
from django.db import transaction

from designmall.core.errors import Conflict
from designmall.promotions.models import Coupon, CouponTemplate, RedemptionCode
from designmall.promotions.services import (
    code_batch_create,
    coupon_claim,
    coupon_claim_by_code,
    coupons_lock,
    coupons_release,
)
from tests.concurrency import concurrently
from tests.factories import make_operator, make_user

from .conftest import make_platform_coupon

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 20


def outcomes(results: list) -> tuple[list, dict[str, int], list]:
    won = [r for r in results if isinstance(r, Coupon)]
    refusals: dict[str, int] = {}
    for r in results:
        if isinstance(r, Conflict):
            refusals[r.code] = refusals.get(r.code, 0) + 1
    other = [r for r in results if not isinstance(r, Coupon | Conflict)]
    return won, refusals, other


def test_50_buyers_claiming_the_last_10_coupons_get_exactly_10(on_postgres):
    template = make_platform_coupon(total_quantity=10, per_buyer_limit=1)
    buyers = [make_user() for _ in range(50)]

    results = concurrently(
        [lambda b=b: coupon_claim(template=template, buyer=b) for b in buyers], pool=CONNECTIONS
    )

    won, refusals, other = outcomes(results)
    assert other == []
    assert len(won) == 10
    assert refusals == {"coupon_sold_out": 40}
    assert CouponTemplate.objects.get(pk=template.pk).remaining == 0
    assert Coupon.objects.filter(template=template).count() == 10
    assert len({c.buyer_id for c in won}) == 10


def test_20_parallel_claims_by_one_buyer_with_a_limit_of_1_give_exactly_1(on_postgres):
    template = make_platform_coupon(total_quantity=100, per_buyer_limit=1)
    buyer = make_user()

    results = concurrently(
        [lambda: coupon_claim(template=template, buyer=buyer) for _ in range(20)],
        pool=CONNECTIONS,
    )

    won, refusals, other = outcomes(results)
    assert other == []
    assert len(won) == 1
    assert refusals == {"claim_limit_reached": 19}
    assert Coupon.objects.filter(template=template, buyer=buyer).count() == 1
    assert CouponTemplate.objects.get(pk=template.pk).remaining == 99


def test_20_parallel_claims_by_one_buyer_with_a_limit_of_3_give_exactly_3(on_postgres):
    template = make_platform_coupon(total_quantity=100, per_buyer_limit=3)
    buyer = make_user()

    results = concurrently(
        [lambda: coupon_claim(template=template, buyer=buyer) for _ in range(20)],
        pool=CONNECTIONS,
    )

    won, refusals, other = outcomes(results)
    assert other == []
    assert len(won) == 3
    assert refusals == {"claim_limit_reached": 17}
    assert sorted(Coupon.objects.filter(buyer=buyer).values_list("seq", flat=True)) == [1, 2, 3]
    assert CouponTemplate.objects.get(pk=template.pk).remaining == 97


def test_one_code_redeemed_by_20_buyers_at_once_gives_exactly_one_coupon(on_postgres):
    operator = make_operator()
    template = make_platform_coupon(by=operator, distribution="codes")
    code = code_batch_create(template=template, quantity=1, by=operator).codes.get()
    buyers = [make_user() for _ in range(20)]

    results = concurrently(
        [lambda b=b: coupon_claim_by_code(code=code.code, buyer=b) for b in buyers],
        pool=CONNECTIONS,
    )

    won, refusals, other = outcomes(results)
    assert other == []
    assert len(won) == 1
    assert refusals == {"code_already_claimed": 19}
    code = RedemptionCode.objects.get(pk=code.pk)
    assert (code.claimed_by_id, code.coupon_id) == (won[0].buyer_id, won[0].pk)


def test_one_buyer_redeeming_20_codes_at_once_with_a_limit_of_1_keeps_19_codes_unclaimed(
    on_postgres,
):
    operator = make_operator()
    template = make_platform_coupon(by=operator, per_buyer_limit=1)
    codes = list(code_batch_create(template=template, quantity=20, by=operator).codes.all())
    buyer = make_user()

    results = concurrently(
        [lambda c=c: coupon_claim_by_code(code=c.code, buyer=buyer) for c in codes],
        pool=CONNECTIONS,
    )

    won, refusals, other = outcomes(results)
    assert other == []
    assert len(won) == 1
    assert refusals == {"claim_limit_reached": 19}
    assert RedemptionCode.objects.filter(claimed_by__isnull=False).count() == 1


def test_20_parallel_checkouts_with_one_single_use_coupon_lock_it_once(on_postgres):
    template = make_platform_coupon()
    buyer = make_user()
    coupon = coupon_claim(template=template, buyer=buyer)

    def checkout(i: int):
        with transaction.atomic():
            return coupons_lock(buyer=buyer, coupon_ids=[coupon.pk], checkout_ref=f"checkout:{i}")

    results = concurrently([lambda i=i: checkout(i) for i in range(20)], pool=CONNECTIONS)

    assert results.count(1) == 1
    assert [r.code for r in results if isinstance(r, Conflict)] == ["coupon_unavailable"] * 19
    coupon.refresh_from_db()
    assert coupon.state == "locked"
    assert results[int(coupon.checkout_ref.split(":")[1])] == 1


def test_parallel_releases_of_one_checkout_give_its_coupon_back_once(on_postgres):
    template = make_platform_coupon()
    buyer = make_user()
    coupon = coupon_claim(template=template, buyer=buyer)
    coupons_lock(buyer=buyer, coupon_ids=[coupon.pk], checkout_ref="checkout:1")

    results = concurrently(
        [lambda: coupons_release(checkout_ref="checkout:1") for _ in range(10)], pool=10
    )

    assert sorted(results) == [0] * 9 + [1]
