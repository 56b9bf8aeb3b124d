"""Helpers of the booth pickup tests: a booth open all of today's day, a visit, an order
picked up at the booth and paid."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from designmall.core import clock
from designmall.o2o import pickup, services
from designmall.o2o.redemption_models import Redeemable, ShopStaff
from designmall.orders.models import Order
from tests.factories import make_operator, make_product, make_shop, make_user, make_venue
from tests.orders.conftest import pay


def local_noon() -> datetime:
    """Today at noon, local time: the booths below are open then."""
    today = timezone.localtime(clock.now()).date()
    return timezone.make_aware(datetime.combine(today, time(12, 0)))


def open_booth(shop=None, number="A12", opens_at=time(9, 0), closes_at=time(20, 0)):
    """A booth of ``shop`` open from yesterday to tomorrow, 09:00 to 20:00 (by default)."""
    today = timezone.localtime(clock.now()).date()
    return services.booth_assign(
        by=make_operator(),
        shop=shop or make_shop(),
        venue=make_venue(),
        number=number,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=1),
        opens_at=opens_at,
        closes_at=closes_at,
    )


def visit(booth, buyer=None, visitor_id=None):
    return services.scan_record(booth=booth, exhibit=None, user=buyer, visitor_id=visitor_id)


def booth_order(*, booth=None, units=3, buyer=None, paid=True, lines=None):
    """A buyer visits ``booth`` and buys ``units`` of one product of its shop for pickup
    there; returns (order, redeemable)."""
    booth = booth or open_booth()
    buyer = buyer or make_user()
    if lines is None:
        product = make_product(shop=booth.shop, skus=[(10_000, 50)])
        lines = [(product.skus.get().public_id, units)]
    visit(booth, buyer)
    checkout = pickup.booth_pickup_checkout(
        buyer=buyer, visitor_id=None, booth=booth.public_id, lines=lines
    )
    if paid:
        pay(checkout)
    order = Order.objects.select_related("shop").get(checkout=checkout, shop=booth.shop)
    return order, Redeemable.objects.get(order=order)


def staff_of(shop):
    member = make_user()
    ShopStaff.objects.create(shop=shop, user=member, created_at=clock.now())
    return member
