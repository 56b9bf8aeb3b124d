"""Pages outside the storefront's own tests work under the Content-Security-Policy: the
``page`` fixture fails a test on any violation the browser reports."""

# ruff: noqa: F811  (the page fixture is imported by name)

import pytest

from tests.browser.test_browse import CHROMIUM, page  # noqa: F401  (the browser)
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


def test_the_interactive_api_docs_run_under_the_policy(transactional_db, page):
    page.goto("/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Design Mall API" in page.locator(".swagger-ui .info .title").inner_text()


def test_the_back_office_login_runs_under_the_policy(transactional_db, page):
    make_user(email="op@example.com")
    page.goto("/admin/login/")
    page.locator("#id_username").wait_for()


def test_an_inline_script_is_refused_and_reported(transactional_db, page):
    """The fixture's check itself: a script injected into a page does not run, and the
    refusal is what the fixture would fail the test on."""
    page.goto("/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'document.body.dataset.ran = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("document.body.dataset.ran") is None
    assert page.csp_refused
    page.csp_refused.clear()
