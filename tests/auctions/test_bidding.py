"""Bidding on a lot through the service: the engine decides under the lot's lock, on the
server's clock; the lot's snapshot is the engine's state; every bid is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.auctions import engine
from designmall.auctions.models import Bid, BidSource, BidStep, LotOutcome
from designmall.auctions.selectors import (
    bidder_code,
    lot_bid_log,
    lot_verify,
    lot_view,
)
from designmall.auctions.services import BidRefused, bid_place
from designmall.auctions.snapshot import lot_replay
from designmall.core import clock
from tests.auctions.conftest import bid, fresh, yuan
from tests.factories import make_lot

pytestmark = pytest.mark.django_db


def test_a_first_bid_leads_at_the_start_price_whatever_its_maximum(lot, alice):
    result = bid(lot, alice, 3_000)

    lot = fresh(lot)
    assert result.leading and result.price_fen == yuan(1_000) == lot.price_fen
    assert (lot.leader_id, lot.leader_max_fen, lot.bid_count) == (alice.pk, yuan(3_000), 1)
    assert result.minimum_next_fen == yuan(1_100)


def test_a_challenger_below_the_leaders_maximum_lifts_the_price_by_proxy(lot, alice, bob):
    bid(lot, alice, 3_000)
    result = bid(lot, bob, 2_000)

    lot = fresh(lot)
    assert not result.leading
    assert lot.leader_id == alice.pk and lot.price_fen == yuan(2_100)
    assert (lot.runner_up_id, lot.runner_up_max_fen) == (bob.pk, yuan(2_000))


def test_at_equal_maximums_the_earlier_bid_keeps_the_lead(lot, alice, bob):
    bid(lot, alice, 2_000)
    bid(lot, bob, 2_000)

    lot = fresh(lot)
    assert lot.leader_id == alice.pk and lot.price_fen == yuan(2_000)


def test_the_snapshot_and_the_bid_log_equal_a_replay_of_the_accepted_bids(lot, alice, bob, carol):
    for bidder, amount in [(alice, 1_500), (bob, 1_200), (carol, 4_000), (alice, 3_000)]:
        bid(lot, bidder, amount)
    with pytest.raises(BidRefused):
        bid(lot, bob, 1_000)  # below the minimum: recorded, but it counts for nothing

    lot = fresh(lot)
    replayed = lot_replay(lot)
    assert (lot.price_fen, lot.leader_id, lot.bid_count) == (
        replayed.price_fen,
        replayed.leader_id,
        replayed.bid_count,
    )
    assert BidStep.objects.filter(lot=lot).count() == len(replayed.steps) == lot.step_count
    assert lot_verify(lot) == []


def test_every_bid_is_recorded_in_lock_order_with_server_time_and_source(lot, alice, bob):
    bid(lot, alice, 1_500, source=BidSource.API, client_ip="203.0.113.9")
    with pytest.raises(BidRefused):
        bid(lot, bob, 1_550)  # off the ¥100 grid

    first, second = Bid.objects.filter(lot=lot).order_by("sequence")
    assert (first.sequence, first.accepted, first.source, first.client_ip) == (
        1,
        True,
        BidSource.API,
        "203.0.113.9",
    )
    assert first.placed_at == clock.now()
    assert (second.sequence, second.accepted, second.refusal) == (2, False, "bid_off_grid")


def test_a_bid_below_the_minimum_is_refused_with_the_minimum(lot, alice, bob):
    bid(lot, alice, 1_500)

    with pytest.raises(BidRefused) as refused:
        bid(lot, bob, 1_000)

    assert refused.value.code == "bid_below_minimum"
    assert refused.value.details["minimum_fen"] == yuan(1_100)
    assert fresh(lot).price_fen == yuan(1_000)


def test_an_off_grid_bid_is_refused_with_the_nearest_amounts_on_the_grid(lot, alice):
    with pytest.raises(BidRefused) as refused:
        bid_place(lot=lot, bidder=alice, max_fen=yuan(1_000) + 4_250)  # ¥1,042.50

    assert refused.value.code == "bid_off_grid"
    assert refused.value.details["nearest_below_fen"] == yuan(1_000)
    assert refused.value.details["nearest_above_fen"] == yuan(1_100)


def test_the_leader_raises_their_maximum_without_raising_the_price(lot, alice, bob):
    bid(lot, alice, 2_000)
    bid(lot, bob, 1_500)
    result = bid(lot, alice, 5_000)

    lot = fresh(lot)
    assert result.leading and lot.price_fen == yuan(1_600)
    assert lot.leader_max_fen == yuan(5_000)


def test_the_leader_cannot_outbid_themselves(lot, alice):
    bid(lot, alice, 2_000)

    with pytest.raises(BidRefused) as refused:
        bid(lot, alice, 2_000)

    assert refused.value.code == "bid_not_above_own_maximum"


def test_the_price_jumps_to_the_reserve_when_the_leaders_maximum_reaches_it(alice, bob):
    lot = make_lot(reserve_fen=yuan(3_000))
    bid(lot, alice, 1_500)
    assert not lot_view(lot=fresh(lot)).reserve_met
    bid(lot, bob, 3_500)

    lot = fresh(lot)
    assert lot.leader_id == bob.pk and lot.price_fen == yuan(3_000)
    assert lot_view(lot=lot).reserve_met


def test_a_bid_before_the_start_is_refused(alice):
    lot = make_lot(starts_in=timedelta(minutes=10), ends_in=timedelta(hours=1))

    with pytest.raises(BidRefused) as refused:
        bid(lot, alice, 1_000)

    assert refused.value.code == "lot_not_started"


def test_a_bid_at_or_after_the_end_is_refused_whatever_the_client_believed(lot, alice):
    clock.set_frozen(fresh(lot).ends_at)

    with pytest.raises(BidRefused) as refused:
        bid(lot, alice, 1_000)

    assert refused.value.code == "lot_ended"
    assert Bid.objects.get(lot=lot).refusal == "lot_ended"


def test_a_bid_in_the_last_minutes_moves_the_end_to_five_minutes_after_it(lot, alice, bob):
    bid(lot, alice, 2_000)
    clock.set_frozen(fresh(lot).ends_at - timedelta(minutes=2))

    result = bid(lot, bob, 3_000)

    assert result.extended
    assert fresh(lot).ends_at == clock.now() + timedelta(minutes=5)
    assert lot_view(lot=fresh(lot)).extended


def test_a_bid_earlier_than_the_last_minutes_does_not_move_the_end(lot, alice):
    end = fresh(lot).ends_at
    clock.set_frozen(end - timedelta(minutes=30))

    result = bid(lot, alice, 2_000)

    assert not result.extended and fresh(lot).ends_at == end


def test_extensions_stop_at_the_hard_stop(alice, bob):
    now = clock.now()
    lot = make_lot(ends_in=timedelta(minutes=10), hard_stop_at=now + timedelta(minutes=12))
    clock.set_frozen(now + timedelta(minutes=9))
    bid(lot, alice, 2_000)
    assert fresh(lot).ends_at == now + timedelta(minutes=12)

    clock.set_frozen(now + timedelta(minutes=11, seconds=59))
    bid(lot, bob, 3_000)
    assert fresh(lot).ends_at == now + timedelta(minutes=12)

    clock.set_frozen(now + timedelta(minutes=12))
    with pytest.raises(BidRefused):
        bid(lot, alice, 5_000)


def test_buy_now_ends_the_lot_at_once_at_the_buy_now_price(alice, bob):
    lot = make_lot(buy_now_fen=yuan(8_000))

    result = bid(lot, alice, 8_000, buy_now=True)

    lot = fresh(lot)
    assert result.bought_now
    assert (lot.outcome, lot.winner_id, lot.hammer_fen) == (
        LotOutcome.BOUGHT_NOW,
        alice.pk,
        yuan(8_000),
    )
    assert lot_view(lot=lot).phase == "closed"
    with pytest.raises(BidRefused) as refused:
        bid(lot, bob, 9_000)
    assert refused.value.code == "lot_closed"


def test_buy_now_is_gone_once_a_bid_exists_on_a_lot_without_reserve(alice, bob):
    lot = make_lot(buy_now_fen=yuan(8_000))
    bid(lot, alice, 1_000)
    assert lot_view(lot=fresh(lot)).buy_now_fen is None

    with pytest.raises(BidRefused) as refused:
        bid(lot, bob, 8_000, buy_now=True)

    assert refused.value.code == "buy_now_unavailable"


def test_a_buy_now_at_a_stale_price_is_refused(alice):
    lot = make_lot(buy_now_fen=yuan(8_000))

    with pytest.raises(BidRefused) as refused:
        bid(lot, alice, 7_000, buy_now=True)

    assert refused.value.code == "buy_now_amount_mismatch"


# --- what people see -------------------------------------------------------------------------


def test_the_leader_is_shown_by_a_handle_stable_on_a_lot_and_unlinkable_across_lots(
    lot, alice, bob, settings
):
    bid(lot, alice, 1_000)

    view = lot_view(lot=fresh(lot), viewer=bob)
    assert view.leader_code == bidder_code(lot.pk, alice.pk) == lot_view(lot=lot).leader_code
    assert len(view.leader_code) == 4 and view.leader_label.endswith(view.leader_code)
    assert alice.email not in view.leader_label and str(alice.pk) != view.leader_code
    settings.SECRET_KEY = "a fixed key for a reproducible check"
    assert len({bidder_code(lot_id, 7) for lot_id in range(1, 6)}) == 5


def test_nobody_sees_the_reserve_or_another_bidders_maximum(alice, bob):
    lot = make_lot(reserve_fen=yuan(9_000))
    bid(lot, alice, 5_000)

    seen_by_bob = lot_view(lot=fresh(lot), viewer=bob)
    seen_by_alice = lot_view(lot=fresh(lot), viewer=alice)

    assert seen_by_bob.viewer_max_fen is None and not seen_by_bob.viewer_leading
    assert seen_by_alice.viewer_max_fen == yuan(5_000) and seen_by_alice.viewer_leading
    assert seen_by_bob.has_reserve and not seen_by_bob.reserve_met
    assert yuan(9_000) not in vars(seen_by_bob).values()


def test_the_public_log_shows_handles_amounts_and_proxy_steps_newest_first(lot, alice, bob):
    bid(lot, alice, 3_000)
    bid(lot, bob, 2_000)

    log = lot_bid_log(lot=lot, viewer=bob)

    assert [(line.amount_fen, line.automatic, line.is_you) for line in log] == [
        (yuan(2_100), True, False),
        (yuan(2_000), False, True),
        (yuan(1_000), False, False),
    ]
    assert log[0].code == bidder_code(lot.pk, alice.pk)


def test_a_lot_past_its_end_reads_as_closed_with_its_provisional_winner(lot, alice):
    bid(lot, alice, 2_000)
    clock.set_frozen(fresh(lot).ends_at)

    view = lot_view(lot=fresh(lot), viewer=alice)

    assert view.phase == "closed" and view.sold and view.viewer_is_winner
    assert view.minimum_bid_fen is None and not view.can_bid
    assert view.hammer_fen == yuan(1_000)


# --- the live layer ------------------------------------------------------------------------


def test_an_accepted_bid_is_published_after_commit_with_who_was_outbid(
    lot, alice, bob, published, django_capture_on_commit_callbacks
):
    bid(lot, alice, 2_000)
    with django_capture_on_commit_callbacks(execute=True):
        bid(lot, bob, 3_000)

    (message,) = published.of(lot)
    assert message["price_fen"] == yuan(2_100)
    assert message["leader"] == bidder_code(lot.pk, bob.pk)
    assert message["outbid"] == [alice.public_id]
    assert {"bid_accepted", "outbid", "price_changed"} <= set(message["events"])
    assert message["version"] == fresh(lot).version


def test_a_refused_bid_publishes_nothing(lot, alice, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(BidRefused):
        bid(lot, alice, 500)

    assert published.of(lot) == []


def test_the_engine_and_the_view_agree_on_the_phase(lot):
    from designmall.auctions.selectors import lot_phase
    from designmall.auctions.snapshot import lot_state

    for moment in (
        lot.starts_at - timedelta(seconds=1),
        lot.starts_at,
        lot.ends_at - timedelta(seconds=1),
        lot.ends_at,
    ):
        assert lot_phase(lot, moment) == engine.phase(lot_state(lot), moment).value
