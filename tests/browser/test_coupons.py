"""A buyer claims a coupon in the coupon centre (领券中心), checkout picks it, and the
sandbox cashier asks for the discounted total; on a 390-px phone, in a real browser.

Same setup as test_buy.py: headless Chromium through Playwright against the live server;
the cart is filled through the service, the buyer's session is the test client's login.
"""

# The payments tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

import pytest
from django.conf import settings as django_settings

from designmall.orders.cart import cart_add
from designmall.orders.models import Order, OrderStatus
from designmall.promotions.models import Coupon, CouponState
from designmall.promotions.selectors import claimable_index_drop
from designmall.promotions.services import platform_coupon_create
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_operator, make_product, make_shop, make_user
from tests.orders.conftest import ADDRESS, _orders_settings  # noqa: F401
from tests.payments.conftest import (  # noqa: F401  (the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)
from tests.promotions.conftest import coupon_values

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def buyer_with_cart(transactional_db, client, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ALIPAY_RETURN_URL = live_server.url + "/payments/return/"
    claimable_index_drop()
    shop = make_shop(name_zh="陶土工坊", name_en="Clay Studio")
    vase = make_product(shop=shop, title_zh="柴烧花器", skus=[(12_900, 5)])
    platform_coupon_create(by=make_operator(), **coupon_values())  # 满¥100减¥20
    buyer = make_user()
    cart_add(user=buyer, sku_public_id=vase.skus.get().public_id, quantity=1)
    client.force_login(buyer)
    return buyer, client.cookies[django_settings.SESSION_COOKIE_NAME].value, live_server.url


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_coupon_claimed_in_the_centre_lowers_the_sandbox_payment(buyer_with_cart, page):
    buyer, session, url = buyer_with_cart
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
    )

    page.goto("/coupons/")
    assert page.get_by_text("设计周满减券").is_visible()
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "coupons-1-centre.png"), full_page=True)
    page.get_by_role("button", name="立即领取").click()
    page.wait_for_load_state()
    assert page.get_by_text("领取成功：设计周满减券", exact=False).is_visible()
    assert page.locator("[data-claim-state=claimed]").is_visible()
    coupon = Coupon.objects.get(buyer=buyer)

    page.goto("/me/coupons/")
    assert page.locator(f"[data-my-coupon='{coupon.public_id}']").is_visible()
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "coupons-2-mine.png"), full_page=True)

    page.goto("/checkout/")
    box = page.locator(f"input[name=coupons][value='{coupon.public_id}']")
    assert box.is_checked()
    assert page.locator("[data-coupon-saving]").inner_text() == "- ¥20.00"
    assert fits_the_phone(page)
    # Unticked and recalculated: no saving; ticked again: the saving is back.
    box.uncheck()
    page.get_by_role("button", name="按所选优惠券重新计算").click()
    page.wait_for_load_state()
    assert page.locator("[data-coupon-saving]").inner_text() == "- ¥0.00"
    page.locator(f"input[name=coupons][value='{coupon.public_id}']").check()
    page.get_by_role("button", name="按所选优惠券重新计算").click()
    page.wait_for_load_state()
    assert page.locator("[data-discount]").inner_text() == "- ¥20.00"
    for field, value in ADDRESS.items():
        page.locator(f"#id_{field}").fill(value)
    page.screenshot(path=str(SHOTS / "coupons-3-checkout.png"), full_page=True)
    page.get_by_role("button", name="提交订单并付款").click()

    page.wait_for_url("**/payments/sandbox/**")
    # ¥129 + ¥15 shipping − ¥20
    assert page.locator("#amount").inner_text() == "¥124.00"
    page.get_by_role("button", name="确认付款").click()

    page.wait_for_url("**/payments/return/**")
    assert page.locator("[data-status=paid]").is_visible()
    order = Order.objects.get(buyer=buyer)
    assert (order.status, order.discount_fen) == (OrderStatus.PAID, 2_000)
    coupon.refresh_from_db()
    assert coupon.state == CouponState.USED

    page.goto("/me/coupons/?tab=used")
    assert page.get_by_text("该笔结算共省 ¥20.00").is_visible()
    page.screenshot(path=str(SHOTS / "coupons-4-used.png"), full_page=True)
