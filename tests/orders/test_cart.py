"""The cart: limits, only SKUs on sale, priced from the catalog with problems and price
changes flagged, and the anonymous session cart merged on login."""

from __future__ import annotations

import pytest

from designmall.catalog.models import ProductStatus, ShopStatus, Sku
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.inventory.models import StockLevel
from designmall.orders.cart import (
    anonymous_cart_set,
    cart_add,
    cart_merge_anonymous,
    cart_remove,
    cart_set_quantity,
)
from designmall.orders.selectors import cart_priced, cart_priced_anonymous

pytestmark = pytest.mark.django_db


def add(user, sku, quantity=1):
    return cart_add(user=user, sku_public_id=sku.public_id, quantity=quantity)


def quantities(user) -> dict[str, int]:
    return {line.sku_public_id: line.quantity for line in cart_priced(user=user).lines}


def test_adding_the_same_sku_again_adds_to_its_line(store, buyer):
    add(buyer, store.lamp, 1)
    add(buyer, store.lamp, 2)
    assert quantities(buyer) == {store.lamp.public_id: 3}


def test_setting_and_removing_lines(store, buyer):
    add(buyer, store.lamp)
    add(buyer, store.cup)
    cart_set_quantity(user=buyer, sku_public_id=store.cup.public_id, quantity=4)
    cart_remove(user=buyer, sku_public_id=store.lamp.public_id)
    cart_remove(user=buyer, sku_public_id=store.lamp.public_id)  # gone already: no error
    assert quantities(buyer) == {store.cup.public_id: 4}


@pytest.mark.parametrize("quantity", [0, -2, 1.5, "2", True])
def test_a_cart_quantity_is_a_positive_whole_number(store, buyer, quantity):
    with pytest.raises(ValidationFailed) as refused:
        add(buyer, store.lamp, quantity)
    assert refused.value.code == "invalid_quantity"


def test_one_sku_is_limited_per_order(store, buyer, settings):
    StockLevel.objects.filter(sku=store.cup).update(available=100, received=100)
    add(buyer, store.cup, 20)
    with pytest.raises(ValidationFailed) as refused:
        add(buyer, store.cup, 1)
    assert (refused.value.code, refused.value.details["max"]) == ("quantity_over_limit", 20)


def test_the_cart_is_limited_in_lines_and_units(store, buyer, settings):
    settings.ORDER_MAX_LINES = 2
    add(buyer, store.lamp)
    add(buyer, store.cup)
    with pytest.raises(ValidationFailed) as too_many:
        add(buyer, store.plate)
    settings.ORDER_MAX_LINES, settings.ORDER_MAX_QTY = 50, 11
    with pytest.raises(ValidationFailed) as too_much:
        add(buyer, store.cup, 10)
    assert (too_many.value.code, too_much.value.code) == (
        "too_many_lines",
        "order_quantity_over_limit",
    )


def test_more_than_is_on_sale_cannot_be_put_in_the_cart(store, buyer):
    with pytest.raises(Conflict) as refused:
        add(buyer, store.vase, 4)
    assert (refused.value.code, refused.value.details["available"]) == ("out_of_stock", 3)


def test_only_skus_on_sale_can_be_added(store, buyer):
    Sku.objects.filter(pk=store.vase.pk).update(is_active=False)
    store.product_b.status = ProductStatus.DELISTED
    store.product_b.save()

    with pytest.raises(Conflict) as inactive:
        add(buyer, store.vase)
    with pytest.raises(Conflict) as delisted:
        add(buyer, store.cup)
    with pytest.raises(NotFound):
        cart_add(user=buyer, sku_public_id="k_0000000000000000")
    assert (inactive.value.code, delisted.value.code) == ("sku_inactive", "product_unavailable")


def test_the_cart_is_priced_per_shop_from_the_catalog(store, buyer):
    add(buyer, store.lamp, 2)
    add(buyer, store.cup, 1)

    cart = cart_priced(user=buyer)

    assert [(s.shop, s.items_fen, s.shipping_fen) for s in cart.shops] == [
        (store.shop_b, 5_900, 1_500),
        (store.shop_a, 25_800, 1_500),
    ]  # newest line first
    assert cart.total_fen == 25_800 + 5_900 + 3_000
    assert cart.can_check_out
    assert cart_priced(user=buyer, delivery="pickup").total_fen == 25_800 + 5_900


def test_a_price_change_since_adding_is_shown(store, buyer):
    add(buyer, store.lamp)
    Sku.objects.filter(pk=store.lamp.pk).update(price_fen=15_900)

    (line,) = cart_priced(user=buyer).lines

    assert (line.price_seen_fen, line.unit_price_fen, line.price_changed) == (12_900, 15_900, True)
    assert cart_priced(user=buyer).total_fen == 15_900 + 1_500


def test_lines_no_longer_sellable_are_flagged_and_block_checkout(store, buyer):
    add(buyer, store.lamp)
    add(buyer, store.vase, 3)
    add(buyer, store.cup)
    StockLevel.objects.filter(sku=store.vase).update(available=2, written_off=1)
    store.shop_b.status = ShopStatus.SUSPENDED
    store.shop_b.save()

    cart = cart_priced(user=buyer)

    problems = {line.sku_public_id: line.problem for line in cart.lines}
    assert problems == {
        store.lamp.public_id: "",
        store.vase.public_id: "out_of_stock",
        store.cup.public_id: "shop_unavailable",
    }
    assert not cart.can_check_out
    assert cart.total_fen == 12_900 + 3 * 35_000  # the suspended shop's line counts for nothing


def test_an_anonymous_cart_is_checked_like_a_logged_in_one(store):
    lines = anonymous_cart_set(lines={}, sku_public_id=store.lamp.public_id, quantity=1)
    lines = anonymous_cart_set(
        lines=lines, sku_public_id=store.lamp.public_id, quantity=2, add=True
    )
    assert lines == {store.lamp.public_id: 3}
    with pytest.raises(Conflict):
        anonymous_cart_set(lines=lines, sku_public_id=store.vase.public_id, quantity=4)
    assert cart_priced_anonymous(lines=lines).total_fen == 3 * 12_900  # free shipping


def test_junk_in_a_session_cart_is_ignored_when_pricing(store):
    lines = {store.cup.public_id: 2, "x": "lots", 7: 1, store.lamp.public_id: -1}
    cart = cart_priced_anonymous(lines=lines)
    assert [(line.sku_public_id, line.quantity) for line in cart.lines] == [
        (store.cup.public_id, 2)
    ]


def test_logging_in_merges_the_anonymous_cart_keeping_the_larger_quantity(store, buyer):
    add(buyer, store.lamp, 2)
    add(buyer, store.cup, 1)

    skipped = cart_merge_anonymous(
        user=buyer,
        lines={store.lamp.public_id: 1, store.cup.public_id: 3, store.plate.public_id: 1},
    )

    assert skipped == []
    assert quantities(buyer) == {
        store.lamp.public_id: 2,
        store.cup.public_id: 3,
        store.plate.public_id: 1,
    }


def test_merging_leaves_out_what_cannot_be_bought_instead_of_failing(store, buyer, settings):
    store.product_b.status = ProductStatus.DELISTED
    store.product_b.save()

    skipped = cart_merge_anonymous(
        user=buyer,
        lines={
            store.lamp.public_id: 99,
            store.cup.public_id: 1,
            "k_0000000000000000": 1,
            "junk": "x",
        },
    )

    assert quantities(buyer) == {store.lamp.public_id: 20}  # capped at the per-SKU limit
    assert sorted(skipped) == sorted(["junk", store.cup.public_id, "k_0000000000000000"])


def test_merging_an_empty_or_broken_session_cart_changes_nothing(store, buyer):
    add(buyer, store.lamp)
    assert cart_merge_anonymous(user=buyer, lines={}) == []
    assert cart_merge_anonymous(user=buyer, lines=None) == []
    assert quantities(buyer) == {store.lamp.public_id: 1}
