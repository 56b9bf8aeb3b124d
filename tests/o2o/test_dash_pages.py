"""The dashboards' pages: operators only for the whole show, a seller for its own booths;
each chart's table on the page and its CSV hold the same figures."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from django.test import Client

from designmall.accounts.roles import Role
from designmall.o2o import dashboard_tables
from tests.factories import make_user
from tests.o2o.dash_world import WEEK_START, World, build_world
from tests.orders.conftest import _orders_settings  # noqa: F401  (fixture)
from tests.payments.conftest import (  # noqa: F401  (fixtures: the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _week(settings):
    settings.DESIGN_WEEK_START = WEEK_START.isoformat()
    settings.DESIGN_WEEK_DAYS = 10
    settings.EVENT_DOORS_OPEN_MINUTES = 60


@pytest.fixture
def world() -> World:
    return build_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class _Tables(HTMLParser):
    """Each ``data-chart-table``'s rows of cell texts (header first), as a reader sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-chart-table" in attrs:
            self._table = attrs["data-chart-table"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if self._cell is not None and tag in ("td", "th"):
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif self._row is not None and tag == "tr":
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def _tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_operator_dashboard_shows_every_chart_with_its_table(world):
    response = _client(make_user(role=Role.OPERATOR)).get("/backoffice/show/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-chart-canvas") == len(dashboard_tables.KEYS) - 2  # no pre-sales, lots
    assert "vendor/chartjs/chart.umd.min.js" in html
    tables = _tables(html)
    assert set(tables) == {"checkins", "scans", "sales", "conversion", "exhibits"}
    assert len(tables["sales"]) == 1 + 10  # the header, every day of the week


@pytest.mark.parametrize("key", dashboard_tables.KEYS)
def test_each_csv_equals_its_table_on_the_page(world, key):
    client = _client(make_user(role=Role.OPERATOR))
    page = _tables(client.get("/backoffice/show/?from=2026-11-20&to=2026-11-29").content.decode())
    response = client.get(f"/backoffice/show/{key}.csv?from=2026-11-20&to=2026-11-29")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    if key in page:
        assert rows == page[key]
    else:  # nothing in the range: the page says so, the CSV is its header
        assert len(rows) == 1 and rows[0]


def test_the_csv_of_the_sales_holds_the_days_figures(world):
    client = _client(make_user(role=Role.OPERATOR))
    rows = _csv_rows(client.get("/backoffice/show/sales.csv"))
    assert rows[0][0] == "日期" and len(rows) == 11
    first_day = rows[1]
    assert first_day[1:3] == ["1", f"{world.offline_a.total_fen / 100:.2f}"]


def test_people_who_are_not_operators_are_refused(world):
    assert Client().get("/backoffice/show/").status_code == 302
    assert Client().get("/backoffice/show/sales.csv").status_code == 302
    for user in (make_user(), world.shop_a.owner, make_user(role=Role.VENUE_STAFF)):
        assert _client(user).get("/backoffice/show/").status_code == 403
        assert _client(user).get("/backoffice/show/scans.csv").status_code == 403


def test_a_seller_sees_its_own_booth_only(world):
    client = _client(world.shop_a.owner)
    response = client.get("/seller/booths/dashboard/")
    assert response.status_code == 200
    tables = _tables(response.content.decode())
    booths = [row[0] for row in tables["scans"][1:]]
    assert len(booths) == 1 and "A01" in booths[0] and "木与光" in booths[0]
    assert "玻璃屋" not in response.content.decode()
    rows = _csv_rows(client.get("/seller/booths/dashboard/scans.csv"))
    assert rows[1:] == tables["scans"][1:]


def test_someone_without_a_shop_has_no_booth_dashboard(world):
    assert _client(make_user()).get("/seller/booths/dashboard/").status_code == 404


def test_an_unknown_chart_is_not_found(world):
    client = _client(make_user(role=Role.OPERATOR))
    assert client.get("/backoffice/show/nothing.csv").status_code == 404


def test_a_bad_range_says_so_and_shows_the_week(world):
    client = _client(make_user(role=Role.OPERATOR))
    response = client.get("/backoffice/show/?from=2026-11-25&to=2026-11-21")
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html
    assert 'value="2026-11-20"' in html and 'value="2026-11-29"' in html
    response = client.get("/backoffice/show/?from=someday")
    assert 'role="alert"' in response.content.decode()


def test_the_dashboard_speaks_english(world):
    client = _client(make_user(role=Role.OPERATOR))
    client.post("/i18n/setlang/", {"language": "en", "next": "/backoffice/show/"})
    html = client.get("/backoffice/show/").content.decode()
    assert "Offline-sourced sales (yuan)" in html
    assert "Check-ins per venue per hour" in html
    rows = _csv_rows(client.get("/backoffice/show/sales.csv"))
    assert rows[0][0] == "Date"


def test_the_admin_index_links_the_dashboard(world):
    html = _client(make_user(role=Role.OPERATOR, is_staff=True)).get("/admin/").content.decode()
    assert 'href="/backoffice/show/"' in html
