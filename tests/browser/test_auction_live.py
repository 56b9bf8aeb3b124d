"""Two bidders on one live lot in two real browsers: each bids through the lot page's form
and the other sees the price, bid count and "you were outbid" change without reloading
(server-sent events from the database-polling stream, the embedded default).

Same setup as test_browse.py: headless Chromium through Playwright against the live
server (threaded, so open streams do not block the bids). The lot asks for no deposit.
"""

# The browser fixture is imported by name, so the test taking it redefines the name.
# ruff: noqa: F811

from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_lot, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]

TIMEOUT_MS = 10_000


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def live_lot(transactional_db, live_server, settings):
    settings.REDIS_URL = ""
    settings.AUCTION_STREAM_MAX_SECONDS = 30  # free the server's threads soon after
    settings.AUCTION_STREAM_POLL_SECONDS = 0.3
    lot = make_lot(title_zh="胡桃木椅原型", start_price_fen=100_000)
    return lot, make_user(), make_user()


def bid_in(page_, yuan: str) -> None:
    page_.locator("input[name=max_yuan]").fill(yuan)
    page_.get_by_role("button", name="出价", exact=True).click()
    page_.wait_for_load_state()


def test_two_bidders_see_each_other_s_bids_without_reloading(live_lot, page, live_server):
    lot, ann, ben = live_lot
    url = f"/auctions/{lot.public_id}/"
    # Ben's phone is set to English and New York time; the page is Chinese, so live
    # updates are too, and times stay the show's.
    other = page.context.browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        locale="en-US",
        timezone_id="America/New_York",
    )
    try:
        for context, user in ((page.context, ann), (other, ben)):
            context.add_cookies(
                [
                    {
                        "name": django_settings.SESSION_COOKIE_NAME,
                        "value": session_of(user),
                        "url": live_server.url,
                    }
                ]
            )
        ben_page = other.new_page()
        page.goto(url)
        ben_page.goto(url)
        ben_page.wait_for_function(
            "document.querySelector('[data-countdown]').textContent.length > 0"
        )

        bid_in(page, "2000")  # Ann leads at the start price
        assert page.locator("[data-you]").inner_text() == "您目前领先。"
        ben_page.locator("[data-bid-count]").filter(has_text="1").wait_for(timeout=TIMEOUT_MS)
        assert ben_page.locator("[data-leader]").inner_text().startswith("竞拍者 ")
        lot.refresh_from_db()
        shown = lot.ends_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
        assert ben_page.locator("[data-ends-at]").inner_text() == shown

        bid_in(ben_page, "3000")  # Ben outbids Ann: ¥2,000 + ¥100
        page.locator("[data-price]").filter(has_text="¥2,100.00").wait_for(timeout=TIMEOUT_MS)
        page.locator("[data-you]").filter(has_text="您刚被超越，请加价！").wait_for(
            timeout=TIMEOUT_MS
        )
        assert page.locator("[data-bid-count]").inner_text() == "2"
        page.screenshot(path=str(SHOTS / "auction-1-outbid.png"), full_page=True)

        bid_in(page, "5000")  # and Ann comes back: ¥3,000 + ¥100
        ben_page.locator("[data-price]").filter(has_text="¥3,100.00").wait_for(timeout=TIMEOUT_MS)
        ben_page.locator("[data-you]").filter(has_text="您刚被超越，请加价！").wait_for(
            timeout=TIMEOUT_MS
        )
        ben_page.screenshot(path=str(SHOTS / "auction-2-outbid-back.png"), full_page=True)
    finally:
        other.close()
