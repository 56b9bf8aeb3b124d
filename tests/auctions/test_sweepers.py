"""The worker's auction sweepers: they make permanent what the clock decided, and running
them twice (or late) changes nothing more. The demo's simulated bidders bid only when on."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from designmall.auctions import tasks
from designmall.auctions.models import (
    Bid,
    BidSource,
    DepositStatus,
    LotStatus,
    OfferStatus,
    SecondChanceOffer,
)
from designmall.auctions.selectors import lot_verify
from designmall.auctions.simulation import BIDDER_EMAIL, simulated_bids_place
from designmall.core import clock
from designmall.ledger.services import escrow_balance, ledger_verify
from tests.auctions.conftest import bid, fresh, paid_deposit, run_jobs, yuan
from tests.factories import make_lot, make_user

pytestmark = pytest.mark.django_db


def test_the_whole_life_of_a_lot_by_sweepers_alone(alice, bob):
    lot = make_lot(deposit_fen=yuan(200), ends_in=timedelta(minutes=30))
    for who in (alice, bob):
        paid_deposit(who, lot=lot)
    bid(lot, alice, 3_000)
    bid(lot, bob, 2_000)

    assert tasks.lots_close() == 0  # still running: nothing to settle
    clock.set_frozen(fresh(lot).ends_at)
    assert tasks.lots_close() == 1
    assert tasks.lots_close() == 0  # settled already: not listed again
    assert fresh(lot).status == LotStatus.AWAITING_PAYMENT
    tasks.deposits_settle()
    run_jobs()
    assert bob.auction_deposits.get().status == DepositStatus.RELEASED

    clock.set_frozen(fresh(lot).payment_due_at)
    assert tasks.payments_overdue() == 1
    assert tasks.payments_overdue() == 0
    offer = SecondChanceOffer.objects.get(lot=lot)
    assert offer.bidder == bob

    clock.set_frozen(offer.expires_at)
    assert tasks.offers_lapse() == 1
    assert tasks.offers_lapse() == 0
    assert fresh(offer).status == OfferStatus.LAPSED
    assert fresh(lot).status == LotStatus.UNSOLD
    assert alice.auction_deposits.get().status == DepositStatus.FORFEITED
    assert tasks.deposits_settle() == 0
    run_jobs()
    assert escrow_balance() == 0
    assert ledger_verify() == []


def _demo_bidders(n=4):
    return [make_user(email=BIDDER_EMAIL.format(n=i)) for i in range(1, n + 1)]


def test_simulated_bidders_do_nothing_unless_switched_on(lot, settings):
    _demo_bidders()
    settings.DEMO_SIMULATED_BIDDERS = False

    assert tasks.simulated_bidders() == 0
    assert not Bid.objects.exists()


def test_simulated_bidders_bid_on_live_lots_like_anyone_and_pay_deposits_first(settings):
    settings.DEMO_SIMULATED_BIDDERS = True
    bidders = _demo_bidders()
    lots = [make_lot(estimate_high_fen=yuan(20_000), deposit_fen=yuan(100) * n) for n in range(3)]
    make_lot(starts_in=timedelta(hours=1), ends_in=timedelta(hours=2))  # not started yet

    placed = sum(simulated_bids_place(rng=random.Random(seed), limit=3) for seed in range(30))

    bids = Bid.objects.filter(accepted=True)
    assert placed == bids.count() > 0
    assert {b.source for b in bids} == {BidSource.SIMULATED}
    assert {b.bidder_id for b in bids} <= {u.pk for u in bidders}
    assert {b.lot_id for b in bids} <= {lot.pk for lot in lots}
    for lot in lots:
        assert lot_verify(lot) == []
    assert ledger_verify() == []


def test_simulated_bidders_never_bid_past_their_valuation(settings):
    settings.DEMO_SIMULATED_BIDDERS = True
    _demo_bidders()
    lot = make_lot(estimate_high_fen=yuan(1_500))

    for seed in range(60):
        simulated_bids_place(rng=random.Random(seed))

    assert fresh(lot).price_fen is None or fresh(lot).price_fen <= yuan(1_500) * 14 // 10
