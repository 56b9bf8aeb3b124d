"""Real concurrent connections on PostgreSQL: one buyer's parallel checkouts never pass
the unpaid-holds cap nor a product's per-buyer limit (orders.buyerlimits)."""

from __future__ import annotations

from collections import Counter

import pytest

from designmall.core.errors import Conflict
from designmall.inventory.selectors import stock_verify
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Checkout, OrderLine
from tests.concurrency import concurrently
from tests.factories import make_product, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
THREADS = 12


def _checkouts(buyer, sku, *, quantity: int, times: int) -> list[object]:
    def work():
        return checkout_create(
            buyer=buyer, lines=[(sku.public_id, quantity)], delivery="pickup"
        ).public_id

    return concurrently([work] * times, pool=THREADS)


def _made_and_refusals(results: list[object]) -> tuple[int, Counter]:
    made = sum(isinstance(r, str) for r in results)
    refusals = Counter(
        getattr(r, "code", type(r).__name__) for r in results if not isinstance(r, str)
    )
    assert all(isinstance(r, str | Conflict) for r in results), results
    return made, refusals


def test_parallel_checkouts_of_one_buyer_never_pass_the_unpaid_checkouts_cap(on_postgres, settings):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 3
    settings.ORDER_MAX_UNPAID_UNITS = 0
    sku = make_product(skus=[(9_900, 100)]).skus.get()
    buyer = make_user()

    made, refusals = _made_and_refusals(_checkouts(buyer, sku, quantity=1, times=THREADS))

    assert made == 3
    assert refusals == Counter({"too_many_unpaid_checkouts": THREADS - 3})
    assert Checkout.objects.filter(buyer=buyer).count() == 3
    assert stock_verify() == []


def test_parallel_checkouts_of_one_buyer_never_hold_more_units_than_the_cap(on_postgres, settings):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 0
    settings.ORDER_MAX_UNPAID_UNITS = 5
    sku = make_product(skus=[(9_900, 100)]).skus.get()
    buyer = make_user()

    made, refusals = _made_and_refusals(_checkouts(buyer, sku, quantity=2, times=THREADS))

    assert made == 2  # 4 units held; a third checkout would hold 6
    assert refusals == Counter({"too_many_units_held": THREADS - 2})


def test_parallel_checkouts_of_one_buyer_never_exceed_a_per_buyer_limit(on_postgres, settings):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 0
    settings.ORDER_MAX_UNPAID_UNITS = 0
    product = make_product(skus=[(9_900, 100)], per_buyer_limit=3)
    sku = product.skus.get()
    buyer, other = make_user(), make_user()

    made, refusals = _made_and_refusals(_checkouts(buyer, sku, quantity=1, times=THREADS))
    other_made, _ = _made_and_refusals(_checkouts(other, sku, quantity=1, times=6))

    assert made == 3 and other_made == 3
    assert refusals == Counter({"per_buyer_limit_exceeded": THREADS - 3})
    bought = OrderLine.objects.filter(order__buyer=buyer, sku__product=product)
    assert sum(line.quantity for line in bought) == 3


def test_different_buyers_checking_out_at_once_are_not_held_up_by_each_other(on_postgres, settings):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 1
    sku = make_product(skus=[(9_900, 100)]).skus.get()
    buyers = [make_user(role=None) for _ in range(THREADS)]

    def work(buyer):
        return lambda: (
            checkout_create(buyer=buyer, lines=[(sku.public_id, 1)], delivery="pickup").public_id
        )

    results = concurrently([work(b) for b in buyers], pool=THREADS)

    assert all(isinstance(r, str) for r in results), results
