"""After-sales through the API: the buyer asks, the seller answers, the platform decides,
each in the one error shape, and the order shows the requests to both sides."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designmall.core import clock
from designmall.orders.models import Order
from designmall.orders.services import order_confirm_receipt, order_ship
from designmall.orders.tasks import aftersales_auto_accept_due
from designmall.payments.models import Refund
from tests.api.conftest import assert_error, png_bytes
from tests.factories import make_user
from tests.orders.conftest import (  # noqa: F401  (fixtures)
    _orders_settings,
    _payments_settings,
    buy,
    keys,
    orders_of,
    pay,
    sandbox_key_dir,
    store,
)
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _aftersales_settings(settings):
    settings.AFTERSALES_WINDOW_DAYS = 15
    settings.AFTERSALES_SELLER_REPLY_DAYS = 3


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
def platform(api_as, operator):
    return api_as(operator)


@pytest.fixture
def order(buyer, store) -> Order:
    """A paid order of shop A: lamp ×2 (¥258) + ¥15 shipping."""
    checkout = buy(buyer, (store.lamp, 2))
    pay(checkout)
    return orders_of(checkout)[0]


def ask(api, order, store, **body):
    body = {"sku": store.lamp.public_id, "kind": "refund_only", "reason": "damaged"} | body
    body.setdefault("quantity", 1)
    return api.post(f"/orders/{order.public_id}/aftersales", body)


def test_refund_only_from_request_to_refund(api, seller_a, order, store):
    created = ask(api, order, store, note="灯罩裂了")
    assert created.status_code == 201, created.content
    request = created.json()
    assert (request["status"], request["amount_fen"]) == ("requested", 12_900)

    accepted = seller_a.post(f"/seller/aftersales/{request['public_id']}/accept")
    run_jobs()

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "refunded"
    detail = api.get(f"/orders/{order.public_id}").json()
    assert detail["refunded_fen"] == 12_900
    shown = detail["aftersales"][0]
    assert [e["to_status"] for e in shown["events"]] == ["requested", "accepted", "refunded"]
    assert [e["by"] for e in shown["events"]] == ["buyer", "seller", "seller"]
    seller_view = seller_a.get(f"/seller/orders/{order.public_id}").json()
    assert seller_view["aftersales"][0]["public_id"] == request["public_id"]


def test_return_and_refund_with_the_buyers_tracking_number(api, seller_a, order, store, buyer):
    order_ship(order=order, by=order.shop.owner, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=Order.objects.get(pk=order.pk), by=buyer)
    pid = ask(api, order, store, kind="return_refund", quantity=2).json()["public_id"]

    seller_a.post(f"/seller/aftersales/{pid}/accept")
    shipped = api.post(
        f"/aftersales/{pid}/return", {"carrier": "SF", "tracking_number": "SF5555666677"}
    )
    assert shipped.json()["return_tracking_number"] == "SF5555666677"
    received = seller_a.post(f"/seller/aftersales/{pid}/return-received")
    run_jobs()

    assert received.json()["status"] == "refunded"
    assert Refund.objects.get().amount_fen == 25_800


def test_refused_escalated_and_accepted_by_the_platform(api, seller_a, platform, order, store):
    pid = ask(api, order, store).json()["public_id"]
    refused = seller_a.post(f"/seller/aftersales/{pid}/refuse", {"reason": "无质量问题"})
    assert refused.json()["refusal_reason"] == "无质量问题"
    api.post(f"/aftersales/{pid}/escalate", {"note": "请平台介入"})

    queue = platform.get("/operator/aftersales").json()
    assert [r["public_id"] for r in queue["items"]] == [pid]
    decided = platform.post(f"/operator/aftersales/{pid}/decide", {"accept": True})
    run_jobs()

    assert decided.json()["status"] == "refunded"
    assert decided.json()["events"][-2]["by"] == "platform"


def test_the_platform_closing_needs_a_reason(api, seller_a, platform, order, store):
    pid = ask(api, order, store).json()["public_id"]
    seller_a.post(f"/seller/aftersales/{pid}/refuse", {"reason": "无质量问题"})
    api.post(f"/aftersales/{pid}/escalate", {})
    assert_error(
        platform.post(f"/operator/aftersales/{pid}/decide", {"accept": False}),
        422,
        "reason_required",
    )
    body = {"accept": False, "reason": "证据不足"}
    closed = platform.post(f"/operator/aftersales/{pid}/decide", body)
    assert closed.json()["status"] == "closed"


def test_only_operators_decide(api, order, store):
    pid = ask(api, order, store).json()["public_id"]
    response = api.post(f"/operator/aftersales/{pid}/decide", {"accept": True})
    assert_error(response, 403, "role_required")


def test_unanswered_requests_are_accepted_by_the_sweeper(api, order, store):
    clock.set_frozen(clock.now())
    pid = ask(api, order, store).json()["public_id"]
    clock.advance(timedelta(days=3))
    assert aftersales_auto_accept_due() == 1
    assert aftersales_auto_accept_due() == 0
    run_jobs()
    events = api.get(f"/aftersales/{pid}").json()["events"]
    assert [e["by"] for e in events] == ["buyer", "system", "system"]


def test_the_amount_is_capped_at_what_the_line_cost(api, order, store):
    response = ask(api, order, store, quantity=2, amount_fen=25_801)
    error = assert_error(response, 422, "amount_exceeds_paid")
    assert error["details"]["refundable_fen"] == 25_800


def test_no_more_units_than_the_line_had(api, order, store):
    assert_error(ask(api, order, store, quantity=3), 422, "quantity_exceeds_line")


def test_a_return_before_shipping_is_refused(api, order, store):
    assert_error(ask(api, order, store, kind="return_refund"), 422, "return_before_delivery")


def test_after_the_window_is_refused(api, order, store, buyer):
    clock.set_frozen(clock.now())
    order_ship(order=order, by=order.shop.owner, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=Order.objects.get(pk=order.pk), by=buyer)
    clock.advance(timedelta(days=16))
    assert_error(ask(api, order, store), 422, "aftersales_window_closed")


def test_reasons_come_from_a_fixed_list(api, order, store):
    response = ask(api, order, store, reason="whatever")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_others_orders_and_requests_are_not_found(api_as, api, seller_b, order, store):
    stranger = api_as(make_user())
    assert_error(ask(stranger, order, store), 404, "order_not_found")
    pid = ask(api, order, store).json()["public_id"]
    assert_error(stranger.get(f"/aftersales/{pid}"), 404, "aftersales_not_found")
    assert_error(seller_b.post(f"/seller/aftersales/{pid}/accept"), 404, "aftersales_not_found")
    assert_error(api.post(f"/seller/aftersales/{pid}/accept"), 404, "aftersales_not_found")


def test_a_step_not_allowed_is_a_conflict(api, seller_a, order, store):
    pid = ask(api, order, store).json()["public_id"]
    assert_error(api.post(f"/aftersales/{pid}/escalate", {}), 409, "aftersales_invalid_transition")
    api.post(f"/aftersales/{pid}/cancel")
    assert_error(
        seller_a.post(f"/seller/aftersales/{pid}/accept"), 409, "aftersales_invalid_transition"
    )


def test_lists_for_buyer_and_seller(api, seller_a, seller_b, order, store):
    pid = ask(api, order, store).json()["public_id"]
    assert [r["public_id"] for r in api.get("/aftersales").json()["items"]] == [pid]
    assert seller_a.get("/seller/aftersales", {"status": "requested"}).json()["total"] == 1
    assert seller_b.get("/seller/aftersales").json()["total"] == 0


def test_the_buyer_adds_a_photo(api, order, store):
    pid = ask(api, order, store).json()["public_id"]
    photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    response = api.upload(f"/aftersales/{pid}/photos", {"image": photo})
    assert response.status_code == 201, response.content
    assert response.json()["photos"][0]["url"].endswith(".png")


def test_a_photo_that_is_not_an_image_is_refused(api, order, store):
    pid = ask(api, order, store).json()["public_id"]
    fake = SimpleUploadedFile("p.png", b"not an image", content_type="image/png")
    response = api.upload(f"/aftersales/{pid}/photos", {"image": fake})
    assert response.status_code == 422
