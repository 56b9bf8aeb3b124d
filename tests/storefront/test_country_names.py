"""Countries are shown by name in the page's language (德国 / Germany), from a maintained
list (django-countries), never as a bare code; a code that names no country is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from designmall.catalog.models import Origin
from designmall.catalog.services import product_update
from designmall.core.errors import ValidationFailed
from tests.factories import make_designer, make_product, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rendered_every_time(settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0
    settings.STOREFRONT_PRODUCT_DATA_SECONDS = 0


@pytest.fixture
def german_lamp():
    shop = make_shop(country="DE", name_zh="包豪斯灯具", name_en="Bauhaus Lamps")
    return make_product(shop=shop, origin=Origin.INTERNATIONAL, country="DE")


def page(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get(url).content.decode()


@pytest.mark.parametrize(("language", "name"), [("zh-hans", "德国"), ("en", "Germany")])
def test_the_product_page_names_the_country_in_the_pages_language(
    client, german_lamp, language, name
):
    text = page(client, reverse("storefront:product", args=[german_lamp.public_id]), language)
    assert name in text
    assert "· DE<" not in text


@pytest.mark.parametrize(("language", "name"), [("zh-hans", "意大利"), ("en", "Italy")])
def test_the_designer_page_names_the_country(client, language, name):
    designer = make_designer(country="IT")
    text = page(client, reverse("storefront:designer", args=[designer.public_id]), language)
    assert name in text


def test_the_shop_page_names_the_country(client, german_lamp):
    text = page(client, reverse("storefront:shop", args=[german_lamp.shop.public_id]), "zh-hans")
    assert "德国" in text


def test_a_code_that_names_no_country_is_refused(german_lamp):
    with pytest.raises(ValidationFailed) as refused:
        product_update(product=german_lamp, by=german_lamp.shop.owner, country="XX")
    assert refused.value.code == "invalid_country"
