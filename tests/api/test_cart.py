"""The cart API: priced on the server, problems and price changes flagged, limits kept."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from designmall.catalog.models import ProductStatus, ShopStatus
from tests.api.conftest import assert_error, invalid_fields
from tests.factories import make_user
from tests.orders.conftest import (  # noqa: F401  (fixtures)
    _orders_settings,
    _payments_settings,
    keys,
    sandbox_key_dir,
    store,
)

pytestmark = pytest.mark.django_db

ABSENT_SKU = "s_0000000000000000"


@pytest.fixture
def api(api_as, buyer):
    return api_as(buyer)


def test_anonymous_cannot_read_a_cart(anon):
    assert_error(anon.get("/cart"), 401, "not_authenticated")


def test_an_empty_cart_costs_nothing(api):
    body = api.get("/cart").json()

    assert (body["lines"], body["shops"], body["total_fen"]) == ([], [], 0)
    assert body["can_check_out"] is False


def test_lines_from_two_shops_are_priced_per_shop_and_overall(api, store):
    api.post("/cart/lines", {"sku": store.lamp.public_id, "quantity": 2})
    response = api.post("/cart/lines", {"sku": store.cup.public_id})

    assert response.status_code == 201
    body = response.json()
    shops = {shop["shop"]["public_id"]: shop for shop in body["shops"]}
    # Shop A: 2 × ¥129 (under the free-shipping bar: ¥15); shop B: ¥59 + ¥15.
    assert shops[store.shop_a.public_id]["total_fen"] == 25_800 + 1_500
    assert shops[store.shop_b.public_id]["total_fen"] == 5_900 + 1_500
    assert (body["items_fen"], body["shipping_fen"], body["total_fen"]) == (31_700, 3_000, 34_700)
    assert body["total_display"] == "¥347.00"
    assert body["can_check_out"] is True


def test_pickup_costs_no_shipping(api, store):
    api.post("/cart/lines", {"sku": store.cup.public_id})

    body = api.get("/cart", {"delivery": "pickup"}).json()

    assert (body["delivery"], body["shipping_fen"], body["total_fen"]) == ("pickup", 0, 5_900)


def test_adding_a_sku_again_adds_to_its_quantity(api, store):
    api.post("/cart/lines", {"sku": store.cup.public_id, "quantity": 2})

    body = api.post("/cart/lines", {"sku": store.cup.public_id, "quantity": 3}).json()

    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [(store.cup.public_id, 5)]


def test_a_price_changed_since_adding_is_flagged_with_the_price_seen(api, store):
    cup = store.cup
    api.post("/cart/lines", {"sku": cup.public_id})
    cup.price_fen = 6_900
    cup.save(update_fields=["price_fen"])

    body = api.get("/cart").json()

    line = body["lines"][0]
    assert (line["unit_price_fen"], line["price_seen_fen"], line["price_changed"]) == (
        6_900,
        5_900,
        True,
    )
    assert body["has_price_changes"] is True


def test_a_product_delisted_after_adding_is_flagged_and_blocks_checkout(api, store):
    api.post("/cart/lines", {"sku": store.cup.public_id})
    store.product_b.status = ProductStatus.DELISTED
    store.product_b.save(update_fields=["status"])

    body = api.get("/cart").json()

    assert body["lines"][0]["problem"] == "product_unavailable"
    assert (body["has_problems"], body["can_check_out"], body["total_fen"]) == (True, False, 0)


@pytest.mark.parametrize("quantity", [0, -1, 10**6, 10**30, "2", 1.5, True, None])
def test_a_quantity_that_is_not_a_sane_positive_int_is_invalid(api, store, quantity):
    response = api.post("/cart/lines", {"sku": store.cup.public_id, "quantity": quantity})

    assert invalid_fields(response) == {"quantity"}


def test_a_quantity_beyond_the_per_sku_limit_is_refused(api, store):
    response = api.post("/cart/lines", {"sku": store.cup.public_id, "quantity": 21})

    assert_error(response, 422, "quantity_over_limit")


def test_more_than_the_stock_on_sale_is_refused(api, store):
    error = assert_error(
        api.post("/cart/lines", {"sku": store.vase.public_id, "quantity": 4}), 409, "out_of_stock"
    )
    assert error["details"]["available"] == 3


def test_missing_and_extra_fields_are_invalid(api, store):
    assert invalid_fields(api.post("/cart/lines", {"quantity": 1})) == {"sku"}
    response = api.post("/cart/lines", {"sku": store.cup.public_id, "price_fen": 1})
    assert invalid_fields(response) == {"price_fen"}


def test_malformed_json_is_refused(api):
    assert_error(api.post("/cart/lines", raw='{"sku": '), 400, "malformed_json")


def test_an_unknown_sku_is_not_found(api):
    assert_error(api.post("/cart/lines", {"sku": ABSENT_SKU}), 404, "sku_not_found")


def test_a_delisted_product_cannot_be_added(api, store):
    store.product_a.status = ProductStatus.DELISTED
    store.product_a.save(update_fields=["status"])

    response = api.post("/cart/lines", {"sku": store.lamp.public_id})

    assert_error(response, 409, "product_unavailable")


def test_a_suspended_shops_product_cannot_be_added(api, store):
    store.shop_b.status = ShopStatus.SUSPENDED
    store.shop_b.save(update_fields=["status"])

    assert_error(api.post("/cart/lines", {"sku": store.cup.public_id}), 409, "shop_unavailable")


def test_patch_sets_the_quantity_of_a_line(api, store):
    api.post("/cart/lines", {"sku": store.cup.public_id, "quantity": 5})

    response = api.patch(f"/cart/lines/{store.cup.public_id}", {"quantity": 2})

    assert response.status_code == 200
    assert response.json()["lines"][0]["quantity"] == 2


def test_patch_of_a_sku_not_in_the_cart_is_not_found(api, store):
    response = api.patch(f"/cart/lines/{store.cup.public_id}", {"quantity": 2})

    assert_error(response, 404, "cart_line_not_found")


def test_patch_to_zero_is_invalid(api, store):
    api.post("/cart/lines", {"sku": store.cup.public_id})

    assert invalid_fields(api.patch(f"/cart/lines/{store.cup.public_id}", {"quantity": 0})) == {
        "quantity"
    }


def test_delete_takes_the_line_out(api, store):
    api.post("/cart/lines", {"sku": store.cup.public_id})
    api.post("/cart/lines", {"sku": store.lamp.public_id})

    response = api.delete(f"/cart/lines/{store.cup.public_id}")

    assert response.status_code == 200
    assert [line["sku"] for line in response.json()["lines"]] == [store.lamp.public_id]


def test_each_buyer_sees_only_their_own_cart(api, api_as, store):
    api.post("/cart/lines", {"sku": store.cup.public_id})

    assert api_as(make_user()).get("/cart").json()["lines"] == []


# --- an app's anonymous cart: quoted without a login, merged after it ---------------------


def test_an_anonymous_client_gets_its_cart_priced_by_the_server(anon, store):
    body = {"lines": [{"sku": store.lamp.public_id, "quantity": 2}, {"sku": store.cup.public_id}]}

    response = anon.post("/cart/quote", body)

    assert response.status_code == 200, response.content
    assert (response.json()["items_fen"], response.json()["total_fen"]) == (31_700, 34_700)


def test_a_quote_for_pickup_has_no_shipping(anon, store):
    body = {"lines": [{"sku": store.cup.public_id}], "delivery": "pickup"}

    assert anon.post("/cart/quote", body).json()["total_fen"] == 5_900


def test_a_quote_flags_a_sku_that_is_not_on_sale(anon, store):
    store.product_b.status = ProductStatus.DELISTED
    store.product_b.save()

    body = anon.post("/cart/quote", {"lines": [{"sku": store.cup.public_id}]}).json()

    assert body["lines"][0]["problem"] == "product_unavailable"
    assert body["can_check_out"] is False


def test_a_quote_beyond_the_quantity_limits_is_refused(anon, store, settings):
    settings.ORDER_MAX_QTY_PER_SKU = 3
    body = {"lines": [{"sku": store.cup.public_id, "quantity": 2}] * 2}

    assert_error(anon.post("/cart/quote", body), 422, "quantity_over_limit")


def test_the_anonymous_cart_is_merged_after_login_keeping_the_larger_quantity(api, store):
    api.post("/cart/lines", {"sku": store.lamp.public_id, "quantity": 3})
    anonymous = [{"sku": store.lamp.public_id, "quantity": 1}, {"sku": store.cup.public_id}]

    body = api.post("/cart/merge", {"lines": anonymous}).json()

    quantities = {line["sku"]: line["quantity"] for line in body["cart"]["lines"]}
    assert quantities == {store.lamp.public_id: 3, store.cup.public_id: 1}
    assert body["skipped"] == []


def test_merging_skips_what_cannot_be_bought_instead_of_failing(api, store):
    store.product_b.status = ProductStatus.DELISTED
    store.product_b.save()
    anonymous = [{"sku": store.cup.public_id}, {"sku": ABSENT_SKU}]

    body = api.post("/cart/merge", {"lines": anonymous}).json()

    assert body["cart"]["lines"] == []
    assert sorted(body["skipped"]) == sorted([store.cup.public_id, ABSENT_SKU])


def test_merging_needs_a_login(anon, store):
    assert_error(anon.post("/cart/merge", {"lines": []}), 401, "not_authenticated")
