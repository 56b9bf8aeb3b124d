"""Real concurrent connections on PostgreSQL: no oversell, no deadlock, exactly-once closing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from designmall.core.errors import Conflict
from designmall.inventory.selectors import stock_verify
from designmall.inventory.services import (
    holds_commit,
    holds_release,
    holds_take,
    sku_update_with_stock,
    stock_adjust,
)
from tests.factories import make_product

from .conftest import counters, in_stock

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# Database sessions open at once (PostgreSQL allows 100, and other suites share it).
SESSIONS = 40


def run_at_once(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads released together; their results or errors.

    At most ``SESSIONS`` threads hold a connection at a time; each closes its own.
    """
    barrier = threading.Barrier(n)
    sessions = threading.BoundedSemaphore(SESSIONS)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            with sessions:
                try:
                    results[i] = work(i)
                finally:
                    connection.close()
        except Exception as exc:  # each thread's outcome is inspected
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def refused(results: list) -> list[Conflict]:
    return [r for r in results if isinstance(r, Conflict)]


def unexpected(results: list) -> list[Exception]:
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]


def test_200_buyers_for_the_last_50_units_get_exactly_50_holds(on_postgres):
    sku = make_product(skus=[(10_000, 50)]).skus.get()

    results = run_at_once(200, lambda i: holds_take(lines=[(sku.id, 1)], owner_ref=f"checkout:{i}"))

    assert unexpected(results) == []
    taken = [r for r in results if isinstance(r, list)]
    assert len(taken) == 50
    assert len(refused(results)) == 150
    assert {r.code for r in refused(results)} == {"out_of_stock"}
    assert counters(sku) == {
        "received": 50,
        "available": 0,
        "held": 50,
        "sold": 0,
        "written_off": 0,
    }
    assert in_stock(sku.product) is False
    assert stock_verify() == []


def test_lines_in_opposite_orders_from_many_threads_never_deadlock(on_postgres):
    first, second = make_product(skus=[(10_000, 500), (12_000, 500)]).skus.order_by("id")
    forward, backward = [(first.id, 1), (second.id, 1)], [(second.id, 1), (first.id, 1)]

    def buy(i: int) -> int:
        for n in range(5):
            lines = forward if (i + n) % 2 else backward
            holds_take(lines=lines, owner_ref=f"checkout:{i}-{n}")
        return 5

    results = run_at_once(60, buy)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert counters(first)["held"] == counters(second)["held"] == 300
    assert stock_verify() == []


def test_emptying_two_skus_of_one_product_at_once_marks_it_sold_out(on_postgres):
    products = [make_product(skus=[(10_000, 1), (12_000, 1)]) for _ in range(10)]
    skus = [sku for product in products for sku in product.skus.order_by("id")]

    results = run_at_once(
        len(skus), lambda i: holds_take(lines=[(skus[i].id, 1)], owner_ref=f"checkout:{i}")
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    assert [in_stock(product) for product in products] == [False] * len(products)


def test_release_racing_commit_closes_each_hold_exactly_once(on_postgres):
    sku = make_product(skus=[(10_000, 100)]).skus.get()
    owners = [f"checkout:{i}" for i in range(40)]
    for owner in owners:
        holds_take(lines=[(sku.id, 2)], owner_ref=owner)

    def close(i: int) -> tuple[str, int]:
        owner = owners[i // 2]
        if i % 2:
            return owner, holds_commit(owner_ref=owner)
        return owner, -holds_release(owner_ref=owner)

    results = run_at_once(2 * len(owners), close)

    assert [r for r in results if isinstance(r, Exception)] == []
    outcomes = {owner: [units for who, units in results if who == owner] for owner in owners}
    # Per owner one call closed 2 units (sold: +2, released: -2) and the other nothing.
    assert all(sorted(map(abs, units)) == [0, 2] for units in outcomes.values())
    sold = sum(units for units in map(sum, outcomes.values()) if units > 0)
    level = counters(sku)
    assert (level["held"], level["sold"], level["available"]) == (0, sold, 100 - sold)
    assert stock_verify() == []


def test_a_write_off_racing_buyers_never_takes_stock_below_zero(on_postgres):
    sku = make_product(skus=[(10_000, 30)]).skus.get()
    seller = sku.product.shop.owner

    def work(i: int):
        if i % 4 == 0:
            return stock_adjust(sku=sku, delta=-2, reason="damaged", by=seller)
        return holds_take(lines=[(sku.id, 1)], owner_ref=f"checkout:{i}")

    results = run_at_once(60, work)

    assert unexpected(results) == []
    level = counters(sku)
    assert level["available"] >= 0
    assert level["held"] == len([r for r in results if isinstance(r, list)])
    assert stock_verify() == []


def test_a_seller_editing_a_sku_while_buyers_empty_it_never_deadlocks(on_postgres):
    sku = make_product(skus=[(10_000, 1)]).skus.get()
    seller = sku.product.shop.owner

    def work(i: int):
        if i % 2:
            return sku_update_with_stock(sku=sku, by=seller, price_fen=10_000 + i, stock=1)
        return holds_take(lines=[(sku.id, 1)], owner_ref=f"checkout:{i}")

    results = run_at_once(40, work)

    assert unexpected(results) == []
    assert stock_verify() == []
