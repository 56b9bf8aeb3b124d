"""Real concurrent connections on PostgreSQL: retractions racing the sweeper's settling
just after a lot's end never change its winner or hammer price, whoever takes the lot's
lock first, and the settled result is the engine's replay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.auctions import engine
from designmall.auctions.models import Bid, LotStatus
from designmall.auctions.selectors import lot_verify
from designmall.auctions.services import LotEnded, bid_retract
from designmall.auctions.settlement import lot_finalize
from designmall.auctions.snapshot import lot_replay
from designmall.core import clock
from tests.auctions.conftest import bid, fresh, yuan
from tests.concurrency import concurrently
from tests.factories import make_lot, make_operator, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_retractions_racing_the_settlement_after_the_end_never_change_the_result(on_postgres):
    operator = make_operator()
    for _round in range(6):
        alice, bob, carol = (make_user(role=None) for _ in range(3))
        lot = make_lot(soft_close_minutes=2)
        clock.set_frozen(fresh(lot).ends_at - timedelta(seconds=30))
        bids = [bid(lot, alice, 3_000).bid, bid(lot, bob, 2_000).bid, bid(lot, carol, 2_500).bid]
        lot = fresh(lot)  # extended by the last bids: the end that counts is the new one
        assert (lot.leader_id, lot.price_fen) == (alice.pk, yuan(2_600))
        clock.set_frozen(lot.ends_at + timedelta(milliseconds=1))

        def retract(placed):
            return lambda: bid_retract(bid=placed, by=operator, reason="疑似托价")

        def settle(lot=lot):
            return lot_finalize(lot=lot).status

        works = [retract(b) for b in bids] + [settle] * 3
        works = works[_round % len(works) :] + works[: _round % len(works)]  # vary who starts
        results = concurrently(works, pool=len(works))

        refusals = [r for r in results if isinstance(r, Exception)]
        assert len(refusals) == 3 and all(
            isinstance(r, LotEnded) and r.code == "lot_ended" for r in refusals
        ), results
        assert [r for r in results if not isinstance(r, Exception)] == [
            LotStatus.AWAITING_PAYMENT
        ] * 3
        lot = fresh(lot)
        assert (lot.winner_id, lot.hammer_fen) == (alice.pk, yuan(2_600))
        assert not Bid.objects.filter(lot=lot, retracted=True).exists()
        replayed, _events = engine.close(lot_replay(lot), clock.now())
        assert (replayed.outcome.winner_id, replayed.outcome.price_fen) == (
            lot.winner_id,
            lot.hammer_fen,
        )
        assert lot_verify(lot) == []
