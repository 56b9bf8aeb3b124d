"""The dashboards' figures are sums over the records of what happened: the orders (and
their stored attribution), the ledger's refunds, the booth scans and the check-ins. A
seller's figures are its own booths' and orders' only."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from designmall.events.models import CheckIn
from designmall.ledger.models import LedgerRef, Posting
from designmall.ledger.services import Kind
from designmall.o2o import dashboard
from designmall.o2o.dashboard import OFFLINE, ONLINE, PENDING, SOURCES
from designmall.o2o.models import ScanVisit
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


def _source(order) -> str:
    attribution = getattr(order, "attribution", None)
    return attribution.source if attribution else PENDING


def _ledger_refunds_fen() -> int:
    """What went back to buyers through the gateway for orders, by the ledger."""
    refunds = LedgerRef.objects.filter(
        ref_type="order",
        transaction__kind__in=[Kind.REFUND_FROM_ESCROW, Kind.REFUND_FROM_SELLER],
    ).values("transaction_id")
    total = Posting.objects.filter(
        transaction_id__in=refunds, account__code__startswith="gateway:"
    ).aggregate(fen=Sum("amount"))["fen"]
    return -(total or 0)


def test_the_week_is_the_default_range(world):
    scope = dashboard.scope_default()
    assert (scope.start, scope.end) == (date(2026, 11, 20), date(2026, 11, 29))
    assert len(dashboard.sales_by_day(scope)) == 10


def test_sales_per_day_and_source_sum_to_the_paid_orders_and_the_ledger_refunds(world):
    days = dashboard.sales_by_day(dashboard.scope_default())
    paid = world.paid
    for source in SOURCES:
        assert sum(d.gross_fen[source] for d in days) == sum(
            o.total_fen for o in paid if _source(o) == source
        )
        assert sum(d.orders[source] for d in days) == sum(1 for o in paid if _source(o) == source)
    refunded = sum(o.refunded_fen for o in paid)
    assert refunded == 2_000 == _ledger_refunds_fen()
    assert sum(sum(d.refunds_fen.values()) for d in days) == refunded
    assert sum(d.net_total_fen for d in days) == sum(o.total_fen for o in paid) - refunded
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 11, 20)].gross_fen[OFFLINE] == world.offline_a.total_fen
    assert by_day[date(2026, 11, 21)].gross_fen[ONLINE] == world.online_a.total_fen
    assert by_day[date(2026, 11, 21)].gross_fen[OFFLINE] == world.offline_b.total_fen
    assert by_day[date(2026, 11, 22)].gross_fen[PENDING] == world.pending_b.total_fen
    # The refund is on the day the money went back, against the order's source.
    assert by_day[date(2026, 11, 22)].refunds_fen == {OFFLINE: 2_000, ONLINE: 0, PENDING: 0}


def test_an_unpaid_order_is_no_sale(world):
    days = dashboard.sales_by_day(dashboard.scope_default())
    assert sum(sum(d.orders.values()) for d in days) == 4  # not the unpaid fifth


def test_a_range_counts_only_its_days(world):
    scope = dashboard.scope_of(start=date(2026, 11, 21), end=date(2026, 11, 21))
    (day,) = dashboard.sales_by_day(scope)
    assert day.gross_fen[OFFLINE] == world.offline_b.total_fen
    assert sum(day.refunds_fen.values()) == 0
    assert sum(f.scans for f in dashboard.booth_figures(scope)) == 0


def test_scans_per_booth_are_the_scan_records(world):
    figures = {f.booth: f for f in dashboard.booth_figures(dashboard.scope_default())}
    for booth, f in figures.items():
        assert f.scans == ScanVisit.objects.filter(booth=booth).count()
    assert figures[world.booth_a].visitors == 2  # an account and an anonymous browser


def test_conversion_is_attributed_buyers_over_scanning_visitors(world):
    figures = {f.booth: f for f in dashboard.booth_figures(dashboard.scope_default())}
    booth_a, booth_b = figures[world.booth_a], figures[world.booth_b]
    assert (booth_a.orders, booth_a.buyers, booth_a.sales_fen) == (
        1,
        1,
        world.offline_a.total_fen,
    )
    assert booth_a.conversion_percent == 50.0
    assert (booth_b.orders, booth_b.conversion_percent) == (1, 100.0)


def test_checkins_per_venue_and_hour_are_the_tickets_that_entered(world):
    grid = dashboard.checkins_by_venue_hour(dashboard.scope_default())
    assert grid.count(world.venue_a, 13) == 2
    assert grid.count(world.venue_b, 10) == 1
    assert grid.total == CheckIn.objects.count() == 3
    assert grid.hours == [10, 13]


def test_top_exhibits_rank_attributed_sales(world):
    (top,) = dashboard.top_exhibits(dashboard.scope_default())
    assert (top.exhibit, top.scans, top.orders, top.sales_fen) == (
        world.exhibit_a,
        1,
        1,
        world.offline_a.total_fen,
    )


def test_a_seller_sees_only_its_own_booths_orders_and_venues(world):
    board = dashboard.dashboard(dashboard.scope_default(shop=world.shop_a))
    assert [f.booth for f in board.booths] == [world.booth_a]
    assert sum(sum(d.gross_fen.values()) for d in board.sales) == (
        world.offline_a.total_fen + world.online_a.total_fen
    )
    assert sum(sum(d.refunds_fen.values()) for d in board.sales) == 0  # shop B's refund
    assert board.checkins.venues == [world.venue_a] and board.checkins.total == 2
    assert [f.exhibit for f in board.exhibits] == [world.exhibit_a]
    other = dashboard.dashboard(dashboard.scope_default(shop=world.shop_b))
    assert [f.booth for f in other.booths] == [world.booth_b]
    assert other.exhibits == []


def test_a_range_backwards_or_too_long_is_refused():
    with pytest.raises(ValueError):
        dashboard.scope_of(start=date(2026, 11, 22), end=date(2026, 11, 21))
    with pytest.raises(ValueError):
        dashboard.scope_of(start=date(2026, 1, 1), end=date(2026, 12, 31))
