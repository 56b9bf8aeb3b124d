"""The show's API: codes, the seller's exhibits and sheets, the operator's booths."""

from __future__ import annotations

import pytest

from designmall.catalog.models import ShopStatus
from tests.api.conftest import assert_error
from tests.factories import make_hall, make_lot, make_product, make_shop, make_venue

pytestmark = pytest.mark.django_db

HOURS = {
    "opens_on": "2026-11-20",
    "closes_on": "2026-11-29",
    "opens_at": "10:00",
    "closes_at": "18:00",
}


@pytest.fixture
def booth(api_as, operator, seller):
    venue = make_venue()
    shop = seller.shops.get()
    response = api_as(operator).post(
        "/operator/booths",
        {"shop": shop.public_id, "venue": venue.public_id, "number": "c07", **HOURS},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_the_operator_assigns_and_lists_booths(api_as, operator, booth):
    assert booth["number"] == "C07" and booth["status"] == "active"
    assert booth["url"].endswith(f"/o/b/{booth['code']}/")
    listed = api_as(operator).get("/operator/booths").json()
    assert [b["public_id"] for b in listed["items"]] == [booth["public_id"]]


def test_assigning_is_refused_with_the_one_error_shape(api_as, operator, seller, booth):
    api = api_as(operator)
    venue = booth["place"]["venue_id"]
    shop = seller.shops.get().public_id
    assert_error(
        api.post("/operator/booths", {"shop": shop, "venue": venue, "number": "C07", **HOURS}),
        409,
        "booth_number_taken",
    )
    pending = make_shop(status=ShopStatus.PENDING).public_id
    assert_error(
        api.post("/operator/booths", {"shop": pending, "venue": venue, "number": "D1", **HOURS}),
        409,
        "shop_not_approved",
    )
    other_hall = make_hall().public_id
    body = {"shop": shop, "venue": venue, "hall": other_hall, "number": "D2", **HOURS}
    assert_error(api.post("/operator/booths", body), 422, "hall_not_in_venue")
    assert_error(api_as(seller).post("/operator/booths", body), 403, "role_required")


def test_the_seller_lists_exhibits_and_a_scan_reads_them(api_as, anon, seller, booth):
    api = api_as(seller)
    shop = seller.shops.get()
    product = make_product(shop=shop, title_zh="胡桃木椅", skus=[(12_900, 4)])
    lot = make_lot(shop=shop)
    path = f"/seller/booths/{booth['public_id']}/exhibits"
    made = api.post(path, {"kind": "product", "product": product.public_id, "story_en": "A chair"})
    assert made.status_code == 201, made.content
    assert api.post(path, {"kind": "lot", "lot": lot.public_id}).status_code == 201
    shown = api.post(path, {"kind": "shown", "title_zh": "原型", "title_en": "Prototype"}).json()
    assert_error(api.post(path, {"kind": "shown"}), 422, "invalid_text")
    assert_error(
        api.post(path, {"kind": "product", "product": product.public_id}), 409, "exhibit_exists"
    )
    item = anon.get(f"/o2o/exhibits/{made.json()['code'].upper()}").json()
    assert (item["title_zh"], item["price_fen"], item["available"]) == ("胡桃木椅", 12_900, 4)
    assert item["story_en"] == "A chair" and item["buyable"] is True
    lot_item = next(
        e for e in api.get("/seller/booths").json()[0]["exhibits"] if e["kind"] == "lot"
    )
    scanned = anon.get(f"/o2o/exhibits/{lot_item['code']}").json()
    assert scanned["lot_price"]["public_id"] == lot.public_id
    booth_seen = anon.get(f"/o2o/booths/{booth['code']}").json()
    assert len(booth_seen["exhibits"]) == 3
    changed = api.patch(f"/seller/exhibits/{shown['public_id']}", {"story_zh": "新故事"})
    assert changed.json()["story_zh"] == "新故事"
    assert api.delete(f"/seller/exhibits/{shown['public_id']}").status_code == 204
    assert_error(anon.get(f"/o2o/exhibits/{shown['code']}"), 404, "exhibit_not_found")


def test_another_seller_sees_nothing_of_the_booth(api_as, booth):
    stranger = make_shop().owner
    api = api_as(stranger)
    assert_error(
        api.post(
            f"/seller/booths/{booth['public_id']}/exhibits", {"kind": "shown", "title_zh": "x"}
        ),
        404,
        "booth_not_found",
    )
    assert_error(api.get(f"/seller/booths/{booth['public_id']}/sheet.pdf"), 404, "booth_not_found")


def test_sheets_download_as_pdf_for_the_seller_and_the_operator(api_as, seller, operator, booth):
    for user, path in (
        (seller, f"/seller/booths/{booth['public_id']}/sheet.pdf"),
        (operator, f"/operator/booths/{booth['public_id']}/sheet.pdf"),
    ):
        response = api_as(user).get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_a_withdrawn_booth_stops_resolving(api_as, anon, operator, booth):
    api = api_as(operator)
    withdrawn = api.post(f"/operator/booths/{booth['public_id']}/withdraw").json()
    assert withdrawn["status"] == "withdrawn"
    assert_error(anon.get(f"/o2o/booths/{booth['code']}"), 404, "booth_not_found")
    assert anon.get("/o2o/booths/not-a-code").status_code in (404, 422)


def test_an_app_records_scans_and_the_visitor_sees_and_clears_them(api_as, buyer, booth):
    api = api_as(buyer)
    made = api.post("/o2o/scans", {"code": booth["code"], "target": "booth"})
    assert made.status_code == 201 and made.json() == {"recorded": True}
    assert api.post("/o2o/scans", {"code": booth["code"], "target": "booth"}).json() == {
        "recorded": False
    }
    history = api.get("/o2o/my-scans").json()
    assert history["total"] == 1 and history["items"][0]["booth"] == booth["public_id"]
    assert api.delete("/o2o/my-scans").json() == {"cleared": 1}
    assert api.get("/o2o/my-scans").json()["total"] == 0
    assert_error(
        api.post("/o2o/scans", {"code": "zzzzzzzzzz", "target": "exhibit"}),
        404,
        "exhibit_not_found",
    )
