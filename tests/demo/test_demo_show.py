"""The demo's show: booths for dozens of approved shops in the week's venues, each with
exhibits of its own shop, the demo seller's among them; a rebuild wipes them first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from designmall.catalog.models import ShopStatus
from designmall.core import clock
from designmall.demo.accounts import SELLER_EMAIL
from designmall.events.week import week_dates
from designmall.o2o import selectors
from designmall.o2o.models import Booth, Exhibit

from .conftest import TEST_SEED

pytestmark = pytest.mark.django_db


def test_the_demo_week_has_booths_with_exhibits_in_its_venues():
    clock.set_frozen(datetime(2026, 12, 5, 11, 48, tzinfo=ZoneInfo("Asia/Shanghai")))
    call_command("seed", products=300, seed=TEST_SEED, verbosity=0)
    booths = list(Booth.objects.select_related("shop__owner", "venue"))
    assert len(booths) >= 24
    assert {b.shop.status for b in booths} == {ShopStatus.APPROVED}
    assert len({b.venue_id for b in booths}) > 1
    assert len({(b.venue_id, b.number) for b in booths}) == len(booths)
    week = week_dates()
    assert all((b.opens_on, b.closes_on) == (week.starts_on, week.ends_on) for b in booths)
    assert any(b.shop.owner.email == SELLER_EMAIL for b in booths)
    exhibits = list(Exhibit.objects.select_related("booth", "product", "lot"))
    assert len(exhibits) >= len(booths)
    assert {e.kind for e in exhibits} == {"product", "lot", "shown"}
    for exhibit in exhibits:
        source = exhibit.product or exhibit.lot
        assert source is None or source.shop_id == exhibit.booth.shop_id
    assert selectors.exhibit_by_code(exhibits[0].code) == exhibits[0]
    call_command("seed", products=300, seed=TEST_SEED, reset=True, verbosity=0)
    assert Booth.objects.count() == len(booths)
