"""Sellers adjust their SKUs' stock: with a reason, never below zero, recorded and audited."""

import pytest

from designmall.accounts.roles import Role
from designmall.catalog.models import ProductStatus, Sku
from designmall.catalog.services import MAX_STOCK
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.inventory.models import StockAdjustment, StockLevel
from designmall.inventory.services import (
    holds_commit,
    holds_take,
    sku_create_with_stock,
    sku_update_with_stock,
    sold_restock,
    stock_adjust,
    stock_set,
)
from tests.factories import make_product, make_shop, make_user

from .conftest import assert_books_balance, counters, in_stock

pytestmark = pytest.mark.django_db


def owner(sku: Sku):
    return sku.product.shop.owner


# --- stock_adjust -----------------------------------------------------------------------


def test_received_goods_add_to_received_and_available(stocked):
    sku = stocked(5)
    stock_adjust(sku=sku, delta=3, reason="received", note="第二批", by=owner(sku))
    assert counters(sku) == {"received": 8, "available": 8, "held": 0, "sold": 0, "written_off": 0}
    assert_books_balance()


def test_damaged_units_move_from_available_to_written_off(stocked):
    sku = stocked(5)
    stock_adjust(sku=sku, delta=-2, reason="damaged", by=owner(sku))
    assert counters(sku) == {"received": 5, "available": 3, "held": 0, "sold": 0, "written_off": 2}
    assert_books_balance()


def test_a_correction_up_is_received_and_a_correction_down_is_written_off(stocked):
    sku = stocked(5)
    stock_adjust(sku=sku, delta=4, reason="correction", by=owner(sku))
    stock_adjust(sku=sku, delta=-1, reason="correction", by=owner(sku))
    assert counters(sku) == {"received": 9, "available": 8, "held": 0, "sold": 0, "written_off": 1}
    assert_books_balance()


def test_a_sku_without_a_stock_row_gets_one_on_its_first_delivery(db):
    product = make_product(skus=[])
    sku = Sku.objects.create(product=product, code="NEW", price_fen=100)
    stock_adjust(sku=sku, delta=2, reason="received", by=product.shop.owner)
    assert StockLevel.objects.get(sku=sku).available == 2


def test_writing_off_more_than_is_available_is_refused_and_changes_nothing(stocked):
    sku = stocked(2)
    with pytest.raises(Conflict) as refused:
        stock_adjust(sku=sku, delta=-3, reason="damaged", by=owner(sku))
    assert refused.value.code == "insufficient_stock"
    assert refused.value.details == {"sku": sku.public_id, "requested": 3, "available": 2}
    assert counters(sku)["available"] == 2
    assert not StockAdjustment.objects.exists()


def test_held_units_cannot_be_written_off(stocked):
    sku = stocked(2)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    with pytest.raises(Conflict):
        stock_adjust(sku=sku, delta=-1, reason="damaged", by=owner(sku))


def test_more_than_the_stock_limit_is_refused(stocked):
    sku = stocked(MAX_STOCK - 1)
    with pytest.raises(Conflict) as refused:
        stock_adjust(sku=sku, delta=2, reason="received", by=owner(sku))
    assert refused.value.code == "stock_limit"
    assert counters(sku)["available"] == MAX_STOCK - 1


@pytest.mark.parametrize(
    ("delta", "reason"),
    [
        (0, "correction"),
        (-1, "received"),
        (1, "damaged"),
        (2.5, "received"),
        ("2", "received"),
        (True, "received"),
        (MAX_STOCK + 1, "received"),
    ],
)
def test_a_delta_must_be_a_whole_number_with_the_reasons_sign(stocked, delta, reason):
    sku = stocked(5)
    with pytest.raises(ValidationFailed) as refused:
        stock_adjust(sku=sku, delta=delta, reason=reason, by=owner(sku))
    assert refused.value.code == "invalid_delta"
    assert counters(sku)["available"] == 5


@pytest.mark.parametrize("reason", ["stolen", "returned", ""])
def test_sellers_adjust_only_for_received_damaged_or_correction(stocked, reason):
    sku = stocked(5)
    with pytest.raises(ValidationFailed) as refused:
        stock_adjust(sku=sku, delta=1, reason=reason, by=owner(sku))
    assert refused.value.code == "invalid_reason"


def test_a_note_longer_than_500_characters_is_refused(stocked):
    sku = stocked(5)
    with pytest.raises(ValidationFailed):
        stock_adjust(sku=sku, delta=1, reason="received", note="x" * 501, by=owner(sku))


def test_only_the_shops_owner_adjusts_its_stock(stocked):
    sku = stocked(5)
    with pytest.raises(NotFound) as refused:
        stock_adjust(sku=sku, delta=-5, reason="damaged", by=make_user(role=Role.SELLER))
    assert refused.value.code == "sku_not_found"
    assert counters(sku)["available"] == 5


def test_an_adjustment_is_recorded_with_who_why_and_when_and_audited(stocked):
    sku = stocked(5)
    seller = owner(sku)
    stock_adjust(sku=sku, delta=-1, reason="damaged", note="运输破损", by=seller)
    adjustment = StockAdjustment.objects.get()
    assert (adjustment.sku_id, adjustment.delta, adjustment.reason) == (sku.id, -1, "damaged")
    assert (adjustment.note, adjustment.by, adjustment.at is not None) == ("运输破损", seller, True)
    event = audit_trail(sku).get(action="stock.adjusted")
    assert (event.actor, event.reason) == (seller, "运输破损")
    assert event.data == {"delta": -1, "reason": "damaged", "available": 4}


# --- the product's in-stock flag --------------------------------------------------------


def test_writing_off_the_last_units_marks_the_product_sold_out(stocked):
    sku = stocked(2)
    stock_adjust(sku=sku, delta=-2, reason="damaged", by=owner(sku))
    assert in_stock(sku.product) is False


def test_a_delivery_to_a_sold_out_product_puts_it_back_in_stock(stocked):
    sku = stocked(0)
    assert in_stock(sku.product) is False
    stock_adjust(sku=sku, delta=1, reason="received", by=owner(sku))
    assert in_stock(sku.product) is True


def test_a_product_stays_in_stock_while_another_active_sku_has_stock(db):
    product = make_product(skus=[(10_000, 1), (12_000, 3)])
    first = product.skus.order_by("id").first()
    stock_adjust(sku=first, delta=-1, reason="damaged", by=product.shop.owner)
    assert in_stock(product) is True


def test_stock_of_an_inactive_sku_does_not_make_its_product_in_stock(db):
    product = make_product(skus=[(10_000, 0)])
    off = Sku.objects.create(product=product, code="OFF", price_fen=100, is_active=False)
    stock_adjust(sku=off, delta=5, reason="received", by=product.shop.owner)
    assert in_stock(product) is False


# --- stock_set: the seller's stock figure ---------------------------------------------------


def test_setting_the_stock_figure_records_the_difference_as_a_correction(stocked):
    sku = stocked(5)
    stock_set(sku=sku, available=8, by=owner(sku))
    stock_set(sku=sku, available=6, by=owner(sku))
    assert counters(sku) == {"received": 8, "available": 6, "held": 0, "sold": 0, "written_off": 2}
    assert list(StockAdjustment.objects.order_by("id").values_list("delta", "reason")) == [
        (3, "correction"),
        (-2, "correction"),
    ]


def test_setting_the_same_figure_records_nothing(stocked):
    sku = stocked(5)
    assert stock_set(sku=sku, available=5, by=owner(sku)) is None
    assert not StockAdjustment.objects.exists()


def test_setting_the_figure_leaves_held_and_sold_units_alone(stocked):
    sku = stocked(5)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    holds_take(lines=[(sku.id, 1)], owner_ref="checkout:b")
    holds_commit(owner_ref="checkout:b")
    stock_set(sku=sku, available=10, by=owner(sku))
    assert counters(sku) == {
        "received": 13,
        "available": 10,
        "held": 2,
        "sold": 1,
        "written_off": 0,
    }
    assert_books_balance()


@pytest.mark.parametrize("available", [-1, MAX_STOCK + 1, "5", None, 1.0])
def test_a_stock_figure_must_be_a_sane_whole_number(stocked, available):
    sku = stocked(5)
    with pytest.raises(ValidationFailed) as refused:
        stock_set(sku=sku, available=available, by=owner(sku))
    assert refused.value.code == "invalid_stock"


def test_only_the_owner_sets_the_stock_figure(stocked):
    sku = stocked(5)
    with pytest.raises(NotFound):
        stock_set(sku=sku, available=0, by=make_user(role=Role.SELLER))
    assert counters(sku)["available"] == 5


# --- returns ----------------------------------------------------------------------------


def test_a_returned_unit_goes_from_sold_back_on_sale_and_is_recorded(stocked):
    sku = stocked(3)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:a")
    holds_commit(owner_ref="checkout:a")
    sold_restock(sku_id=sku.id, quantity=1, note="退货")
    assert counters(sku) == {"received": 3, "available": 2, "held": 0, "sold": 1, "written_off": 0}
    assert StockAdjustment.objects.get().reason == "returned"
    assert_books_balance()


def test_more_returns_than_were_sold_are_refused(stocked):
    sku = stocked(3)
    holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
    holds_commit(owner_ref="checkout:a")
    with pytest.raises(Conflict) as refused:
        sold_restock(sku_id=sku.id, quantity=2)
    assert refused.value.code == "not_sold"
    assert counters(sku)["sold"] == 1


def test_a_return_to_a_sold_out_product_puts_it_back_in_stock(
    stocked, django_capture_on_commit_callbacks
):
    sku = stocked(1)
    with django_capture_on_commit_callbacks(execute=True):
        holds_take(lines=[(sku.id, 1)], owner_ref="checkout:a")
        holds_commit(owner_ref="checkout:a")
    assert in_stock(sku.product) is False
    sold_restock(sku_id=sku.id, quantity=1)
    assert in_stock(sku.product) is True


@pytest.mark.parametrize("quantity", [0, -1, "1"])
def test_a_return_needs_a_positive_quantity(stocked, quantity):
    with pytest.raises(ValidationFailed):
        sold_restock(sku_id=stocked(1).id, quantity=quantity)


# --- SKUs created and changed with their stock ------------------------------------------


def draft(**fields):
    return make_product(shop=make_shop(), status=ProductStatus.DRAFT, skus=[], **fields)


def test_a_new_skus_stock_is_received_and_puts_the_product_in_stock(db):
    product = draft()
    sku = sku_create_with_stock(
        product=product, by=product.shop.owner, code="OAK", price_fen=30_000, stock=3
    )
    assert counters(sku) == {"received": 3, "available": 3, "held": 0, "sold": 0, "written_off": 0}
    assert StockAdjustment.objects.get(sku=sku).reason == "received"
    product.refresh_from_db()
    assert (product.price_min_fen, product.in_stock) == (30_000, True)


def test_a_new_sku_without_stock_records_nothing(db):
    product = draft()
    sku = sku_create_with_stock(product=product, by=product.shop.owner, code="A", price_fen=100)
    assert counters(sku)["available"] == 0
    assert not StockAdjustment.objects.exists()
    assert in_stock(product) is False


@pytest.mark.parametrize("stock", [-1, MAX_STOCK + 1, "5", None])
def test_a_new_skus_stock_must_be_a_sane_whole_number(db, stock):
    product = draft()
    with pytest.raises(ValidationFailed):
        sku_create_with_stock(
            product=product, by=product.shop.owner, code="X1", price_fen=100, stock=stock
        )
    assert not product.skus.exists()


def test_a_refused_sku_takes_no_stock_with_it(db):
    product = draft()
    with pytest.raises(ValidationFailed):
        sku_create_with_stock(product=product, by=product.shop.owner, code="", price_fen=1, stock=3)
    assert not StockLevel.objects.exists()


def test_switching_a_sku_off_and_on_follows_into_the_products_flag(stocked):
    sku = stocked(4)
    sku_update_with_stock(sku=sku, by=owner(sku), is_active=False)
    assert in_stock(sku.product) is False
    sku_update_with_stock(sku=sku, by=owner(sku), is_active=True)
    assert in_stock(sku.product) is True


def test_a_sku_update_sets_price_and_stock_in_one_go(stocked):
    sku = stocked(4)
    sku = sku_update_with_stock(sku=sku, by=owner(sku), price_fen=500, stock=0)
    assert (sku.price_fen, counters(sku)["available"]) == (500, 0)
    assert in_stock(sku.product) is False


def test_a_refused_sku_update_leaves_its_stock_alone(stocked):
    sku = stocked(4)
    with pytest.raises(ValidationFailed):
        sku_update_with_stock(sku=sku, by=owner(sku), price_fen=-1, stock=0)
    assert counters(sku)["available"] == 4
    assert not StockAdjustment.objects.exists()
