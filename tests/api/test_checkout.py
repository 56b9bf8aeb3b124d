"""POST /checkout: one order per shop, one payment, and safe retries with Idempotency-Key."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designmall.catalog.models import ProductStatus
from designmall.orders.models import Checkout, Order
from tests.api.conftest import assert_error, invalid_fields
from tests.factories import make_user
from tests.orders.conftest import (  # noqa: F401  (fixtures)
    ADDRESS,
    _orders_settings,
    _payments_settings,
    keys,
    sandbox_key_dir,
    store,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_as, buyer):
    return api_as(buyer)


def checkout_with_key(api, body, key):
    return api.client.post(
        "/api/v1/checkout",
        data=body,
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": key},
    )


def lines(*pairs):
    return [{"sku": sku.public_id, "quantity": quantity} for sku, quantity in pairs]


def test_the_cart_checks_out_into_one_order_per_shop_and_one_payment(api, store):
    api.post("/cart/lines", {"sku": store.lamp.public_id, "quantity": 2})
    api.post("/cart/lines", {"sku": store.cup.public_id})

    response = api.post("/checkout", {"delivery": "address", "address": ADDRESS})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["total_fen"], body["total_display"]) == (
        "pending_payment",
        34_700,
        "¥347.00",
    )
    by_shop = {order["shop"]["public_id"]: order for order in body["orders"]}
    assert by_shop[store.shop_a.public_id]["total_fen"] == 27_300
    assert by_shop[store.shop_b.public_id]["total_fen"] == 7_400
    assert all(order["address"]["city"] == "上海市" for order in body["orders"])
    payment = body["payment"]
    assert (payment["status"], payment["amount_fen"]) == ("pending", 34_700)
    assert payment["pay_url"].startswith("http://testserver/payments/sandbox/")
    assert api.get("/cart").json()["lines"] == []


def test_given_lines_check_out_for_pickup_with_a_pickup_code_per_order(api, store):
    body = {"lines": lines((store.lamp, 1), (store.cup, 1)), "delivery": "pickup"}

    checkout = api.post("/checkout", body).json()

    assert checkout["shipping_fen"] == 0
    codes = [order["pickup_code"] for order in checkout["orders"]]
    assert len(codes) == 2 and all(len(code) == 9 for code in codes)  # ABCD-EFGH


def test_prices_come_from_the_catalog_not_the_client(api, store):
    body = {"lines": [{"sku": store.cup.public_id, "quantity": 1, "price_fen": 1}]}

    assert invalid_fields(api.post("/checkout", {**body, "delivery": "pickup"})) == {
        "lines.0.price_fen"
    }


def test_address_delivery_needs_an_address(api, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "address"}

    error = assert_error(api.post("/checkout", body), 422, "invalid_address")
    assert error["details"] == {"field": "address"}


def test_a_malformed_mobile_is_refused(api, store):
    body = {
        "lines": lines((store.cup, 1)),
        "delivery": "address",
        "address": {**ADDRESS, "mobile": "call me"},
    }

    assert assert_error(api.post("/checkout", body), 422, "invalid_address")["details"] == {
        "field": "mobile"
    }


def test_address_fields_are_bounded_and_closed(api, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "address"}

    long_name = {**body, "address": {**ADDRESS, "name": "名" * 41}}
    assert invalid_fields(api.post("/checkout", long_name)) == {"address.name"}
    extra = {**body, "address": {**ADDRESS, "floor": "3"}}
    assert invalid_fields(api.post("/checkout", extra)) == {"address.floor"}


def test_an_unknown_delivery_is_invalid(api, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "drone"}

    assert invalid_fields(api.post("/checkout", body)) == {"delivery"}


def test_an_empty_cart_cannot_check_out(api):
    assert_error(api.post("/checkout", {"delivery": "pickup"}), 422, "cart_empty")


def test_an_empty_list_of_lines_is_invalid(api):
    assert invalid_fields(api.post("/checkout", {"lines": [], "delivery": "pickup"})) == {"lines"}


@pytest.mark.parametrize("quantity", [0, -3, 10**9])
def test_bad_quantities_are_invalid(api, store, quantity):
    body = {"lines": lines((store.cup, quantity)), "delivery": "pickup"}

    assert invalid_fields(api.post("/checkout", body)) == {"lines.0.quantity"}


def test_an_unknown_sku_is_refused(api, store):
    body = {"lines": [{"sku": "s_0000000000000000", "quantity": 1}], "delivery": "pickup"}

    assert_error(api.post("/checkout", body), 409, "sku_not_found")


def test_a_delisted_sku_is_refused(api, store):
    store.product_b.status = ProductStatus.DELISTED
    store.product_b.save(update_fields=["status"])
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup"}

    assert_error(api.post("/checkout", body), 409, "product_unavailable")


def test_more_than_the_stock_is_out_of_stock(api, store):
    body = {"lines": lines((store.vase, 4)), "delivery": "pickup"}

    assert_error(api.post("/checkout", body), 409, "out_of_stock")
    assert not Order.objects.exists()


def test_a_stale_expected_total_is_price_changed_with_the_new_total(api, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup", "expected_total_fen": 4_900}

    error = assert_error(api.post("/checkout", body), 409, "price_changed")

    assert error["details"]["total_fen"] == 5_900
    assert not Checkout.objects.exists()


def test_the_expected_total_shown_checks_out(api, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup", "expected_total_fen": 5_900}

    assert api.post("/checkout", body).status_code == 201


def test_anonymous_cannot_check_out(anon, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup"}

    assert_error(anon.post("/checkout", body), 401, "not_authenticated")


# --- Idempotency-Key ----------------------------------------------------------------------


def test_the_same_key_and_body_return_the_first_checkout(api, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup"}
    first = checkout_with_key(api, body, "key-1")

    again = checkout_with_key(api, body, "key-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["public_id"] == first.json()["public_id"]
    assert Checkout.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(api, store):
    checkout_with_key(api, {"lines": lines((store.cup, 1)), "delivery": "pickup"}, "key-1")

    response = checkout_with_key(
        api, {"lines": lines((store.cup, 2)), "delivery": "pickup"}, "key-1"
    )

    assert_error(response, 409, "idempotency_key_reused")
    assert Checkout.objects.count() == 1


def test_a_first_error_is_replayed_even_once_it_would_succeed(api, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup", "expected_total_fen": 4_900}
    assert_error(checkout_with_key(api, body, "key-1"), 409, "price_changed")
    cup = store.cup
    cup.price_fen = 4_900
    cup.save(update_fields=["price_fen"])

    assert_error(checkout_with_key(api, body, "key-1"), 409, "price_changed")
    assert checkout_with_key(api, body, "key-2").status_code == 201


def test_a_retry_after_the_sale_sold_out_answers_the_original_checkout(api, store):
    body = {"lines": lines((store.cup, 10)), "delivery": "pickup"}
    first = checkout_with_key(api, body, "key-1")
    assert first.status_code == 201

    again = checkout_with_key(api, body, "key-1")

    assert again.status_code == 201
    assert again.json()["public_id"] == first.json()["public_id"]
    assert again.json()["orders"] == first.json()["orders"]
    assert Checkout.objects.count() == 1


def test_a_sold_out_checkout_is_answered_from_three_statements(api, store):
    sold_out = {"lines": lines((store.vase, 4)), "delivery": "pickup"}
    api.get("/me")  # the token was just made: its first use records it

    with CaptureQueriesContext(connection) as statements:
        response = checkout_with_key(api, sold_out, "key-1")

    assert_error(response, 409, "out_of_stock")
    # Who is calling; the lines priced with their stock; the refusal kept for retries.
    tables = [q["sql"].split(" FROM ")[-1].split()[0] for q in statements.captured_queries[:2]]
    assert tables == ["accounts_apitoken", "catalog_sku"]
    (record,) = statements.captured_queries[2:]
    assert record["sql"].startswith('INSERT INTO "orders_idempotencykey"')
    assert_error(checkout_with_key(api, sold_out, "key-1"), 409, "out_of_stock")


def test_keys_are_per_buyer(api, api_as, store):
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup"}
    first = checkout_with_key(api, body, "key-1").json()

    other = checkout_with_key(api_as(make_user()), body, "key-1")

    assert other.status_code == 201
    assert other.json()["public_id"] != first["public_id"]


@pytest.mark.parametrize("key", ["k" * 101, "with space"])
def test_a_malformed_key_is_invalid(api, store, key):
    body = {"lines": lines((store.cup, 1)), "delivery": "pickup"}

    assert invalid_fields(checkout_with_key(api, body, key)) == {"Idempotency-Key"}


def test_the_buyer_reads_a_checkout_back_with_its_orders_and_payment(api, store):
    placed = api.post("/checkout", {"lines": lines((store.cup, 1)), "delivery": "pickup"}).json()

    response = api.get(f"/checkouts/{placed['public_id']}")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["total_fen"]) == ("pending_payment", 5_900)
    assert body["payment"]["public_id"] == placed["payment"]["public_id"]
    assert [o["public_id"] for o in body["orders"]] == [o["public_id"] for o in placed["orders"]]


def test_another_buyers_checkout_is_404(api, api_as, store):
    placed = api.post("/checkout", {"lines": lines((store.cup, 1)), "delivery": "pickup"}).json()

    other = api_as(make_user())
    assert_error(other.get(f"/checkouts/{placed['public_id']}"), 404, "checkout_not_found")


# --- coupons ------------------------------------------------------------------------------


def _coupon(buyer, **values):
    from designmall.promotions.services import coupon_claim
    from tests.promotions.conftest import make_platform_coupon

    return coupon_claim(template=make_platform_coupon(**values), buyer=buyer)


def test_the_api_suggests_the_best_coupons_and_checks_out_with_them(api, store, buyer):
    coupon = _coupon(buyer)  # 满¥100减¥20
    body = {"lines": lines((store.lamp, 1)), "delivery": "pickup"}

    suggested = api.post("/checkout/coupons", body)

    assert suggested.status_code == 200, suggested.content
    assert suggested.json()["best"] == [coupon.public_id]
    assert suggested.json()["best_discount_fen"] == 2_000
    response = api.post("/checkout", {**body, "coupons": suggested.json()["best"]})
    assert response.status_code == 201, response.content
    placed = response.json()
    assert (placed["discount_fen"], placed["total_fen"]) == (2_000, 10_900)
    assert placed["payment"]["amount_fen"] == 10_900
    line = placed["orders"][0]["lines"][0]
    assert (line["discount_fen"], line["paid_fen"]) == (2_000, 10_900)


def test_a_refused_coupon_is_the_one_error_shape(api, store, buyer):
    coupon = _coupon(buyer)
    body = {"lines": lines((store.lamp, 1)), "delivery": "pickup"}

    response = api.post("/checkout", {**body, "coupons": [coupon.public_id, coupon.public_id]})

    assert_error(response, 422, "coupon_used_twice")
    response = api.post("/checkout", {**body, "coupons": ["cp_nosuchcoupon0000"]})
    assert_error(response, 404, "coupon_not_found")
    assert Checkout.objects.count() == 0
