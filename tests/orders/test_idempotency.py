"""Idempotency-Key on checkout: a retried request gets the first result, never a second
checkout; a key reused for another request is refused; keys are kept 24 hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designmall.core import clock
from designmall.core.errors import Conflict, ValidationFailed
from designmall.core.models import AuditEvent
from designmall.inventory.models import StockHold, StockLevel
from designmall.orders.checkout import idempotency_keys_delete_expired
from designmall.orders.models import Checkout, IdempotencyKey
from designmall.orders.tasks import idempotency_keys_delete
from designmall.payments.models import Payment
from tests.orders.conftest import available, buy

pytestmark = pytest.mark.django_db

KEY = "9b2f6c1e-checkout-1"


def test_the_same_key_and_body_return_the_first_checkout(store, buyer):
    first = buy(buyer, (store.lamp, 1), idempotency_key=KEY)
    again = buy(buyer, (store.lamp, 1), idempotency_key=KEY)

    assert again.pk == first.pk
    assert Checkout.objects.count() == 1
    assert Payment.objects.count() == 1
    assert available(store.lamp) == 4


def test_the_same_key_with_another_body_is_refused(store, buyer):
    buy(buyer, (store.lamp, 1), idempotency_key=KEY)

    with pytest.raises(Conflict) as refused:
        buy(buyer, (store.lamp, 2), idempotency_key=KEY)

    assert refused.value.code == "idempotency_key_reused"
    assert Checkout.objects.count() == 1


def test_the_callers_request_fingerprint_decides_what_the_same_request_is(store, buyer):
    first = buy(buyer, (store.lamp, 1), idempotency_key=KEY, request_fingerprint="body-1")

    with pytest.raises(Conflict) as refused:
        buy(buyer, (store.lamp, 1), idempotency_key=KEY, request_fingerprint="body-2")
    again = buy(buyer, (store.lamp, 1), idempotency_key=KEY, request_fingerprint="body-1")

    assert refused.value.code == "idempotency_key_reused"
    assert again.pk == first.pk


def test_an_error_is_replayed_even_after_the_cause_went_away(store, buyer):
    with pytest.raises(Conflict) as first:
        buy(buyer, (store.vase, 4), idempotency_key=KEY)
    StockLevel.objects.filter(sku=store.vase).update(available=10, received=10)

    with pytest.raises(Conflict) as replayed:
        buy(buyer, (store.vase, 4), idempotency_key=KEY)

    assert first.value.code == replayed.value.code == "out_of_stock"
    assert replayed.value.details == first.value.details
    assert replayed.value.status == 409
    assert not Checkout.objects.exists()


def test_a_retry_after_the_sale_sold_out_still_returns_its_checkout(store, buyer):
    first = buy(buyer, (store.lamp, 5), idempotency_key=KEY)
    assert available(store.lamp) == 0

    again = buy(buyer, (store.lamp, 5), idempotency_key=KEY)

    assert again.pk == first.pk
    assert IdempotencyKey.objects.get().checkout_id == first.pk  # no refusal recorded over it
    assert StockHold.objects.count() == 1


def test_after_the_sale_sold_out_the_key_with_another_body_is_still_reused(store, buyer):
    buy(buyer, (store.lamp, 5), idempotency_key=KEY)

    with pytest.raises(Conflict) as refused:
        buy(buyer, (store.lamp, 1), idempotency_key=KEY)

    assert refused.value.code == "idempotency_key_reused"


def test_a_sold_out_refusal_under_a_key_is_one_read_and_its_record(store, buyer):
    vase = store.vase
    with CaptureQueriesContext(connection) as statements, pytest.raises(Conflict) as refused:
        buy(buyer, (vase, 4), idempotency_key=KEY)

    assert refused.value.code == "out_of_stock"
    # The priced read (with the stock), then the record: no key lookup, no savepoint.
    first, second = (q["sql"] for q in statements.captured_queries)
    assert first.startswith("SELECT") and "inventory_stocklevel" in first
    assert second.startswith('INSERT INTO "orders_idempotencykey"')
    assert not StockHold.objects.exists() and not Payment.objects.exists()


def test_a_retried_checkout_takes_nothing_twice(store, buyer):
    first = buy(buyer, (store.lamp, 2), idempotency_key=KEY)

    buy(buyer, (store.lamp, 2), idempotency_key=KEY)

    assert (Checkout.objects.get(), Payment.objects.get()) == (first, first.payment)
    assert StockHold.objects.get().quantity == 2
    assert AuditEvent.objects.filter(action="checkout.created").count() == 1
    assert available(store.lamp) == 3


def test_a_replayed_validation_error_keeps_its_kind_and_status(store, buyer):
    with pytest.raises(ValidationFailed):
        buy(buyer, (store.lamp, 0), idempotency_key=KEY)
    with pytest.raises(ValidationFailed) as replayed:
        buy(buyer, (store.lamp, 0), idempotency_key=KEY)
    assert (replayed.value.code, replayed.value.status) == ("invalid_quantity", 422)


def test_a_new_key_after_an_error_is_a_new_attempt(store, buyer):
    with pytest.raises(Conflict):
        buy(buyer, (store.vase, 4), idempotency_key=KEY)
    StockLevel.objects.filter(sku=store.vase).update(available=10, received=10)

    checkout = buy(buyer, (store.vase, 4), idempotency_key=KEY + "-retry")

    assert checkout.total_fen == 4 * 35_000


def test_keys_belong_to_their_user(store, buyer, other_buyer):
    mine = buy(buyer, (store.lamp, 1), idempotency_key=KEY)
    theirs = buy(other_buyer, (store.lamp, 1), idempotency_key=KEY)
    assert mine.pk != theirs.pk
    assert theirs.buyer == other_buyer


@pytest.mark.parametrize("key", ["", "with space", "ключ", "x" * 256, 42])
def test_a_malformed_key_is_refused(store, buyer, key):
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, (store.lamp, 1), idempotency_key=key)
    assert refused.value.code == "invalid_idempotency_key"
    assert not IdempotencyKey.objects.exists()


def test_keys_are_kept_24_hours_then_forgotten_by_the_sweeper(store, buyer):
    start = clock.now()
    clock.set_frozen(start)
    buy(buyer, (store.lamp, 1), idempotency_key="old")
    clock.advance(timedelta(hours=23))
    buy(buyer, (store.lamp, 1), idempotency_key="young")

    clock.advance(timedelta(hours=1, seconds=1))
    assert idempotency_keys_delete() == 1
    assert idempotency_keys_delete() == 0

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
    assert Checkout.objects.count() == 2  # the checkouts stay; only the keys go


def test_within_24_hours_nothing_is_forgotten(store, buyer):
    clock.set_frozen(clock.now())
    buy(buyer, (store.lamp, 1), idempotency_key=KEY)
    clock.advance(timedelta(hours=24))
    assert idempotency_keys_delete_expired() == 0
