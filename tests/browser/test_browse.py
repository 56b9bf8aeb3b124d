"""A buyer's first visit in a real browser: home, search in Chinese, product, switch to English.

Headless Chromium through Playwright's sync API against pytest-django's live
server. Screenshots of each step (phone width) go to /tmp for looking at.
"""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from designmall.catalog.models import ProductImage
from tests.factories import make_category, make_designer, make_product, make_shop

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path("/tmp/designmall-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def page(live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django then refuses
    # database calls from "async" code unless told this is intended.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN"
        )
        page = context.new_page()
        # Every page the browser tests open runs under the Content-Security-Policy: anything
        # it refuses (an inline script, a style, a source not allowed) fails the test.
        refused = []

        def on_console(message):
            if "Content Security Policy" in message.text:
                refused.append(message.text)

        page.on("console", on_console)
        page.csp_refused = refused  # a test expecting a refusal takes it out of the list
        yield page
        context.close()
        browser.close()
        assert not refused, refused


def jpeg(rgb) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), rgb).save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def chair(transactional_db):
    furniture = make_category(slug="furniture", name_zh="家具", name_en="Furniture")
    chairs = make_category(slug="chairs", parent=furniture, name_zh="椅子", name_en="Chairs")
    designer = make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie", is_renowned=True)
    shop = make_shop(designer=designer, name_zh="木作实验室", name_en="Wood Lab")
    chair = make_product(
        shop=shop,
        category=chairs,
        designer=designer,
        title_zh="胡桃木椅子",
        title_en="Walnut Chair",
        description_zh="手工制作，每一件都略有不同。",
        description_en="Handmade: each piece is slightly different.",
        skus=[(129_900, 5), (159_900, 2)],
    )
    for n, sku in enumerate(chair.skus.order_by("price_fen")):
        sku.attributes = {"颜色": ["原木", "黑胡桃"][n]}
        sku.save(update_fields=["attributes"])
    ProductImage.objects.create(product=chair, image=jpeg((122, 84, 52)), position=1)
    make_product(shop=shop, category=make_category(name_zh="灯具"), title_zh="纸灯笼台灯")
    return chair


# ``chair`` comes before ``page``: the data is built before Playwright's event loop
# starts, so no database connection is opened inside it (one that would outlive the test).
def test_a_visitor_finds_a_chair_and_reads_it_in_english(chair, page):
    page.goto("/")
    assert page.locator("h1.hero-title").is_visible()
    assert page.get_by_text("胡桃木椅子").first.is_visible()
    page.screenshot(path=SHOTS / "1-home.png", full_page=True)

    page.locator("header input[name=q]").fill("椅子")
    page.locator("header input[name=q]").press("Enter")
    page.wait_for_url("**/search?q=*")
    cards = page.locator(".card-title")
    assert cards.all_inner_texts() == ["胡桃木椅子"]
    page.screenshot(path=SHOTS / "2-search.png", full_page=True)

    cards.first.click()
    page.wait_for_url(f"**/p/{chair.public_id}/")
    assert page.locator("h1.product-title").inner_text() == "胡桃木椅子"
    price = page.locator("[data-sku-price]")
    assert price.inner_text() == "¥1,299.00"
    page.get_by_text("黑胡桃").click()  # the SKU choice updates the price in place
    assert price.inner_text() == "¥1,599.00"
    page.screenshot(path=SHOTS / "3-product.png", full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1.product-title").inner_text() == "Walnut Chair"
    assert page.url.endswith(f"/p/{chair.public_id}/")
    assert page.get_by_text("Handmade: each piece is slightly different.").is_visible()
    page.screenshot(path=SHOTS / "4-product-en.png", full_page=True)
