"""The demo week's coupons: platform and shop coupons claimable around the day the demo is
built, a redemption-code batch, and the demo buyer holding some of them."""

from __future__ import annotations

import pytest

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.demo.accounts import DEMO_EMAIL_DOMAIN
from designmall.demo.programme import BUYER_EMAIL
from designmall.promotions.models import CodeBatch, Coupon, CouponState, CouponTemplate
from designmall.promotions.selectors import coupons_of_buyer, templates_claimable
from designmall.promotions.services import coupon_claim_by_code

pytestmark = pytest.mark.django_db


def test_the_demo_has_platform_and_shop_coupons_claimable_now(seeded):
    claimable = list(templates_claimable())
    issuers = {t.issuer for t in claimable}
    assert issuers == {"platform", "shop"}
    kinds = {t.kind for t in CouponTemplate.objects.all()}
    assert kinds == {"spend_off", "amount_off", "percent_off"}
    now = clock.now()
    assert all(t.claim_starts_at <= now < t.claim_ends_at for t in claimable)


def test_the_demo_has_a_code_batch_of_a_codes_only_coupon(seeded):
    batch = CodeBatch.objects.select_related("template").get()
    assert batch.template.distribution == "codes"
    assert batch.codes.count() == batch.quantity
    assert batch.codes.filter(claimed_by__isnull=False).count() == 1


def test_the_demo_buyer_holds_claimed_coupons_usable_now(seeded):
    held = Coupon.objects.filter(buyer__email=BUYER_EMAIL)
    assert held.count() >= 3
    assert {c.source for c in held} == {"claim", "code"}
    buyer = held.first().buyer
    assert coupons_of_buyer(buyer=buyer, state=CouponState.AVAILABLE).count() == held.count()


def test_another_code_of_the_batch_is_the_new_sellers_to_redeem_not_the_buyers(seeded):
    # What the README tells a newcomer: the buyer already holds the batch's one per person.
    batch = CodeBatch.objects.get()
    code = batch.codes.filter(claimed_by__isnull=True).first().code
    buyer = User.objects.get(email=BUYER_EMAIL)
    with pytest.raises(Conflict):
        coupon_claim_by_code(code=code, buyer=buyer)
    newseller = User.objects.get(email=f"newseller@{DEMO_EMAIL_DOMAIN}")
    assert coupon_claim_by_code(code=code.lower(), buyer=newseller).source == "code"
