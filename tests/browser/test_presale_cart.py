"""A buyer whose pre-order is in its balance window pays its balance together with the
cart in a real browser at phone width: the checkout page offers the balance, one cashier
payment for both, and both are paid.

Same setup as test_buy.py: headless Chromium through Playwright against the live server;
the buyer's session is the test client's login.
"""

# The payments tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from designmall.core import clock
from designmall.orders.cart import cart_add
from designmall.orders.models import Order, OrderStatus
from designmall.payments.gateways import sandbox
from designmall.payments.services import notification_receive
from designmall.presale.models import PreorderStatus
from designmall.presale.services import preorder_deposit_create
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_product, make_user
from tests.payments.conftest import (  # noqa: F401  (the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)
from tests.presale.conftest import first_sku, fresh, make_campaign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def buyer_in_balance_window(transactional_db, client, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ALIPAY_RETURN_URL = live_server.url + "/payments/return/"
    settings.PRESALE_DEPOSIT_HOLD_MINUTES = 30
    clock.set_frozen(clock.now().replace(microsecond=0))
    chair = make_product(title_zh="胡桃木限量椅", skus=[(120_000, 0)])
    campaign = make_campaign(product=chair, quantity=5)
    cup = make_product(title_zh="柴烧茶杯", skus=[(5_900, 10)])
    buyer = make_user()
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    paid = sandbox.sandbox_pay(payment=preorder.deposit_payment)
    notification_receive(params=paid.notification)
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=5))
    cart_add(user=buyer, sku_public_id=cup.skus.get().public_id, quantity=1)
    client.force_login(buyer)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return buyer, fresh(preorder), session, live_server.url


def test_a_buyer_pays_the_balance_with_the_cart_in_one_payment(buyer_in_balance_window, page):
    buyer, preorder, session, url = buyer_in_balance_window
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
    )

    page.goto("/checkout/")
    balances = page.locator("[data-presale-balances]")
    assert "¥850.00" in balances.inner_text()
    page.locator("input[value=pickup]").check()
    balances.get_by_role("checkbox").check()
    page.screenshot(path=str(SHOTS / "presale-cart-1-checkout.png"), full_page=True)
    page.get_by_role("button", name="提交订单并付款").click()

    page.wait_for_url("**/payments/sandbox/**")
    assert page.locator("#amount").inner_text() == "¥909.00"  # ¥59 + the ¥850 balance
    page.get_by_role("button", name="确认付款").click()

    page.wait_for_url("**/payments/return/**")
    assert page.locator("[data-status=paid]").is_visible()
    assert fresh(preorder).status == PreorderStatus.FULLY_PAID
    assert set(Order.objects.filter(buyer=buyer).values_list("status", flat=True)) == {
        OrderStatus.PAID
    }
