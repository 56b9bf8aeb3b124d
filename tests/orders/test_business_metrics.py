"""The show's business counters (core/metrics.py) move when an order or a payment commits,
never for a rolled-back one."""

from __future__ import annotations

import pytest
from django.db import transaction
from prometheus_client import REGISTRY

from tests.orders.conftest import buy, pay

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


def total(name: str) -> float:
    return REGISTRY.get_sample_value(f"designmall_{name}_total") or 0.0


def test_a_committed_checkout_counts_its_orders(store, buyer, django_capture_on_commit_callbacks):
    before = total("orders_created")
    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, (store.lamp, 1), (store.cup, 1))  # two shops: two orders
    assert total("orders_created") == before + 2


def test_a_rolled_back_checkout_counts_nothing(store, buyer, django_capture_on_commit_callbacks):
    before = total("orders_created")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RolledBack),
        transaction.atomic(),
    ):
        buy(buyer, (store.lamp, 1))
        raise RolledBack
    assert total("orders_created") == before


def test_a_credited_payment_counts_once(store, buyer, django_capture_on_commit_callbacks):
    checkout = buy(buyer, (store.lamp, 1))
    before = total("payments_credited")
    with django_capture_on_commit_callbacks(execute=True):
        assert pay(checkout) == "credited"
    assert total("payments_credited") == before + 1


def test_a_rolled_back_payment_counts_nothing(store, buyer, django_capture_on_commit_callbacks):
    checkout = buy(buyer, (store.lamp, 1))
    before = total("payments_credited")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RolledBack),
        transaction.atomic(),
    ):
        assert pay(checkout) == "credited"
        raise RolledBack
    assert total("payments_credited") == before
