"""Redemption codes (兑换码): generated in batches from the coupon's quantity, random and
unguessable, each claimed once."""

from __future__ import annotations

import pytest

from designmall.accounts.roles import Role
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.promotions.models import CouponState, RedemptionCode
from designmall.promotions.services import (
    CODE_ALPHABET,
    code_batch_create,
    coupon_claim,
    coupon_claim_by_code,
    normalize_code,
    template_set_status,
)
from tests.factories import make_operator, make_user

from .conftest import make_platform_coupon

pytestmark = pytest.mark.django_db


def test_a_batch_takes_its_codes_from_the_remaining_count():
    operator = make_operator()
    template = make_platform_coupon(by=operator, total_quantity=100, distribution="codes")

    batch = code_batch_create(template=template, quantity=40, by=operator)

    template.refresh_from_db()
    assert template.remaining == 60
    codes = list(batch.codes.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 40
    assert all(len(c) == 16 and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_a_batch_larger_than_what_is_left_is_refused_whole():
    operator = make_operator()
    template = make_platform_coupon(by=operator, total_quantity=10)
    coupon_claim(template=template, buyer=make_user())

    with pytest.raises(Conflict) as caught:
        code_batch_create(template=template, quantity=10, by=operator)

    assert caught.value.code == "coupon_sold_out"
    assert not RedemptionCode.objects.exists()


def test_only_operators_generate_codes_for_platform_coupons():
    template = make_platform_coupon()
    with pytest.raises(PermissionDenied):
        code_batch_create(template=template, quantity=1, by=make_user(role=Role.SELLER))


def test_a_code_gives_one_coupon_once():
    operator = make_operator()
    template = make_platform_coupon(by=operator, distribution="codes")
    code = code_batch_create(template=template, quantity=1, by=operator).codes.get()
    buyer = make_user()

    coupon = coupon_claim_by_code(code=code.printed.lower(), buyer=buyer)

    assert coupon.buyer == buyer and coupon.state == CouponState.AVAILABLE
    assert coupon.source == "code"
    code.refresh_from_db()
    assert (code.claimed_by, code.coupon) == (buyer, coupon)
    with pytest.raises(Conflict) as caught:
        coupon_claim_by_code(code=code.code, buyer=make_user())
    assert caught.value.code == "code_already_claimed"
    template.refresh_from_db()
    assert template.remaining == 99  # the code's coupon was counted when the batch was made


def test_a_code_over_the_buyers_limit_is_refused_and_stays_unclaimed():
    operator = make_operator()
    template = make_platform_coupon(by=operator, per_buyer_limit=1)
    first, second = code_batch_create(template=template, quantity=2, by=operator).codes.all()
    buyer = make_user()
    coupon_claim_by_code(code=first.code, buyer=buyer)

    with pytest.raises(Conflict) as caught:
        coupon_claim_by_code(code=second.code, buyer=buyer)

    assert caught.value.code == "claim_limit_reached"
    second.refresh_from_db()
    assert second.claimed_by is None
    coupon_claim_by_code(code=second.code, buyer=make_user())


def test_codes_of_a_stopped_coupon_are_refused():
    operator = make_operator()
    template = make_platform_coupon(by=operator)
    code = code_batch_create(template=template, quantity=1, by=operator).codes.get()
    template_set_status(template=template, status="stopped", by=operator)

    with pytest.raises(Conflict) as caught:
        coupon_claim_by_code(code=code.code, buyer=make_user())
    assert caught.value.code == "coupon_not_active"


def test_a_codes_only_coupon_cannot_be_claimed_publicly():
    template = make_platform_coupon(distribution="codes")
    with pytest.raises(Conflict) as caught:
        coupon_claim(template=template, buyer=make_user())
    assert caught.value.code == "coupon_codes_only"


def test_codes_are_read_forgivingly_and_unknown_or_malformed_ones_are_refused():
    assert normalize_code("abcd-efgh-jkmn-pq01") == "ABCDEFGHJKMNPQ01"
    assert normalize_code(" oooo iiii llll 0000 ") == "0000111111110000"
    with pytest.raises(ValidationFailed):
        normalize_code("ABCD-EFGH")
    with pytest.raises(ValidationFailed):
        normalize_code("ABCD-EFGH-JKMN-PQU1")  # U is not in the alphabet
    with pytest.raises(NotFound):
        coupon_claim_by_code(code="ABCD-EFGH-JKMN-PQ01", buyer=make_user())
