"""A product's origin (国内 / 国际) and its country of origin never disagree."""

import pytest

from designmall.catalog.models import Origin, ProductStatus
from designmall.catalog.rules import origin_agrees, origin_for_country
from designmall.catalog.services import product_create, product_update
from designmall.core.errors import ValidationFailed
from tests.factories import make_category, make_product, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def chairs(db):
    return make_category(slug="chairs")


def draft(shop, chairs, **fields):
    return product_create(shop=shop, by=shop.owner, title_zh="椅子", category=chairs, **fields)


def test_origin_follows_the_country():
    assert origin_for_country("CN") == origin_for_country("cn") == Origin.DOMESTIC
    for code in ("JP", "DK", "HK", "TW", ""):
        assert origin_for_country(code) == Origin.INTERNATIONAL
    assert origin_agrees("domestic", "CN") and not origin_agrees("domestic", "JP")


def test_a_new_product_is_made_where_its_shop_is_unless_told(chairs):
    cn, dk = make_shop(country="CN"), make_shop(country="DK")
    assert (draft(cn, chairs).origin, draft(cn, chairs).country) == ("domestic", "CN")
    assert (draft(dk, chairs).origin, draft(dk, chairs).country) == ("international", "DK")


def test_a_country_given_sets_the_origin(chairs):
    product = draft(make_shop(country="CN"), chairs, country="JP")
    assert (product.origin, product.country) == ("international", "JP")
    product = draft(make_shop(country="DK"), chairs, country="CN")
    assert (product.origin, product.country) == ("domestic", "CN")


def test_an_origin_given_alone_picks_a_country_that_agrees(chairs):
    product = draft(make_shop(country="DK"), chairs, origin="domestic")
    assert (product.origin, product.country) == ("domestic", "CN")
    product = draft(make_shop(country="DK"), chairs, origin="international")
    assert (product.origin, product.country) == ("international", "DK")
    with pytest.raises(ValidationFailed) as refused:
        draft(make_shop(country="CN"), chairs, origin="international")
    assert refused.value.code == "country_required"


def test_an_origin_that_disagrees_with_the_country_is_refused(chairs):
    shop = make_shop(country="CN")
    with pytest.raises(ValidationFailed) as refused:
        draft(shop, chairs, origin="domestic", country="JP")
    assert refused.value.code == "origin_country_mismatch"
    product = make_product(shop=shop, status=ProductStatus.DRAFT)
    with pytest.raises(ValidationFailed) as refused:
        product_update(product=product, by=shop.owner, origin="international")
    assert refused.value.code == "origin_country_mismatch"


def test_changing_the_country_moves_the_origin(chairs):
    shop = make_shop(country="CN")
    product = make_product(shop=shop, status=ProductStatus.DRAFT)
    product = product_update(product=product, by=shop.owner, country="IT")
    assert (product.origin, product.country) == ("international", "IT")
    product = product_update(product=product, by=shop.owner, country="CN", origin="domestic")
    assert (product.origin, product.country) == ("domestic", "CN")
