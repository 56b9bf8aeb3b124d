"""Who sees which order: buyers their own, sellers their shops' (once paid), the venue
the orders waiting for pickup; anyone else gets 404. Ids are not guessable."""

from __future__ import annotations

import pytest

from designmall.core.errors import NotFound
from designmall.core.ids import looks_like_public_id
from designmall.orders.selectors import (
    checkout_for_buyer,
    order_for_buyer,
    order_for_pickup,
    order_for_seller,
    orders_for_buyer,
    orders_for_seller,
)
from designmall.orders.services import order_ready_for_pickup
from tests.orders.conftest import buy, orders_of, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1))
    pay(checkout)
    return checkout


def test_ids_are_random_public_ids(paid):
    ids = [paid.public_id, *(o.public_id for o in orders_of(paid))]
    assert all(looks_like_public_id(i) for i in ids)
    assert paid.public_id.startswith("co_")


def test_a_buyer_sees_only_their_own_orders(paid, buyer, other_buyer):
    order_a, _ = orders_of(paid)

    assert {o.pk for o in orders_for_buyer(user=buyer)} == {o.pk for o in orders_of(paid)}
    assert list(orders_for_buyer(user=other_buyer)) == []
    assert order_for_buyer(user=buyer, public_id=order_a.public_id) == order_a
    with pytest.raises(NotFound):
        order_for_buyer(user=other_buyer, public_id=order_a.public_id)
    with pytest.raises(NotFound):
        checkout_for_buyer(user=other_buyer, public_id=paid.public_id)
    assert checkout_for_buyer(user=buyer, public_id=paid.public_id) == paid


def test_a_seller_sees_only_their_shops_orders(paid, store):
    order_a, order_b = orders_of(paid)

    assert list(orders_for_seller(user=store.shop_a.owner)) == [order_a]
    assert order_for_seller(user=store.shop_a.owner, public_id=order_a.public_id) == order_a
    with pytest.raises(NotFound):
        order_for_seller(user=store.shop_a.owner, public_id=order_b.public_id)


def test_a_buyer_is_not_a_seller_of_their_order(paid, buyer):
    order_a, _ = orders_of(paid)
    with pytest.raises(NotFound):
        order_for_seller(user=buyer, public_id=order_a.public_id)


def test_sellers_do_not_see_unpaid_orders(store, buyer):
    buy(buyer, (store.lamp, 1))
    assert list(orders_for_seller(user=store.shop_a.owner)) == []


def test_buyer_orders_can_be_filtered_by_status(paid, store, buyer):
    buy(buyer, (store.lamp, 1))
    assert orders_for_buyer(user=buyer, status="pending_payment").count() == 1
    assert orders_for_buyer(user=buyer, status="paid").count() == 2


@pytest.fixture
def waiting(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")
    pay(checkout)
    (order,) = orders_of(checkout)
    return order_ready_for_pickup(order=order, by=store.shop_a.owner)


def test_the_order_waiting_at_the_venue_is_found_by_its_code(waiting, store, venue_staff):
    code = waiting.pickup_code_display.lower()
    assert order_for_pickup(user=store.shop_a.owner, code=code) == waiting
    assert order_for_pickup(user=venue_staff, code=code) == waiting


def test_a_pickup_code_finds_nothing_for_another_seller_or_a_wrong_code(waiting, store, buyer):
    with pytest.raises(NotFound):
        order_for_pickup(user=store.shop_b.owner, code=waiting.pickup_code)
    with pytest.raises(NotFound):
        order_for_pickup(user=buyer, code=waiting.pickup_code)
    with pytest.raises(NotFound):
        order_for_pickup(user=store.shop_a.owner, code="not a code")
