"""The Idempotency-Key records kept before keys had a scope stay checkout keys, with
their results, once the migration that adds refund keys has run."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from designmall.core import clock
from designmall.orders.idempotency import recorded
from designmall.orders.models import IdempotencyScope
from tests.factories import make_user

BEFORE = [("orders", "0001_initial")]
AFTER = [("orders", "0002_idempotency_key_scope_and_refund")]


@pytest.mark.django_db(transaction=True)
def test_keys_recorded_before_scopes_are_kept_as_checkout_keys():
    buyer = make_user()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("orders", "IdempotencyKey")
    old.objects.create(
        user_id=buyer.pk,
        key="retry-1",
        fingerprint="f" * 64,
        error_code="out_of_stock",
        error_message="库存不足",
        error_status=409,
        error_details={"sku": "sku_1"},
        created_at=clock.now(),
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    kept = recorded(user=buyer, scope=IdempotencyScope.CHECKOUT, key="retry-1")
    assert kept is not None
    assert (kept.error_code, kept.error_status, kept.error_details) == (
        "out_of_stock",
        409,
        {"sku": "sku_1"},
    )
    assert recorded(user=buyer, scope=IdempotencyScope.REFUND, key="retry-1") is None
