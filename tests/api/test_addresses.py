"""The address book in the API: /me/addresses, with the one error shape."""

from __future__ import annotations

import pytest

from designmall.accounts.addresses import address_create
from designmall.accounts.models import Address
from tests.api.conftest import ABSENT_ID, assert_error, invalid_fields
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HOME = {
    "name": "林小满",
    "mobile": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "龙腾大道 2555 号",
}
OFFICE = {**HOME, "province": "北京市", "city": "北京市", "district": "朝阳区"}


def test_a_buyer_keeps_an_address_book(api_as, buyer):
    api = api_as(buyer)

    home = api.post("/me/addresses", HOME)
    office = api.post("/me/addresses", {**OFFICE, "make_default": True})

    assert home.status_code == office.status_code == 201
    listed = api.get("/me/addresses").json()
    expected = [office.json()["public_id"], home.json()["public_id"]]
    assert [a["public_id"] for a in listed] == expected
    assert [a["is_default"] for a in listed] == [True, False]
    assert listed[1]["postcode"] == "" and listed[1]["district"] == "徐汇区"


def test_an_address_is_changed_made_default_and_deleted(api_as, buyer):
    api = api_as(buyer)
    home = api.post("/me/addresses", HOME).json()
    office = api.post("/me/addresses", OFFICE).json()

    changed = api.send("put", f"/me/addresses/{office['public_id']}", {**OFFICE, "detail": "798"})
    assert changed.status_code == 200 and changed.json()["detail"] == "798"
    made = api.post(f"/me/addresses/{office['public_id']}/default")
    assert made.status_code == 200 and made.json()["is_default"] is True

    assert api.delete(f"/me/addresses/{office['public_id']}").status_code == 204
    listed = api.get("/me/addresses").json()
    assert [(a["public_id"], a["is_default"]) for a in listed] == [(home["public_id"], True)]


def test_a_wrong_division_is_a_422_naming_the_field(api_as, buyer):
    response = api_as(buyer).post("/me/addresses", {**HOME, "city": "杭州市"})
    error = assert_error(response, 422, "invalid_address")
    assert error["details"] == {"field": "city"}


def test_a_malformed_body_is_the_usual_422(api_as, buyer):
    response = api_as(buyer).post("/me/addresses", {**HOME, "mobile": 13800138000})
    assert "mobile" in invalid_fields(response)


def test_another_buyers_address_is_404(api_as, buyer):
    theirs = address_create(user=make_user(), data=HOME)
    api = api_as(buyer)
    assert_error(
        api.send("put", f"/me/addresses/{theirs.public_id}", OFFICE), 404, "address_not_found"
    )
    assert_error(api.post(f"/me/addresses/{theirs.public_id}/default"), 404, "address_not_found")
    assert_error(api.delete(f"/me/addresses/{theirs.public_id}"), 404, "address_not_found")
    assert_error(api.delete(f"/me/addresses/{ABSENT_ID}"), 404, "address_not_found")
    assert Address.objects.filter(pk=theirs.pk).exists()


def test_the_book_needs_a_login(anon):
    assert_error(anon.get("/me/addresses"), 401, "not_authenticated")


def test_the_divisions_are_listed_with_their_codes(anon):
    response = anon.get("/me/addresses/divisions")
    assert response.status_code == 200
    zhejiang = next(p for p in response.json() if p["name"] == "浙江省")
    hangzhou = next(c for c in zhejiang["children"] if c["name"] == "杭州市")
    assert zhejiang["code"] == "33" and hangzhou["code"] == "3301"
    assert any(d["name"] == "西湖区" for d in hangzhou["children"])


def test_the_openapi_document_has_the_address_book(anon):
    paths = anon.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/me/addresses"])
    assert {"put", "delete"} <= set(paths["/api/v1/me/addresses/{public_id}"])
