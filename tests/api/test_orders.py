"""Orders through the API: the buyer's and the seller's views, fulfilment, refunds, and
the whole purchase from cart to completion."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from designmall.orders.models import Order
from designmall.orders.services import order_ready_for_pickup, order_ship
from designmall.payments.models import Refund
from tests.api.conftest import assert_error, invalid_fields
from tests.factories import make_user
from tests.orders.conftest import (  # noqa: F401  (fixtures)
    ADDRESS,
    _orders_settings,
    _payments_settings,
    buy,
    keys,
    orders_of,
    pay,
    sandbox_key_dir,
    store,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_as, buyer):
    return api_as(buyer)


@pytest.fixture
def seller_a(api_as, store):
    return api_as(store.shop_a.owner)


@pytest.fixture
def seller_b(api_as, store):
    return api_as(store.shop_b.owner)


@pytest.fixture
def paid_address_order(buyer, store) -> Order:
    """A paid order of shop A for delivery: ¥129 + ¥15 shipping."""
    checkout = buy(buyer, (store.lamp, 1))
    pay(checkout)
    return orders_of(checkout)[0]


@pytest.fixture
def paid_pickup_order(buyer, store) -> Order:
    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")
    pay(checkout)
    return orders_of(checkout)[0]


# --- the buyer ----------------------------------------------------------------------------


def test_anonymous_cannot_list_orders(anon):
    assert_error(anon.get("/orders"), 401, "not_authenticated")
    assert_error(anon.get("/seller/orders"), 401, "not_authenticated")


def test_the_buyer_lists_their_orders_paginated_and_by_status(api, buyer, store):
    pay(buy(buyer, (store.lamp, 1)))
    buy(buyer, (store.cup, 1), (store.lamp, 1))
    buy(make_user(), (store.cup, 1))

    everything = api.get("/orders", {"per_page": 2}).json()
    paid = api.get("/orders", {"status": "paid"}).json()

    assert (everything["total"], everything["pages"], len(everything["items"])) == (3, 2, 2)
    assert [order["status"] for order in paid["items"]] == ["paid"]


def test_listing_orders_takes_the_same_queries_however_many_there_are(
    api, buyer, store, django_assert_max_num_queries
):
    for _ in range(4):
        buy(buyer, (store.cup, 1), (store.lamp, 1))

    with django_assert_max_num_queries(8):
        body = api.get("/orders").json()

    assert body["total"] == 8


def test_an_unknown_status_filter_is_invalid(api):
    assert invalid_fields(api.get("/orders", {"status": "lost"})) == {"status"}


def test_the_buyer_reads_an_order_with_its_history(api, paid_address_order):
    body = api.get(f"/orders/{paid_address_order.public_id}").json()

    assert (body["status"], body["total_fen"], body["total_display"]) == ("paid", 14_400, "¥144.00")
    assert [(e["from_status"], e["to_status"], e["by"]) for e in body["events"]] == [
        ("", "pending_payment", "buyer"),
        ("pending_payment", "paid", "system"),
    ]
    assert body["pickup_code"] is None
    assert body["lines"][0]["quantity"] == 1


def test_a_pickup_order_shows_its_pickup_code_to_the_buyer(api, paid_pickup_order):
    body = api.get(f"/orders/{paid_pickup_order.public_id}").json()

    assert body["pickup_code"] == paid_pickup_order.pickup_code_display


def test_another_buyers_order_is_not_found(api_as, paid_address_order):
    stranger = api_as(make_user())
    path = f"/orders/{paid_address_order.public_id}"

    assert_error(stranger.get(path), 404, "order_not_found")
    assert_error(stranger.post(path + "/cancel", {}), 404, "order_not_found")
    assert_error(stranger.post(path + "/confirm-receipt"), 404, "order_not_found")
    assert stranger.get("/orders").json()["total"] == 0


def test_cancelling_an_unpaid_order_cancels_its_whole_checkout(api, buyer, store):
    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1))
    first, second = orders_of(checkout)

    response = api.post(f"/orders/{first.public_id}/cancel", {"reason": "买错了"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["events"][-1]["reason"] == "买错了"
    assert api.get(f"/orders/{second.public_id}").json()["status"] == "cancelled"


def test_a_paid_order_cannot_be_cancelled(api, paid_address_order):
    response = api.post(f"/orders/{paid_address_order.public_id}/cancel", {})

    assert_error(response, 409, "invalid_transition")


def test_a_cancel_reason_is_bounded(api, buyer, store):
    order = orders_of(buy(buyer, (store.cup, 1)))[0]

    response = api.post(f"/orders/{order.public_id}/cancel", {"reason": "x" * 1001})

    assert invalid_fields(response) == {"reason"}


def test_receipt_cannot_be_confirmed_before_shipping(api, paid_address_order):
    response = api.post(f"/orders/{paid_address_order.public_id}/confirm-receipt")

    assert_error(response, 409, "invalid_transition")


# --- the seller ---------------------------------------------------------------------------


def test_the_seller_lists_only_their_shops_paid_orders(seller_a, buyer, store):
    pay(buy(buyer, (store.lamp, 1), (store.cup, 1)))
    buy(buyer, (store.vase, 1))  # unpaid: nothing to fulfil yet

    body = seller_a.get("/seller/orders").json()

    assert body["total"] == 1
    assert body["items"][0]["shop"]["public_id"] == store.shop_a.public_id


def test_the_seller_never_sees_the_pickup_code(seller_a, paid_pickup_order):
    listed = seller_a.get("/seller/orders").json()["items"][0]
    detail = seller_a.get(f"/seller/orders/{paid_pickup_order.public_id}").json()

    assert (listed["pickup_code"], detail["pickup_code"]) == (None, None)


def test_the_seller_sees_the_delivery_address(seller_a, paid_address_order):
    body = seller_a.get(f"/seller/orders/{paid_address_order.public_id}").json()

    assert body["address"]["detail"] == ADDRESS["detail"]


def test_another_shops_seller_cannot_see_or_fulfil_the_order(seller_b, paid_address_order):
    path = f"/seller/orders/{paid_address_order.public_id}"

    assert_error(seller_b.get(path), 404, "order_not_found")
    ship = {"carrier": "SF", "tracking_number": "SF1234567890"}
    assert_error(seller_b.post(path + "/ship", ship), 404, "order_not_found")
    assert_error(seller_b.post(path + "/ready-for-pickup"), 404, "order_not_found")
    refund = {"amount_fen": 100, "reason": "退差价"}
    assert_error(seller_b.post(path + "/refunds", refund), 404, "order_not_found")
    assert seller_b.get("/seller/orders").json()["total"] == 0


def test_a_buyer_cannot_use_the_seller_views_of_their_own_order(api, paid_address_order):
    assert_error(api.get(f"/seller/orders/{paid_address_order.public_id}"), 404, "order_not_found")


def test_the_seller_ships_with_carrier_and_tracking_number(seller_a, paid_address_order):
    response = seller_a.post(
        f"/seller/orders/{paid_address_order.public_id}/ship",
        {"carrier": "SF", "tracking_number": "sf 1234-5678-90"},
    )

    body = response.json()
    assert (body["status"], body["carrier_name"], body["tracking_number"]) == (
        "shipped",
        "顺丰速运",
        "SF1234567890",
    )


def test_shipping_needs_a_known_carrier_and_a_tracking_number(seller_a, paid_address_order):
    path = f"/seller/orders/{paid_address_order.public_id}/ship"

    bad_carrier = {"carrier": "PIGEON", "tracking_number": "SF1234567890"}
    assert_error(seller_a.post(path, bad_carrier), 422, "invalid_carrier")
    bad_number = {"carrier": "SF", "tracking_number": "12"}
    assert_error(seller_a.post(path, bad_number), 422, "invalid_tracking_number")
    assert invalid_fields(seller_a.post(path, {"carrier": "SF"})) == {"tracking_number"}


def test_a_pickup_order_is_handed_over_by_its_code(seller_a, api, paid_pickup_order):
    path = f"/seller/orders/{paid_pickup_order.public_id}/ready-for-pickup"
    assert seller_a.post(path).json()["status"] == "ready_for_pickup"
    code = api.get(f"/orders/{paid_pickup_order.public_id}").json()["pickup_code"]

    response = seller_a.post("/seller/orders/pickup", {"pickup_code": code.lower()})

    assert response.status_code == 200
    assert (response.json()["public_id"], response.json()["status"]) == (
        paid_pickup_order.public_id,
        "completed",
    )


def test_a_wrong_pickup_code_finds_nothing(seller_a, paid_pickup_order, store):
    order_ready_for_pickup(order=paid_pickup_order, by=store.shop_a.owner)

    response = seller_a.post("/seller/orders/pickup", {"pickup_code": "0000-0000"})

    assert_error(response, 404, "pickup_not_found")
    assert Order.objects.get(pk=paid_pickup_order.pk).status == "ready_for_pickup"


def test_another_shops_seller_cannot_confirm_a_pickup(seller_b, paid_pickup_order, store):
    order_ready_for_pickup(order=paid_pickup_order, by=store.shop_a.owner)

    body = {"pickup_code": paid_pickup_order.pickup_code}
    assert_error(seller_b.post("/seller/orders/pickup", body), 404, "pickup_not_found")


def test_the_seller_refunds_part_of_a_paid_order(seller_a, paid_address_order):
    response = seller_a.post(
        f"/seller/orders/{paid_address_order.public_id}/refunds",
        {"amount_fen": 4_400, "reason": "少寄一件配件"},
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["amount_fen"], body["amount_display"], body["reason"]) == (
        4_400,
        "¥44.00",
        "少寄一件配件",
    )


def test_a_refund_larger_than_paid_is_refused(seller_a, paid_address_order):
    response = seller_a.post(
        f"/seller/orders/{paid_address_order.public_id}/refunds",
        {"amount_fen": 14_401, "reason": "多退"},
    )

    error = assert_error(response, 422, "refund_exceeds_paid")
    assert error["details"]["refundable_fen"] == 14_400


@pytest.mark.parametrize("amount", [0, -100, 10**13, "100"])
def test_a_refund_amount_must_be_a_sane_positive_int(seller_a, paid_address_order, amount):
    response = seller_a.post(
        f"/seller/orders/{paid_address_order.public_id}/refunds",
        {"amount_fen": amount, "reason": "退款"},
    )

    assert invalid_fields(response) == {"amount_fen"}


def test_a_refund_needs_a_reason(seller_a, paid_address_order):
    response = seller_a.post(
        f"/seller/orders/{paid_address_order.public_id}/refunds", {"amount_fen": 100}
    )

    assert invalid_fields(response) == {"reason"}


def test_an_unpaid_order_is_not_the_sellers_to_see(seller_a, buyer, store):
    order = orders_of(buy(buyer, (store.lamp, 1)))[0]

    assert_error(seller_a.get(f"/seller/orders/{order.public_id}"), 404, "order_not_found")


# --- the whole purchase -------------------------------------------------------------------


def test_a_purchase_from_two_shops_runs_from_cart_to_completion(
    api, client, seller_a, seller_b, store
):
    api.post("/cart/lines", {"sku": store.lamp.public_id, "quantity": 2})
    api.post("/cart/lines", {"sku": store.cup.public_id})
    cart = api.get("/cart").json()
    checkout = api.post(
        "/checkout",
        {"delivery": "address", "address": ADDRESS, "expected_total_fen": cart["total_fen"]},
    ).json()
    orders = [order["public_id"] for order in checkout["orders"]]

    # The buyer pays at the sandbox cashier, which delivers its signed notification.
    cashier = urlsplit(checkout["payment"]["pay_url"]).path
    assert client.post(cashier + "pay").status_code == 302
    assert [api.get(f"/orders/{o}").json()["status"] for o in orders] == ["paid", "paid"]
    assert api.get(f"/payments/{checkout['payment']['public_id']}").json()["status"] == "paid"

    for seller in (seller_a, seller_b):
        (order,) = seller.get("/seller/orders").json()["items"]
        shipped = seller.post(
            f"/seller/orders/{order['public_id']}/ship",
            {"carrier": "ZTO", "tracking_number": "ZT0000000001"},
        )
        assert shipped.json()["status"] == "shipped"
    for order in orders:
        assert api.post(f"/orders/{order}/confirm-receipt").json()["status"] == "completed"

    done = api.get("/orders", {"status": "completed"}).json()
    assert done["total"] == 2
    assert {o["total_fen"] for o in done["items"]} == {25_800 + 1_500, 5_900 + 1_500}

    # Each seller's balance now holds their order less the shop's commission (8% for A).
    settlement = seller_a.get("/seller/settlement").json()
    assert settlement["balance_fen"] == 27_300 - 27_300 * 800 // 10_000
    assert settlement["in_escrow_fen"] == 0
    assert [e["kind"] for e in settlement["entries"]] == ["escrow_released"]


def test_a_refund_after_shipping_is_recorded_in_the_history(
    seller_a, api, paid_address_order, store
):
    order_ship(
        order=paid_address_order,
        by=store.shop_a.owner,
        carrier="SF",
        tracking_number="SF1234567890",
    )
    seller_a.post(
        f"/seller/orders/{paid_address_order.public_id}/refunds",
        {"amount_fen": 1_000, "reason": "运费补偿"},
    )

    events = api.get(f"/orders/{paid_address_order.public_id}").json()["events"]

    assert (events[-1]["to_status"], events[-1]["by"], events[-1]["reason"]) == (
        "shipped",
        "seller",
        "运费补偿",
    )


def test_a_shop_sees_what_its_paid_orders_hold_in_escrow(seller_a, paid_address_order):
    settlement = seller_a.get("/seller/settlement").json()

    assert (settlement["balance_fen"], settlement["entries"]) == (0, [])
    assert settlement["in_escrow_orders"] == 1
    assert settlement["in_escrow_fen"] == paid_address_order.total_fen


def test_a_buyer_without_a_shop_has_no_settlement(api):
    assert_error(api.get("/seller/settlement"), 404, "shop_not_found")


# --- refunds with an Idempotency-Key ------------------------------------------------------


def refund_with_key(api, order, body, key):
    return api.client.post(
        f"/api/v1/seller/orders/{order.public_id}/refunds",
        data=body,
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": key},
    )


def test_a_retried_refund_with_its_key_answers_the_first_refund(seller_a, paid_address_order):
    body = {"amount_fen": 4_400, "reason": "少寄一件配件"}
    first = refund_with_key(seller_a, paid_address_order, body, "refund-key-1")

    again = refund_with_key(seller_a, paid_address_order, body, "refund-key-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("change", [{"amount_fen": 4_000}, {"reason": "另一个原因"}])
def test_a_refund_key_sent_with_another_body_is_refused(seller_a, paid_address_order, change):
    body = {"amount_fen": 4_400, "reason": "少寄一件配件"}
    refund_with_key(seller_a, paid_address_order, body, "refund-key-1")

    response = refund_with_key(seller_a, paid_address_order, {**body, **change}, "refund-key-1")

    assert_error(response, 409, "idempotency_key_reused")
    assert Refund.objects.count() == 1


def test_a_refund_key_sent_for_another_order_is_refused(api_as, store, buyer):
    checkouts = [buy(buyer, (store.lamp, 1)) for _ in range(2)]
    for checkout in checkouts:
        pay(checkout)
    first, second = (orders_of(checkout)[0] for checkout in checkouts)
    seller = api_as(store.shop_a.owner)
    body = {"amount_fen": 1_000, "reason": "少寄一件配件"}
    refund_with_key(seller, first, body, "refund-key-1")

    response = refund_with_key(seller, second, body, "refund-key-1")

    assert_error(response, 409, "idempotency_key_reused")
    assert Refund.objects.count() == 1


def test_a_refused_refund_is_answered_again_under_its_key(seller_a, paid_address_order):
    too_much = {"amount_fen": 14_401, "reason": "多退"}
    assert_error(
        refund_with_key(seller_a, paid_address_order, too_much, "k1"), 422, "refund_exceeds_paid"
    )

    again = refund_with_key(seller_a, paid_address_order, too_much, "k1")

    error = assert_error(again, 422, "refund_exceeds_paid")
    assert error["details"]["refundable_fen"] == 14_400
    assert not Refund.objects.exists()


@pytest.mark.parametrize("key", ["k" * 101, "with space"])
def test_a_malformed_refund_key_is_invalid(seller_a, paid_address_order, key):
    body = {"amount_fen": 4_400, "reason": "少寄一件配件"}

    response = refund_with_key(seller_a, paid_address_order, body, key)

    assert invalid_fields(response) == {"Idempotency-Key"}
    assert not Refund.objects.exists()


def test_the_refund_endpoint_documents_its_optional_idempotency_key(anon):
    operation = anon.get("/openapi.json").json()["paths"][
        "/api/v1/seller/orders/{public_id}/refunds"
    ]["post"]

    (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
    assert (header["name"], header.get("required", False)) == ("Idempotency-Key", False)
    assert "idempotency_key_reused" in header["description"]
    assert "Idempotency-Key" in operation["description"]
    assert "409" in operation["responses"]
