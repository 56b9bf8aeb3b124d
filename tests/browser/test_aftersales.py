"""After-sales in a real browser, from request to refund: the buyer asks on the order page
(refund only, with a note), the seller accepts on theirs, and the buyer sees the refund in
the request's timeline."""

# The payments tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

import pytest
from django.conf import settings as django_settings
from django.test import Client

from designmall.orders.models import AfterSalesRequest, AfterSalesStatus
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_product, make_shop, make_user
from tests.orders.conftest import _orders_settings, buy, orders_of, pay  # noqa: F401
from tests.payments.conftest import (  # noqa: F401  (the sandbox's keys and settings)
    _payments_settings,
    keys,
    run_jobs,
    sandbox_key_dir,
    worker_transport,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def log_in(page, user, url):
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session_of(user), "url": url}]
    )


def test_a_buyer_asks_for_a_refund_and_the_seller_accepts_it(
    transactional_db, live_server, settings, page
):
    settings.SITE_URL = live_server.url
    shop = make_shop(name_zh="木作实验室", name_en="Wood Lab")
    chair = make_product(shop=shop, title_zh="胡桃木椅子", skus=[(129_900, 5)])
    buyer = make_user()
    checkout = buy(buyer, (chair.skus.get(), 1))
    pay(checkout)
    order = orders_of(checkout)[0]

    log_in(page, buyer, live_server.url)
    page.goto(f"/orders/{order.public_id}/")
    page.get_by_text("申请售后").click()
    page.locator("[data-aftersales-form] textarea[name=note]").fill("椅腿有划痕")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector("[data-aftersales-status=requested]")
    page.screenshot(path=str(SHOTS / "aftersales-1-requested.png"), full_page=True)

    log_in(page, shop.owner, live_server.url)
    page.goto(f"/seller/orders/{order.public_id}/")
    page.locator("[data-aftersales-accept]").click()
    page.wait_for_selector("[data-aftersales-status=refunded]")
    run_jobs()

    log_in(page, buyer, live_server.url)
    page.goto(f"/orders/{order.public_id}/")
    timeline = page.locator("[data-aftersales-timeline]").inner_text()
    assert "已退款" in timeline and "卖家已同意" in timeline
    page.screenshot(path=str(SHOTS / "aftersales-2-refunded.png"), full_page=True)
    request = AfterSalesRequest.objects.get()
    assert request.status == AfterSalesStatus.REFUNDED and request.note == "椅腿有划痕"
