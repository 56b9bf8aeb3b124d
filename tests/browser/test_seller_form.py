"""The seller's product form in a real browser: the designer picker searches the designer
lookup as the seller types, and choosing a suggestion sets the designer."""

import pytest
from django.conf import settings as django_settings

from designmall.catalog.models import Product
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (fixture)
from tests.factories import make_category, make_designer, make_shop

# The browser tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def seller(transactional_db, client, live_server):
    shop = make_shop(name_zh="木作实验室", name_en="Wood Lab")
    make_category(slug="chairs", name_zh="椅子", name_en="Chairs")
    make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie", is_renowned=True)
    for n in range(30):
        make_designer(name_zh=f"设计师甲{n}", name_en=f"Someone {n}")
    client.force_login(shop.owner)
    return shop, client.cookies[django_settings.SESSION_COOKIE_NAME].value, live_server.url


def test_the_designer_picker_finds_a_designer_by_name(seller, page):
    shop, session, url = seller
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
    )
    page.goto("/seller/products/new/")
    search = page.locator("[data-designer-search]")
    assert search.is_visible()
    assert not page.locator("select[data-designer-picker]").is_visible()  # kept, hidden
    search.fill("小杰")
    options = page.locator("datalist option")
    options.first.wait_for(state="attached")
    assert options.evaluate_all("os => os.map(o => o.value)") == ["朱小杰 · Zhu Xiaojie"]
    search.fill("朱小杰 · Zhu Xiaojie")  # what choosing the suggestion puts in the box
    page.screenshot(path=SHOTS / "seller-designer-picker.png")
    page.locator("[name=product-title_zh]").fill("胡桃木餐椅")
    page.locator("[name=product-category]").select_option("chairs")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url("**/seller/products/p_*/")
    product = Product.objects.get(shop=shop)
    assert product.designer.name_zh == "朱小杰"
