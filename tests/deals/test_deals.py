"""Flash deals end to end on both admission paths: scheduling sets units aside, buying,
the per-buyer limit, sold out, paying, expiry and cancellation, settling after the end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from designmall.core import clock
from designmall.core.errors import Conflict, PermissionDenied
from designmall.inventory.models import StockHold, StockLevel
from designmall.inventory.selectors import stock_verify
from designmall.orders.models import CheckoutStatus, OrderStatus
from designmall.orders.services import checkout_cancel
from designmall.orders.tasks import checkouts_expire
from designmall.promotions.deals import (
    deal_buy,
    deal_cancel,
    deal_settle,
    deal_units_left,
    phase,
)
from designmall.promotions.models import Deal, DealTicket, TicketStatus
from designmall.promotions.tasks import deals_settle_task
from tests.factories import make_user
from tests.orders.conftest import ADDRESS, pay

from .conftest import schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(timezone.now().replace(microsecond=0))
    yield
    clock.reset()


def later(**delta):
    clock.set_frozen(clock.now() + timedelta(**delta))


def level(sku) -> StockLevel:
    return StockLevel.objects.get(sku=sku)


def buy(buyer, deal, **kw):
    return deal_buy(buyer=buyer, deal=deal.public_id, delivery="address", address=ADDRESS, **kw)


def test_scheduling_sets_the_units_aside_from_stock(store, path):
    deal = schedule(store.lamp, quantity=3)
    assert level(store.lamp).available == 2
    assert level(store.lamp).held == 3
    assert StockHold.objects.get(owner_ref=deal.owner_ref).quantity == 3
    assert deal_units_left(deal) == 3


def test_only_operators_schedule_and_stock_must_cover_it(store, path, buyer):
    with pytest.raises(PermissionDenied):
        schedule(store.lamp, by=buyer)
    with pytest.raises(Conflict) as refused:
        schedule(store.lamp, quantity=6)
    assert refused.value.code == "out_of_stock"
    assert level(store.lamp).available == 5


def test_a_deal_order_is_an_order_of_the_shop_at_the_deal_price(store, path, buyer):
    deal = schedule(store.lamp, quantity=3, price_fen=9_900)
    checkout = buy(buyer, deal)
    order = checkout.orders.get()
    assert order.shop == store.shop_a
    line = order.lines.get()
    assert (line.sku_id, line.unit_price_fen, line.quantity) == (store.lamp.pk, 9_900, 1)
    assert order.total_fen == 9_900 + 1_500  # the usual shipping rule
    assert checkout.expires_at == clock.now() + timedelta(minutes=5)
    assert deal_units_left(deal) == 2
    ticket = DealTicket.objects.get(checkout=checkout)
    assert (ticket.status, ticket.slot is not None, ticket.seq) == ("pending", True, 1)


def test_a_deal_orders_line_keeps_the_title_in_both_languages(store, path, buyer):
    deal = schedule(store.lamp, title_zh="纸灯笼台灯", title_en="Paper Lantern Lamp")
    line = buy(buyer, deal).orders.get().lines.get()
    assert (line.product_title_zh, line.product_title_en) == ("纸灯笼台灯", "Paper Lantern Lamp")


def test_the_per_buyer_limit_and_sold_out(store, path, buyer):
    deal = schedule(store.lamp, quantity=2)
    buy(buyer, deal)
    with pytest.raises(Conflict) as refused:
        buy(buyer, deal)
    assert refused.value.code == "deal_limit_reached"
    buy(make_user(), deal)
    with pytest.raises(Conflict) as refused:
        buy(make_user(), deal)
    assert refused.value.code == "deal_sold_out"
    deal.refresh_from_db()
    assert phase(deal) == "sold_out"
    assert DealTicket.objects.filter(deal=deal).count() == 2


def test_a_limit_of_two_lets_a_buyer_take_two(store, path, buyer):
    deal = schedule(store.lamp, quantity=3, per_buyer_limit=2)
    buy(buyer, deal)
    buy(buyer, deal)
    with pytest.raises(Conflict) as refused:
        buy(buyer, deal)
    assert refused.value.code == "deal_limit_reached"


def test_before_the_start_and_after_the_end(store, path, buyer):
    deal = schedule(store.lamp, starts_in=600)
    assert phase(deal) == "upcoming"
    with pytest.raises(Conflict) as refused:
        buy(buyer, deal)
    assert refused.value.code == "deal_not_started"
    later(seconds=600)
    assert phase(deal) == "live"
    later(seconds=3600)
    assert phase(deal) == "ended"
    with pytest.raises(Conflict) as refused:
        buy(buyer, deal)
    assert refused.value.code == "deal_ended"


def test_paying_sells_the_unit_out_of_the_deal(store, path, buyer):
    deal = schedule(store.lamp, quantity=3)
    checkout = buy(buyer, deal)
    assert pay(checkout) == "credited"
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert checkout.orders.get().status == OrderStatus.PAID
    assert DealTicket.objects.get(checkout=checkout).status == TicketStatus.PAID
    stock = level(store.lamp)
    assert (stock.available, stock.held, stock.sold) == (2, 2, 1)
    assert StockHold.objects.get(owner_ref=deal.owner_ref, status="held").quantity == 2
    assert stock_verify() == []


def test_an_unpaid_deal_order_expires_and_its_unit_goes_back_to_the_deal(
    store, path, buyer, django_capture_on_commit_callbacks
):
    deal = schedule(store.lamp, quantity=1)
    checkout = buy(buyer, deal)
    assert deal_units_left(deal) == 0
    later(minutes=5, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):  # Redis hears after the commit
        checkouts_expire()
        checkouts_expire()  # idempotent
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.EXPIRED
    assert DealTicket.objects.get(checkout=checkout).status == TicketStatus.RELEASED
    deal.refresh_from_db()
    assert deal_units_left(deal) == 1
    assert level(store.lamp).held == 1  # still the deal's
    again = buy(buyer, deal)  # the limit came back with the unit
    assert again.pk != checkout.pk


def test_the_buyer_cancels_and_the_unit_goes_back(
    store, path, buyer, django_capture_on_commit_callbacks
):
    deal = schedule(store.lamp, quantity=1)
    checkout = buy(buyer, deal)
    with django_capture_on_commit_callbacks(execute=True):
        checkout_cancel(checkout=checkout, by=buyer)
    deal.refresh_from_db()
    assert deal_units_left(deal) == 1
    assert DealTicket.objects.get(checkout=checkout).status == TicketStatus.RELEASED


def test_settling_after_the_end_returns_the_unsold_units_exactly_once(store, path, buyer):
    deal = schedule(store.lamp, quantity=4)
    paid = buy(buyer, deal)
    pay(paid)
    pending = buy(make_user(), deal)
    later(hours=1)
    assert deals_settle_task() == 1
    assert deal_settle(deal=Deal.objects.get(pk=deal.pk)) is False
    deals_settle_task()
    stock = level(store.lamp)
    # 5 in stock, 4 set aside: 1 sold, 1 still held by the unpaid order, 2 back on sale.
    assert (stock.available, stock.held, stock.sold) == (3, 1, 1)
    later(minutes=10)
    checkouts_expire()
    pending.refresh_from_db()
    assert pending.status == CheckoutStatus.EXPIRED
    stock = level(store.lamp)
    assert (stock.available, stock.held, stock.sold) == (4, 0, 1)
    assert not StockHold.objects.filter(owner_ref=deal.owner_ref, status="held").exists()
    assert stock_verify() == []


def test_a_pending_order_paid_after_the_end_is_sold(store, path, buyer):
    deal = schedule(store.lamp, quantity=2)
    checkout = buy(buyer, deal)
    later(minutes=60, seconds=-30)
    later(seconds=31)
    deal_settle(deal=Deal.objects.get(pk=deal.pk))
    # Within its 5 minutes? The hold started an hour ago: it expired; pay a fresh one.
    assert checkout.expires_at < clock.now()
    stock = level(store.lamp)
    assert stock.held == 1 and stock.available == 4


def test_cancelling_a_deal_stops_buying_and_returns_its_units(store, path, buyer, operator):
    deal = schedule(store.lamp, quantity=3)
    buy(buyer, deal)
    deal = deal_cancel(deal=deal, by=operator, reason="供货问题")
    assert phase(deal) == "cancelled"
    assert deal.settled_at is not None
    with pytest.raises(Conflict) as refused:
        buy(make_user(), deal)
    assert refused.value.code == "deal_ended"
    stock = level(store.lamp)
    assert (stock.available, stock.held) == (4, 1)


def test_an_idempotency_key_answers_the_first_order_again(store, path, buyer):
    deal = schedule(store.lamp, quantity=3)
    first = buy(buyer, deal, idempotency_key="deal-key-1")
    again = buy(buyer, deal, idempotency_key="deal-key-1")
    assert again.pk == first.pk and again.replayed
    assert DealTicket.objects.filter(deal=deal).count() == 1
    deal.refresh_from_db()
    assert deal_units_left(deal) == 2
