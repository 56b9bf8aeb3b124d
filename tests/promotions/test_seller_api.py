"""The seller center's coupons: a seller issues coupons of their own shop, pauses or stops
them and generates redemption codes; another seller's coupons are 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.promotions.models import CouponTemplate
from designmall.promotions.services import code_batch_create
from tests.api.conftest import assert_error
from tests.factories import make_category, make_product, make_shop, make_user

from .conftest import make_shop_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    user = make_user(role=Role.SELLER)
    make_shop(owner=user)
    return user


def body(**fields) -> dict:
    now = clock.now()
    return {
        "name_zh": "店铺满减",
        "name_en": "Shop coupon",
        "kind": "spend_off",
        "threshold_fen": 20_000,
        "off_fen": 3_000,
        "claim_starts_at": now.isoformat(),
        "claim_ends_at": (now + timedelta(days=3)).isoformat(),
        "validity": "days_from_claim",
        "valid_days": 7,
        "total_quantity": 200,
        "per_buyer_limit": 1,
        **fields,
    }


def test_a_seller_issues_a_shop_coupon_and_lists_it(api_as, seller):
    api = api_as(seller)

    made = api.post("/seller/coupons", body())

    assert made.status_code == 201, made.content
    out = made.json()
    assert out["issuer"] == "shop" and out["scope"] == "shop"
    assert out["shop"]["public_id"] == seller.shops.get().public_id
    assert out["terms"] == "满¥200.00减¥30.00"
    listed = api.get("/seller/coupons").json()["items"]
    assert [item["public_id"] for item in listed] == [out["public_id"]]


def test_a_shop_coupon_for_listed_products_takes_only_the_shops_own(api_as, seller):
    shop = seller.shops.get()
    mine, theirs = make_product(shop=shop), make_product()
    api = api_as(seller)

    assert_error(
        api.post(
            "/seller/coupons",
            body(scope="products", products=[mine.public_id, theirs.public_id]),
        ),
        404,
        "product_not_found",
    )
    made = api.post("/seller/coupons", body(scope="products", products=[mine.public_id]))
    assert made.status_code == 201, made.content
    assert list(CouponTemplate.objects.get().products.all()) == [mine]


def test_a_shop_coupon_for_categories(api_as, seller):
    chairs = make_category()

    made = api_as(seller).post(
        "/seller/coupons", body(scope="categories", categories=[chairs.slug])
    )

    assert made.status_code == 201, made.content
    assert list(CouponTemplate.objects.get().categories.all()) == [chairs]


def test_a_coupon_that_cannot_work_is_422_naming_the_field(api_as, seller):
    error = assert_error(
        api_as(seller).post("/seller/coupons", body(off_fen=20_000)), 422, "invalid_off_fen"
    )
    assert error["details"] == {"field": "off_fen"}


def test_a_seller_pauses_and_stops_their_coupon_and_cannot_resume_it(api_as, seller):
    template = make_shop_coupon(shop=seller.shops.get())
    api = api_as(seller)
    url = f"/seller/coupons/{template.public_id}/status"

    assert api.post(url, {"status": "paused"}).json()["remaining"] == 100
    assert CouponTemplate.objects.get().status == "paused"
    api.post(url, {"status": "stopped"})
    assert_error(api.post(url, {"status": "active"}), 409, "invalid_transition")


def test_a_seller_generates_codes_for_their_coupon(api_as, seller):
    template = make_shop_coupon(shop=seller.shops.get(), distribution="codes")

    made = api_as(seller).post(
        f"/seller/coupons/{template.public_id}/code-batches", {"quantity": 5, "note": "Booth 12"}
    )

    assert made.status_code == 201, made.content
    codes = made.json()["codes"]
    assert len(codes) == 5 and all(len(c) == 19 and c.count("-") == 3 for c in codes)
    template.refresh_from_db()
    assert template.remaining == 95


def test_another_sellers_coupon_is_404(api_as, seller):
    other = make_shop_coupon(shop=make_shop())

    assert_error(
        api_as(seller).post(f"/seller/coupons/{other.public_id}/status", {"status": "paused"}),
        404,
        "coupon_not_found",
    )


def test_times_without_an_offset_are_refused(api_as, seller):
    naive = clock.now().replace(tzinfo=None).isoformat()

    response = api_as(seller).post("/seller/coupons", body(claim_starts_at=naive))

    error = assert_error(response, 422, "invalid")
    assert {item["field"] for item in error["details"]} == {"claim_starts_at"}


def test_a_seller_lists_a_coupons_code_batches_and_downloads_one_as_csv(api_as, seller):
    template = make_shop_coupon(shop=seller.shops.get(), distribution="codes")
    api = api_as(seller)
    made = api.post(f"/seller/coupons/{template.public_id}/code-batches", {"quantity": 3})
    batch = made.json()["public_id"]

    listed = api.get(f"/seller/coupons/{template.public_id}/code-batches").json()
    assert [(b["public_id"], b["quantity"], b["claimed"]) for b in listed["items"]] == [
        (batch, 3, 0)
    ]
    csv = api.get(listed["items"][0]["csv_url"].removeprefix("/api/v1"))
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "batch,code,coupon,terms,claimed,claimed_at"
    assert {line.split(",")[1] for line in text.splitlines()[1:]} == set(made.json()["codes"])
    assert api.get(f"/seller/coupons/{template.public_id}").json()["status"] == "active"


def test_another_shops_code_batch_csv_is_404(api_as, seller):
    other = make_shop_coupon(shop=make_shop(), distribution="codes")
    batch = code_batch_create(template=other, quantity=1, by=other.shop.owner)

    assert_error(
        api_as(seller).get(f"/seller/code-batches/{batch.public_id}/codes.csv"),
        404,
        "code_batch_not_found",
    )
    assert_error(
        api_as(seller).get(f"/seller/coupons/{other.public_id}/code-batches"),
        404,
        "coupon_not_found",
    )
