"""SKU options in two languages: the seller gives the English of each option (API and the
seller center's form), and the product page and API show the active language's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from designmall.catalog.models import ProductStatus, Sku
from designmall.storefront.forms import SkuForm
from tests.api.conftest import assert_error
from tests.factories import make_product

pytestmark = pytest.mark.django_db

ENGLISH = {"尺寸": ["Size", "Large"], "颜色": ["Colour", "Natural wood"]}


@pytest.fixture
def as_seller(api_as, seller):
    return api_as(seller)


@pytest.fixture
def own_product(seller):
    return make_product(shop=seller.shops.get(), status=ProductStatus.DRAFT, skus=[])


def test_options_read_in_the_active_language_each_half_falling_back():
    sku = Sku(attributes={"尺寸": "大号", "颜色": "原木色"}, attributes_en={"颜色": ["Colour", ""]})
    with translation.override("en"):
        assert sku.options == [("尺寸", "大号"), ("Colour", "原木色")]
    assert sku.label_in("zh-hans") == "大号 / 原木色"
    sku.attributes_en = ENGLISH
    assert sku.label_in("en") == "Large / Natural wood"


def test_the_seller_gives_the_options_english_through_the_api(as_seller, own_product):
    response = as_seller.post(
        f"/seller/products/{own_product.public_id}/skus",
        {
            "code": "WAL-L",
            "price_fen": 9_900,
            "attributes": {"尺寸": "大号", "颜色": "原木色"},
            "attributes_en": ENGLISH,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["attributes_en"] == ENGLISH
    sku = Sku.objects.get(code="WAL-L")

    # Changing the Chinese options drops the English of the ones gone.
    response = as_seller.patch(f"/seller/skus/{sku.public_id}", {"attributes": {"颜色": "胡桃色"}})
    assert response.status_code == 200, response.content
    assert response.json()["attributes_en"] == {"颜色": ["Colour", "Natural wood"]}


def test_english_of_an_option_the_sku_does_not_have_is_refused(as_seller, own_product):
    response = as_seller.post(
        f"/seller/products/{own_product.public_id}/skus",
        {
            "code": "X",
            "price_fen": 9_900,
            "attributes": {"颜色": "原木色"},
            "attributes_en": {"材质": ["Material", "Oak"]},
        },
    )
    assert_error(response, 422, "invalid_attributes")


def test_the_seller_form_pairs_english_lines_with_the_chinese_ones():
    form = SkuForm(
        {
            "code": "A",
            "price": "99",
            "stock": "1",
            "initial-stock": "1",
            "attributes": "颜色=原木色\n尺寸=大号",
            "attributes_en": "Colour=Natural wood\nSize=Large",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["attributes_en"] == ENGLISH

    too_many = SkuForm(
        {
            "code": "A",
            "price": "99",
            "stock": "1",
            "attributes": "颜色=黑",
            "attributes_en": "a=b\nc=d",
        }
    )
    assert not too_many.is_valid() and "attributes_en" in too_many.errors


def test_the_product_page_and_api_show_the_options_in_the_visitors_language(anon):
    product = make_product(title_zh="胡桃木椅子", title_en="Walnut Chair", skus=[(9_900, 3)])
    Sku.objects.filter(product=product).update(
        attributes={"尺寸": "大号", "颜色": "原木色"}, attributes_en=ENGLISH
    )
    client = Client()
    client.cookies["django_language"] = "en"
    page = client.get(f"/p/{product.public_id}/").content.decode()
    assert "Size / Colour" in page and "Large / Natural wood" in page
    assert "原木色" not in page and "颜色" not in page

    anon.headers["Accept-Language"] = "en"
    sku = anon.get(f"/products/{product.public_id}").json()["skus"][0]
    assert sku["options"] == [["Size", "Large"], ["Colour", "Natural wood"]]
    assert (sku["label"], sku["attributes_en"]) == ("Large / Natural wood", ENGLISH)
