"""A buyer in a real browser: the header counts the cart's items, the address book's
province / city / district picker refills from the served divisions, and the checkout
starts from the saved default address."""

# ruff: noqa: F811

import pytest
from django.conf import settings as django_settings

from designmall.accounts.models import Address
from designmall.orders.cart import cart_add
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_product, make_user
from tests.orders.conftest import _orders_settings  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def buyer_session(transactional_db, client, live_server):
    chair = make_product(title_zh="胡桃木椅子", skus=[(129_900, 5)])
    buyer = make_user()
    cart_add(user=buyer, sku_public_id=chair.skus.get().public_id, quantity=3)
    client.force_login(buyer)
    return buyer, client.cookies[django_settings.SESSION_COOKIE_NAME].value, live_server.url


def test_the_address_picker_the_cart_count_and_the_checkout(buyer_session, page):
    buyer, session, url = buyer_session
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
    )
    page.goto("/cart/")  # the cart page keeps the count
    page.goto("/")
    badge = page.locator("[data-cart-count]")
    assert badge.is_visible() and badge.inner_text() == "3"

    page.goto("/me/addresses/new/")
    page.locator("#id_name").fill("周小满")
    page.locator("#id_mobile").fill("13800138000")
    page.locator("#id_province").select_option("浙江省")
    page.locator("#id_city").select_option("杭州市")  # filled by address.js
    page.locator("#id_district").select_option("西湖区")
    page.locator("#id_detail").fill("象山路 352 号")
    page.screenshot(path=str(SHOTS / "address-1-form.png"), full_page=True)
    page.get_by_role("button", name="保存").click()

    page.wait_for_url("**/me/addresses/")
    assert page.locator("[data-default]").is_visible()
    assert Address.objects.get(user=buyer).district == "西湖区"

    page.goto("/checkout/")
    assert page.locator("#id_district").input_value() == "西湖区"
    assert page.locator("[data-saved-address][aria-current=true]").is_visible()
    page.screenshot(path=str(SHOTS / "address-2-checkout.png"), full_page=True)
