"""The buyer's address book pages, the checkout starting from the default address, product
photos in the cart, checkout and order lists, and the header's cart count."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from designmall.accounts.addresses import address_create
from designmall.accounts.models import Address
from designmall.catalog.models import ProductImage
from designmall.core import clock
from designmall.orders.cart import cart_add
from designmall.storefront.views.orders import CART_COUNT_COOKIE
from tests.factories import make_user
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    _orders_settings,
    _payments_settings,
    buy,
    buyer,
    keys,
    pay,
    sandbox_key_dir,
    store,
)

pytestmark = pytest.mark.django_db

HOME = {
    "name": "林小满",
    "mobile": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "龙腾大道 2555 号",
    "postcode": "",
}
OFFICE = {**HOME, "province": "北京市", "city": "北京市", "district": "朝阳区", "detail": "798"}


@pytest.fixture
def signed_in(client, buyer):
    client.force_login(buyer)
    return client


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "tan").save(out, "JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def with_photo(product) -> ProductImage:
    return ProductImage.objects.create(product=product, image=jpeg(), alt="", position=0)


# --- the address book pages -----------------------------------------------------------------


def test_a_buyer_adds_an_address_with_the_division_picker(signed_in, buyer):
    page = signed_in.get(reverse("storefront:address_add"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-division-province" in html and ">浙江省</option>" in html
    assert "storefront/address.js" in html

    response = signed_in.post(reverse("storefront:address_add"), HOME)

    assert response.status_code == 302
    address = Address.objects.get(user=buyer)
    assert (address.city, address.district, address.is_default) == ("上海市", "徐汇区", True)
    listed = signed_in.get(reverse("storefront:addresses")).content.decode()
    assert "龙腾大道 2555 号" in listed and "data-default" in listed


def test_a_changed_province_is_asked_again_with_its_cities(signed_in, buyer):
    """Without JavaScript: the city of another province is refused, the new cities shown."""
    response = signed_in.post(
        reverse("storefront:address_add"), {**HOME, "province": "浙江省", "city": "上海市"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert ">杭州市</option>" in html
    assert not Address.objects.filter(user=buyer).exists()


def test_a_buyer_edits_deletes_and_chooses_the_default(signed_in, buyer):
    home = address_create(user=buyer, data=HOME)
    office = address_create(user=buyer, data=OFFICE)

    page = signed_in.get(reverse("storefront:address_edit", args=[office.public_id]))
    assert "798</textarea>" in page.content.decode()
    signed_in.post(
        reverse("storefront:address_edit", args=[office.public_id]),
        {**OFFICE, "detail": "酒仙桥路 4 号"},
    )
    signed_in.post(reverse("storefront:address_default", args=[office.public_id]))
    office.refresh_from_db()
    assert (office.detail, office.is_default) == ("酒仙桥路 4 号", True)

    signed_in.post(reverse("storefront:address_delete", args=[office.public_id]))
    assert list(Address.objects.filter(user=buyer)) == [home]
    assert Address.objects.get(pk=home.pk).is_default


def test_another_buyers_address_is_not_found(signed_in):
    other = address_create(user=make_user(), data=HOME)
    for name in ("storefront:address_edit",):
        assert signed_in.get(reverse(name, args=[other.public_id])).status_code == 404
    for name in ("storefront:address_delete", "storefront:address_default"):
        assert signed_in.post(reverse(name, args=[other.public_id])).status_code == 404
    assert Address.objects.filter(pk=other.pk).exists()


def test_the_divisions_are_served_locally(client):
    response = client.get(reverse("storefront:address_divisions"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"]
    assert "西湖区" in response.content.decode()


def test_the_address_pages_need_a_login(client):
    response = client.get(reverse("storefront:addresses"))
    assert response.status_code == 302 and "/login/" in response.url


# --- the checkout starts from the default address ------------------------------------------


def test_the_checkout_starts_from_the_default_address_and_can_pick_another(signed_in, buyer, store):
    address_create(user=buyer, data=HOME)
    office = address_create(user=buyer, data=OFFICE)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)

    html = signed_in.get(reverse("storefront:checkout")).content.decode()
    assert 'value="徐汇区"' in html and "data-saved-addresses" in html

    html = signed_in.get(reverse("storefront:checkout"), {"address": office.public_id}).content
    html = html.decode()
    assert 'value="朝阳区"' in html
    assert re.search(rf'aria-current="true" data-saved-address="{office.public_id}"', html)


def test_someone_elses_address_id_falls_back_to_the_default(signed_in, buyer, store):
    address_create(user=buyer, data=HOME)
    stranger = address_create(user=make_user(), data=OFFICE)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)

    html = signed_in.get(reverse("storefront:checkout"), {"address": stranger.public_id})
    html = html.content.decode()
    assert 'value="徐汇区"' in html and "朝阳区" not in html


def test_a_new_address_from_the_checkout_comes_back_to_it(signed_in, buyer):
    response = signed_in.post(
        reverse("storefront:address_add") + "?next=/checkout/",
        {**HOME, "next": reverse("storefront:checkout")},
    )
    address = Address.objects.get(user=buyer)
    assert response.url == f"{reverse('storefront:checkout')}?address={address.public_id}"


# --- photos ---------------------------------------------------------------------------------


def test_cart_checkout_and_orders_show_the_products_photo(signed_in, buyer, store):
    photo = with_photo(store.product_a)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    for name in ("storefront:cart", "storefront:checkout"):
        html = signed_in.get(reverse(name)).content.decode()
        assert photo.image.url in html, name

    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1))
    pay(checkout)
    order = checkout.orders.get(shop=store.shop_a)
    for url in (
        reverse("storefront:orders"),
        reverse("storefront:order", args=[order.public_id]),
        reverse("storefront:checkout_done", args=[checkout.public_id]),
    ):
        html = signed_in.get(url).content.decode()
        assert photo.image.url in html, url
    # The shop without photos keeps its tile.
    other = checkout.orders.get(shop=store.shop_b)
    html = signed_in.get(reverse("storefront:order", args=[other.public_id])).content.decode()
    assert "data-thumb" in html and "<img" not in html.split("data-thumb", 1)[1][:80]


def test_the_sellers_order_list_and_page_show_the_products_photo(client, buyer, store):
    photo = with_photo(store.product_a)
    checkout = buy(buyer, (store.lamp, 1))
    pay(checkout)
    order = checkout.orders.get()
    client.force_login(store.shop_a.owner)
    for url in (
        reverse("storefront:seller_orders"),
        reverse("storefront:seller_order", args=[order.public_id]),
    ):
        assert photo.image.url in client.get(url).content.decode(), url


def test_the_order_list_costs_the_same_queries_for_more_orders(
    signed_in, buyer, store, django_assert_max_num_queries
):
    with_photo(store.product_a)
    for _ in range(3):
        buy(buyer, (store.lamp, 1))
    signed_in.get(reverse("storefront:orders"))  # warm the session and caches
    with django_assert_max_num_queries(12):
        signed_in.get(reverse("storefront:orders"))


# --- the header's cart count ----------------------------------------------------------------


def test_the_cart_count_cookie_follows_the_cart(client, buyer, store):
    client.post(reverse("storefront:cart_add"), {"sku": store.lamp.public_id, "quantity": 2})
    assert client.cookies[CART_COUNT_COOKIE].value == "2"  # a visitor's session cart

    client.force_login(buyer)
    client.post(reverse("storefront:cart_add"), {"sku": store.cup.public_id, "quantity": 1})
    assert client.cookies[CART_COUNT_COOKIE].value == "1"

    client.post(reverse("storefront:cart_remove"), {"sku": store.cup.public_id})
    assert client.cookies[CART_COUNT_COOKIE].value == ""  # deleted: nothing in the cart

    client.post(reverse("storefront:cart_add"), {"sku": store.cup.public_id, "quantity": 3})
    client.post(reverse("storefront:logout"))
    assert client.cookies[CART_COUNT_COOKIE].value == ""


def test_the_header_has_a_count_badge_for_the_script_and_no_count_in_the_page(client, store):
    """The badge is filled by site.js from the cookie, so a cached page is the same for all."""
    client.cookies[CART_COUNT_COOKIE] = "5"
    html = client.get(reverse("storefront:home")).content.decode()
    badge = re.search(r"<span class=\"cart-count\" data-cart-count hidden></span>", html)
    assert badge is not None


def test_logging_in_counts_the_merged_cart(client, store):
    user = make_user(email="count@example.com")
    user.set_password("a long pass phrase 42")
    user.save()
    cart_add(user=user, sku_public_id=store.vase.public_id, quantity=1)
    client.post(reverse("storefront:cart_add"), {"sku": store.lamp.public_id, "quantity": 2})

    client.post(
        reverse("storefront:login"),
        {"identifier": "count@example.com", "password": "a long pass phrase 42"},
    )

    assert client.cookies[CART_COUNT_COOKIE].value == "3"
    assert clock.now()  # the clock is real here
