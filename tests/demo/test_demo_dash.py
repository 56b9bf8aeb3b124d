"""The seeded demo gives the show's dashboards something to show: scans at the booths,
orders from the booths and online, check-ins, for the operators and the demo seller."""

import pytest

from designmall.catalog.models import Shop
from designmall.demo.accounts import SELLER_EMAIL
from designmall.o2o import dashboard
from designmall.o2o.dashboard import OFFLINE, ONLINE
from designmall.o2o.models import OrderAttribution
from designmall.orders.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_every_demo_order_has_its_attribution():
    assert not Order.objects.filter(attribution__isnull=True).exists()
    assert OrderAttribution.objects.filter(source=OFFLINE).count() >= 5


def test_the_operators_dashboard_has_figures_in_every_chart_but_the_optional_ones():
    board = dashboard.dashboard(dashboard.scope_default())
    assert board.checkins.total > 0
    assert sum(f.scans for f in board.booths) > 100
    assert any(f.conversion_percent for f in board.booths)
    assert sum(d.gross_fen[OFFLINE] for d in board.sales) > 0
    assert sum(d.gross_fen[ONLINE] for d in board.sales) > 0
    assert sum(sum(d.refunds_fen.values()) for d in board.sales) > 0
    assert board.exhibits and board.exhibits[0].sales_fen > 0


def test_the_demo_sellers_booth_dashboard_has_its_own_figures():
    shop = Shop.objects.get(owner__email=SELLER_EMAIL)
    board = dashboard.dashboard(dashboard.scope_default(shop=shop))
    assert {f.booth.shop for f in board.booths} == {shop}
    assert board.booths[0].scans > 0 and board.booths[0].orders > 0
    assert sum(d.gross_fen[OFFLINE] for d in board.sales) > 0
    assert sum(d.gross_fen[ONLINE] for d in board.sales) > 0
    assert board.checkins.total > 0
