"""Abuse limits on pages: a readable 429 page past a rate limit, the per-buyer limit in
the seller center, on the product page and at checkout."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from designmall.core import clock
from designmall.orders.cart import cart_add
from designmall.orders.models import Checkout
from tests.factories import make_product, make_shop
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    _orders_settings,
    _payments_settings,
    buy,
    buyer,
    keys,
    sandbox_key_dir,
    store,
    worker_transport,
)
from tests.storefront.test_cart_checkout import CHECKOUT, checkout_form

pytestmark = pytest.mark.django_db
ABSENT_SESSION = "s_0000000000000000"
ABSENT_LOT = "l_0000000000000000"


@pytest.fixture(autouse=True)
def _frozen():
    """Rate limits count in windows of the clock: a test must not straddle two."""
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, 30, tzinfo=UTC))


@pytest.fixture
def cart(client, store, buyer):
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=store.cup.public_id, quantity=1)
    return buyer


# --- rate limits ------------------------------------------------------------------------


def test_checking_out_too_often_shows_a_readable_429_page(client, cart, settings):
    settings.RATE_LIMITS = {"checkout": {"user": "1/60"}}
    form = checkout_form(client)  # a GET: not counted
    client.post(CHECKOUT, form)

    response = client.post(CHECKOUT, form, HTTP_REFERER="http://testserver/cart/")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "操作太频繁，请" in response.text and 'href="http://testserver/cart/"' in response.text
    assert Checkout.objects.count() == 1


def test_the_429_page_is_in_english_too(client, cart, settings):
    settings.RATE_LIMITS = {"checkout": {"user": "1/60"}}
    client.cookies["django_language"] = "en"
    form = checkout_form(client)
    client.post(CHECKOUT, form)

    response = client.post(CHECKOUT, form, HTTP_REFERER="https://evil.example/")

    assert response.status_code == 429
    assert "Too many requests. Please try again in" in response.text
    assert "evil.example" not in response.text


@pytest.mark.parametrize(
    ("scope", "path"),
    [
        ("reservation", reverse("storefront:event_reserve", args=[ABSENT_SESSION])),
        ("bid", reverse("storefront:auction_bid", args=[ABSENT_LOT])),
    ],
)
def test_reserving_and_bidding_pages_are_rate_limited_per_user(
    client, buyer, settings, scope, path
):
    settings.RATE_LIMITS = {scope: {"user": "1/60"}}
    client.force_login(buyer)
    assert client.post(path, {"seats": "1"}).status_code == 404

    assert client.post(path, {"seats": "1"}).status_code == 429


# --- per-buyer limits -------------------------------------------------------------------


def test_a_seller_sets_a_per_buyer_limit_in_the_editor(client):
    shop = make_shop()
    client.force_login(shop.owner)
    product = make_product(shop=shop)
    editor = reverse("storefront:seller_product", args=[product.public_id])
    fields = {
        "product-title_zh": product.title_zh,
        "product-category": product.category.slug,
        "product-origin": "domestic",
        "product-country": "CN",
    }

    assert client.post(editor, {**fields, "product-per_buyer_limit": "2"}).status_code == 302
    product.refresh_from_db()
    assert product.per_buyer_limit == 2
    assert 'name="product-per_buyer_limit" value="2"' in client.get(editor).text

    refused = client.post(editor, {**fields, "product-per_buyer_limit": "0"})
    assert refused.status_code == 200 and "product-per_buyer_limit" in refused.text

    client.post(editor, {**fields, "product-per_buyer_limit": ""})
    product.refresh_from_db()
    assert product.per_buyer_limit is None


def test_the_product_page_shows_the_per_buyer_limit_in_both_languages(settings):
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0
    product = make_product(per_buyer_limit=2)
    url = reverse("storefront:product", args=[product.public_id])

    assert "每位买家限购 2 件" in Client().get(url).text
    english = Client()
    english.cookies["django_language"] = "en"
    assert "At most 2 per buyer" in english.get(url).text
    assert (
        "限购"
        not in Client().get(reverse("storefront:product", args=[make_product().public_id])).text
    )


def test_checking_out_beyond_the_per_buyer_limit_shows_why(client, store, buyer):
    product = make_product(shop=store.shop_a, skus=[(9_900, 10)], per_buyer_limit=2)
    sku = product.skus.get()
    buy(buyer, (sku, 1))
    client.force_login(buyer)
    cart_add(user=buyer, sku_public_id=sku.public_id, quantity=2)

    response = client.post(CHECKOUT, checkout_form(client))

    assert response.status_code == 200
    assert "每位买家限购 2 件，你已购买或待支付 1 件" in response.text
    assert Checkout.objects.filter(buyer=buyer).count() == 1
