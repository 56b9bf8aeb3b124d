"""The show on a phone (390 px): scanning a booth's code, then an exhibit's, then buying.

Screenshots go to /tmp/designmall-browser."""

from __future__ import annotations

import pytest

from designmall.o2o import services
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401 (the fixture)
from tests.factories import make_product, make_shop
from tests.o2o.test_booths import assign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


def _fits(page) -> None:  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_visitor_scans_a_booth_and_an_exhibit_and_goes_to_buy(page):  # noqa: F811
    shop = make_shop(name_zh="木与光工作室", name_en="Wood and Light Studio")
    booth = assign(shop=shop)
    product = make_product(
        shop=shop, title_zh="胡桃木休闲椅", title_en="Walnut Lounge Chair", skus=[(129_900, 3)]
    )
    item = services.exhibit_create(
        booth=booth,
        by=shop.owner,
        kind="product",
        product=product.public_id,
        story_zh="从手稿到样品，这把椅子改了十一版。",
        story_en="From sketch to sample, this chair went through eleven versions.",
    )
    page.goto(f"/o/b/{booth.code}/")
    assert "木与光工作室" in page.locator("h1").inner_text()
    _fits(page)
    page.screenshot(path=str(SHOTS / "show-booth.png"), full_page=True)
    page.click(f"[data-exhibit='{item.public_id}']")
    page.wait_for_url(f"**/o/e/{item.code}/")
    assert "胡桃木休闲椅" in page.locator("h1").inner_text()
    assert "¥1,299.00" in page.locator(".show-price").inner_text()
    assert "十一版" in page.inner_text(".show-story")
    _fits(page)
    page.screenshot(path=str(SHOTS / "show-exhibit.png"), full_page=True)
    page.click("text=立即购买")
    page.wait_for_url(f"**/p/{product.public_id}/")
    page.goto("/o/my-scans/")
    assert page.locator("[data-scans='2']").count() == 1
    _fits(page)
    assert page.csp_refused == []
