"""Sellers set a per-buyer purchase limit on a product through the API; checkout keeps it."""

import pytest

from designmall.catalog.models import ProductStatus
from designmall.catalog.services import product_update
from designmall.core.errors import ValidationFailed
from tests.api.conftest import assert_error, invalid_fields
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_seller(api_as, seller):
    return api_as(seller)


@pytest.fixture
def own_product(seller):
    return make_product(shop=seller.shops.get(), status=ProductStatus.LIVE)


def test_a_product_is_created_with_a_per_buyer_limit(as_seller):
    make_category(slug="chairs")
    body = {"title_zh": "限量椅", "category": "chairs", "per_buyer_limit": 2}

    response = as_seller.post("/seller/products", body)

    assert response.status_code == 201, response.content
    assert response.json()["per_buyer_limit"] == 2


def test_the_limit_is_changed_and_removed_without_a_new_review(as_seller, own_product):
    path = f"/seller/products/{own_product.public_id}"

    changed = as_seller.patch(path, {"per_buyer_limit": 5}).json()
    assert (changed["per_buyer_limit"], changed["status"]) == (5, "live")
    assert as_seller.get(path).json()["per_buyer_limit"] == 5

    assert as_seller.patch(path, {"per_buyer_limit": None}).json()["per_buyer_limit"] is None
    assert as_seller.get("/seller/products").json()["items"][0]["per_buyer_limit"] is None


@pytest.mark.parametrize("limit", [0, -1, 10_000, "3", 2.5, True])
def test_a_limit_that_is_not_a_whole_number_from_1_is_invalid(as_seller, own_product, limit):
    path = f"/seller/products/{own_product.public_id}"
    assert invalid_fields(as_seller.patch(path, {"per_buyer_limit": limit})) == {"per_buyer_limit"}


@pytest.mark.parametrize("limit", [0, 10_000, "3", True])
def test_the_service_refuses_a_bad_limit_too(own_product, seller, limit):
    with pytest.raises(ValidationFailed) as caught:
        product_update(product=own_product, by=seller, per_buyer_limit=limit)
    assert caught.value.code == "invalid_per_buyer_limit"


def test_a_checkout_beyond_the_limit_is_409_with_the_details(api_as, buyer, own_product):
    own_product.per_buyer_limit = 1
    own_product.save()
    sku = own_product.skus.get()
    body = {"lines": [{"sku": sku.public_id, "quantity": 2}], "delivery": "pickup"}

    error = assert_error(api_as(buyer).post("/checkout", body), 409, "per_buyer_limit_exceeded")

    assert error["details"] == {
        "product": own_product.public_id,
        "per_buyer_limit": 1,
        "already": 0,
        "requested": 2,
    }


def test_too_many_unpaid_checkouts_is_409(api_as, buyer, settings):
    settings.ORDER_MAX_UNPAID_CHECKOUTS = 1
    sku = make_product(skus=[(9_900, 10)]).skus.get()
    me = api_as(buyer)
    body = {"lines": [{"sku": sku.public_id, "quantity": 1}], "delivery": "pickup"}
    assert me.post("/checkout", body).status_code == 201

    error = assert_error(me.post("/checkout", body), 409, "too_many_unpaid_checkouts")

    assert error["details"] == {"unpaid_checkouts": 1, "max_unpaid_checkouts": 1}


def test_buyers_see_the_limit_on_the_product(anon, own_product):
    own_product.per_buyer_limit = 4
    own_product.save()

    assert anon.get(f"/products/{own_product.public_id}").json()["per_buyer_limit"] == 4
