"""On a 390-px phone: the product page keeps its buy bar at the bottom of the screen (as
Tmall and JD do), and the category bar scrolls sideways instead of being cut off."""

# The browser tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_browse import CHROMIUM, SHOTS, chair, page  # noqa: F401  (fixtures)
from tests.factories import make_category, make_event, make_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]

PHONE_HEIGHT = 844


@pytest.fixture
def many_categories(chair):
    for n, (zh, en) in enumerate(
        [
            ("家居收纳", "Storage"),
            ("餐具厨房", "Kitchen and Dining"),
            ("文具办公", "Stationery and Office"),
            ("香氛蜡烛", "Scents and Candles"),
            ("服饰配件", "Apparel and Accessories"),
            ("儿童玩具", "Kids and Toys"),
            ("户外露营", "Outdoor and Camping"),
            ("艺术版画", "Art Prints"),
        ]
    ):
        make_category(slug=f"top-{n}", name_zh=zh, name_en=en, position=10 + n)
    return chair


def test_the_product_page_keeps_its_buy_bar_at_the_bottom(many_categories, page):
    page.goto(f"/p/{many_categories.public_id}/")
    bar = page.locator("[data-buy-bar]")
    button = bar.get_by_role("button", name="加入购物车")
    assert bar.evaluate("el => getComputedStyle(el).position") == "fixed"
    for scrolled in (0, 10_000):
        page.evaluate(f"window.scrollTo(0, {scrolled})")
        box = bar.bounding_box()
        assert box["y"] + box["height"] == pytest.approx(PHONE_HEIGHT, abs=1)
        assert box["x"] == 0 and box["width"] == 390
        assert button.is_visible()
    # The bar covers nothing: the page's last line scrolls clear of it.
    footer = page.locator(".site-footer").bounding_box()
    assert footer["y"] + footer["height"] <= bar.bounding_box()["y"] + 1
    # The bar's price follows the SKU chosen.
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_text("黑胡桃").click()
    assert bar.locator("[data-sku-price-bar]").inner_text() == "¥1,599.00"
    page.screenshot(path=SHOTS / "phone-product.png")
    button.click()
    page.wait_for_load_state()
    assert page.get_by_text("已加入购物车").is_visible()


def test_the_category_bar_scrolls_sideways_on_a_phone(many_categories, page):
    page.goto("/")
    row = page.locator(".cats-row")
    sizes = row.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1]  # more categories than fit: the row scrolls
    assert row.evaluate("el => getComputedStyle(el).overflowX") in ("auto", "scroll")
    assert "more-right" in row.get_attribute("class")  # the edge fades: there is more
    # The page itself does not scroll sideways, and the row ends at the screen's edge.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert row.bounding_box()["x"] + row.bounding_box()["width"] <= 390
    last = row.locator("a").last
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert row.evaluate("el => el.scrollLeft") > 0
    page.wait_for_function("!document.querySelector('.cats-row').classList.contains('more-right')")
    page.screenshot(path=SHOTS / "phone-categories.png")
    # The header's links and the logo do not run into each other.
    logo = page.locator(".site-header .logo").bounding_box()
    account = page.locator(".site-header .account a").first.bounding_box()
    assert logo["x"] + logo["width"] <= account["x"]


def test_a_category_page_shows_its_category_in_the_bar(many_categories, page):
    page.goto("/c/top-7/")
    current = page.locator('.cats-row a[aria-current="page"]')
    assert current.inner_text() == "艺术版画"
    box = current.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_a_list_of_long_rows_fits_a_phone_in_english(transactional_db, live_server, page):
    # A row's title is cut (…) to the screen with its status beside it, and the page does
    # not scroll sideways (the programme, my orders, the seller's lists all share .rows).
    title = "The Future of Everyday: Contemporary Chinese Design Biennale"
    event = make_event(title_zh="日常的未来", title_en=title)
    session = make_session(event=event, starts_in=timedelta(days=1))
    day = timezone.localtime(session.starts_at).date().isoformat()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"/events/?day={day}")
    row = page.locator(".rows .row").filter(has_text="The Future of Everyday").first
    assert row.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=SHOTS / "phone-programme-en.png")
