"""The booth pickup API: the buyer's pickup code, staff redeem with serial and device (a
retry answers the first), reversal by serial, a booth's pickups still waiting; errors in
the one shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from tests.api.conftest import assert_error
from tests.factories import make_shop
from tests.o2o.pickup_helpers import booth_order, local_noon, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon():
    clock.set_frozen(local_noon())


@pytest.fixture
def placed():
    return booth_order(units=3)


def test_the_buyer_reads_their_pickup_code_and_booth(api_as, placed):
    order, redeemable = placed

    body = api_as(order.buyer).get(f"/o2o/pickups/{order.public_id}").json()

    assert body["code"] == order.pickup_code and body["order"] == order.public_id
    assert body["booth"]["public_id"] == redeemable.booth.public_id
    assert [(i["quantity"], i["remaining"]) for i in body["items"]] == [(3, 3)]
    assert_error(
        api_as(make_shop().owner).get(f"/o2o/pickups/{order.public_id}"), 404, "pickup_not_found"
    )


def test_staff_redeem_by_code_and_a_retry_answers_the_first(api_as, placed):
    order, _redeemable = placed
    api = api_as(staff_of(order.shop))
    body = {"code": order.pickup_code, "serial": "POS-1-000001", "device": "pos-1", "units": 2}

    first = api.post("/o2o/redemptions", body)
    again = api.post("/o2o/redemptions", body)

    assert first.status_code == 201 and not first.json()["replayed"]
    assert again.status_code == 200 and again.json()["replayed"]
    assert again.json()["public_id"] == first.json()["public_id"]
    assert first.json()["redeemable"]["remaining"] == 1
    assert first.json()["device"] == "pos-1"
    too_many = {**body, "serial": "POS-1-000002"}
    assert_error(api.post("/o2o/redemptions", too_many), 409, "over_redemption")


def test_another_shops_staff_are_refused(api_as, placed):
    order, _redeemable = placed
    api = api_as(make_shop().owner)
    body = {"code": order.pickup_code, "serial": "POS-9-000001", "device": "pos-9", "units": 1}

    assert_error(api.post("/o2o/redemptions", body), 403, "not_your_counter")
    assert_error(api.get("/o2o/redeemables", {"code": order.pickup_code}), 403, "not_your_counter")


def test_a_reversal_by_serial_within_the_window_and_not_after(api_as, placed):
    order, _redeemable = placed
    api = api_as(order.shop.owner)
    made = {"code": order.pickup_code, "serial": "POS-2-000001", "device": "pos-2", "units": 3}
    assert api.post("/o2o/redemptions", made).json()["redeemable"]["order_status"] == "picked_up"

    reversed_ = api.post("/o2o/reversals", {"serial": "POS-2-000001", "device": "pos-2"})

    assert reversed_.status_code == 201
    assert reversed_.json()["redeemable"]["remaining"] == 3
    assert reversed_.json()["redeemable"]["order_status"] == "ready_for_pickup"
    api.post("/o2o/redemptions", {**made, "serial": "POS-2-000002"})
    clock.advance(timedelta(minutes=45))
    late = api.post("/o2o/reversals", {"serial": "POS-2-000002", "device": "pos-2"})
    assert_error(late, 409, "reversal_window_closed")


def test_a_booth_lists_its_pickups_still_waiting(api_as, placed):
    order, redeemable = placed
    booth = redeemable.booth

    listed = api_as(order.shop.owner).get(f"/o2o/booths/{booth.public_id}/pickups").json()

    assert [p["order"] for p in listed] == [order.public_id]
    assert_error(
        api_as(make_shop().owner).get(f"/o2o/booths/{booth.public_id}/pickups"),
        404,
        "booth_not_found",
    )


def test_a_malformed_serial_is_refused_in_the_one_shape(api_as, placed):
    order, _redeemable = placed
    body = {"code": order.pickup_code, "serial": "x", "device": "pos-1", "units": 1}

    response = api_as(order.shop.owner).post("/o2o/redemptions", body)

    assert response.status_code == 422
    assert set(response.json()) == {"error"}


def test_a_buyer_who_scanned_the_booth_today_checks_out_for_pickup_there(api_as):
    from designmall.o2o.redemption_models import Redeemable
    from tests.factories import make_product, make_user
    from tests.o2o.pickup_helpers import open_booth, visit

    booth = open_booth()
    sku = make_product(shop=booth.shop, skus=[(10_000, 5)]).skus.get().public_id
    buyer = make_user()
    api = api_as(buyer)
    body = {"booth": booth.public_id, "lines": [{"sku": sku, "quantity": 2}]}

    assert api.get("/o2o/pickup-booths", {"sku": sku}).json() == []
    assert_error(api.post("/o2o/booth-checkout", body), 422, "pickup_booth_unavailable")
    visit(booth, buyer)
    offered = api.get("/o2o/pickup-booths", {"sku": sku}).json()
    placed, again = (
        api.client.post(
            "/api/v1/o2o/booth-checkout",
            data=body,
            content_type="application/json",
            headers={**api.headers, "Idempotency-Key": "k-1"},
        )
        for _twice in range(2)
    )

    assert [b["public_id"] for b in offered] == [booth.public_id]
    assert placed.status_code == 201 and placed.json()["delivery"] == "pickup"
    assert again.json()["public_id"] == placed.json()["public_id"]
    assert Redeemable.objects.get().booth == booth
