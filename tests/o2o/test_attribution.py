"""Attribution stored on each order by the sweeper: offline from the buyer's last scan of
the shop within the window, else online; once per order, however often it runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.o2o import services, tasks
from designmall.o2o.models import OrderAttribution, OrderSource
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Order
from tests.factories import make_product, make_shop, make_user
from tests.o2o.test_booths import assign
from tests.orders.conftest import ADDRESS

pytestmark = pytest.mark.django_db


def _order(buyer, product) -> Order:
    checkout = checkout_create(
        buyer=buyer,
        lines=[(product.skus.get().public_id, 1)],
        delivery="address",
        address=ADDRESS,
    )
    return Order.objects.get(checkout=checkout)


def test_orders_are_attributed_to_the_last_scan_within_the_window_once():
    shop = make_shop()
    booth = assign(shop=shop)
    product = make_product(shop=shop, skus=[(12_900, 10)])
    item = services.exhibit_create(
        booth=booth, by=shop.owner, kind="product", product=product.public_id
    )
    scanner, late, stranger = make_user(), make_user(), make_user()
    start = clock.now()
    clock.set_frozen(start - timedelta(days=2))
    services.scan_record(booth=booth, exhibit=item, user=scanner, visitor_id=None)
    clock.set_frozen(start - timedelta(days=8))
    services.scan_record(booth=booth, exhibit=None, user=late, visitor_id=None)
    clock.set_frozen(start)
    offline, too_late, online = (_order(u, product) for u in (scanner, late, stranger))
    assert tasks.orders_attribute() == 3
    assert tasks.orders_attribute() == 0  # nothing left: a second run changes nothing
    stored = {a.order_id: a for a in OrderAttribution.objects.all()}
    assert stored[offline.pk].source == OrderSource.OFFLINE
    assert (stored[offline.pk].booth, stored[offline.pk].exhibit) == (booth, item)
    assert stored[offline.pk].window_days == 7
    assert stored[too_late.pk].source == OrderSource.ONLINE
    assert stored[online.pk].source == OrderSource.ONLINE and stored[online.pk].booth is None
    # The first answer stands even after the visitor clears their scans.
    services.scans_clear(user=scanner, visitor_id=None)
    assert services.order_attribute(order=offline).source == OrderSource.OFFLINE
