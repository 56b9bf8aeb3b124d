"""Random sequences of adjustments, takes, sales, releases and returns against a plain model.

After every operation the counters equal the model's, the books balance
(``stock_verify``), and each product's in-stock flag says whether one of its
active SKUs has stock available.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designmall.core.errors import Conflict
from designmall.inventory.selectors import stock_verify
from designmall.inventory.services import (
    holds_commit,
    holds_release,
    holds_take,
    sku_update_with_stock,
    sold_restock,
    stock_adjust,
    stock_set,
)
from tests.factories import make_product, make_shop

from .conftest import counters

pytestmark = pytest.mark.django_db

OWNERS = [f"checkout:{n}" for n in range(4)]
OPENING = [3, 0, 5]  # units of SKUs 0 and 1 (one product) and 2 (another)


@dataclass
class Model:
    levels: list[dict[str, int]]
    active: list[bool]
    # owner -> [sku index, quantity, status]
    holds: dict[str, list[list]] = field(default_factory=lambda: defaultdict(list))

    def move(self, sku: int, source: str, target: str, quantity: int) -> None:
        self.levels[sku][source] -= quantity
        self.levels[sku][target] += quantity

    def close(self, owner: str, status: str, target: str) -> int:
        total = 0
        for hold in self.holds[owner]:
            if hold[2] == "held":
                hold[2] = status
                self.move(hold[0], "held", target, hold[1])
                total += hold[1]
        return total


sku_index = st.integers(0, len(OPENING) - 1)
operations = st.one_of(
    st.tuples(
        st.just("adjust"),
        sku_index,
        st.integers(-6, 6).filter(bool),
        st.sampled_from(["natural", "correction"]),
    ),
    st.tuples(
        st.just("take"),
        st.sampled_from(OWNERS),
        st.lists(st.tuples(sku_index, st.integers(1, 4)), min_size=1, max_size=3),
    ),
    st.tuples(st.just("commit"), st.sampled_from(OWNERS)),
    st.tuples(st.just("release"), st.sampled_from(OWNERS)),
    st.tuples(st.just("restock"), sku_index, st.integers(1, 3)),
    st.tuples(st.just("set"), sku_index, st.integers(0, 8)),
    st.tuples(st.just("toggle"), sku_index),
)


@pytest.fixture
def skus(db):
    shop = make_shop()
    first = make_product(shop=shop, skus=[(10_000, OPENING[0]), (12_000, OPENING[1])])
    second = make_product(shop=shop, skus=[(9_000, OPENING[2])])
    return [*first.skus.order_by("id"), second.skus.get()]


def apply(op, skus, model: Model) -> None:
    """Run one operation in its own transaction and the same one on the model."""
    kind, *args = op
    seller = skus[0].product.shop.owner
    if kind == "adjust":
        n, delta, style = args
        reason = style if style == "correction" else ("received" if delta > 0 else "damaged")
        fits = delta > 0 or model.levels[n]["available"] >= -delta
        with _refused_unless(fits, "insufficient_stock"):
            stock_adjust(sku=skus[n], delta=delta, reason=reason, by=seller)
        if fits:
            if delta > 0:
                model.levels[n]["received"] += delta
                model.levels[n]["available"] += delta
            else:
                model.move(n, "available", "written_off", -delta)
    elif kind == "take":
        owner, lines = args
        wanted: dict[int, int] = defaultdict(int)
        for n, quantity in lines:
            wanted[n] += quantity
        fits = all(model.levels[n]["available"] >= q for n, q in wanted.items())
        with _refused_unless(fits, "out_of_stock"):
            holds_take(lines=[(skus[n].id, q) for n, q in lines], owner_ref=owner)
        if fits:
            for n, quantity in wanted.items():
                model.move(n, "available", "held", quantity)
                model.holds[owner].append([n, quantity, "held"])
    elif kind == "commit":
        (owner,) = args
        with transaction.atomic():
            sold = holds_commit(owner_ref=owner)
        assert sold == model.close(owner, "sold", "sold")
    elif kind == "release":
        (owner,) = args
        with transaction.atomic():
            released = holds_release(owner_ref=owner)
        assert released == model.close(owner, "released", "available")
    elif kind == "restock":
        n, quantity = args
        fits = model.levels[n]["sold"] >= quantity
        with _refused_unless(fits, "not_sold"):
            sold_restock(sku_id=skus[n].id, quantity=quantity)
        if fits:
            model.move(n, "sold", "available", quantity)
    elif kind == "set":
        n, available = args
        with transaction.atomic():
            stock_set(sku=skus[n], available=available, by=seller)
        difference = available - model.levels[n]["available"]
        if difference > 0:
            model.levels[n]["received"] += difference
            model.levels[n]["available"] += difference
        else:
            model.move(n, "available", "written_off", -difference)
    elif kind == "toggle":
        (n,) = args
        model.active[n] = not model.active[n]
        with transaction.atomic():
            skus[n] = sku_update_with_stock(sku=skus[n], by=seller, is_active=model.active[n])


class _refused_unless:
    """The operation succeeds when ``fits``, else fails with ``Conflict`` ``code``, rolled back."""

    def __init__(self, fits: bool, code: str):
        self.fits, self.code = fits, code
        self.atomic = transaction.atomic()

    def __enter__(self):
        self.atomic.__enter__()

    def __exit__(self, kind, error, tb):
        self.atomic.__exit__(kind, error, tb)
        if self.fits:
            return False
        assert isinstance(error, Conflict), f"expected {self.code}, got {error!r}"
        assert error.code == self.code
        return True


def check(skus, model: Model) -> None:
    for n, sku in enumerate(skus):
        assert counters(sku) == model.levels[n], f"sku {n}"
    assert stock_verify() == []
    for product_skus in (range(2), range(2, 3)):
        expected = any(model.active[n] and model.levels[n]["available"] > 0 for n in product_skus)
        product = skus[product_skus[0]].product
        product.refresh_from_db(fields=["in_stock"])
        assert product.in_stock == expected


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, max_size=25))
def test_counters_follow_the_model_and_the_books_always_balance(
    skus, ops, django_capture_on_commit_callbacks
):
    # Each example starts from the fixture's stock: it runs in a transaction rolled back after.
    with transaction.atomic():
        model = Model(
            levels=[
                {"received": n, "available": n, "held": 0, "sold": 0, "written_off": 0}
                for n in OPENING
            ],
            active=[True] * len(OPENING),
        )
        skus = list(skus)
        for sku in skus:
            sku.refresh_from_db()
        for op in ops:
            # As if each operation committed: holds refresh the in-stock flags after it.
            with django_capture_on_commit_callbacks(execute=True):
                apply(op, skus, model)
            check(skus, model)
        transaction.set_rollback(True)
