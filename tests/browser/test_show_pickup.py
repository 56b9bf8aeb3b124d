"""Booth pickup on a phone (390 px), end to end: the buyer scans an exhibit at the booth,
buys with pickup at that booth, pays in the sandbox cashier and shows the pickup QR code;
the booth's staff member types the code on the counter page, hands over 2 of 3, then the
last one; in Chinese, then the same counter in English.

Screenshots go to /tmp/designmall-browser."""

# The payments tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import time

import pytest
from django.conf import settings as django_settings
from django.test import Client

from designmall.o2o import services
from designmall.o2o.redemption_models import Redeemable
from designmall.orders.models import Order, OrderStatus
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_product, make_shop, make_user
from tests.o2o.pickup_helpers import open_booth, staff_of
from tests.orders.conftest import _orders_settings  # noqa: F401
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


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


# The main part's text less what is exempt from the language rule (names, codes).
MAIN_TEXT = """() => {
  const main = document.querySelector('main').cloneNode(true);
  main.querySelectorAll('[data-i18n-exempt], [lang], script, style').forEach((e) => e.remove());
  return main.innerText;
}"""


def _all_english(page) -> None:
    text = page.evaluate(MAIN_TEXT)
    assert not re.search(r"[\u4e00-\u9fff]", text), text


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _sign_in(page, user, url) -> None:
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": _session(user), "url": url}]
    )


@pytest.fixture
def show(transactional_db, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ALIPAY_RETURN_URL = live_server.url + "/payments/return/"
    shop = make_shop(name_zh="木与光工作室", name_en="Wood and Light Studio")
    booth = open_booth(shop=shop, opens_at=time(0, 0), closes_at=time(23, 59))
    vase = make_product(
        shop=shop, title_zh="烟灰玻璃花瓶", title_en="Smoke Glass Vase", skus=[(38_000, 9)]
    )
    exhibit = services.exhibit_create(
        booth=booth, by=shop.owner, kind="product", product=vase.public_id
    )
    return booth, exhibit, make_user(), staff_of(shop), live_server.url


def test_scan_buy_with_booth_pickup_and_the_staff_redeem_it_in_two_goes(show, page):
    booth, exhibit, buyer, staff, url = show
    _sign_in(page, buyer, url)

    # The buyer scans the exhibit's code at the booth and buys three.
    page.goto(f"/o/e/{exhibit.code}/")
    _fits(page)
    page.click("text=立即购买")
    page.locator("input[name=quantity]").first.fill("3")
    page.get_by_role("button", name="加入购物车").first.click()
    page.goto("/checkout/")
    booth_choice = page.get_by_label("今天到展位自提：", exact=False)
    assert booth_choice.count() == 1
    booth_choice.check()
    _fits(page)
    page.screenshot(path=str(SHOTS / "pickup-1-checkout.png"), full_page=True)
    page.get_by_role("button", name="提交订单并付款").click()
    page.wait_for_url("**/payments/sandbox/**")
    page.get_by_role("button", name="确认付款").click()
    page.wait_for_url("**/payments/return/**")

    order = Order.objects.get(buyer=buyer)
    assert Redeemable.objects.get(order=order).booth == booth
    page.goto(f"/orders/{order.public_id}/")
    assert page.locator("[data-pickup] svg").count() == 1
    assert page.locator("[data-pickup-code]").inner_text() == order.pickup_code_display
    assert booth.number in page.locator("[data-booth-pickup]").inner_text()
    _fits(page)
    page.screenshot(path=str(SHOTS / "pickup-2-code.png"), full_page=True)

    # The booth's staff member types the code and hands over two of the three.
    _sign_in(page, staff, url)
    page.goto("/o/counter/")
    page.wait_for_url(f"**/o/counter/{booth.public_id}/")
    page.fill("#pickup-code", order.pickup_code_display.lower())
    page.get_by_role("button", name="查找订单").click()
    page.wait_for_url("**/p/rdm_*/")
    page.fill("#item-1", "2")
    _fits(page)
    page.screenshot(path=str(SHOTS / "pickup-3-counter.png"), full_page=True)
    page.get_by_role("button", name="确认核销").click()
    assert "已核销 2 件" in page.locator(".flash").inner_text()
    assert "剩余 1 / 共 3 件" in page.locator("[data-redeem-form]").inner_text()
    page.get_by_role("button", name="确认核销").click()
    assert page.locator("[data-all-redeemed]").is_visible()
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED_UP

    # The same counter in English.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "Redeemed in full" in page.locator("[data-all-redeemed]").inner_text()
    assert "Redemptions" in page.locator("[data-recent]").inner_text()
    _all_english(page)
    _fits(page)
    page.screenshot(path=str(SHOTS / "pickup-4-counter-en.png"), full_page=True)
    page.goto(f"/o/counter/{booth.public_id}/")
    assert "Enter the pickup code" in page.inner_text("main")
    _all_english(page)

    # And the buyer's order page in English.
    _sign_in(page, buyer, url)
    page.goto(f"/orders/{order.public_id}/")
    page.get_by_role("button", name="English").first.click()
    page.wait_for_load_state()
    assert "Collected 3 of 3" in page.locator("[data-booth-pickup]").inner_text()
    _all_english(page)
    assert page.csp_refused == []
