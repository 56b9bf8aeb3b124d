"""The deals API: list, detail, state, and buying, with errors in the one shape."""

from __future__ import annotations

import pytest

from designmall.promotions.deals import deal_write_queued
from designmall.promotions.models import DealTicket
from tests.api.conftest import assert_error
from tests.factories import make_user
from tests.orders.conftest import ADDRESS

from .conftest import schedule

pytestmark = pytest.mark.django_db


def test_deals_are_listed_and_read_in_public(store, path, anon):
    running = schedule(store.lamp, quantity=3, price_fen=9_900)
    upcoming = schedule(store.vase, quantity=2, starts_in=600)
    listed = anon.get("/deals").json()["items"]
    assert [d["public_id"] for d in listed] == [running.public_id, upcoming.public_id]
    first = listed[0]
    assert (first["phase"], first["units_left"], first["price_display"]) == ("live", 3, "¥99.00")
    assert listed[1]["phase"] == "upcoming"
    detail = anon.get(f"/deals/{upcoming.public_id}").json()
    assert detail["sku"] == store.vase.public_id and detail["per_buyer_limit"] == 1
    state = anon.get(f"/deals/{running.public_id}/state").json()
    assert set(state) == {"phase", "units_left", "quantity", "starts_at", "ends_at", "server_time"}
    assert_error(anon.get("/deals/dl_0000000000000000"), 404, "deal_not_found")


def test_buying_answers_a_checkout_and_refusals_are_409(store, path, api_as, anon):
    deal = schedule(store.lamp, quantity=1, price_fen=9_900)
    body = {"delivery": "address", "address": ADDRESS}
    assert_error(anon.post(f"/deals/{deal.public_id}/buy", body), 401, "not_authenticated")
    buyer = api_as(make_user())
    buyer.headers["Idempotency-Key"] = "buy-1"
    placed = buyer.post(f"/deals/{deal.public_id}/buy", body)
    if path == "redis":  # answered at admission; the order is written behind the answer
        assert placed.status_code == 202, placed.json()
        assert (placed.json()["status"], placed.json()["checkout"]) == ("queued", None)
        deal_write_queued(deal=deal)
        placed = buyer.get(f"/deals/{deal.public_id}/tickets/{placed.json()['ticket']}")
        assert placed.json()["status"] == "ordered"
        checkout = placed.json()["checkout"]
    else:
        assert placed.status_code == 201, placed.json()
        checkout = placed.json()
    assert checkout["status"] == "pending_payment"
    assert checkout["orders"][0]["lines"][0]["unit_price_fen"] == 9_900
    again = buyer.post(f"/deals/{deal.public_id}/buy", body)
    answered = again.json()["checkout"] if path == "redis" else again.json()
    assert again.status_code == {"redis": 202, "database": 201}[path]
    assert answered["public_id"] == checkout["public_id"]
    assert DealTicket.objects.filter(deal=deal).count() == 1
    assert_error(
        api_as(make_user()).post(f"/deals/{deal.public_id}/buy", body), 409, "deal_sold_out"
    )
    assert_error(
        api_as(make_user()).post(f"/deals/{deal.public_id}/buy", {"delivery": "address"}),
        422,
        "invalid_address",
    )
