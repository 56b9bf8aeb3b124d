"""A product page costs one statement once its catalog data is kept, and shows every
change to that data on the next render."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse, set_script_prefix
from PIL import Image

from designmall.catalog.services import (
    product_approve,
    product_delist,
    product_image_add,
    product_image_remove,
    product_update,
    sku_update,
)
from designmall.core import clock
from designmall.inventory.services import stock_set
from designmall.promotions.selectors import claimable_index
from designmall.storefront.selectors import nav_categories
from designmall.storefront.views.browse import products_on_presale
from designmall.storefront.views.deals import products_with_deals
from tests.factories import make_operator, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rendered_every_time(settings):
    """Every request renders its page: the page cache would hide the render's cost."""
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs a change and what waits for its commit (the catalog's announcements)."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def url(product):
    return reverse("storefront:product", args=[product.public_id])


def png(name="chair.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#8b5a2b").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- what a page costs ------------------------------------------------------------------


def test_a_product_page_read_fresh_takes_at_most_seven_statements(
    client, catalog, django_assert_max_num_queries
):
    nav_categories()  # the header's categories are kept for every page
    claimable_index()  # so are the coupons claimable now (the 领券 strip)
    products_on_presale(clock.now())  # and which products have a pre-sale or a deal
    products_with_deals()
    # the product with shop, designer and category; SKUs; images; the shop's newest
    # ids; those products; their covers; the stock of the SKUs
    with django_assert_max_num_queries(7):
        assert client.get(url(catalog.chair)).status_code == 200


def test_a_product_page_with_kept_catalog_data_reads_only_the_stock(
    client, catalog, django_assert_max_num_queries
):
    client.get(url(catalog.chair))

    with django_assert_max_num_queries(1):
        assert client.get(url(catalog.chair)).status_code == 200


def test_a_product_page_in_the_other_language_reuses_the_kept_catalog_data(
    client, catalog, django_assert_max_num_queries
):
    client.get(url(catalog.chair))
    client.cookies["django_language"] = "en"

    with django_assert_max_num_queries(1):
        assert "Walnut Dining Chair" in client.get(url(catalog.chair)).text


def test_a_logged_in_buyers_product_page_takes_at_most_four_statements(
    client, catalog, django_assert_max_num_queries
):
    client.force_login(make_user())
    client.get(url(catalog.chair))

    # session, user, whether the user has a shop (the menu), stock
    with django_assert_max_num_queries(4):
        assert client.get(url(catalog.chair)).status_code == 200


# --- what a page shows -----------------------------------------------------------------


def test_the_kept_parts_of_a_page_are_shown_in_each_language(client, catalog):
    chinese = client.get(url(catalog.chair)).text
    english = Client()
    english.cookies["django_language"] = "en"
    text = english.get(url(catalog.chair)).text

    assert "纸灯笼台灯" in chinese and "木作实验室" in chinese
    assert "Paper Lantern Lamp" in text and "纸灯笼台灯" not in text
    assert "Wood Lab" in text and "Zhu Xiaojie" in text


def test_more_from_this_shop_shows_each_products_cover(client, catalog, committed):
    committed(product_image_add, product=catalog.lamp, by=catalog.shop.owner, upload=png())
    cover = catalog.lamp.images.get()

    text = client.get(url(catalog.chair)).text

    assert cover.image.url in text


# --- changes show on the next render ----------------------------------------------------


def test_a_new_price_shows_on_the_next_render(client, catalog, committed):
    client.get(url(catalog.chair))
    sku = catalog.chair.skus.order_by("price_fen").first()

    committed(sku_update, sku=sku, by=catalog.shop.owner, price_fen=99_900)

    assert 'data-price="¥999.00"' in client.get(url(catalog.chair)).text


def test_an_edited_title_shows_once_the_edit_is_approved(client, catalog, committed):
    client.get(url(catalog.chair))

    committed(product_update, product=catalog.chair, by=catalog.shop.owner, title_zh="橡木餐椅")
    assert client.get(url(catalog.chair)).status_code == 404  # in review: off sale
    committed(product_approve, product=catalog.chair, by=make_operator())

    text = client.get(url(catalog.chair)).text
    assert "橡木餐椅" in text and "胡桃木餐椅" not in text


def test_stock_shows_as_it_is_now_on_every_render(client, catalog):
    client.get(url(catalog.chair))
    in_stock = catalog.chair.skus.order_by("price_fen").first()

    stock_set(sku=in_stock, available=0, by=catalog.shop.owner)

    text = client.get(url(catalog.chair)).text
    assert text.count('class="sku is-out"') == 2
    assert "已售罄" in text


def test_an_added_and_a_removed_image_show_on_the_next_render(client, catalog, committed):
    client.get(url(catalog.chair))

    image = committed(product_image_add, product=catalog.chair, by=catalog.shop.owner, upload=png())
    assert image.image.url in client.get(url(catalog.chair)).text

    committed(
        product_image_remove,
        product=catalog.chair,
        by=catalog.shop.owner,
        image_public_id=image.public_id,
    )
    assert image.image.url not in client.get(url(catalog.chair)).text


def test_a_shop_mates_new_price_shows_in_more_from_this_shop(client, catalog, committed):
    client.get(url(catalog.chair))

    committed(sku_update, sku=catalog.lamp.skus.get(), by=catalog.shop.owner, price_fen=59_900)

    assert "¥599.00" in client.get(url(catalog.chair)).text


def test_a_delisted_shop_mate_leaves_more_from_this_shop(client, catalog, committed):
    assert "纸灯笼台灯" in client.get(url(catalog.chair)).text

    committed(product_delist, product=catalog.lamp, by=catalog.shop.owner)

    assert "纸灯笼台灯" not in client.get(url(catalog.chair)).text


def test_a_renamed_shop_shows_on_the_next_render(client, catalog, committed):
    client.get(url(catalog.chair))
    catalog.shop.name_zh = "木作工作室"

    committed(catalog.shop.save)

    assert "木作工作室" in client.get(url(catalog.chair)).text


def test_a_designer_no_longer_renowned_shows_on_the_next_render(client, catalog, committed):
    assert "知名设计师" in client.get(url(catalog.chair)).text
    catalog.designer.is_renowned = False

    committed(catalog.designer.save)

    assert "知名设计师" not in client.get(url(catalog.chair)).text


def test_a_renamed_parent_category_shows_in_the_breadcrumbs(client, catalog, committed):
    client.get(url(catalog.chair))
    catalog.furniture.name_zh = "家居"

    committed(catalog.furniture.save)

    assert ">家居</a>" in client.get(url(catalog.chair)).text


@pytest.fixture
def served_under_a_prefix():
    set_script_prefix("/mall/")  # as the WSGI handler does for SCRIPT_NAME=/mall
    yield
    set_script_prefix("/")


def test_links_follow_the_script_prefix_the_site_is_served_under(client, catalog, request):
    path = url(catalog.chair)
    client.get(path)
    request.getfixturevalue("served_under_a_prefix")

    text = client.get(path).text

    assert f'href="/mall/s/{catalog.shop.public_id}/"' in text  # a kept part
    assert 'href="/mall/c/chairs/"' in text  # the breadcrumbs
    assert 'href="/s/' not in text and 'href="/c/' not in text
