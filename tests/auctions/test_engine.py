"""The proxy-bidding engine, one rule per test, in yuan for readability."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from designmall.auctions.engine import (
    Bid,
    BidAccepted,
    BidRefused,
    BoughtNow,
    EndExtended,
    InvalidBid,
    InvalidLotRules,
    LeaderChanged,
    LotClosed,
    LotPhase,
    LotRules,
    LotState,
    Outbid,
    OutcomeReason,
    PriceChanged,
    RefusalReason,
    ReserveMet,
    apply_bid,
    buy_now_available,
    close,
    phase,
    replay,
    runner_up,
)
from designmall.auctions.increments import IncrementTable

T0 = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)
END = T0 + timedelta(hours=1)
_ids = itertools.count(1)


def yuan(amount: int) -> int:
    return amount * 100


def at(minutes: float = 1, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def lot(**overrides) -> LotRules:
    values = {"start_price_fen": yuan(100), "starts_at": T0, "ends_at": END}
    values.update(overrides)
    return LotRules(**values)


def bid(bidder: str, max_yuan: int, when: datetime | None = None, **extra) -> Bid:
    return Bid(bidder, yuan(max_yuan), when or at(1), bid_id=next(_ids), **extra)


def play(rules: LotRules, *bids: Bid) -> tuple[LotState, tuple]:
    """Apply ``bids`` in order; the final state and the last bid's events."""
    state, events = LotState.opening(rules), ()
    for one in bids:
        state, events = apply_bid(state, one)
    return state, events


def refusal(events) -> RefusalReason:
    (event,) = events
    assert isinstance(event, BidRefused)
    return event.reason


def log(state: LotState) -> list[tuple[str, int, bool]]:
    return [(s.bidder_id, s.amount_fen // 100, s.automatic) for s in state.steps]


# -- minimum, grid and the first bid ----------------------------------------------------


def test_the_first_bid_at_the_start_price_leads_at_the_start_price():
    state, events = play(lot(), bid("ana", 100))

    assert state.leader_id == "ana"
    assert state.price_fen == yuan(100)
    assert events == (
        BidAccepted(events[0].bid_id, "ana", yuan(100), leading=True),
        LeaderChanged(None, "ana"),
        PriceChanged(None, yuan(100)),
    )


def test_a_first_bid_below_the_start_price_is_refused():
    state, events = play(lot(), bid("ana", 50))

    assert refusal(events) == RefusalReason.BELOW_MINIMUM
    assert events[0].minimum_fen == yuan(100)
    assert state == LotState.opening(lot())


def test_a_high_first_maximum_still_shows_only_the_start_price():
    state, _ = play(lot(), bid("ana", 900))

    assert state.price_fen == yuan(100)
    assert state.leader.max_fen == yuan(900)


def test_a_bid_of_exactly_the_price_plus_one_increment_is_accepted():
    state, _ = play(lot(), bid("ana", 100), bid("ben", 150))

    assert state.leader_id == "ben"
    assert state.price_fen == yuan(150)


def test_a_bid_below_the_price_plus_one_increment_is_refused():
    state, events = play(lot(), bid("ana", 500), bid("ben", 200), bid("cai", 200))

    assert refusal(events) == RefusalReason.BELOW_MINIMUM
    assert events[0].minimum_fen == yuan(300)
    assert state.price_fen == yuan(250)


def test_a_bid_off_the_increment_grid_is_refused():
    state, events = play(lot(), bid("ana", 100), bid("ben", 175))

    assert refusal(events) == RefusalReason.OFF_GRID
    assert state.bid_count == 1


def test_the_increment_follows_the_price_band():
    # At 1,000 yuan the increment is 100: 1,050 is off the grid, 1,100 is the minimum.
    state, _ = play(lot(), bid("ana", 2_000), bid("ben", 950))
    assert state.price_fen == yuan(1_000)

    _, events = apply_bid(state, bid("ben", 1_150))
    assert refusal(events) == RefusalReason.OFF_GRID
    state, _ = apply_bid(state, bid("ben", 1_100))
    assert state.price_fen == yuan(1_200)


def test_a_refused_bid_returns_the_very_same_state():
    state, _ = play(lot(), bid("ana", 100))

    after, _ = apply_bid(state, bid("ben", 120))

    assert after is state


# -- proxy bidding ----------------------------------------------------------------------


def test_the_price_is_the_runner_up_maximum_plus_one_increment():
    state, events = play(lot(), bid("ana", 1_000), bid("ben", 600))

    assert state.leader_id == "ana"
    assert state.price_fen == yuan(650)
    assert events[0] == BidAccepted(events[0].bid_id, "ben", yuan(600), leading=False)


def test_a_challenger_above_the_leader_maximum_takes_the_lead_one_increment_above_it():
    state, events = play(lot(), bid("ana", 600), bid("ben", 1_000))

    assert state.leader_id == "ben"
    assert state.price_fen == yuan(650)
    assert LeaderChanged("ana", "ben") in events
    assert Outbid("ana", yuan(650)) in events


def test_the_price_uses_the_increment_of_the_band_it_crosses_into():
    state, _ = play(lot(), bid("ana", 4_900), bid("ben", 8_000))
    assert state.price_fen == yuan(5_000)

    state, _ = play(lot(), bid("ana", 5_000), bid("ben", 8_000))
    assert state.price_fen == yuan(5_500)


def test_at_equal_maximums_the_earlier_bid_leads_at_that_maximum():
    state, events = play(lot(), bid("ana", 800), bid("ben", 800))

    assert state.leader_id == "ana"
    assert state.price_fen == yuan(800)
    assert not any(isinstance(e, LeaderChanged) for e in events)


def test_the_price_is_capped_at_the_leader_maximum():
    # A table whose band start (1,030) is off the lower grid: after 1,000 the next bid is
    # 1,130, but the leader's maximum of 1,100 caps the price.
    table = IncrementTable.from_bands([(0, yuan(50)), (yuan(1_030), yuan(100))])
    state, _ = play(lot(increments=table), bid("ana", 1_030), bid("ben", 1_000))
    assert state.price_fen == yuan(1_030)

    state, _ = play(lot(increments=table), bid("ana", 1_130), bid("ben", 1_000))
    assert state.price_fen == yuan(1_130)
    assert state.price_fen <= state.leader.max_fen


def test_a_runner_up_rebidding_is_outbid_again_by_the_proxy():
    state, _ = play(lot(), bid("ana", 1_000), bid("ben", 300), bid("ben", 500))

    assert state.leader_id == "ana"
    assert state.price_fen == yuan(550)
    assert runner_up(state).bidder_id == "ben"
    assert runner_up(state).max_fen == yuan(500)


# -- the leader's own maximum -----------------------------------------------------------


def test_the_leader_may_raise_their_maximum_without_raising_the_price():
    state, _ = play(lot(), bid("ana", 500), bid("ben", 300))

    state, events = apply_bid(state, bid("ana", 2_000))

    assert state.price_fen == yuan(350)
    assert state.leader.max_fen == yuan(2_000)
    assert events == (BidAccepted(events[0].bid_id, "ana", yuan(2_000), leading=True),)


def test_a_raise_after_a_tie_keeps_the_price_at_the_tied_maximum():
    state, _ = play(lot(), bid("ana", 800), bid("ben", 800), bid("ana", 2_000))

    assert state.price_fen == yuan(800)
    assert state.minimum_bid_fen == yuan(850)


def test_the_leader_cannot_lower_their_maximum():
    state, events = play(lot(), bid("ana", 500), bid("ben", 300), bid("ana", 400))

    assert refusal(events) == RefusalReason.NOT_ABOVE_OWN_MAX
    assert state.leader.max_fen == yuan(500)


def test_the_leader_cannot_bid_their_own_maximum_again():
    _, events = play(lot(), bid("ana", 500), bid("ana", 500))

    assert refusal(events) == RefusalReason.NOT_ABOVE_OWN_MAX


def test_a_leader_raise_must_be_on_the_grid():
    _, events = play(lot(), bid("ana", 500), bid("ana", 525))

    assert refusal(events) == RefusalReason.OFF_GRID


def test_a_leader_never_outbids_themselves_whatever_they_bid():
    state, _ = play(lot(), bid("ana", 100), bid("ana", 150), bid("ana", 1_000))

    assert state.price_fen == yuan(100)
    assert state.leader_id == "ana"
    assert state.runner_up is None


# -- reserve ----------------------------------------------------------------------------


def test_a_first_maximum_at_or_above_the_reserve_jumps_the_price_to_the_reserve():
    state, events = play(lot(reserve_fen=yuan(700)), bid("ana", 1_000))

    assert state.price_fen == yuan(700)
    assert state.reserve_met
    assert ReserveMet(yuan(700)) in events


def test_below_the_reserve_the_price_follows_the_usual_rule():
    state, _ = play(lot(reserve_fen=yuan(700)), bid("ana", 600), bid("ben", 300))

    assert state.price_fen == yuan(350)
    assert not state.reserve_met


def test_a_leader_raise_reaching_the_reserve_raises_the_price_to_exactly_the_reserve():
    state, _ = play(lot(reserve_fen=yuan(700)), bid("ana", 600), bid("ben", 300))

    state, events = apply_bid(state, bid("ana", 5_000))

    assert state.price_fen == yuan(700)
    assert PriceChanged(yuan(350), yuan(700)) in events
    assert ReserveMet(yuan(700)) in events
    assert log(state)[-1] == ("ana", 700, True)


def test_a_challenger_reaching_the_reserve_pays_the_reserve_not_more():
    state, _ = play(lot(reserve_fen=yuan(700)), bid("ana", 300), bid("ben", 900))

    assert state.leader_id == "ben"
    assert state.price_fen == yuan(700)


def test_an_off_grid_reserve_is_shown_as_it_is_and_the_next_bid_rounds_up_to_the_grid():
    state, _ = play(lot(reserve_fen=yuan(1_030)), bid("ana", 2_000))

    assert state.price_fen == yuan(1_030)
    assert state.minimum_bid_fen == yuan(1_200)


def test_reserve_met_is_announced_once():
    state, first = play(lot(reserve_fen=yuan(700)), bid("ana", 1_000))
    _, second = apply_bid(state, bid("ben", 800))

    assert any(isinstance(e, ReserveMet) for e in first)
    assert not any(isinstance(e, ReserveMet) for e in second)


# -- time and soft close ----------------------------------------------------------------


def test_a_bid_before_the_start_is_refused():
    _, events = play(lot(), bid("ana", 100, T0 - timedelta(seconds=1)))

    assert refusal(events) == RefusalReason.NOT_STARTED


def test_a_bid_exactly_at_the_start_is_accepted():
    state, _ = play(lot(), bid("ana", 100, T0))

    assert state.leader_id == "ana"


def test_a_bid_exactly_at_the_end_is_refused():
    _, events = play(lot(), bid("ana", 100, END))

    assert refusal(events) == RefusalReason.ENDED
    assert events[0].minimum_fen is None


def test_a_bid_a_moment_before_the_end_is_accepted_and_extends_the_end():
    just_before = END - timedelta(microseconds=1)

    state, events = play(lot(), bid("ana", 100, just_before))

    assert state.ends_at == just_before + timedelta(minutes=5)
    assert EndExtended(END, just_before + timedelta(minutes=5)) in events


def test_a_bid_in_the_last_minutes_moves_the_end_to_five_minutes_after_it():
    placed = END - timedelta(minutes=2)

    state, _ = play(lot(), bid("ana", 100, placed))

    assert state.ends_at == placed + timedelta(minutes=5)


def test_a_bid_before_the_soft_close_window_leaves_the_end_alone():
    state, events = play(lot(), bid("ana", 100, END - timedelta(minutes=6)))

    assert state.ends_at == END
    assert not any(isinstance(e, EndExtended) for e in events)


def test_the_soft_close_window_is_configurable():
    state, _ = play(lot(soft_close_seconds=60), bid("ana", 100, END - timedelta(seconds=30)))

    assert state.ends_at == END + timedelta(seconds=30)


def test_each_bid_extends_at_most_once_from_its_own_time():
    first = END - timedelta(minutes=1)
    second = END + timedelta(minutes=3)  # inside the extended time

    state, _ = play(lot(), bid("ana", 100, first), bid("ben", 200, second))

    assert state.ends_at == second + timedelta(minutes=5)


def test_an_extension_never_passes_the_hard_stop():
    stop = END + timedelta(minutes=2)

    state, events = play(lot(hard_stop=stop), bid("ana", 100, END - timedelta(minutes=1)))

    assert state.ends_at == stop
    assert EndExtended(END, stop) in events


def test_at_the_hard_stop_no_bid_is_accepted():
    stop = END + timedelta(minutes=2)
    state, _ = play(lot(hard_stop=stop), bid("ana", 100, END - timedelta(minutes=1)))

    _, events = apply_bid(state, bid("ben", 200, stop))

    assert refusal(events) == RefusalReason.ENDED


def test_a_bid_after_an_extended_end_is_refused():
    state, _ = play(lot(), bid("ana", 100, END - timedelta(minutes=1)))

    _, events = apply_bid(state, bid("ben", 200, END + timedelta(minutes=3, seconds=59)))
    assert isinstance(events[0], BidAccepted)
    _, events = apply_bid(state, bid("ben", 200, END + timedelta(minutes=4)))
    assert refusal(events) == RefusalReason.ENDED


def test_a_refused_late_bid_does_not_extend():
    state, _ = play(lot(), bid("ana", 500))

    after, _ = apply_bid(state, bid("ben", 120, END - timedelta(minutes=1)))

    assert after.ends_at == END


def test_a_silent_leader_raise_does_not_extend_so_it_cannot_be_spotted():
    state, _ = play(lot(), bid("ana", 500), bid("ben", 200))

    state, events = apply_bid(state, bid("ana", 900, END - timedelta(minutes=1)))

    assert state.leader.max_fen == yuan(900)
    assert state.ends_at == END
    assert not any(isinstance(e, EndExtended) for e in events)


def test_a_leader_raise_that_meets_the_reserve_is_visible_and_extends():
    state, _ = play(lot(reserve_fen=yuan(700)), bid("ana", 500), bid("ben", 200))

    state, _ = apply_bid(state, bid("ana", 900, END - timedelta(minutes=1)))

    assert state.price_fen == yuan(700)
    assert state.ends_at == END + timedelta(minutes=4)


def test_a_losing_challenge_moves_the_price_and_so_extends():
    state, _ = play(lot(), bid("ana", 900))

    state, _ = apply_bid(state, bid("ben", 300, END - timedelta(minutes=1)))

    assert state.leader_id == "ana"
    assert state.ends_at == END + timedelta(minutes=4)


def test_the_phase_follows_the_clock_and_the_moving_end():
    state, _ = play(lot(), bid("ana", 100, END - timedelta(minutes=1)))

    assert phase(state, T0 - timedelta(seconds=1)) == LotPhase.SCHEDULED
    assert phase(state, T0) == LotPhase.OPEN
    assert phase(state, END + timedelta(minutes=3)) == LotPhase.OPEN
    assert phase(state, END + timedelta(minutes=4)) == LotPhase.CLOSED


# -- buy now ----------------------------------------------------------------------------


def test_buy_now_before_any_bid_sells_the_lot_at_once():
    rules = lot(buy_now_fen=yuan(3_000))
    state, events = play(rules, bid("ana", 3_000, at(10), buy_now=True))

    assert state.closed
    assert state.outcome.sold
    assert state.outcome.reason == OutcomeReason.BOUGHT_NOW
    assert state.outcome.winner_id == "ana"
    assert state.outcome.price_fen == yuan(3_000)
    assert state.outcome.closed_at == at(10)
    assert BoughtNow("ana", yuan(3_000)) in events
    assert isinstance(events[-1], LotClosed)


def test_buy_now_must_name_the_buy_now_price():
    _, events = play(lot(buy_now_fen=yuan(3_000)), bid("ana", 2_500, buy_now=True))

    assert refusal(events) == RefusalReason.BUY_NOW_AMOUNT_MISMATCH


def test_buy_now_is_gone_after_the_first_bid_on_a_lot_without_reserve():
    state, _ = play(lot(buy_now_fen=yuan(3_000)), bid("ben", 100))

    _, events = apply_bid(state, bid("ana", 3_000, buy_now=True))

    assert refusal(events) == RefusalReason.BUY_NOW_UNAVAILABLE
    assert not buy_now_available(state, at(2))


def test_buy_now_stays_while_the_price_is_below_the_reserve():
    rules = lot(reserve_fen=yuan(1_000), buy_now_fen=yuan(3_000))
    state, _ = play(rules, bid("ben", 500), bid("cai", 300))
    assert buy_now_available(state, at(2))

    state, events = apply_bid(state, bid("ana", 3_000, at(2), buy_now=True))

    assert state.outcome.winner_id == "ana"
    assert state.price_fen == yuan(3_000)
    assert Outbid("ben", yuan(3_000)) in events
    assert runner_up(state).bidder_id == "ben"


def test_buy_now_is_gone_once_the_reserve_is_met():
    rules = lot(reserve_fen=yuan(1_000), buy_now_fen=yuan(3_000))
    state, _ = play(rules, bid("ben", 1_500))

    _, events = apply_bid(state, bid("ana", 3_000, buy_now=True))

    assert refusal(events) == RefusalReason.BUY_NOW_UNAVAILABLE


def test_buy_now_is_refused_after_the_end_and_before_the_start():
    rules = lot(buy_now_fen=yuan(3_000))

    _, late = play(rules, bid("ana", 3_000, END, buy_now=True))
    _, early = play(rules, bid("ana", 3_000, T0 - timedelta(seconds=1), buy_now=True))

    assert refusal(late) == RefusalReason.ENDED
    assert refusal(early) == RefusalReason.NOT_STARTED
    assert not buy_now_available(LotState.opening(rules), END)


def test_buy_now_on_a_lot_without_a_buy_now_price_is_refused():
    _, events = play(lot(), bid("ana", 3_000, buy_now=True))

    assert refusal(events) == RefusalReason.BUY_NOW_UNAVAILABLE


def test_after_buy_now_every_bid_is_refused():
    state, _ = play(lot(buy_now_fen=yuan(3_000)), bid("ana", 3_000, buy_now=True))

    _, events = apply_bid(state, bid("ben", 5_000, at(2)))

    assert refusal(events) == RefusalReason.CLOSED
    assert close(state, END + timedelta(days=1)) == (state, ())


def test_a_late_buy_now_does_not_extend_the_end():
    state, _ = play(
        lot(buy_now_fen=yuan(3_000)), bid("ana", 3_000, END - timedelta(seconds=5), buy_now=True)
    )

    assert state.ends_at == END


# -- closing and the runner-up ----------------------------------------------------------


def test_closing_before_the_end_changes_nothing():
    state, _ = play(lot(), bid("ana", 100))

    assert close(state, END - timedelta(seconds=1)) == (state, ())


def test_a_lot_with_a_leader_and_no_reserve_is_sold_at_the_price():
    state, _ = play(lot(), bid("ana", 1_000), bid("ben", 600))

    closed, events = close(state, END)

    assert closed.outcome.sold
    assert closed.outcome.winner_id == "ana"
    assert closed.outcome.price_fen == yuan(650)
    assert closed.outcome.reason == OutcomeReason.HIGHEST_BID
    assert events == (LotClosed(closed.outcome),)


def test_a_lot_whose_reserve_was_met_is_sold():
    state, _ = play(lot(reserve_fen=yuan(700)), bid("ana", 1_000))

    closed, _ = close(state, END)

    assert closed.outcome.sold
    assert closed.outcome.price_fen == yuan(700)


def test_a_lot_below_its_reserve_is_unsold():
    state, _ = play(lot(reserve_fen=yuan(700)), bid("ana", 600), bid("ben", 300))

    closed, _ = close(state, END)

    assert not closed.outcome.sold
    assert closed.outcome.reason == OutcomeReason.RESERVE_NOT_MET
    assert closed.outcome.winner_id is None


def test_a_lot_without_bids_is_unsold():
    closed, _ = close(LotState.opening(lot()), END)

    assert not closed.outcome.sold
    assert closed.outcome.reason == OutcomeReason.NO_BIDS


def test_closing_is_idempotent_and_dated_at_the_end_not_at_the_sweep():
    state, _ = play(lot(), bid("ana", 100, END - timedelta(minutes=1)))

    once, _ = close(state, END + timedelta(hours=3))
    twice, events = close(once, END + timedelta(hours=5))

    assert once.outcome.closed_at == END + timedelta(minutes=4)
    assert twice is once
    assert events == ()


def test_a_closed_lot_refuses_bids():
    state, _ = close(LotState.opening(lot()), END)

    _, events = apply_bid(state, bid("ana", 100))

    assert refusal(events) == RefusalReason.CLOSED
    assert state.minimum_bid_fen is None


def test_the_runner_up_is_the_best_other_maximum():
    state, _ = play(lot(), bid("ana", 300), bid("ben", 1_000), bid("cai", 700))

    assert runner_up(state).bidder_id == "cai"
    assert runner_up(state).max_fen == yuan(700)


def test_a_lone_bidder_has_no_runner_up():
    state, _ = play(lot(), bid("ana", 300))

    assert runner_up(state) is None


# -- bid log and replay -----------------------------------------------------------------


def test_the_bid_log_reads_like_an_auction_house_record():
    state, _ = play(
        lot(reserve_fen=yuan(1_000)),
        bid("ana", 500),  # ana opens at the start price
        bid("ben", 300),  # ben bids 300, ana's proxy answers 350
        bid("ben", 800),  # ana's proxy gives out at 500, ben leads at 550
        bid("ben", 2_000),  # ben's raise meets the reserve: the price rises to 1,000
        bid("ana", 1_500),  # ana bids 1,500, ben's proxy answers 1,600
    )

    assert log(state) == [
        ("ana", 100, False),
        ("ben", 300, False),
        ("ana", 350, True),
        ("ana", 500, True),
        ("ben", 550, False),
        ("ben", 1_000, True),
        ("ana", 1_500, False),
        ("ben", 1_600, True),
    ]
    assert state.bid_count == 5


def test_a_tie_is_logged_as_the_leader_answering_at_the_same_amount():
    state, _ = play(lot(), bid("ana", 800), bid("ben", 800))

    assert log(state) == [("ana", 100, False), ("ben", 800, False), ("ana", 800, True)]


def test_replay_folds_the_bids_in_order():
    bids = [bid("ana", 500), bid("ben", 300), bid("cai", 120), bid("ben", 900)]

    state, _ = play(lot(), *bids)

    assert replay(lot(), bids) == state


def test_replaying_after_a_retraction_decides_again():
    ben_late = bid("ben", 200, END + timedelta(minutes=1))
    bids = [bid("ana", 100, END - timedelta(minutes=2)), ben_late]
    assert replay(lot(), bids).leader_id == "ben"

    # Without ana's bid there is no extension, and ben's bid comes after the end.
    state = replay(lot(), [ben_late])

    assert state.leader is None
    assert state.bid_count == 0


def test_states_and_events_are_immutable():
    state, events = play(lot(), bid("ana", 100))

    with pytest.raises(dataclasses.FrozenInstanceError):
        state.price_fen = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].max_fen = 1  # type: ignore[misc]


def test_events_have_stable_kinds_for_fan_out():
    kinds = {type(e).kind for e in play(lot(), bid("ana", 100))[1]}

    assert kinds == {"bid_accepted", "leader_changed", "price_changed"}


# -- malformed input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "amount_not_positive"),
        (-100, "amount_not_positive"),
        (10**16, "amount_too_large"),
        (100.0, "amount_not_integer"),
        ("100", "amount_not_integer"),
        (True, "amount_not_integer"),
    ],
)
def test_a_malformed_amount_cannot_make_a_bid(amount, code):
    with pytest.raises(InvalidBid) as caught:
        Bid("ana", amount, at(1))

    assert caught.value.code == code


def test_a_bid_needs_an_aware_time():
    with pytest.raises(InvalidBid) as caught:
        Bid("ana", yuan(100), datetime(2025, 10, 1, 10, 1))

    assert caught.value.code == "naive_datetime"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"start_price_fen": 0}, "start_price_invalid"),
        ({"reserve_fen": yuan(50)}, "reserve_below_start"),
        ({"buy_now_fen": yuan(100)}, "buy_now_not_above_start"),
        ({"reserve_fen": yuan(800), "buy_now_fen": yuan(500)}, "buy_now_below_reserve"),
        ({"ends_at": T0}, "ends_before_start"),
        ({"starts_at": datetime(2025, 10, 1)}, "naive_datetime"),
        ({"soft_close_seconds": -1}, "soft_close_invalid"),
        ({"hard_stop": END - timedelta(seconds=1)}, "hard_stop_before_end"),
        ({"increments": [(0, 50)]}, "increments_invalid"),
    ],
)
def test_unworkable_lot_rules_are_refused(overrides, code):
    with pytest.raises(InvalidLotRules) as caught:
        lot(**overrides)

    assert caught.value.code == code


def test_the_engine_imports_no_django():
    code = (
        "import sys; import designmall.auctions.engine, designmall.auctions.increments; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
