"""On PostgreSQL a checkout's contended part is one round trip: the stock is taken by one
call of ``inventory_holds_take`` sent together with the COMMIT, so no Python runs while a
flash sale's stock row is locked. Everything before it (payment, checkout, key, orders,
lines, history, audit) is in the same transaction: a call that finds too little stock
rolls all of it back."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designmall.core.errors import Conflict
from designmall.core.models import AuditEvent
from designmall.inventory.models import StockHold, StockLevel
from designmall.inventory.selectors import stock_verify
from designmall.orders import checkout as checkout_module
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Checkout, Order
from designmall.payments.models import Payment
from tests.factories import make_product, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _committed_elsewhere(sql: str) -> int:
    """A count read over a connection of its own: what is committed, whatever ours holds."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    ) as other:
        return other.execute(sql).fetchone()[0]


def test_the_stock_is_taken_and_committed_in_the_checkouts_last_message(on_postgres):
    sku = make_product(skus=[(9_900, 5)]).skus.get()
    buyer = make_user(role=None)

    with CaptureQueriesContext(connection) as statements:
        checkout = checkout_create(
            buyer=buyer, lines=[(sku.public_id, 2)], delivery="pickup", idempotency_key="k"
        )

    sent = [q["sql"] for q in statements.captured_queries]
    last = next(s for s in reversed(sent) if "inventory_holds_take" in s)
    assert last.rstrip().endswith("; COMMIT")
    # Nothing of the checkout is sent after it: the commit is the stock's own message.
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in sent[sent.index(last) + 1 :])
    assert _committed_elsewhere(
        f"SELECT count(*) FROM orders_checkout WHERE public_id = '{checkout.public_id}'"
    )
    assert (
        _committed_elsewhere(f"SELECT held FROM inventory_stocklevel WHERE sku_id = {sku.id}") == 2
    )
    assert stock_verify() == []


def test_stock_gone_between_the_read_and_the_call_rolls_the_whole_checkout_back(
    on_postgres, monkeypatch
):
    sku = make_product(skus=[(9_900, 1)]).skus.get()
    checkout_create(buyer=make_user(role=None), lines=[(sku.public_id, 1)], delivery="pickup")
    # As if the priced read had still seen the last unit: the call is what decides.
    monkeypatch.setattr(checkout_module, "_refuse_short_stock", lambda priced: None)
    buyer = make_user(role=None)
    counts_before = [m.objects.count() for m in (Checkout, Payment, StockHold, AuditEvent)]

    with pytest.raises(Conflict) as refused:
        checkout_create(buyer=buyer, lines=[(sku.public_id, 1)], delivery="pickup")

    assert refused.value.code == "out_of_stock"
    assert refused.value.details == {"sku": sku.public_id, "requested": 1, "available": 0}
    assert [m.objects.count() for m in (Checkout, Payment, StockHold, AuditEvent)] == (
        counts_before
    )
    assert Order.objects.filter(buyer=buyer).count() == 0
    assert stock_verify() == []


def test_inside_a_callers_transaction_the_checkout_does_not_commit_it(on_postgres):
    from django.db import transaction

    sku = make_product(skus=[(9_900, 3)]).skus.get()
    buyer = make_user(role=None)

    with CaptureQueriesContext(connection) as statements, transaction.atomic():
        checkout_create(buyer=buyer, lines=[(sku.public_id, 1)], delivery="pickup")
        assert _committed_elsewhere("SELECT count(*) FROM orders_checkout") == 0
        transaction.set_rollback(True)

    assert not any("COMMIT" in q["sql"] for q in statements.captured_queries)
    assert Checkout.objects.count() == 0
    assert StockLevel.objects.get(sku=sku).available == 3
