"""Pages for visitors without a session come from the cache, each with the visitor's own
CSRF token; everyone else, and anything that changed through the catalog, is rendered anew."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from designmall.catalog.models import Product
from designmall.catalog.services import product_delist, sku_update
from designmall.inventory.services import stock_set
from designmall.storefront.productcache import product_page_seconds
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def product_url(product):
    return reverse("storefront:product", args=[product.public_id])


def retitle_behind_the_catalogs_back(product, title):
    Product.objects.filter(pk=product.pk).update(title_zh=title)


@pytest.fixture
def page_cache_alone(settings):
    """Without the product data cache, which would also hide a change behind the catalog's back."""
    settings.STOREFRONT_PRODUCT_DATA_SECONDS = 0


def test_a_visitor_is_served_the_page_rendered_for_an_earlier_visitor(client, catalog):
    client.get(product_url(catalog.chair))
    retitle_behind_the_catalogs_back(catalog.chair, "改过的标题")

    response = Client().get(product_url(catalog.chair))

    assert response.status_code == 200
    assert "胡桃木餐椅" in response.text


def test_each_visitor_gets_a_csrf_token_of_their_own_on_a_cached_page(catalog):
    first, second = Client(), Client()
    first_page = first.get(product_url(catalog.chair)).text
    second_page = second.get(product_url(catalog.chair)).text

    first_tokens, second_tokens = set(TOKEN.findall(first_page)), set(TOKEN.findall(second_page))
    assert len(second_tokens) == 1
    assert first_tokens != second_tokens
    assert "\x00" not in second_page


def test_the_add_to_cart_form_of_a_cached_page_works(catalog):
    Client().get(product_url(catalog.chair))  # someone else filled the cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(product_url(catalog.chair))
    (token,) = set(TOKEN.findall(page.text))
    sku = catalog.chair.skus.order_by("id").first()

    response = visitor.post(
        reverse("storefront:cart_add"),
        {"sku": sku.public_id, "quantity": "1", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302


def test_a_visitor_served_from_the_cache_sees_the_stock_as_it_is_now(catalog):
    Client().get(product_url(catalog.chair))
    cheapest = catalog.chair.skus.order_by("price_fen").first()
    stock_set(sku=cheapest, available=3, by=catalog.shop.owner)  # still in stock: no news

    text = Client().get(product_url(catalog.chair)).text

    assert 'data-stock="3"' in text
    assert "仅剩 3 件" in text


def test_a_visitor_served_from_the_cache_costs_one_statement(
    catalog, django_assert_max_num_queries
):
    Client().get(product_url(catalog.chair))

    with django_assert_max_num_queries(1):  # the stock
        assert Client().get(product_url(catalog.chair)).status_code == 200


def test_a_cached_page_shows_one_csrf_token_in_all_its_forms(catalog):
    Client().get(product_url(catalog.chair))
    page = Client().get(product_url(catalog.chair)).text

    assert page.count('name="csrfmiddlewaretoken"') == 2  # the buy form and the language switch
    assert len(set(TOKEN.findall(page))) == 1


def test_a_product_page_is_kept_as_long_as_its_catalog_data_give_or_take_a_tenth(settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 30
    settings.STOREFRONT_PRODUCT_DATA_SECONDS = 300

    kept = {product_page_seconds() for _ in range(200)}

    assert min(kept) >= 300 and max(kept) <= 330
    assert len(kept) > 1  # spread, so pages made together don't expire together


def test_a_logged_in_buyer_always_gets_a_fresh_page(client, catalog, page_cache_alone):
    Client().get(product_url(catalog.chair))
    retitle_behind_the_catalogs_back(catalog.chair, "改过的标题")
    client.force_login(make_user())

    assert "改过的标题" in client.get(product_url(catalog.chair)).text


def test_a_visitor_with_a_session_gets_a_fresh_page(client, catalog, page_cache_alone):
    client.get(product_url(catalog.chair))
    sku = catalog.chair.skus.order_by("id").first()
    client.post(reverse("storefront:cart_add"), {"sku": sku.public_id, "quantity": "1"})
    retitle_behind_the_catalogs_back(catalog.chair, "改过的标题")

    assert "改过的标题" in client.get(product_url(catalog.chair)).text


def test_a_product_changed_through_the_catalog_is_rendered_anew(
    client, catalog, django_capture_on_commit_callbacks
):
    client.get(product_url(catalog.chair))
    sku = catalog.chair.skus.order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True):
        sku_update(sku=sku, by=catalog.shop.owner, price_fen=99_900)

    assert "¥999.00" in Client().get(product_url(catalog.chair)).text


def test_a_delisted_product_is_gone_at_once_even_when_cached(
    client, catalog, django_capture_on_commit_callbacks
):
    client.get(product_url(catalog.chair))
    with django_capture_on_commit_callbacks(execute=True):
        product_delist(product=catalog.chair, by=catalog.shop.owner)

    assert Client().get(product_url(catalog.chair)).status_code == 404


def test_each_language_has_its_own_cached_page(catalog):
    Client().get(product_url(catalog.chair))
    english = Client()
    english.cookies["django_language"] = "en"

    assert "Walnut Dining Chair" in english.get(product_url(catalog.chair)).text


def test_pages_with_a_query_string_are_not_cached(client, catalog):
    url = reverse("storefront:shop", args=[catalog.shop.public_id]) + "?page=1"
    client.get(url)
    retitle_behind_the_catalogs_back(catalog.chair, "改过的标题")

    assert "改过的标题" in Client().get(url).text


def test_a_cache_time_of_zero_turns_the_cache_off(settings, client, catalog, page_cache_alone):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0
    client.get(product_url(catalog.chair))
    retitle_behind_the_catalogs_back(catalog.chair, "改过的标题")

    assert "改过的标题" in Client().get(product_url(catalog.chair)).text
