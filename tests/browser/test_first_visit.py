"""A first visit asks for nothing that is missing: no 404 (the site's icon included) and no
error in the browser's console, on the shop's pages and the back office's login."""

import pytest

from tests.browser.test_browse import CHROMIUM, CHROMIUM_ARGS
from tests.factories import make_product

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def product(transactional_db):
    return make_product(title_zh="胡桃木椅子")


@pytest.fixture
def new_visitor(live_server, monkeypatch):
    """A browser page with no cache, and what went wrong while it loaded."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=live_server.url).new_page()
        page.failed, page.errors = [], []
        page.on("response", lambda r: page.failed.append(r.url) if r.status >= 400 else None)
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        yield page
        browser.close()


@pytest.mark.parametrize("path", ["/", "product", "/admin/login/"])
def test_a_first_visit_loads_every_file_and_logs_no_error(product, new_visitor, path):
    page = new_visitor
    page.goto(f"/p/{product.public_id}/" if path == "product" else path)
    page.wait_for_load_state("networkidle")

    assert (page.failed, page.errors) == ([], [])
    assert page.request.get("/favicon.ico").status == 200
