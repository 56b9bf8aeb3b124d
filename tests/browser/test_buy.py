"""A buyer pays for two shops' products at once in a real browser: cart, checkout with a
delivery address, the sandbox cashier, and back to see both orders paid.

Same setup as test_browse.py: headless Chromium through Playwright against the live
server. The cart is filled through the service (the product page's button is tested
with the page itself); the buyer's session is the test client's login.
"""

# The payments tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

import pytest
from django.conf import settings as django_settings

from designmall.orders.cart import cart_add
from designmall.orders.models import Order, OrderStatus
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_product, make_shop, make_user
from tests.orders.conftest import ADDRESS, _orders_settings  # noqa: F401
from tests.payments.conftest import (  # noqa: F401  (the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def buyer_with_cart(transactional_db, client, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ALIPAY_RETURN_URL = live_server.url + "/payments/return/"
    wood = make_shop(name_zh="木作实验室", name_en="Wood Lab")
    clay = make_shop(name_zh="陶土工坊", name_en="Clay Studio")
    chair = make_product(shop=wood, title_zh="胡桃木椅子", skus=[(129_900, 5)])
    cup = make_product(shop=clay, title_zh="柴烧茶杯", skus=[(5_900, 10)])
    buyer = make_user()
    cart_add(user=buyer, sku_public_id=chair.skus.get().public_id, quantity=1)
    cart_add(user=buyer, sku_public_id=cup.skus.get().public_id, quantity=2)
    client.force_login(buyer)
    return buyer, client.cookies[django_settings.SESSION_COOKIE_NAME].value, live_server.url


def test_a_buyer_pays_two_shops_at_once_in_the_sandbox_cashier(buyer_with_cart, page):
    buyer, session, url = buyer_with_cart
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
    )

    page.goto("/cart/")
    assert page.get_by_role("link", name="木作实验室").is_visible()
    assert page.get_by_role("link", name="陶土工坊").is_visible()
    page.screenshot(path=str(SHOTS / "buy-1-cart.png"), full_page=True)
    page.get_by_role("link", name="去结算").click()

    page.wait_for_url("**/checkout/")
    for field, value in ADDRESS.items():
        page.locator(f"#id_{field}").fill(value)
    page.screenshot(path=str(SHOTS / "buy-2-checkout.png"), full_page=True)
    page.get_by_role("button", name="提交订单并付款").click()

    page.wait_for_url("**/payments/sandbox/**")
    # ¥1,299 (free shipping from ¥299) + 2 × ¥59 and ¥15 shipping
    assert page.locator("#amount").inner_text() == "¥1,432.00"
    page.screenshot(path=str(SHOTS / "buy-3-cashier.png"), full_page=True)
    page.get_by_role("button", name="确认付款").click()

    page.wait_for_url("**/payments/return/**")
    assert page.locator("[data-status=paid]").is_visible()
    page.get_by_role("link", name="返回").click()
    page.wait_for_url("**/checkout/co_*/")
    assert page.locator("li [data-status=paid]").count() == 2

    page.goto("/orders/")
    page.screenshot(path=str(SHOTS / "buy-4-orders.png"), full_page=True)
    assert page.locator("[data-status=paid]").count() == 2
    assert set(Order.objects.filter(buyer=buyer).values_list("status", flat=True)) == {
        OrderStatus.PAID
    }
