"""A buyer pre-orders a limited piece in a real browser at phone width: the product page's
pre-sale block, its deposit button, the sandbox cashier, and back to "我的预售" with the
deposit paid.

Same setup as test_buy.py: headless Chromium through Playwright against the live server;
the buyer's session is the test client's login.
"""

# The payments tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

import pytest
from django.conf import settings as django_settings

from designmall.presale.models import Preorder, PreorderStatus
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_product, make_user
from tests.payments.conftest import (  # noqa: F401  (the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)
from tests.presale.conftest import make_campaign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def buyer_and_presale(transactional_db, client, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ALIPAY_RETURN_URL = live_server.url + "/payments/return/"
    settings.PRESALE_DEPOSIT_HOLD_MINUTES = 30
    chair = make_product(title_zh="胡桃木限量椅", skus=[(120_000, 0)])
    campaign = make_campaign(product=chair, quantity=5)
    buyer = make_user()
    client.force_login(buyer)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return buyer, campaign, session, live_server.url


def test_a_buyer_pays_a_deposit_and_sees_it_in_my_presales(buyer_and_presale, page):
    buyer, campaign, session, url = buyer_and_presale
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
    )

    page.goto(f"/p/{campaign.product.public_id}/")
    block = page.locator("[data-presale]")
    assert block.is_visible()
    assert "定金 ¥100.00 抵 ¥150.00" in block.inner_text()
    assert "剩余 5 / 5 件" in block.inner_text()
    # The countdown ticks (site.js) rather than staying empty.
    page.wait_for_function(
        "document.querySelector('[data-countdown-to]').textContent.includes(':')"
    )
    page.screenshot(path=str(SHOTS / "presale-1-product.png"), full_page=True)
    page.get_by_role("button", name="支付定金 ¥100.00").click()

    page.wait_for_url("**/payments/sandbox/**")
    assert page.locator("#amount").inner_text() == "¥100.00"
    page.screenshot(path=str(SHOTS / "presale-2-cashier.png"), full_page=True)
    page.get_by_role("button", name="确认付款").click()

    page.wait_for_url("**/payments/return/**")
    assert page.locator("[data-status=paid]").is_visible()
    page.get_by_role("link", name="返回").click()
    page.wait_for_url("**/me/presales/")
    row = page.locator("[data-preorder]")
    assert "已付定金" in row.inner_text()
    assert "尾款支付时间" in row.inner_text()
    page.screenshot(path=str(SHOTS / "presale-3-mine.png"), full_page=True)
    assert Preorder.objects.get(buyer=buyer).status == PreorderStatus.DEPOSIT_PAID
