"""The demo's evening sale: two dozen lots by renowned designers around the moment of
seeding, some closed with results, most live, some upcoming, every one a replay of its
bids; listed again when the demo starts after everything closed; wiped with the catalog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils.timezone import localtime

from designmall.auctions.models import AuctionSale, Bid, Lot, LotStatus
from designmall.auctions.selectors import lot_phase, lot_verify, lots_listed, sales_published
from designmall.auctions.simulation import simulated_bidders
from designmall.core import clock
from designmall.demo.auctions import (
    LOTS,
    SALE_TITLE,
    auctions_ensure_live,
    auctions_wipe,
    auctions_write,
)
from tests.auctions.conftest import paid_deposit
from tests.factories import make_category, make_designer, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def renowned(db):
    """Thirty renowned designers, each with a live product in their own open shop."""
    category = make_category()
    for n in range(30):
        designer = make_designer(is_renowned=True)
        shop = make_shop(designer=designer)
        make_product(
            shop=shop, designer=designer, category=category, skus=[(200_000 + n * 10_000, 1)]
        )
    make_designer(is_renowned=False)


def test_the_sale_has_two_dozen_lots_by_renowned_designers_live_upcoming_and_closed(renowned):
    now = clock.now()
    counts = auctions_write(now=now, seed=7)

    sale = AuctionSale.objects.get(title_zh=SALE_TITLE[0])
    lots = list(sale.lots.select_related("designer", "increment_table"))
    assert counts["auction lots"] == len(lots) == LOTS >= 20
    assert all(lot.designer.is_renowned for lot in lots)
    phases = {lot_phase(lot, now) for lot in lots}
    assert phases == {"scheduled", "open", "closed"}
    assert lots_listed(which="live").count() >= 10
    assert lots_listed(which="closing_soon").exists()
    assert lots_listed(which="upcoming").count() >= 5
    settled = [lot for lot in lots if lot.status != LotStatus.ACTIVE]
    assert {lot.status for lot in settled} >= {LotStatus.UNSOLD, LotStatus.AWAITING_PAYMENT}
    assert any(lot.deposit_fen for lot in lots if lot_phase(lot, now) == "open")
    assert all(lot_verify(lot) == [] for lot in lots)
    assert Bid.objects.filter(lot__sale=sale).count() == counts["auction bids"] > 0
    assert len(simulated_bidders()) == 8


def test_the_same_seed_gives_the_same_sale(renowned):
    now = clock.now()
    auctions_write(now=now, seed=7)
    first = list(Lot.objects.order_by("number").values_list("title_zh", "start_price_fen"))
    bids = list(Bid.objects.order_by("lot__number", "sequence").values_list("max_fen", flat=True))
    auctions_wipe()

    auctions_write(now=now, seed=7)

    assert list(Lot.objects.order_by("number").values_list("title_zh", "start_price_fen")) == first
    assert (
        list(Bid.objects.order_by("lot__number", "sequence").values_list("max_fen", flat=True))
        == bids
    )


def test_a_demo_started_after_everything_closed_lists_an_encore_live_now(renowned):
    auctions_write(now=clock.now(), seed=7)
    assert not auctions_ensure_live(now=clock.now())

    later = clock.now() + timedelta(days=3)
    clock.set_frozen(later)
    assert auctions_ensure_live(now=later)

    assert lots_listed(which="live", now=later).count() >= 10
    assert AuctionSale.objects.count() == 2


def test_the_sale_is_wiped_with_the_catalog_unless_money_is_on_record(renowned):
    auctions_write(now=clock.now(), seed=7)
    lot = Lot.objects.filter(deposit_fen__gt=0, ends_at__gt=clock.now()).first()
    paid_deposit(make_user(), lot=lot)

    with pytest.raises(ProtectedError):
        auctions_wipe()
    assert Lot.objects.exists()


def test_the_sale_dates_agree_with_its_lots_and_its_card_shows_their_whole_span(renowned, client):
    auctions_write(now=clock.now(), seed=7)
    sale = sales_published().get()
    lots = Lot.objects.filter(sale=sale)
    first_open = min(lot.starts_at for lot in lots)
    last_close = max(lot.ends_at for lot in lots)

    assert sale.starts_at == sale.opens_at == first_open
    assert sale.ends_at == min(lot.scheduled_end_at for lot in lots)
    assert sale.closes_at == last_close > clock.now() + timedelta(days=1)
    html = client.get(reverse("storefront:auctions")).content.decode()
    span = f"{localtime(first_open):%m-%d %H:%M} – {localtime(last_close):%m-%d %H:%M}"
    assert span in html
