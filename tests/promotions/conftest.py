"""Coupons under test: a frozen clock and builders for coupon templates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from designmall.core import clock
from designmall.promotions.services import platform_coupon_create, shop_coupon_create
from tests.api.conftest import anon, api_as, buyer  # noqa: F401  (the API tests' fixtures)
from tests.factories import make_operator


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.set_frozen(timezone.now().replace(microsecond=0))
    yield
    clock.reset()


def coupon_values(**values) -> dict:
    """A 满¥100减¥20 coupon claimable now for a week, valid for that week, 100 of them."""
    now = clock.now()
    return {
        "name_zh": "设计周满减券",
        "name_en": "Design Week coupon",
        "kind": "spend_off",
        "threshold_fen": 10_000,
        "off_fen": 2_000,
        "claim_starts_at": now,
        "claim_ends_at": now + timedelta(days=7),
        "validity": "fixed",
        "valid_from": now,
        "valid_until": now + timedelta(days=7),
        "total_quantity": 100,
        "per_buyer_limit": 1,
        **values,
    }


def make_platform_coupon(*, by=None, **values):
    return platform_coupon_create(by=by or make_operator(), **coupon_values(**values))


def make_shop_coupon(*, shop, **values):
    return shop_coupon_create(by=shop.owner, shop=shop, **coupon_values(**values))
