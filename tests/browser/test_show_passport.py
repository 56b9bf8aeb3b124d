"""The passport on a phone (390 px): the booth's tablet shows its rotating QR code; the
visitor opens the URL it holds, logs in, is stamped, completes the route, and finds the
reward coupon in their coupons. Screenshots go to /tmp/designmall-browser."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from designmall.core import clock
from designmall.o2o import passport
from designmall.promotions.models import Coupon
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401 (the fixture)
from tests.factories import PASSWORD, make_shop, make_user
from tests.o2o.passport_kit import coupon, make_booth, make_route, stamp
from tests.promotions.conftest import make_platform_coupon

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


def _fits(page) -> None:  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def show(live_server, settings):
    settings.SITE_URL = live_server.url
    shop = make_shop(name_zh="玻璃光工作室", name_en="Glasslight Studio")
    booth, earlier = make_booth(shop=shop), make_booth()
    template = make_platform_coupon(
        name_zh="护照路线奖励券", name_en="Passport route reward", distribution="codes"
    )
    route = make_route(booths=[booth, earlier], name="玻璃之旅", rewards=[coupon(template)])
    visitor = make_user(email="lin@example.com")
    stamp(visitor, earlier)  # one stamp already: this booth's completes the route
    seller = Client()
    seller.force_login(shop.owner)
    return {
        "booth": booth,
        "route": route,
        "visitor": visitor,
        "template": template,
        "seller_session": seller.cookies[django_settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_visitor_stamps_at_the_tablets_code_completes_the_route_and_gets_the_coupon(
    show,
    page,  # noqa: F811
    language,
):
    booth = show["booth"]
    # The booth's tablet, as its staff open it in the seller center.
    tablet = page.context.browser.new_context(
        base_url=show["url"], viewport={"width": 768, "height": 1024}
    )
    tablet.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": show["seller_session"],
                "url": show["url"],
            }
        ]
    )
    screen = tablet.new_page()
    screen.goto(f"/seller/booths/{booth.public_id}/tablet/")
    assert screen.locator("[data-qr] svg").count() == 1
    qr_url = screen.locator("[data-stamp-url]").get_attribute("href")
    assert screen.locator("[data-token]").inner_text() in qr_url
    screen.screenshot(path=str(SHOTS / "passport-tablet.png"))
    # Thirty seconds on, the page fetches the next code (here at once, on being shown again).
    shown = screen.locator("[data-token]").inner_text()
    clock.set_frozen(timezone.now() + timedelta(seconds=31))
    try:
        screen.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        screen.wait_for_function(
            "t => document.querySelector('[data-token]').textContent !== t", arg=shown
        )
    finally:
        clock.reset()
    assert screen.locator("[data-stamp-url]").get_attribute("href") != qr_url
    tablet.close()

    # The visitor's phone opens what the QR code holds, logs in, and is stamped.
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": show["url"]}]
    )
    page.goto(urlparse(qr_url).path)
    page.wait_for_url("**/login/**")
    page.fill("input[name=identifier]", "lin@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"**/o/p/{booth.code}/**")
    result = page.locator("[data-stamp-result]")
    assert result.get_attribute("data-stamp-result") == "stamped"
    assert page.locator(f"[data-route-completed='{show['route'].public_id}']").is_visible()
    english = language == "en"
    assert ("Passport route reward" if english else "护照路线奖励券") in page.inner_text("main")
    _fits(page)
    page.screenshot(path=str(SHOTS / f"passport-stamped-{language}.png"), full_page=True)

    # The passport shows the route done; the coupon is in my coupons.
    page.goto("/me/passport/")
    assert page.locator(f"[data-route='{show['route'].public_id}'] .route-done").is_visible()
    _fits(page)
    page.screenshot(path=str(SHOTS / f"passport-mine-{language}.png"), full_page=True)
    held = Coupon.objects.get(buyer=show["visitor"], template=show["template"])
    page.goto("/me/coupons/")
    assert page.locator(f"[data-my-coupon='{held.public_id}']").is_visible()
    _fits(page)

    # The same code again (a photo of it later) gives no second stamp.
    page.goto(urlparse(qr_url).path)
    assert page.locator("[data-stamp-result]").get_attribute("data-stamp-result") in {
        "already",
        "stamp_code_expired",
    }
    assert passport.passport_view(user=show["visitor"]).stamps.__len__() == 2
