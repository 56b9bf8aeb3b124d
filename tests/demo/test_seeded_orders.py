"""The seeded demo's people and pictures: the demo buyer and seller have orders in every
state, designers have drawn portraits and every auction lot has pictures."""

import pytest
from django.core.files.storage import default_storage

from designmall.auctions.models import Lot
from designmall.catalog.models import Designer
from designmall.core.models import AuditEvent, Job
from designmall.demo.accounts import SELLER_EMAIL
from designmall.demo.orders import BUYER_EMAIL, STATES
from designmall.demo.services import catalog_wipe
from designmall.orders.models import AfterSalesRequest, AfterSalesStatus, Order, OrderStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_the_demo_buyer_has_an_order_in_every_state_at_the_demo_sellers_shop():
    orders = Order.objects.filter(buyer__email=BUYER_EMAIL)
    # Besides these, the show's booth pickups (demo.o2o_pickup: tests/demo/test_demo_pickup).
    assert orders.filter(redeemable__isnull=True).count() == len(STATES)
    assert set(orders.values_list("shop__owner__email", flat=True)) == {SELLER_EMAIL}
    statuses = set(orders.values_list("status", flat=True))
    assert {
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,  # received: completed at once, the seller paid
        OrderStatus.READY_FOR_PICKUP,
        OrderStatus.REFUNDED,
        OrderStatus.CANCELLED,
    } <= statuses
    request = AfterSalesRequest.objects.get(order__buyer__email=BUYER_EMAIL)
    assert request.status == AfterSalesStatus.REQUESTED  # the seller's to answer


def test_the_orders_are_spread_over_the_past_days():
    placed = sorted(Order.objects.values_list("created_at", flat=True))
    assert (placed[-1] - placed[0]).days >= 5


def test_designers_have_drawn_portraits_and_lots_have_pictures():
    portraits = set(Designer.objects.values_list("portrait", flat=True))
    assert "" not in portraits
    assert all(name.startswith("demo/designers/portrait-") for name in portraits)
    assert all(default_storage.exists(name) for name in portraits)
    for lot in Lot.objects.prefetch_related("images"):
        names = [image.image.name for image in lot.images.all()]
        assert names, lot.title_zh
        assert all(default_storage.exists(name) for name in names)
        if lot.product_id is None:
            assert names[0].startswith("demo/lots/sketch-")


def test_a_reset_wipes_the_demo_orders_with_the_catalog():
    """Last in the module: the catalog wipe takes the demo's orders and money with it."""
    catalog_wipe()
    assert not Order.objects.exists()
    assert not Job.objects.filter(name__startswith="payments.").exists()
    assert not AuditEvent.objects.filter(action="checkout.created").exists()
