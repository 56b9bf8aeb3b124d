"""Order lines keep the product's title and the SKU's options in both languages as they
were at order time, and every reader (pages, API) shows the active language's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from designmall.orders.checkout import order_line_build
from designmall.orders.models import Order
from tests.api.conftest import ApiClient, token_for
from tests.factories import make_product, make_shop, make_user
from tests.orders.conftest import buy, orders_of, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair():
    product = make_product(
        shop=make_shop(name_zh="木作实验室", name_en="Wood Lab"),
        title_zh="胡桃木椅子",
        title_en="Walnut Chair",
        skus=[(129_900, 5)],
    )
    sku = product.skus.get()
    sku.attributes = {"尺寸": "大号", "颜色": "原木色"}
    sku.attributes_en = {"尺寸": ["Size", "Large"], "颜色": ["Colour", "Natural wood"]}
    sku.save()
    return product


def test_a_line_keeps_both_languages_whatever_language_the_buyer_uses(chair):
    buyer = make_user()
    with translation.override("en"):
        checkout = buy(buyer, (chair.skus.get(), 1))
    line = orders_of(checkout)[0].lines.get()
    line.refresh_from_db()
    assert (line.product_title_zh, line.product_title_en) == ("胡桃木椅子", "Walnut Chair")
    assert (line.sku_label_zh, line.sku_label_en) == ("大号 / 原木色", "Large / Natural wood")
    with translation.override("en"):
        assert (line.product_title, line.sku_label) == ("Walnut Chair", "Large / Natural wood")
        assert str(line) == "Walnut Chair × 1"
    with translation.override("zh-hans"):
        assert (line.product_title, line.sku_label) == ("胡桃木椅子", "大号 / 原木色")


def test_a_line_keeps_the_title_it_was_bought_under(chair):
    checkout = buy(make_user(), (chair.skus.get(), 1))
    chair.title_zh, chair.title_en = "新椅子", "New Chair"
    chair.save()
    line = orders_of(checkout)[0].lines.get()
    assert (line.product_title_zh, line.product_title_en) == ("胡桃木椅子", "Walnut Chair")


def test_without_english_the_line_shows_its_chinese():
    product = make_product(title_zh="纸灯笼台灯", title_en="", skus=[(9_900, 3)])
    sku = product.skus.get()
    sku.attributes = {"颜色": "奶白"}
    sku.save()
    line = orders_of(buy(make_user(), (sku, 1)))[0].lines.get()
    assert (line.product_title_en, line.sku_label_en) == ("", "")
    with translation.override("en"):
        assert (line.product_title, line.sku_label) == ("纸灯笼台灯", "奶白")


def test_a_line_built_with_its_own_title_keeps_both(chair):
    """Lots (and any order of another kind) give their own title to the one line builder."""
    order = Order(pk=None)
    line = order_line_build(
        order=order,
        sku=chair.skus.get(),
        unit_price_fen=500_000,
        quantity=1,
        title_zh="签名原作",
        title_en="Signed original",
    )
    assert (line.product_title_zh, line.product_title_en) == ("签名原作", "Signed original")
    assert (line.line_total_fen, line.sku_label_en) == (500_000, "Large / Natural wood")


def test_pages_and_the_api_show_the_language_asked_for(chair):
    buyer = make_user()
    checkout = buy(buyer, (chair.skus.get(), 1))
    pay(checkout)
    order = orders_of(checkout)[0]
    client = Client()
    client.force_login(buyer)
    client.cookies["django_language"] = "en"
    for path in ("/orders/", f"/orders/{order.public_id}/"):
        page = client.get(path).content.decode()
        assert "Walnut Chair" in page and "胡桃木椅子" not in page, path
    assert "Large / Natural wood" in client.get(f"/orders/{order.public_id}/").content.decode()

    seller = Client()
    seller.force_login(chair.shop.owner)
    seller.cookies["django_language"] = "en"
    for path in ("/seller/orders/", f"/seller/orders/{order.public_id}/"):
        page = seller.get(path).content.decode()
        assert "Walnut Chair" in page and "胡桃木椅子" not in page, path

    api = ApiClient(Client(), token_for(buyer))
    api.headers["Accept-Language"] = "en"
    line = api.get(f"/orders/{order.public_id}").json()["lines"][0]
    assert (line["product_title"], line["sku_label"]) == ("Walnut Chair", "Large / Natural wood")
    assert (line["product_title_zh"], line["sku_label_zh"]) == ("胡桃木椅子", "大号 / 原木色")
    api.headers["Accept-Language"] = "zh-CN"
    line = api.get(f"/orders/{order.public_id}").json()["lines"][0]
    assert (line["product_title"], line["sku_label"]) == ("胡桃木椅子", "大号 / 原木色")


def test_cart_and_checkout_show_the_options_in_the_page_language(chair):
    from designmall.orders.cart import cart_add

    buyer = make_user()
    cart_add(user=buyer, sku_public_id=chair.skus.get().public_id, quantity=1)
    client = Client()
    client.force_login(buyer)
    client.cookies["django_language"] = "en"
    for path in ("/cart/", "/checkout/"):
        page = client.get(path).content.decode()
        assert "Large / Natural wood" in page and "原木色" not in page, path
