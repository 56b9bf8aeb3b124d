"""On PostgreSQL a bid's locked part is the database function ``auctions_bid_apply``
(migration ``auctions.0004``): it must decide every bid as the pure engine does and leave
the lot, its bid log and its audit trail as the Python path would — with reserves,
buy-now, soft close, a hard stop and an increment table whose bands are off each other's
grid, over many random bids."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from designmall.auctions import engine
from designmall.auctions.models import Bid, BidStep
from designmall.auctions.services import BidRefused, bid_place
from designmall.auctions.snapshot import engine_bid, lot_rules, lot_state
from designmall.core import clock
from designmall.core.audit import audit_trail
from tests.auctions.conftest import fresh
from tests.factories import make_lot, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

ODD_BANDS = [
    {"from_fen": 0, "step_fen": 700},
    {"from_fen": 10_150, "step_fen": 1_300},
    {"from_fen": 30_000, "step_fen": 4_900},
]


def _replayed(lot):
    """Every sequenced bid's decision, the state and the bid log, by the engine."""
    state = engine.LotState.opening(lot_rules(lot))
    decisions = []
    for placed in Bid.objects.filter(lot=lot).order_by("sequence"):
        state, events = engine.apply_bid(state, engine_bid(placed))
        refused = events[0] if isinstance(events[0], engine.BidRefused) else None
        decisions.append(
            (
                placed.sequence,
                refused.reason.value if refused else "",
                refused.minimum_fen if refused else None,
            )
        )
    return decisions, state


@pytest.mark.parametrize(
    "rules",
    [
        {},
        {"reserve_fen": 150_000},
        {"reserve_fen": 123_456, "buy_now_fen": 400_000},
        {"buy_now_fen": 250_000},
        {"increments_override": ODD_BANDS, "reserve_fen": 21_000, "soft_close_minutes": 2},
    ],
    ids=["plain", "reserve", "reserve-and-buy-now", "buy-now", "odd-grid"],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_bids_decided_by_the_database_function_equal_the_engine_replay(rules, seed, caplog):
    rng = random.Random(seed)
    start = 10_000 if "increments_override" in rules else 100_000
    lot = make_lot(start_price_fen=start, ends_in=timedelta(minutes=30), **rules)
    hard_stop = lot.scheduled_end_at + timedelta(minutes=7)
    lot.hard_stop_at = hard_stop
    lot.save(update_fields=["hard_stop_at"])
    bidders = [make_user(role=None) for _ in range(4)]
    increments = lot_rules(lot).increments
    accepted = refused = 0
    for _n in range(60):
        clock.advance(timedelta(seconds=rng.choice((1, 20, 90, 240))))
        seen = fresh(lot)
        base = seen.price_fen or start
        amount = rng.choice(
            (
                base,
                increments.next_valid(base, start),
                increments.next_valid(increments.next_valid(base, start), start),
                base + rng.randint(1, 3_000),
                start - 1 if start > 1 else 1,
            )
        )
        buy_now = bool(seen.buy_now_fen) and rng.random() < 0.03
        try:
            bid_place(
                lot=lot,
                bidder=rng.choice(bidders),
                max_fen=seen.buy_now_fen if buy_now else amount,
                buy_now=buy_now,
            )
            accepted += 1
        except BidRefused:
            refused += 1
    lot = fresh(lot)
    decisions, state = _replayed(lot)
    stored = list(
        Bid.objects.filter(lot=lot)
        .order_by("sequence")
        .values_list("sequence", "refusal", "minimum_fen")
    )
    assert stored == decisions
    kept = lot_state(lot)
    assert (kept.price_fen, kept.leader, kept.runner_up, kept.ends_at) == (
        state.price_fen,
        state.leader,
        state.runner_up,
        state.ends_at,
    )
    assert (kept.bid_count, kept.outcome) == (state.bid_count, state.outcome)
    log = list(
        BidStep.objects.filter(lot=lot)
        .order_by("position")
        .values_list("position", "bidder_id", "amount_fen", "automatic", "bid_sequence", "at")
    )
    assert log == [
        (n, s.bidder_id, s.amount_fen, s.automatic, s.bid_id, s.at)
        for n, s in enumerate(state.steps, start=1)
    ]
    assert lot.step_count == len(state.steps)
    assert lot.version == accepted
    assert audit_trail(lot).filter(action="lot.bid").count() == accepted
    assert accepted and refused
    assert not [r for r in caplog.records if "disagree" in r.getMessage()]


def test_the_function_takes_the_time_inside_the_lock_from_the_running_clock():
    clock.reset()
    lot = make_lot(ends_in=timedelta(minutes=30))
    before = clock.now()
    bid_place(lot=lot, bidder=make_user(role=None), max_fen=lot.start_price_fen)
    placed = Bid.objects.get(lot=lot).placed_at
    assert before <= placed <= clock.now()


def test_a_bid_at_the_frozen_end_is_refused_by_the_function():
    lot = make_lot(ends_in=timedelta(minutes=30))
    clock.set_frozen(fresh(lot).ends_at)
    with pytest.raises(BidRefused) as refused:
        bid_place(lot=lot, bidder=make_user(role=None), max_fen=lot.start_price_fen)
    assert refused.value.code == "lot_ended"
