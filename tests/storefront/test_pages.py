"""Buyer pages render in both languages and show only what is on sale."""

import pytest
from django.urls import reverse

from designmall.catalog.models import ShopStatus
from tests.factories import make_designer, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


def page_urls(catalog):
    return [
        reverse("storefront:home"),
        reverse("storefront:search"),
        reverse("storefront:category", args=["furniture"]),
        reverse("storefront:product", args=[catalog.chair.public_id]),
        reverse("storefront:designer", args=[catalog.designer.public_id]),
        reverse("storefront:shop", args=[catalog.shop.public_id]),
        reverse("storefront:login"),
        reverse("storefront:register"),
    ]


def test_every_buyer_page_renders_in_chinese(client, catalog):
    for url in page_urls(catalog):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-Hans">' in response.text, url


def test_every_buyer_page_renders_in_english(english, catalog):
    for url in page_urls(catalog):
        response = english.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.text, url
        assert "Search" in response.text, url  # the layout itself is translated


def test_home_shows_new_arrivals_designers_and_shops(client, catalog):
    response = client.get(reverse("storefront:home"))
    assert "胡桃木餐椅" in response.text
    assert "朱小杰" in response.text
    assert "木作实验室" in response.text
    assert "未发布的椅子" not in response.text


def test_home_in_english_shows_english_titles(english, catalog):
    response = english.get(reverse("storefront:home"))
    assert "Walnut Dining Chair" in response.text
    assert "胡桃木餐椅" not in response.text


def test_home_hero_shows_the_week_dates_and_theme(client, settings, catalog):
    settings.DESIGN_WEEK_START = "2030-09-20"
    settings.DESIGN_WEEK_THEME_ZH = "城市的日常"
    response = client.get(reverse("storefront:home"))
    assert "城市的日常" in response.text
    assert "9月20日" in response.text and "9月29日" in response.text
    assert "距开幕还有" in response.text


def test_product_page_shows_skus_price_stock_and_cards(client, catalog):
    response = client.get(reverse("storefront:product", args=[catalog.chair.public_id]))
    assert response.status_code == 200
    text = response.text
    assert "胡桃木餐椅" in text
    assert "¥1,299.00" in text and "¥1,399.00" in text
    assert "手工制作的餐椅。" in text
    assert reverse("storefront:shop", args=[catalog.shop.public_id]) in text
    assert reverse("storefront:designer", args=[catalog.designer.public_id]) in text
    for sku in catalog.chair.skus.all():
        assert sku.public_id in text


def test_product_page_in_english_shows_english_title_and_description(english, catalog):
    response = english.get(reverse("storefront:product", args=[catalog.chair.public_id]))
    assert "Walnut Dining Chair" in response.text
    assert "A handmade dining chair." in response.text
    assert "手工制作的餐椅。" not in response.text


def test_product_falls_back_to_chinese_when_it_has_no_english_title(english, catalog):
    response = english.get(reverse("storefront:product", args=[catalog.draft.public_id]))
    assert response.status_code == 404  # a draft is not on sale
    product = make_product(shop=catalog.shop, title_zh="只有中文名")
    response = english.get(reverse("storefront:product", args=[product.public_id]))
    assert "只有中文名" in response.text


def test_unknown_product_is_the_404_page(client, catalog):
    response = client.get(reverse("storefront:product", args=["p_0000000000000000"]))
    assert response.status_code == 404
    assert "这个页面不存在" in response.text


def test_product_not_on_sale_is_404(client, catalog):
    response = client.get(reverse("storefront:product", args=[catalog.draft.public_id]))
    assert response.status_code == 404


def test_product_of_a_suspended_shop_is_404(client, catalog):
    shop = make_shop(status=ShopStatus.SUSPENDED)
    product = make_product(shop=shop)
    response = client.get(reverse("storefront:product", args=[product.public_id]))
    assert response.status_code == 404


def test_404_page_is_english_for_english_visitors(english, catalog):
    response = english.get(reverse("storefront:product", args=["p_0000000000000000"]))
    assert response.status_code == 404
    assert "This page does not exist" in response.text


def test_500_page_renders_without_a_request_context(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "服务器开小差了" in response.content.decode()


def test_designer_page_shows_bio_and_products_on_sale(client, catalog):
    response = client.get(reverse("storefront:designer", args=[catalog.designer.public_id]))
    assert "上海的家具设计师。" in response.text
    assert "胡桃木餐椅" in response.text
    assert "未发布的椅子" not in response.text
    assert "木作实验室" in response.text  # the designer's shop


def test_designer_page_without_products_says_so(client, db):
    designer = make_designer(name_zh="新人设计师")
    response = client.get(reverse("storefront:designer", args=[designer.public_id]))
    assert response.status_code == 200
    assert "这位设计师暂时没有在售作品" in response.text


def test_unknown_designer_is_404(client, db):
    response = client.get(reverse("storefront:designer", args=["d_0000000000000000"]))
    assert response.status_code == 404


def test_shop_page_shows_description_and_products(client, catalog):
    response = client.get(reverse("storefront:shop", args=[catalog.shop.public_id]))
    assert "木作实验室" in response.text
    assert "胡桃木餐椅" in response.text and "纸灯笼台灯" in response.text


def test_shop_awaiting_review_has_no_public_page(client, db):
    shop = make_shop(status=ShopStatus.PENDING)
    response = client.get(reverse("storefront:shop", args=[shop.public_id]))
    assert response.status_code == 404


def test_category_nav_lists_top_categories(client, catalog):
    response = client.get(reverse("storefront:home"))
    assert reverse("storefront:category", args=["furniture"]) in response.text
    assert reverse("storefront:category", args=["lighting"]) in response.text


def test_category_nav_is_cached_for_a_minute(client, catalog):
    from tests.factories import make_category

    client.get(reverse("storefront:home"))
    make_category(slug="new-in", name_zh="新分类")
    response = client.get(reverse("storefront:login"))
    assert reverse("storefront:category", args=["new-in"]) not in response.text


def test_category_bar_follows_the_categories_once_their_minute_is_up(client, catalog):
    from django.core.cache import cache

    from designmall.storefront.selectors import NAV_CACHE_KEY
    from tests.factories import make_category

    client.get(reverse("storefront:home"))  # the bar is rendered once and kept per process
    make_category(slug="new-in", name_zh="新分类")
    cache.delete(NAV_CACHE_KEY)  # as when the kept categories expire
    response = client.get(reverse("storefront:login"))
    assert reverse("storefront:category", args=["new-in"]) in response.text


def test_category_bar_marks_the_current_category_only_on_its_page(client, catalog):
    furniture = reverse("storefront:category", args=["furniture"])
    marked = f'<a href="{furniture}" aria-current="page">'
    client.get(reverse("storefront:home"))
    assert marked in client.get(furniture).text
    assert marked not in client.get(reverse("storefront:home")).text


def test_category_bar_is_in_the_page_language(client, catalog):
    client.get(reverse("storefront:home"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("storefront:login")).text
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    chinese = client.get(reverse("storefront:login")).text
    assert ">Furniture</a>" in english and ">家具</a>" not in english
    assert ">家具</a>" in chinese


def test_language_switch_turns_pages_english(client, catalog):
    url = reverse("storefront:product", args=[catalog.chair.public_id])
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    assert "Walnut Dining Chair" in client.get(url).text


def test_layout_links_the_seller_center_and_back_office(client, catalog):
    staff = make_user(role=None, is_staff=True)
    client.force_login(staff)
    text = client.get(reverse("storefront:home")).text
    assert reverse("admin:index") in text
    client.force_login(catalog.shop.owner)
    text = client.get(reverse("storefront:home")).text
    assert "卖家中心" in text
    assert reverse("admin:index") not in text


def test_product_page_marks_sold_out_skus_and_chooses_one_in_stock(client, catalog):
    in_stock, sold_out = catalog.chair.skus.order_by("price_fen")  # 5 and 0 units
    text = client.get(reverse("storefront:product", args=[catalog.chair.public_id])).text
    assert text.count('class="sku is-out"') == 1
    assert f'value="{in_stock.public_id}" data-price="¥1,299.00" data-stock="5" checked' in text
    assert f'value="{sold_out.public_id}" data-price="¥1,399.00" data-stock="0">' in text
    assert "仅剩 5 件" in text


def test_the_site_has_an_icon_linked_from_its_pages_and_at_favicon_ico(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = client.get(reverse("storefront:home")).content.decode()
    assert '<link rel="icon" href="/static/storefront/favicon.svg"' in html
    assert finders.find("storefront/favicon.svg")
