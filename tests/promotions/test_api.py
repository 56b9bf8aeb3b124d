"""The promotions API: the coupon centre and product/shop coupon lists, claiming, claiming
by code and the caller's own coupons, with errors in the one shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.promotions.services import code_batch_create, coupon_claim
from tests.api.conftest import ABSENT_ID, assert_error
from tests.factories import make_operator, make_product, make_shop, make_user

from .conftest import make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db


def test_the_coupon_centre_lists_claimable_coupons_for_anyone(anon):
    template = make_platform_coupon(total_quantity=5)
    make_platform_coupon(distribution="codes")

    body = anon.get("/promotions/coupons").json()

    assert [item["public_id"] for item in body["items"]] == [template.public_id]
    item = body["items"][0]
    assert item["terms"] == "满¥100.00减¥20.00"
    assert item["threshold_fen"] == 10_000 and item["off_display"] == "¥20.00"
    assert item["remaining"] == 5 and item["sold_out"] is False
    assert item["claimed_by_you"] is None and item["can_claim"] is None


def test_a_product_page_lists_coupons_covering_the_product_in_english_too(anon):
    shop = make_shop()
    product = make_product(shop=shop)
    own = make_shop_coupon(shop=shop, kind="amount_off", threshold_fen=0, off_fen=500)
    make_shop_coupon(shop=make_shop())

    body = anon.get("/promotions/coupons", {"product": product.public_id}).json()
    english = anon.client.get(
        "/api/v1/promotions/coupons",
        {"product": product.public_id},
        headers={"Accept-Language": "en"},
    ).json()

    assert [item["public_id"] for item in body["items"]] == [own.public_id]
    assert body["items"][0]["shop"]["public_id"] == shop.public_id
    assert body["items"][0]["terms"] == "立减¥5.00"
    assert english["items"][0]["terms"] == "¥5.00 off"


def test_a_shop_page_lists_the_shops_coupons(anon):
    shop = make_shop()
    own = make_shop_coupon(shop=shop)

    body = anon.get("/promotions/coupons", {"shop": shop.public_id}).json()

    assert [item["public_id"] for item in body["items"]] == [own.public_id]


def test_an_unknown_product_is_404(anon):
    assert_error(anon.get("/promotions/coupons", {"product": ABSENT_ID}), 404, "product_not_found")


def test_a_buyer_claims_a_coupon_and_sees_it_among_their_coupons(api_as, buyer):
    template = make_platform_coupon(per_buyer_limit=2)
    api = api_as(buyer)

    claimed = api.post(f"/promotions/coupons/{template.public_id}/claim")

    assert claimed.status_code == 201, claimed.content
    body = claimed.json()
    assert body["state"] == "available"
    assert body["coupon"]["claimed_by_you"] == 1 and body["coupon"]["can_claim"] is True
    mine = api.get("/promotions/my-coupons").json()
    assert [item["public_id"] for item in mine["items"]] == [body["public_id"]]
    listed = api.get("/promotions/coupons").json()["items"][0]
    assert listed["claimed_by_you"] == 1 and listed["remaining"] == 99


def test_claims_over_the_limit_or_after_sold_out_are_409_in_the_error_shape(api_as):
    template = make_platform_coupon(total_quantity=2, per_buyer_limit=1)
    first = api_as(make_user())
    first.post(f"/promotions/coupons/{template.public_id}/claim")

    again = first.post(f"/promotions/coupons/{template.public_id}/claim")
    error = assert_error(again, 409, "claim_limit_reached")
    assert error["details"] == {"limit": 1}
    api_as(make_user()).post(f"/promotions/coupons/{template.public_id}/claim")
    assert_error(
        api_as(make_user()).post(f"/promotions/coupons/{template.public_id}/claim"),
        409,
        "coupon_sold_out",
    )


def test_claiming_needs_a_login(anon):
    template = make_platform_coupon()
    assert_error(
        anon.post(f"/promotions/coupons/{template.public_id}/claim"), 401, "not_authenticated"
    )


def test_a_codes_only_coupon_cannot_be_claimed_by_its_id(api_as, buyer):
    template = make_platform_coupon(distribution="codes")
    assert_error(
        api_as(buyer).post(f"/promotions/coupons/{template.public_id}/claim"),
        404,
        "coupon_not_found",
    )


def test_a_buyer_redeems_a_printed_code_once(api_as, buyer):
    operator = make_operator()
    template = make_platform_coupon(by=operator, distribution="codes")
    code = code_batch_create(template=template, quantity=1, by=operator).codes.get()
    api = api_as(buyer)

    done = api.post("/promotions/codes/claim", {"code": code.printed.lower()})

    assert done.status_code == 201, done.content
    assert done.json()["source"] == "code"
    assert done.json()["coupon"]["public_id"] == template.public_id
    assert_error(
        api_as(make_user()).post("/promotions/codes/claim", {"code": code.printed}),
        409,
        "code_already_claimed",
    )
    assert_error(api.post("/promotions/codes/claim", {"code": "nope"}), 422, "code_malformed")
    assert_error(
        api.post("/promotions/codes/claim", {"code": "ABCD-EFGH-JKMN-PQ01"}), 404, "code_unknown"
    )


def test_my_coupons_filter_by_the_state_the_clock_gives_them(api_as, buyer):
    short = make_platform_coupon(validity="days_from_claim", valid_days=1)
    long = make_platform_coupon(validity="days_from_claim", valid_days=5)
    expiring = coupon_claim(template=short, buyer=buyer)
    lasting = coupon_claim(template=long, buyer=buyer)
    clock.advance(timedelta(days=2))
    api = api_as(buyer)

    available = api.get("/promotions/my-coupons", {"state": "available"}).json()["items"]
    expired = api.get("/promotions/my-coupons", {"state": "expired"}).json()["items"]

    assert [c["public_id"] for c in available] == [lasting.public_id]
    assert [(c["public_id"], c["state"]) for c in expired] == [(expiring.public_id, "expired")]
    assert_error(api.get("/promotions/my-coupons", {"state": "lost"}), 422, "invalid")
