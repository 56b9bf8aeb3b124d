"""Scans and attribution: recorded per visitor, anonymous scans merged at login, history seen
and cleared, and an order attributed to the last scan of the shop within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from designmall.core import clock
from designmall.o2o import rules, selectors, services
from designmall.o2o.models import ScanVisit
from tests.factories import PASSWORD, make_shop, make_user
from tests.o2o.test_booths import assign

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def touch(ref, at, shop=1, booth=1, exhibit=None):
    return rules.Touch(ref, at, shop, booth, exhibit)


def test_last_touch_takes_the_latest_scan_of_the_shop_inside_the_window():
    touches = [
        touch(1, T0 - timedelta(days=8)),  # outside
        touch(2, T0 - timedelta(days=3), booth=2),
        touch(3, T0 - timedelta(days=1), booth=3),  # last touch
        touch(4, T0 - timedelta(hours=1), shop=2),  # another shop
        touch(5, T0 + timedelta(minutes=1)),  # after the order
    ]
    assert rules.last_touch(touches, shop=1, ordered_at=T0, window=WEEK).ref == 3
    assert rules.last_touch(touches[:1], shop=1, ordered_at=T0, window=WEEK) is None
    edge = [touch(9, T0 - WEEK)]
    assert rules.last_touch(edge, shop=1, ordered_at=T0, window=WEEK).ref == 9
    assert rules.last_touch(touches, shop=3, ordered_at=T0, window=WEEK) is None


def _exhibit(booth, title="作品"):
    return services.exhibit_create(booth=booth, by=booth.shop.owner, kind="shown", title_zh=title)


def test_attribution_inside_and_outside_the_window_last_touch():
    shop = make_shop()
    first, second = assign(shop=shop, number="A1"), assign(shop=shop, number="A2")
    buyer = make_user()
    clock.set_frozen(T0 - timedelta(days=9))
    services.scan_record(booth=first, exhibit=None, user=buyer, visitor_id=None)
    clock.set_frozen(T0)
    assert selectors.attribution_for(user=buyer, shop=shop, at=T0) is None  # 9 days: online
    clock.set_frozen(T0 - timedelta(days=2))
    item = _exhibit(first)
    services.scan_record(booth=first, exhibit=item, user=buyer, visitor_id=None)
    clock.set_frozen(T0 - timedelta(days=1))
    services.scan_record(booth=second, exhibit=None, user=buyer, visitor_id=None)
    found = selectors.attribution_for(user=buyer, shop=shop, at=T0)
    assert (found.booth, found.exhibit) == (second, None)
    earlier = selectors.attribution_for(user=buyer, shop=shop, at=T0 - timedelta(days=1, hours=1))
    assert earlier.exhibit == item
    assert selectors.attribution_for(user=buyer, shop=make_shop(), at=T0) is None


def test_a_repeat_within_a_minute_is_one_scan_and_strangers_are_not_recorded():
    booth = assign()
    buyer = make_user()
    assert services.scan_record(booth=booth, exhibit=None, user=buyer, visitor_id=None)
    assert services.scan_record(booth=booth, exhibit=None, user=buyer, visitor_id=None) is None
    assert services.scan_record(booth=booth, exhibit=None, user=None, visitor_id="") is None
    clock.set_frozen(clock.now() + timedelta(seconds=61))
    assert services.scan_record(booth=booth, exhibit=None, user=buyer, visitor_id=None)


def test_an_anonymous_scan_is_merged_into_the_account_at_login(client):
    booth = assign()
    item = _exhibit(booth)
    buyer = make_user(email="visitor@example.com")
    assert client.get(f"/o/e/{item.code}/").status_code == 200
    scan = ScanVisit.objects.get()
    assert scan.user is None and scan.visitor_id and scan.exhibit == item
    response = client.post(
        reverse("storefront:login"), {"identifier": "visitor@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    scan.refresh_from_db()
    assert scan.user == buyer
    found = selectors.attribution_for(user=buyer, shop=booth.shop, at=clock.now())
    assert found == scan


def test_a_visitor_sees_and_clears_their_own_scan_history(client):
    booth = assign()
    buyer, other = make_user(), make_user()
    services.scan_record(booth=booth, exhibit=None, user=other, visitor_id=None)
    client.force_login(buyer)
    client.get(f"/o/b/{booth.code}/")
    page = client.get(reverse("storefront:show_my_scans"))
    assert page.status_code == 200 and b'data-scans="1"' in page.content
    client.post(reverse("storefront:show_my_scans"))
    assert not ScanVisit.objects.filter(user=buyer).exists()
    assert ScanVisit.objects.filter(user=other).count() == 1  # others' stay
