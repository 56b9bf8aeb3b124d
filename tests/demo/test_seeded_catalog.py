"""What a seeded demo design week contains (one small catalog for the whole module)."""

from statistics import median

import pytest
from django.core.files.storage import default_storage
from django.db.models import Count, F, Max, Min, Q

from designmall.catalog.models import (
    Category,
    Designer,
    Product,
    ProductImage,
    ProductStatus,
    Shop,
    ShopStatus,
    Sku,
)
from designmall.catalog.selectors import products_on_sale
from designmall.demo.accounts import SELLER_EMAIL
from designmall.demo.generator import DESIGNER_COUNT, RENOWNED_COUNT, SHOP_COUNT
from designmall.inventory.models import StockLevel
from designmall.inventory.selectors import stock_verify
from designmall.orders.models import OrderLine

from .conftest import SMALL_CATALOG

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_the_requested_number_of_products_is_seeded():
    assert Product.objects.count() == SMALL_CATALOG


def test_there_are_at_least_300_designers_and_300_shops():
    assert Designer.objects.count() == DESIGNER_COUNT >= 300
    assert Shop.objects.count() == SHOP_COUNT >= 300


def test_every_product_has_one_to_four_skus_and_one_to_three_images():
    counts = Product.objects.annotate(skus_n=Count("skus", distinct=True)).annotate(
        images_n=Count("images", distinct=True)
    )
    assert {p.skus_n for p in counts} <= {1, 2, 3, 4}
    assert {p.images_n for p in counts} <= {1, 2, 3}


def test_the_category_tree_has_bilingual_top_levels_with_children():
    furniture = Category.objects.get(slug="furniture")
    assert (furniture.name_zh, furniture.name_en) == ("家具", "Furniture")
    assert {"椅子", "桌子", "柜架", "沙发"} <= set(
        furniture.children.values_list("name_zh", flat=True)
    )
    lighting = Category.objects.get(name_zh="灯具")
    assert {"台灯", "落地灯", "吊灯"} <= set(lighting.children.values_list("name_zh", flat=True))
    ceramics = Category.objects.get(name_zh="陶瓷")
    assert {"茶具", "花器", "餐具"} <= set(ceramics.children.values_list("name_zh", flat=True))
    tops = set(Category.objects.filter(parent=None).values_list("name_zh", flat=True))
    assert {"织物", "首饰", "文具", "版画", "玻璃", "香氛", "玩具"} <= tops


def test_products_live_in_leaf_categories():
    assert not Product.objects.filter(category__parent=None).exists()


@pytest.mark.parametrize(
    ("field", "text"),
    [("title_zh", "实木椅子"), ("title_zh", "休闲椅子"), ("title_en", "Lounge Chair")],
)
def test_chair_titles_searched_for_in_the_demo_are_on_sale(field, text):
    assert products_on_sale().filter(**{f"{field}__contains": text}).exists()


def test_every_product_has_titles_and_descriptions_in_both_languages():
    assert not Product.objects.filter(title_en="").exists()
    assert not Product.objects.filter(description_zh="").exists()
    assert not Product.objects.filter(description_en="").exists()


def test_sku_prices_are_positive_whole_yuan_in_fen():
    prices = list(Sku.objects.values_list("price_fen", flat=True))
    assert all(isinstance(p, int) and p > 0 and p % 100 == 0 for p in prices)


def test_prices_follow_the_category_furniture_costs_more_than_stationery():
    def median_price(top_slug):
        return median(
            Product.objects.filter(category__parent__slug=top_slug).values_list(
                "price_min_fen", flat=True
            )
        )

    assert median_price("furniture") > 10 * median_price("stationery")


def test_product_summaries_match_their_active_skus():
    active = Q(skus__is_active=True)
    summaries = Product.objects.annotate(
        low=Min("skus__price_fen", filter=active),
        most=Max("skus__stock_level__available", filter=active),
    )
    for product in summaries:
        assert product.price_min_fen == product.low
        assert product.in_stock == (product.most > 0)


def test_every_sku_has_its_stock_received_and_available_and_the_books_balance():
    assert StockLevel.objects.count() == Sku.objects.count()
    # Only the SKUs of the demo's orders have sold (the demo seller's, demo/orders.py, and
    # those bought at the show, demo/o2o_dash.py); the demo's two flash deals hold the units
    # they set aside.
    with_deal = StockLevel.objects.filter(sku__deals__isnull=False)
    assert with_deal.count() == 2 and not with_deal.filter(held=0).exists()
    others = StockLevel.objects.exclude(sku__product__shop__owner__email=SELLER_EMAIL).exclude(
        sku__in=OrderLine.objects.values("sku_id")
    )
    assert not others.exclude(sku__deals__isnull=False).exclude(received=F("available")).exists()
    assert StockLevel.objects.filter(available=0).exists()  # some sold out
    assert stock_verify() == []


def test_most_products_are_live_and_some_are_in_every_other_state():
    by_status = dict(Product.objects.values_list("status").annotate(n=Count("id")))
    assert by_status[ProductStatus.LIVE] > 0.85 * SMALL_CATALOG
    for status in (ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, ProductStatus.DELISTED):
        assert by_status.get(status, 0) >= 1
    assert set(by_status) <= set(ProductStatus.values)


def test_only_published_products_have_a_publication_time():
    assert not Product.objects.filter(status=ProductStatus.LIVE, published_at=None).exists()
    unpublished = (ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW)
    assert not Product.objects.filter(status__in=unpublished, published_at__isnull=False).exists()


def test_some_shops_await_approval_and_exactly_one_is_suspended():
    assert Shop.objects.filter(status=ShopStatus.PENDING, reviewed_at=None).count() >= 3
    assert Shop.objects.filter(status=ShopStatus.SUSPENDED).count() == 1
    assert not Product.objects.filter(shop__status=ShopStatus.PENDING).exists()


def test_designers_come_from_china_and_many_other_countries_and_a_few_dozen_are_renowned():
    countries = set(Designer.objects.values_list("country", flat=True))
    assert "CN" in countries
    assert len(countries) >= 15
    assert Designer.objects.filter(is_renowned=True).count() == RENOWNED_COUNT
    assert Designer.objects.exclude(country="CN").count() > 100


def test_product_origin_follows_the_shop_country():
    assert not Product.objects.filter(origin="domestic").exclude(country="CN").exists()
    assert not Product.objects.filter(origin="international", country="CN").exists()


def test_every_picture_the_catalog_points_at_exists_in_storage():
    names = set(ProductImage.objects.values_list("image", flat=True))
    names |= set(Designer.objects.values_list("portrait", flat=True))
    assert names
    assert all(default_storage.exists(name) for name in names)
    assert all(name.startswith("demo/") for name in names)


def test_a_deal_runs_now_and_another_starts_in_10_minutes():
    from datetime import timedelta

    from designmall.core import clock
    from designmall.demo.deals import deals_ensure_live
    from designmall.promotions.deals import phase
    from designmall.promotions.models import Deal

    deals = list(Deal.objects.order_by("starts_at"))
    assert [phase(d) for d in deals] == ["live", "upcoming"]
    assert abs(deals[1].starts_at - clock.now() - timedelta(minutes=10)) < timedelta(minutes=5)
    assert deals_ensure_live(now=clock.now()) is False
    assert stock_verify() == []  # the deals' units are held, the books still balance
