"""Search and category pages: filters, sort, pagination and readable messages for bad input."""

import re

import pytest
from django.urls import reverse

from designmall.storefront.views import browse
from tests.factories import make_designer, make_product

pytestmark = pytest.mark.django_db
SEARCH = reverse("storefront:search")


def titles(response) -> list[str]:
    """Product titles in the result grid, in order."""
    return re.findall(r'<h3 class="card-title">([^<]+)</h3>', response.text)


def test_search_finds_a_product_by_chinese_words(client, catalog):
    response = client.get(SEARCH, {"q": "餐椅"})
    assert response.status_code == 200
    assert titles(response) == ["胡桃木餐椅"]


def test_search_without_a_query_lists_everything_on_sale(client, catalog):
    response = client.get(SEARCH)
    assert sorted(titles(response)) == ["纸灯笼台灯", "胡桃木餐椅"]


def test_category_page_includes_subcategories(client, catalog):
    response = client.get(reverse("storefront:category", args=["furniture"]))
    assert titles(response) == ["胡桃木餐椅"]
    assert "椅子" in response.text  # the subcategory chip


def test_unknown_category_page_is_404(client, catalog):
    response = client.get(reverse("storefront:category", args=["no-such-thing"]))
    assert response.status_code == 404


def test_search_filters_by_category_slug(client, catalog):
    response = client.get(SEARCH, {"category": "lighting"})
    assert titles(response) == ["纸灯笼台灯"]


def test_search_filters_by_designer_and_shop(client, catalog):
    other = make_product(title_zh="别家的杯子")
    response = client.get(SEARCH, {"designer": catalog.designer.public_id})
    assert titles(response) == ["胡桃木餐椅"]
    response = client.get(SEARCH, {"shop": other.shop.public_id})
    assert titles(response) == ["别家的杯子"]


def test_search_filters_by_origin(client, catalog):
    response = client.get(SEARCH, {"origin": "international"})
    assert titles(response) == ["纸灯笼台灯"]


def test_price_filter_is_in_yuan(client, catalog):
    response = client.get(SEARCH, {"price_min": "1000", "price_max": "1299.00"})
    assert titles(response) == ["胡桃木餐椅"]  # ¥1,299 is in, ¥699 is out
    response = client.get(SEARCH, {"price_max": "1298.99"})
    assert titles(response) == ["纸灯笼台灯"]


def test_in_stock_filter_leaves_out_sold_out_products(client, catalog):
    response = client.get(SEARCH, {"in_stock": "on"})
    assert titles(response) == ["胡桃木餐椅"]


def test_sort_by_price_both_ways(client, catalog):
    assert titles(client.get(SEARCH, {"sort": "price"})) == ["纸灯笼台灯", "胡桃木餐椅"]
    assert titles(client.get(SEARCH, {"sort": "-price"})) == ["胡桃木餐椅", "纸灯笼台灯"]


def test_bad_price_gives_a_message_and_the_search_still_runs(client, catalog):
    response = client.get(SEARCH, {"price_min": "abc", "origin": "international"})
    assert response.status_code == 200
    assert "请输入正确的金额" in response.text
    assert 'value="abc"' in response.text  # what was typed stays in the form
    assert titles(response) == ["纸灯笼台灯"]  # the other filters still apply


def test_negative_price_gives_a_message(client, catalog):
    response = client.get(SEARCH, {"price_max": "-5"})
    assert "金额不能为负数" in response.text
    assert sorted(titles(response)) == ["纸灯笼台灯", "胡桃木餐椅"]


def test_min_price_above_max_price_gives_a_message(client, catalog):
    response = client.get(SEARCH, {"price_min": "2000", "price_max": "100"})
    assert "最高价不能低于最低价" in response.text


def test_unknown_filters_give_messages_not_errors(client, catalog):
    response = client.get(
        SEARCH,
        {"designer": "d_nope", "shop": "s_nope", "category": "nope", "sort": "cheapest"},
    )
    assert response.status_code == 200
    assert "没有找到这位设计师" in response.text
    assert "没有找到这个店铺" in response.text
    assert "没有这个分类" in response.text
    assert "不支持这种排序" in response.text
    assert sorted(titles(response)) == ["纸灯笼台灯", "胡桃木餐椅"]


def test_bad_filter_message_is_english_for_english_visitors(english, catalog):
    response = english.get(SEARCH, {"price_min": "abc"})
    assert "Enter a valid amount" in response.text


@pytest.fixture
def many(catalog, monkeypatch):
    """Five chairs by one designer, two to a page."""
    monkeypatch.setattr(browse, "PER_PAGE", 2)
    designer = make_designer(name_zh="多产设计师")
    for n in range(5):
        make_product(
            category=catalog.chairs,
            designer=designer,
            title_zh=f"椅子{n}",
            skus=[(10_000 + n * 100, 1)],
        )
    return designer


def test_pagination_keeps_the_filters(client, many):
    response = client.get(SEARCH, {"designer": many.public_id, "sort": "price"})
    assert titles(response) == ["椅子0", "椅子1"]
    assert f"?designer={many.public_id}&amp;sort=price&amp;page=2" in response.text
    response = client.get(SEARCH, {"designer": many.public_id, "sort": "price", "page": "3"})
    assert titles(response) == ["椅子4"]
    assert 'aria-current="page">3<' in response.text


def test_a_page_past_the_end_shows_the_last_page(client, many):
    response = client.get(SEARCH, {"designer": many.public_id, "sort": "price", "page": "99"})
    assert titles(response) == ["椅子4"]


def test_a_page_that_is_not_a_number_shows_the_first(client, many):
    response = client.get(SEARCH, {"designer": many.public_id, "sort": "price", "page": "x"})
    assert titles(response) == ["椅子0", "椅子1"]


def test_nothing_found_says_so(client, catalog):
    response = client.get(SEARCH, {"q": "潜水艇"})
    assert titles(response) == []
    assert "没有找到与“潜水艇”相关的作品" in response.text


def test_a_search_with_more_matches_than_are_counted_says_so(client, monkeypatch, db):
    from designmall.catalog import search

    monkeypatch.setattr(search, "COUNT_CAP", 2)
    for n in range(3):
        make_product(title_zh=f"椅子{n}号")
    response = client.get(SEARCH, {"q": "椅子"})
    assert "2 件以上作品" in response.text


def test_the_api_says_when_a_search_total_is_capped(client, monkeypatch, db):
    from designmall.catalog import search

    monkeypatch.setattr(search, "COUNT_CAP", 2)
    for n in range(3):
        make_product(title_zh=f"椅子{n}号")
    body = client.get("/api/v1/products", {"q": "椅子"}).json()
    assert (body["total"], body["total_capped"]) == (2, True)


def test_search_shows_a_named_shop_and_designer_above_the_products(client, catalog):
    response = client.get(SEARCH, {"q": "木作实验室"})
    text = response.text
    assert response.status_code == 200
    shop_link = reverse("storefront:shop", args=[catalog.shop.public_id])
    assert f'href="{shop_link}" data-maker="shop"' in text
    response = client.get(SEARCH, {"q": "Zhu Xiaojie"})
    designer_link = reverse("storefront:designer", args=[catalog.designer.public_id])
    assert f'href="{designer_link}" data-maker="designer"' in response.text
    # Above the products: the makers' section comes before the result grid.
    response = client.get(SEARCH, {"q": "朱小杰"})
    assert response.text.index("data-makers") < response.text.index("card-title")


def test_search_names_no_maker_without_a_query_or_past_the_first_page(client, catalog):
    assert "data-makers" not in client.get(SEARCH).text
    assert "data-makers" not in client.get(SEARCH, {"q": "餐椅"}).text
    in_shop = client.get(SEARCH, {"q": "木作", "shop": catalog.shop.public_id})
    assert "data-makers" not in in_shop.text
