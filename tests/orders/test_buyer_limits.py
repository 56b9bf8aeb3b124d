"""What one buyer may hold and buy (orders.buyerlimits): a cap on unpaid checkouts and
the units they hold, and the sellers' per-buyer purchase limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Checkout
from designmall.orders.services import order_cancel
from tests.factories import make_product
from tests.orders.conftest import available, buy, orders_of, pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _caps(settings):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 2
    settings.ORDER_MAX_UNPAID_UNITS = 6


def refused(buyer, *lines, **kwargs) -> Conflict:
    with pytest.raises(Conflict) as caught:
        buy(buyer, *lines, **kwargs)
    return caught.value


# --- unpaid holds -----------------------------------------------------------------------


def test_a_buyer_cannot_hold_more_unpaid_checkouts_than_the_cap(store, buyer):
    buy(buyer, (store.cup, 1))
    buy(buyer, (store.cup, 1))

    error = refused(buyer, (store.cup, 1))

    assert error.code == "too_many_unpaid_checkouts"
    assert error.details == {"unpaid_checkouts": 2, "max_unpaid_checkouts": 2}
    assert Checkout.objects.filter(buyer=buyer).count() == 2
    assert available(store.cup) == 8  # the refused one held nothing


def test_a_buyer_cannot_hold_more_units_unpaid_than_the_cap(store, buyer):
    buy(buyer, (store.cup, 4))

    error = refused(buyer, (store.plate, 3))

    assert error.code == "too_many_units_held"
    assert error.details == {"held_units": 4, "requested": 3, "max_unpaid_units": 6}
    assert buy(buyer, (store.plate, 2))  # up to the cap is fine


def test_the_cap_is_per_buyer(store, buyer, other_buyer):
    buy(buyer, (store.cup, 1))
    buy(buyer, (store.cup, 1))

    assert buy(other_buyer, (store.cup, 1))


def test_paid_checkouts_do_not_count_as_held(store, buyer):
    first = buy(buyer, (store.cup, 3))
    pay(first)
    buy(buyer, (store.cup, 3))

    assert buy(buyer, (store.plate, 3))


def test_checkouts_whose_hold_expired_do_not_count_even_before_the_sweeper(store, buyer):
    buy(buyer, (store.cup, 1))
    buy(buyer, (store.cup, 1))

    clock.advance(timedelta(minutes=16))

    assert buy(buyer, (store.cup, 1))


def test_a_cancelled_checkout_frees_its_place(store, buyer):
    first = buy(buyer, (store.cup, 1))
    buy(buyer, (store.cup, 1))
    for order in orders_of(first):
        order_cancel(order=order, by=buyer, reason="changed my mind")

    assert buy(buyer, (store.cup, 1))


def test_a_retry_of_the_last_checkout_at_the_cap_still_answers_it(store, buyer):
    buy(buyer, (store.cup, 1))
    second = buy(buyer, (store.cup, 1), idempotency_key="k-2")

    again = buy(buyer, (store.cup, 1), idempotency_key="k-2")

    assert again.pk == second.pk


def test_no_cap_when_the_settings_are_zero(store, buyer, settings):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 0
    settings.ORDER_MAX_UNPAID_UNITS = 0
    for _ in range(4):
        buy(buyer, (store.cup, 2))
    assert Checkout.objects.filter(buyer=buyer).count() == 4


# --- per-buyer purchase limits ----------------------------------------------------------


@pytest.fixture
def limited(store):
    """A product of shop B sold at most 3 per buyer, in two SKUs."""
    return make_product(shop=store.shop_b, skus=[(9_900, 20), (11_900, 20)], per_buyer_limit=3)


def test_a_checkout_beyond_the_per_buyer_limit_is_refused(limited, buyer):
    red, blue = limited.skus.order_by("id")

    error = refused(buyer, (red, 2), (blue, 2))

    assert error.code == "per_buyer_limit_exceeded"
    assert error.details == {
        "product": limited.public_id,
        "per_buyer_limit": 3,
        "already": 0,
        "requested": 4,
    }
    assert "3" in error.message


def test_the_limit_counts_paid_and_unpaid_orders_of_the_product(limited, buyer):
    red, blue = limited.skus.order_by("id")
    pay(buy(buyer, (red, 1)))
    buy(buyer, (blue, 1))

    error = refused(buyer, (red, 2))

    assert (error.code, error.details["already"]) == ("per_buyer_limit_exceeded", 2)
    assert buy(buyer, (red, 1))  # the third is fine


def test_cancelled_and_expired_orders_do_not_count_towards_the_limit(limited, buyer):
    red, _blue = limited.skus.order_by("id")
    for order in orders_of(buy(buyer, (red, 3))):
        order_cancel(order=order, by=buyer, reason="")
    buy(buyer, (red, 3))
    clock.advance(timedelta(minutes=16))  # unpaid, its time is up

    assert buy(buyer, (red, 3))


def test_the_limit_is_per_buyer(limited, buyer, other_buyer):
    red, _blue = limited.skus.order_by("id")
    buy(buyer, (red, 3))

    assert buy(other_buyer, (red, 3))


def test_other_products_in_the_checkout_are_not_limited(limited, store, buyer):
    red, _blue = limited.skus.order_by("id")

    checkout = buy(buyer, (red, 3), (store.cup, 3))

    assert checkout.items_fen == 3 * 9_900 + 3 * 5_900


def test_the_limit_holds_for_a_checkout_of_the_cart(limited, buyer):
    from designmall.orders.cart import cart_add

    red, _blue = limited.skus.order_by("id")
    buy(buyer, (red, 2))
    cart_add(user=buyer, sku_public_id=red.public_id, quantity=2)

    with pytest.raises(Conflict) as caught:
        checkout_create(buyer=buyer, delivery="pickup")

    assert caught.value.code == "per_buyer_limit_exceeded"
