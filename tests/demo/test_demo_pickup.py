"""The demo's booth pickups: the demo buyer's orders at the demo seller's booth, one
waiting, one partly redeemed, one collected and settled; a rebuild wipes them first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from designmall.core import clock
from designmall.demo.accounts import SELLER_EMAIL
from designmall.o2o.redemption_models import Redeemable
from designmall.orders.models import OrderStatus

from .conftest import TEST_SEED

pytestmark = pytest.mark.django_db


def test_the_demo_has_booth_pickups_waiting_partly_redeemed_and_settled():
    clock.set_frozen(datetime(2026, 12, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    call_command("seed", products=300, seed=TEST_SEED, verbosity=0)
    call_command("seed", products=300, seed=TEST_SEED, reset=True, verbosity=0)  # wipes first

    pickups = list(Redeemable.objects.select_related("order", "booth__shop__owner"))
    assert len(pickups) == 3
    assert {p.booth.shop.owner.email for p in pickups} == {SELLER_EMAIL}
    progress = sorted(
        (sum(i.redeemed for i in p.items.all()), sum(i.quantity for i in p.items.all()))
        for p in pickups
    )
    assert progress == [(0, 1), (1, 1), (2, 3)]
    statuses = {p.order.status for p in pickups}
    assert statuses == {OrderStatus.PAID, OrderStatus.READY_FOR_PICKUP, OrderStatus.COMPLETED}
