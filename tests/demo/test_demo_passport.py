"""The demo's passport: three routes over the demo booths with a coupon, a lecture seat and
a gift reward; the demo buyer is one stamp (the demo seller's booth) from the first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from designmall.accounts.models import User
from designmall.core import clock
from designmall.demo.accounts import SELLER_EMAIL
from designmall.demo.programme import BUYER_EMAIL
from designmall.o2o import passport
from designmall.o2o.passport_models import Route, Stamp
from designmall.promotions.models import Coupon

from .conftest import TEST_SEED

pytestmark = pytest.mark.django_db


def test_the_demo_buyer_completes_the_first_route_at_the_demo_sellers_booth():
    clock.set_frozen(datetime(2026, 12, 5, 11, 48, tzinfo=ZoneInfo("Asia/Shanghai")))
    call_command("seed", products=300, seed=TEST_SEED, verbosity=0)
    routes = list(Route.objects.prefetch_related("rewards", "booths"))
    assert len(routes) == 3
    assert {r.kind for route in routes for r in route.rewards.all()} == {"coupon", "seat", "gift"}
    buyer = User.objects.get(email=BUYER_EMAIL)
    assert Stamp.objects.filter(passport__user=buyer).count() == 3
    glass = routes[0]
    (seller_booth,) = [b for b in glass.booths.all() if b.shop.owner.email == SELLER_EMAIL]
    result = passport.booth_stamp(
        user=buyer,
        booth_code=seller_booth.code,
        token=passport.booth_code_now(seller_booth).token,
    )
    assert result.completed == [glass]
    (grant,) = result.grants
    assert Coupon.objects.filter(buyer=buyer, pk=grant.coupon_id).exists()
    call_command("seed", products=300, seed=TEST_SEED, reset=True, verbosity=0)
    assert Route.objects.count() == 3
