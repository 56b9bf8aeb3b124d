"""The show's dashboard in a real browser on a phone (390 px): the charts are drawn from the
tables beside them (Chart.js served from our own static files, under the CSP), in Chinese
and in English.

Screenshots go to /tmp/designmall-browser."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from designmall.accounts.roles import Role
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401 (the fixture)
from tests.factories import make_user
from tests.o2o.dash_world import WEEK_START, build_world
from tests.orders.conftest import _orders_settings  # noqa: F401  (fixture)
from tests.payments.conftest import (  # noqa: F401  (fixtures: the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]

# Whether the chart's canvas has any pixel drawn (not all transparent).
CANVAS_DRAWN = """(selector) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
  return false;
}"""


@pytest.fixture(autouse=True)
def _week(settings):
    settings.DESIGN_WEEK_START = WEEK_START.isoformat()
    settings.DESIGN_WEEK_DAYS = 10
    settings.EVENT_DOORS_OPEN_MINUTES = 60


@pytest.fixture
def operator_session(live_server):
    build_world()
    client = Client()
    client.force_login(make_user(role=Role.OPERATOR))
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value, live_server.url


def test_an_operator_sees_the_charts_drawn_beside_their_tables(operator_session, page):  # noqa: F811
    session, url = operator_session
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}]
    )
    page.goto("/backoffice/show/")
    sales = "[data-dash-chart='sales']"
    page.wait_for_selector(f"{sales}[data-drawn='true']")
    assert page.evaluate(CANVAS_DRAWN, f"{sales} canvas")
    table = page.locator(f"{sales} table[data-chart-table]")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 10  # every day of the week
    assert "现场来源销售额（元）" in table.locator("thead").inner_text()
    legend = page.evaluate(
        "() => Chart.getChart(document.querySelector(\"[data-dash-chart='sales'] canvas\"))"
        ".data.datasets.map(d => d.label)"
    )
    assert legend == ["现场来源销售额（元）", "线上销售额（元）", "待归因销售额（元）"]
    for key in ("checkins", "scans", "conversion", "exhibits"):
        page.wait_for_selector(f"[data-dash-chart='{key}'][data-drawn='true']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "show-dashboard.png"), full_page=True)

    page.click("button[value='en']")
    page.wait_for_selector(f"{sales}[data-drawn='true']")
    assert "Online vs offline-sourced sales per day" in page.locator(f"{sales} h2").inner_text()
    legend = page.evaluate(
        "() => Chart.getChart(document.querySelector(\"[data-dash-chart='sales'] canvas\"))"
        ".data.datasets.map(d => d.label)"
    )
    assert legend[0] == "Offline-sourced sales (yuan)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "show-dashboard-en.png"), full_page=True)
