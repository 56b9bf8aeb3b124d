"""Checkouts take stock as holds; payment sells them, cancellation or expiry releases them."""

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from designmall.catalog.models import Sku
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.inventory.models import HoldStatus, StockHold, StockLevel
from designmall.inventory.selectors import available_by_sku, holds_of, stock_of
from designmall.inventory.services import holds_commit, holds_release, holds_take
from tests.factories import make_product

from .conftest import assert_books_balance, counters, in_stock

pytestmark = pytest.mark.django_db


# --- taking -----------------------------------------------------------------------------


def test_taking_moves_units_from_available_to_held(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    assert counters(sku) == {"received": 5, "available": 3, "held": 2, "sold": 0, "written_off": 0}
    assert_books_balance()


def test_a_hold_records_owner_quantity_and_expiry(stocked, settings):
    settings.STOCK_HOLD_MINUTES = 15
    sku = stocked(5)
    [hold] = holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    assert (hold.sku_id, hold.quantity, hold.owner_ref) == (sku.id, 2, "checkout:a")
    assert hold.status == HoldStatus.HELD and hold.closed_at is None
    assert hold.expires_at == hold.created_at + timedelta(minutes=15)
    assert hold.pk and hold.public_id.startswith("sh_")


def test_the_caller_can_set_the_expiry(stocked):
    until = clock.now() + timedelta(minutes=3)
    [hold] = holds_take(lines=[(stocked(5).id, 1)], owner_ref="checkout:a", expires_at=until)
    assert hold.expires_at == until


def test_lines_of_one_sku_are_merged_into_one_hold(stocked):
    sku = stocked(5)
    holds = holds_take(lines=[(sku.id, 1), (sku.id, 2)], owner_ref="checkout:a")
    assert [(h.sku_id, h.quantity) for h in holds] == [(sku.id, 3)]
    assert counters(sku)["held"] == 3


def test_taking_the_last_unit_exactly_is_allowed(stocked):
    sku = stocked(2)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    assert counters(sku)["available"] == 0


def test_taking_more_than_available_is_out_of_stock_with_the_facts(stocked):
    sku = stocked(2)
    with pytest.raises(Conflict) as refused:
        holds_take(lines=[(sku.id, 3)], owner_ref="checkout:a")
    assert refused.value.code == "out_of_stock"
    assert refused.value.details == {"sku": sku.public_id, "requested": 3, "available": 2}


def test_a_sku_that_never_had_stock_is_out_of_stock(db):
    product = make_product(skus=[])
    sku = Sku.objects.create(product=product, code="NEW", price_fen=100)
    with pytest.raises(Conflict) as refused:
        holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
    assert refused.value.details == {"sku": sku.public_id, "requested": 1, "available": 0}


def test_an_unknown_sku_is_not_found(db):
    with pytest.raises(NotFound):
        holds_take(lines=[(987_654, 1)], owner_ref="checkout:a")


def test_one_line_out_of_stock_takes_nothing_at_all(stocked):
    plenty, scarce = stocked(5), stocked(1)
    with pytest.raises(Conflict), transaction.atomic():
        holds_take(lines=[(plenty.id, 2), (scarce.id, 2)], owner_ref="checkout:a")
    assert available_by_sku([plenty.id, scarce.id]) == {plenty.id: 5, scarce.id: 1}
    assert not StockHold.objects.exists()


@pytest.mark.parametrize(
    "lines",
    [[(1, 0)], [(1, -2)], [(1, 1.5)], [(1, "2")], [(1, True)], [("1", 1)], [(1, 10**7)]],
)
def test_quantities_must_be_positive_whole_numbers(stocked, lines):
    sku = stocked(5)
    lines = [(sku.id if sku_id == 1 else sku_id, q) for sku_id, q in lines]
    with pytest.raises(ValidationFailed) as refused:
        holds_take(lines=lines, owner_ref="checkout:a")
    assert refused.value.code == "invalid_quantity"
    assert counters(sku)["available"] == 5


@pytest.mark.parametrize("owner_ref", ["", "x" * 65, None])
def test_a_hold_needs_an_owner(stocked, owner_ref):
    with pytest.raises(ValidationFailed):
        holds_take(lines=[(stocked(5).id, 1)], owner_ref=owner_ref)


def test_taking_nothing_returns_no_holds(db):
    assert holds_take(lines=[], owner_ref="checkout:a") == []


def test_taking_is_one_update_per_sku_and_one_insert_in_python(stocked, django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL takes holds with one call of inventory_holds_take")
    first, second = stocked(5), stocked(5)
    lines = [(second.id, 1), (first.id, 2), (second.id, 1)]
    with django_assert_num_queries(3) as captured:
        holds_take(lines=lines, owner_ref="checkout:a")
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements == ["UPDATE", "UPDATE", "INSERT"]


def test_on_postgresql_taking_is_one_statement_whatever_the_skus(
    stocked, django_assert_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("the database function is PostgreSQL's")
    first, second = stocked(5), stocked(5)
    lines = [(second.id, 1), (first.id, 2), (second.id, 1)]
    with django_assert_num_queries(1) as captured:
        holds = holds_take(lines=lines, owner_ref="checkout:a")
    assert "inventory_holds_take" in captured.captured_queries[0]["sql"]
    assert [(h.sku_id, h.quantity) for h in holds] == sorted([(first.id, 2), (second.id, 2)])
    assert [h.pk for h in holds] == list(
        StockHold.objects.filter(owner_ref="checkout:a")
        .order_by("sku_id")
        .values_list("pk", flat=True)
    )
    assert counters(first)["held"] == counters(second)["held"] == 2
    assert_books_balance()


def test_skus_are_taken_in_ascending_order_whatever_the_line_order(
    stocked, django_assert_num_queries
):
    low, high = sorted([stocked(5), stocked(5)], key=lambda s: s.id)
    with CaptureQueriesContext(connection) as captured:
        holds = holds_take(lines=[(high.id, 1), (low.id, 1)], owner_ref="checkout:a")
    if connection.vendor == "postgresql":
        # The function takes the SKUs in the order given: ascending.
        assert "inventory_holds_take" in captured.captured_queries[0]["sql"]
        taken = [hold.sku_id for hold in holds]
    else:
        taken = [
            int(re.search(r"sku_id\W+(\d+)", q["sql"]).group(1))
            for q in captured.captured_queries
            if q["sql"].startswith("UPDATE")
        ]
    assert taken == [low.id, high.id]


def test_a_short_sku_after_a_taken_one_gives_the_taken_units_back(stocked):
    low, high = stocked(5), stocked(1)
    assert low.id < high.id
    with pytest.raises(Conflict) as refused, transaction.atomic():
        holds_take(lines=[(low.id, 2), (high.id, 3)], owner_ref="checkout:a")
    assert refused.value.code == "out_of_stock"
    assert refused.value.details["sku"] == high.public_id
    assert counters(low)["available"] == 5 and counters(high)["available"] == 1
    assert not StockHold.objects.exists()
    assert_books_balance()


def test_taking_the_last_unit_marks_the_product_sold_out(
    stocked, django_capture_on_commit_callbacks
):
    sku = stocked(1)
    with django_capture_on_commit_callbacks(execute=True):
        holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
    assert in_stock(sku.product) is False


def test_the_sold_out_mark_waits_for_the_commit_not_under_the_stock_lock(
    stocked, django_capture_on_commit_callbacks
):
    sku = stocked(1)

    with (
        django_capture_on_commit_callbacks() as after_commit,
        CaptureQueriesContext(connection) as statements,
    ):
        holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")

    assert not [q for q in statements.captured_queries if "catalog_product" in q["sql"]]
    assert in_stock(sku.product) is True
    (refresh,) = after_commit
    refresh()
    assert in_stock(sku.product) is False


def test_a_product_with_another_sku_in_stock_stays_in_stock(db):
    product = make_product(skus=[(10_000, 1), (12_000, 3)])
    first = product.skus.order_by("id").first()
    holds_take(lines=[(first.id, 1)], owner_ref="checkout:a")
    assert in_stock(product) is True


# --- selling and releasing ----------------------------------------------------------------


def test_paying_sells_the_held_units(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    assert holds_commit(owner_ref="checkout:a") == 2
    assert counters(sku) == {"received": 5, "available": 3, "held": 0, "sold": 2, "written_off": 0}
    [hold] = holds_of(owner_ref="checkout:a")
    assert hold.status == HoldStatus.SOLD and hold.closed_at is not None
    assert_books_balance()


def test_releasing_puts_the_held_units_back_on_sale(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    assert holds_release(owner_ref="checkout:a") == 2
    assert counters(sku) == {"received": 5, "available": 5, "held": 0, "sold": 0, "written_off": 0}
    [hold] = holds_of(owner_ref="checkout:a")
    assert hold.status == HoldStatus.RELEASED and hold.closed_at is not None
    assert_books_balance()


def test_committing_twice_sells_once(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    holds_commit(owner_ref="checkout:a")
    assert holds_commit(owner_ref="checkout:a") == 0
    assert counters(sku)["sold"] == 2


def test_releasing_twice_releases_once(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    holds_release(owner_ref="checkout:a")
    assert holds_release(owner_ref="checkout:a") == 0
    assert counters(sku)["available"] == 5


def test_a_released_hold_cannot_be_sold_and_a_sold_one_cannot_be_released(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 1)], owner_ref="checkout:released")
    holds_take(lines=[(sku.id, 1)], owner_ref="checkout:sold")
    holds_release(owner_ref="checkout:released")
    holds_commit(owner_ref="checkout:sold")
    assert holds_commit(owner_ref="checkout:released") == 0
    assert holds_release(owner_ref="checkout:sold") == 0
    assert counters(sku) == {"received": 5, "available": 4, "held": 0, "sold": 1, "written_off": 0}


def test_closing_an_unknown_owner_changes_nothing(stocked):
    sku = stocked(5)
    assert holds_commit(owner_ref="checkout:nobody") == 0
    assert holds_release(owner_ref="checkout:nobody") == 0
    assert counters(sku)["available"] == 5


def test_one_owners_holds_on_several_skus_close_together(stocked):
    first, second = stocked(5), stocked(5)
    holds_take(lines=[(first.id, 1), (second.id, 3)], owner_ref="checkout:a")
    holds_take(lines=[(first.id, 1)], owner_ref="checkout:b")
    assert holds_commit(owner_ref="checkout:a") == 4
    levels = stock_of([first.id, second.id])
    assert (levels[first.id].sold, levels[first.id].held) == (1, 1)
    assert (levels[second.id].sold, levels[second.id].held) == (3, 0)
    assert_books_balance()


def test_a_late_payment_still_sells_a_hold_nobody_released(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
    clock.advance(timedelta(hours=1))
    assert holds_commit(owner_ref="checkout:a") == 1


def test_releasing_units_of_a_sold_out_product_puts_it_back_in_stock(
    stocked, django_capture_on_commit_callbacks
):
    sku = stocked(1)
    with django_capture_on_commit_callbacks(execute=True):
        holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
    assert in_stock(sku.product) is False

    with django_capture_on_commit_callbacks(execute=True):
        holds_release(owner_ref="checkout:a")

    assert in_stock(sku.product) is True


def test_selling_keeps_a_sold_out_product_sold_out(stocked, django_capture_on_commit_callbacks):
    sku = stocked(1)
    with django_capture_on_commit_callbacks(execute=True):
        holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
        holds_commit(owner_ref="checkout:a")
    assert in_stock(sku.product) is False


def test_commit_is_one_statement_for_the_holds_and_one_per_sku(stocked, django_assert_num_queries):
    first, second = stocked(5), stocked(5)
    holds_take(lines=[(first.id, 1), (second.id, 1)], owner_ref="checkout:a")
    with django_assert_num_queries(3):
        holds_commit(owner_ref="checkout:a")


# --- the database's own guard -------------------------------------------------------------


def test_the_database_refuses_negative_available_stock(stocked):
    sku = stocked(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(sku=sku).update(available=-1, received=-1)


def test_the_database_refuses_counters_that_do_not_balance(stocked):
    sku = stocked(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(sku=sku).update(available=2)


def test_the_database_refuses_a_closed_hold_without_a_closing_time(stocked):
    sku = stocked(1)
    [hold] = holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockHold.objects.filter(pk=hold.pk).update(status=HoldStatus.SOLD)
