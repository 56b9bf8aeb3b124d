"""Catalog reads: anyone may browse what is on sale, and nothing else."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designmall.catalog.models import Origin, ProductImage, ProductStatus, ShopStatus, Sku
from tests.api.conftest import ABSENT_ID, assert_error, invalid_fields
from tests.factories import make_category, make_designer, make_product, make_shop

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["public_id"] for item in response.json()["items"]]


# --- GET /products ------------------------------------------------------------------------


def test_list_shows_only_products_on_sale(anon):
    live = make_product()
    make_product(status=ProductStatus.DRAFT)
    make_product(status=ProductStatus.PENDING_REVIEW)
    make_product(shop=make_shop(status=ShopStatus.SUSPENDED))
    assert ids(anon.get("/products")) == [live.public_id]


def test_list_item_carries_both_languages_money_and_an_absolute_cover(anon):
    designer = make_designer(name_zh="林", name_en="Lin")
    product = make_product(
        title_zh="胡桃木椅", title_en="Walnut chair", designer=designer, skus=[(129_900, 3)]
    )
    ProductImage.objects.create(product=product, image="products/chair.png", alt="正面", position=1)
    item = anon.get("/products").json()["items"][0]
    assert (item["title_zh"], item["title_en"]) == ("胡桃木椅", "Walnut chair")
    assert (item["price_fen"], item["price_display"]) == (129_900, "¥1,299.00")
    assert item["cover"]["url"] == "http://testserver/media/products/chair.png"
    assert item["designer"] == {"public_id": designer.public_id, "name_zh": "林", "name_en": "Lin"}
    assert item["shop"]["public_id"] == product.shop.public_id
    assert item["category"]["slug"] == product.category.slug


def test_list_is_paginated(anon):
    for _ in range(3):
        make_product()
    first = anon.get("/products", {"per_page": 2}).json()
    assert (first["total"], first["pages"], first["page"], len(first["items"])) == (3, 2, 1, 2)
    second = anon.get("/products", {"per_page": 2, "page": 2}).json()
    assert len(second["items"]) == 1
    assert not {i["public_id"] for i in first["items"]} & {i["public_id"] for i in second["items"]}


def test_list_queries_do_not_grow_with_the_page(anon):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert anon.get("/products").status_code == 200
        return len(captured)

    def add_product():
        product = make_product(designer=make_designer())
        ProductImage.objects.create(product=product, image="products/x.png")

    add_product()
    one = queries_for_list()
    for _ in range(4):
        add_product()
    assert queries_for_list() == one


def test_page_past_the_end_is_empty_not_an_error(anon):
    make_product()
    body = anon.get("/products", {"page": 9}).json()
    assert (body["items"], body["total"]) == ([], 1)


def test_category_filter_includes_subcategories(anon):
    furniture = make_category(slug="furniture")
    chairs = make_category(slug="chairs", parent=furniture)
    chair, table = make_product(category=chairs), make_product(category=furniture)
    make_product(category=make_category(slug="lamps"))
    assert set(ids(anon.get("/products", {"category": "furniture"}))) == {
        chair.public_id,
        table.public_id,
    }
    assert ids(anon.get("/products", {"category": "chairs"})) == [chair.public_id]


def test_unknown_category_is_404(anon):
    assert_error(anon.get("/products", {"category": "nope"}), 404, "category_not_found")


def test_designer_and_shop_filters(anon):
    designer, shop = make_designer(), make_shop()
    by_designer = make_product(designer=designer)
    in_shop = make_product(shop=shop)
    make_product()
    assert ids(anon.get("/products", {"designer": designer.public_id})) == [by_designer.public_id]
    assert ids(anon.get("/products", {"shop": shop.public_id})) == [in_shop.public_id]


def test_filtering_by_an_unknown_designer_or_a_closed_shop_is_404(anon):
    closed = make_shop(status=ShopStatus.PENDING)
    assert_error(
        anon.get("/products", {"designer": "d_0000000000000000"}), 404, "designer_not_found"
    )
    assert_error(anon.get("/products", {"shop": closed.public_id}), 404, "shop_not_found")


def test_origin_price_and_stock_filters(anon):
    cheap = make_product(skus=[(5_000, 1)])
    dear = make_product(skus=[(90_000, 1)], origin=Origin.INTERNATIONAL)
    sold_out = make_product(skus=[(20_000, 0)])
    assert ids(anon.get("/products", {"origin": "international"})) == [dear.public_id]
    assert set(ids(anon.get("/products", {"price_min": 10_000, "price_max": 90_000}))) == {
        dear.public_id,
        sold_out.public_id,
    }
    assert sold_out.public_id not in ids(anon.get("/products", {"in_stock": "true"}))
    assert cheap.public_id in ids(anon.get("/products", {"in_stock": "true"}))


def test_sorting_by_price_both_ways(anon):
    mid, low, high = (make_product(skus=[(p, 1)]) for p in (2_000, 1_000, 3_000))
    ascending = [low.public_id, mid.public_id, high.public_id]
    assert ids(anon.get("/products", {"sort": "price"})) == ascending
    assert ids(anon.get("/products", {"sort": "-price"})) == ascending[::-1]


def test_text_query_finds_matching_titles(anon):
    chair = make_product(title_zh="胡桃木椅", title_en="Walnut lounge chair")
    make_product(title_zh="陶瓷花瓶", title_en="Ceramic vase")
    assert ids(anon.get("/products", {"q": "walnut"})) == [chair.public_id]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": 10**30}, "page"),
        ({"page": "two"}, "page"),
        ({"price_min": -1}, "price_min"),
        ({"price_max": 10**20}, "price_max"),
        ({"sort": "cheapest"}, "sort"),
        ({"origin": "mars"}, "origin"),
        ({"q": "椅" * 101}, "q"),
        ({"designer": "x" * 500}, "designer"),
        ({"category": "a b"}, "category"),
    ],
)
def test_list_refuses_bad_parameters(anon, params, field):
    assert invalid_fields(anon.get("/products", params)) == {field}


def test_price_range_upside_down_is_invalid(anon):
    assert_error(anon.get("/products", {"price_min": 500, "price_max": 100}), 422, "invalid")


# --- GET /products/{public_id} ------------------------------------------------------------


def test_detail_has_skus_images_designer_shop_and_category(anon):
    designer = make_designer()
    product = make_product(
        designer=designer, description_zh="手工", description_en="Handmade", skus=[(12_900, 2)]
    )
    Sku.objects.create(product=product, code="OFF", price_fen=1, is_active=False)
    ProductImage.objects.create(product=product, image="products/b.png", position=2)
    ProductImage.objects.create(product=product, image="products/a.png", position=1)
    body = anon.get(f"/products/{product.public_id}").json()
    assert (body["description_zh"], body["description_en"]) == ("手工", "Handmade")
    assert [(s["price_fen"], s["price_display"], s["in_stock"]) for s in body["skus"]] == [
        (12_900, "¥129.00", True)
    ]
    assert [i["url"] for i in body["images"]] == [
        "http://testserver/media/products/a.png",
        "http://testserver/media/products/b.png",
    ]
    assert body["cover"]["url"].endswith("/a.png")
    assert body["designer"]["public_id"] == designer.public_id
    assert body["shop"]["name_zh"] == product.shop.name_zh
    assert body["category"]["slug"] == product.category.slug
    assert "stock" not in body["skus"][0]


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.DELISTED])
def test_detail_of_a_product_not_on_sale_is_404(anon, status):
    product = make_product(status=status)
    assert_error(anon.get(f"/products/{product.public_id}"), 404, "product_not_found")


def test_detail_of_a_product_in_a_suspended_shop_is_404(anon):
    product = make_product(shop=make_shop(status=ShopStatus.SUSPENDED))
    assert_error(anon.get(f"/products/{product.public_id}"), 404, "product_not_found")


def test_detail_of_an_unknown_product_is_404(anon):
    assert_error(anon.get(f"/products/{ABSENT_ID}"), 404, "product_not_found")


# --- GET /categories ----------------------------------------------------------------------


def test_categories_come_as_a_tree_in_display_order(anon):
    home = make_category(slug="home", position=2)
    make_category(slug="fashion", position=1)
    lighting = make_category(slug="lighting", parent=home)
    make_category(slug="desk-lamps", parent=lighting, name_zh="台灯", name_en="Desk lamps")
    tree = anon.get("/categories").json()
    assert [c["slug"] for c in tree] == ["fashion", "home"]
    assert tree[1]["children"][0]["slug"] == "lighting"
    assert tree[1]["children"][0]["children"] == [
        {"slug": "desk-lamps", "name_zh": "台灯", "name_en": "Desk lamps", "children": []}
    ]


# --- GET /designers -----------------------------------------------------------------------


def test_designers_are_paginated_and_filter_by_renown(anon):
    star = make_designer(name_en="Aalto", is_renowned=True)
    make_designer(name_en="Bo")
    make_designer(name_en="Cai")
    everyone = anon.get("/designers", {"per_page": 2}).json()
    assert (everyone["total"], everyone["pages"]) == (3, 2)
    renowned = anon.get("/designers", {"renowned": "true"}).json()
    assert [d["public_id"] for d in renowned["items"]] == [star.public_id]
    assert renowned["items"][0]["is_renowned"] is True


def test_designer_detail_has_both_bios(anon):
    designer = make_designer(bio_zh="北京设计师", bio_en="Beijing designer")
    body = anon.get(f"/designers/{designer.public_id}").json()
    assert (body["bio_zh"], body["bio_en"]) == ("北京设计师", "Beijing designer")
    assert body["portrait_url"] is None


def test_unknown_designer_is_404(anon):
    assert_error(anon.get("/designers/d_0000000000000000"), 404, "designer_not_found")


# --- GET /shops/{public_id} ---------------------------------------------------------------


def test_open_shop_is_shown(anon):
    shop = make_shop(description_zh="木作", description_en="Woodwork")
    body = anon.get(f"/shops/{shop.public_id}").json()
    assert (body["name_zh"], body["description_en"]) == (shop.name_zh, "Woodwork")


@pytest.mark.parametrize("status", [ShopStatus.PENDING, ShopStatus.REJECTED, ShopStatus.SUSPENDED])
def test_shop_that_is_not_open_is_404(anon, status):
    shop = make_shop(status=status)
    assert_error(anon.get(f"/shops/{shop.public_id}"), 404, "shop_not_found")


def test_search_names_shops_and_designers_matching_the_query(anon):
    designer = make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie")
    shop = make_shop(designer=designer, name_zh="木作实验室", name_en="Wood Lab")
    make_product(shop=shop, designer=designer, title_zh="胡桃木餐椅")
    body = anon.get("/products", {"q": "木作"}).json()
    assert [s["public_id"] for s in body["shops"]] == [shop.public_id]
    assert body["designers"] == []
    body = anon.get("/products", {"q": "zhu"}).json()
    assert body["designers"] == [
        {"public_id": designer.public_id, "name_zh": "朱小杰", "name_en": "Zhu Xiaojie"}
    ]
    assert body["items"] and body["items"][0]["designer"]["public_id"] == designer.public_id
    assert anon.get("/products").json()["shops"] == []
    assert anon.get("/products", {"q": "木作", "page": 2}).json()["shops"] == []
