"""The engine against a deliberately naive reference, over random bid sequences.

The reference keeps nothing but the list of accepted bids. Whenever it needs the lot's
state it recomputes it from that list from scratch: every bidder's maximum is their latest
accepted bid, the ranking is (maximum desc, bid order asc), the price is the competition
price at the last bid that was not the leader raising their own maximum, raised to the
reserve if the leader's maximum reaches it; the end is the initial end moved by every
accepted bid that changed the price or the leader. The grid is an enumerated set. For
random rules and random bidders, amounts (on and off the grid, raises, lowerings, buy-now)
and times (before the start, around and after the end), the engine's decisions, refusal
reasons, leader, price, end, bid log, outcome and runner-up equal the reference's, and the
engine's invariants hold after every bid.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from designmall.auctions.engine import (
    Bid,
    BidAccepted,
    BidRefused,
    LotRules,
    LotState,
    OutcomeReason,
    RefusalReason,
    apply_bid,
    close,
    replay,
    runner_up,
)
from designmall.auctions.increments import IncrementTable

T0 = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)
BIDDERS = ["a", "b", "c", "d"]
# The design week's table in yuan, read as fen, so a few bands are crossed with small numbers.
DESIGN_WEEK = [(0, 50), (1_000, 100), (5_000, 500), (20_000, 1_000), (100_000, 5_000)]


# -- the reference ----------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    bidder: str
    amount: int
    at: datetime
    buy_now: bool


class Reference:
    """A lot as a list of accepted bids; everything else is recomputed from it."""

    def __init__(self, rules: LotRules, bands: list[tuple[int, int]]):
        self.rules = rules
        self.bands = bands
        # The grid is enumerated up to a limit far above anything a sequence can reach.
        self.limit = bands[-1][0] + 5_000 + 400 * max(step for _, step in bands)
        self.grid = self._enumerate_grid()
        self.ladder = sorted(self.grid)
        self.accepted: list[Action] = []
        self._snapshots: dict[int, tuple] = {}  # prefix length -> (leader, price); pure cache

    def _enumerate_grid(self) -> set[int]:
        start = self.rules.start_price_fen
        grid = set()
        for index, (band_start, step) in enumerate(self.bands):
            end = self.bands[index + 1][0] if index + 1 < len(self.bands) else self.limit
            anchor = start if band_start <= start < end else band_start
            grid.update(g for g in range(anchor, min(end, self.limit), step) if g >= start)
        return grid

    def step_at(self, amount: int) -> int:
        return [step for band_start, step in self.bands if band_start <= amount][-1]

    def at_or_above(self, amount: int) -> int:
        """The smallest grid amount at or above ``amount``."""
        index = bisect_left(self.ladder, amount)
        assert index < len(self.ladder) - 10, "amounts grew past the enumerated grid"
        return self.ladder[index]

    def next_valid(self, price: int) -> int:
        return self.at_or_above(price + self.step_at(price))

    @staticmethod
    def ranking(accepted: list[Action]) -> list[tuple[str, int, int]]:
        """``(bidder, max, index of the bid that set it)``, best first."""
        latest: dict[str, tuple[int, int]] = {}
        for index, action in enumerate(accepted):
            if not action.buy_now:
                latest[action.bidder] = (action.amount, index)
        return sorted(
            ((bidder, amount, index) for bidder, (amount, index) in latest.items()),
            key=lambda row: (-row[1], row[2]),
        )

    def snapshot(self, length: int) -> tuple[tuple[str, int] | None, int | None]:
        """``((leader, leader max) or None, price or None)`` after the first ``length`` bids."""
        if length not in self._snapshots:
            self._snapshots[length] = self._compute(self.accepted[:length])
        return self._snapshots[length]

    def _compute(self, accepted: list[Action]):
        if not accepted:
            return None, None
        if accepted[-1].buy_now:
            return (accepted[-1].bidder, accepted[-1].amount), accepted[-1].amount
        ranked = self.ranking(accepted)
        leader = ranked[0]
        # The last bid by someone other than the leader of the time before it.
        last = max(
            j
            for j in range(len(accepted))
            if self.snapshot(j)[0] is None or self.snapshot(j)[0][0] != accepted[j].bidder
        )
        then = self.ranking(accepted[: last + 1])
        if len(then) == 1:
            price = self.rules.start_price_fen
        else:
            price = min(then[0][1], self.next_valid(then[1][1]))
        reserve = self.rules.reserve_fen
        if reserve is not None and leader[1] >= reserve:
            price = max(price, reserve)
        return (leader[0], leader[1]), price

    def visible(self, length: int) -> tuple[str | None, int | None]:
        """What the public sees after ``length`` bids: the leader and the price."""
        leader, price = self.snapshot(length)
        return (None if leader is None else leader[0]), price

    def ends_at(self) -> datetime:
        ends = self.rules.ends_at
        window = timedelta(seconds=self.rules.soft_close_seconds)
        for j, action in enumerate(self.accepted):
            if not action.buy_now and self.visible(j) != self.visible(j + 1):
                moved = action.at + window
                if self.rules.hard_stop is not None:
                    moved = min(moved, self.rules.hard_stop)
                ends = max(ends, moved)
        return ends

    @property
    def leader(self):
        return self.snapshot(len(self.accepted))[0]

    @property
    def price(self):
        return self.snapshot(len(self.accepted))[1]

    def minimum(self) -> int:
        return self.rules.start_price_fen if self.price is None else self.next_valid(self.price)

    def decide(self, action: Action) -> RefusalReason | None:
        rules = self.rules
        if self.accepted and self.accepted[-1].buy_now:
            return RefusalReason.CLOSED
        if action.at < rules.starts_at:
            return RefusalReason.NOT_STARTED
        if action.at >= self.ends_at():
            return RefusalReason.ENDED
        if action.buy_now:
            offered = rules.buy_now_fen is not None and (
                self.price is None
                or (rules.reserve_fen is not None and self.leader[1] < rules.reserve_fen)
            )
            if not offered:
                return RefusalReason.BUY_NOW_UNAVAILABLE
            if action.amount != rules.buy_now_fen:
                return RefusalReason.BUY_NOW_AMOUNT_MISMATCH
            return None
        leader = self.leader
        if leader is not None and leader[0] == action.bidder and action.amount <= leader[1]:
            return RefusalReason.NOT_ABOVE_OWN_MAX
        if action.amount < self.minimum():
            return RefusalReason.BELOW_MINIMUM
        if action.amount not in self.grid:
            return RefusalReason.OFF_GRID
        return None

    def log_for(self, index: int) -> list[tuple[str, int, bool]]:
        """The public log lines the accepted bid ``index`` adds."""
        action = self.accepted[index]
        (old_leader, old_price), (new_leader, new_price) = (
            self.snapshot(index),
            self.snapshot(index + 1),
        )
        if action.buy_now or old_leader is None:
            return [(action.bidder, new_price, False)]
        if old_leader[0] == action.bidder:
            return [(action.bidder, new_price, True)] if new_price != old_price else []
        if new_leader[0] == action.bidder:
            revealed = [(old_leader[0], old_leader[1], True)] if old_leader[1] > old_price else []
            return [*revealed, (action.bidder, new_price, False)]
        return [(action.bidder, action.amount, False), (new_leader[0], new_price, True)]

    def bid_log(self) -> list[tuple[str, int, bool]]:
        return [line for index in range(len(self.accepted)) for line in self.log_for(index)]

    def outcome(self):
        """``(sold, reason, winner, price)`` once closed."""
        if self.accepted and self.accepted[-1].buy_now:
            return True, OutcomeReason.BOUGHT_NOW, self.leader[0], self.price
        if self.leader is None:
            return False, OutcomeReason.NO_BIDS, None, None
        reserve = self.rules.reserve_fen
        if reserve is not None and self.leader[1] < reserve:
            return False, OutcomeReason.RESERVE_NOT_MET, None, None
        return True, OutcomeReason.HIGHEST_BID, self.leader[0], self.price

    def runner_up(self) -> tuple[str, int] | None:
        winner = self.leader[0] if self.leader else None
        others = [row for row in self.ranking(self.accepted) if row[0] != winner]
        return (others[0][0], others[0][1]) if others else None


# -- strategies -------------------------------------------------------------------------


@st.composite
def band_lists(draw):
    if draw(st.integers(0, 4)) == 0:
        return DESIGN_WEEK
    starts = sorted(draw(st.lists(st.integers(1, 600), max_size=3, unique=True)))
    return [(start, draw(st.integers(1, 40))) for start in [0, *starts]]


@st.composite
def lots(draw):
    bands = draw(band_lists())
    start = draw(st.integers(1, 300))
    reserve = draw(st.none() | st.integers(start, start + 800))
    buy_now = draw(st.none() | st.integers(max(start + 1, reserve or 0), start + 1_500))
    ends_at = T0 + timedelta(seconds=draw(st.sampled_from([120, 600, 1_800, 3_600])))
    hard_stop = draw(st.none() | st.integers(0, 900).map(lambda s: ends_at + timedelta(seconds=s)))
    rules = LotRules(
        start_price_fen=start,
        starts_at=T0,
        ends_at=ends_at,
        increments=IncrementTable.from_bands(bands),
        reserve_fen=reserve,
        buy_now_fen=buy_now,
        soft_close_seconds=draw(st.sampled_from([0, 30, 120, 300, 600])),
        hard_stop=hard_stop,
    )
    return rules, bands


# What a bidder does, weighted towards bids that can be accepted so sequences get long:
# "grid" k: the k-th grid amount from the minimum up; "off" n: the minimum plus n (often
# off the grid); "raw" n: any amount; "own" k: k grid amounts from the bidder's own maximum
# (lowering, repeating or raising it); "buy_now" n: a buy-now, the wrong amount one in three.
amounts = st.one_of(
    st.tuples(st.just("grid"), st.integers(0, 4)),
    st.tuples(st.sampled_from(["grid", "grid", "grid", "own", "off"]), st.integers(-2, 4)),
    st.tuples(st.sampled_from(["raw", "buy_now"]), st.integers(0, 3_000)),
)
# Seconds between bids: mostly a bidding war, now and then a long pause (or a clock going
# back a little: order of arrival, not the time, decides).
gaps = st.tuples(st.integers(0, 9), st.integers(0, 30), st.integers(-20, 600)).map(
    lambda drawn: drawn[2] if drawn[0] == 0 else drawn[1]
)
intents = st.lists(st.tuples(st.sampled_from(BIDDERS), amounts, gaps), min_size=12, max_size=50)


def resolve(reference: Reference, bidder: str, spec: tuple, at: datetime) -> Action:
    """Turn a drawn intent into a concrete action, using the reference's view of the lot."""
    kind, value = spec
    rules = reference.rules
    ladder = reference.ladder
    if kind == "buy_now":
        amount = rules.buy_now_fen or rules.start_price_fen + 1
        return Action(bidder, amount + 1 if value % 3 == 0 else amount, at, True)
    if kind == "grid":
        amount = ladder[bisect_left(ladder, reference.minimum()) + abs(value)]
    elif kind == "off":
        amount = max(1, reference.minimum() + value)
    elif kind == "raw":
        amount = max(1, value)
    else:
        own = [row[1] for row in reference.ranking(reference.accepted) if row[0] == bidder]
        base = own[0] if own else reference.minimum()
        amount = ladder[max(0, bisect_right(ladder, base) - 1 + value)]
    return Action(bidder, amount, at, False)


# -- the properties ---------------------------------------------------------------------


def check_invariants(state: LotState, previous: LotState, accepted: list[Action], initial_end):
    leader = state.leader
    assert leader is not None and state.price_fen is not None
    assert state.price_fen <= leader.max_fen, "price above the leader's maximum"
    assert previous.price_fen is None or state.price_fen >= previous.price_fen, "price fell"
    assert state.ends_at >= previous.ends_at, "the end moved back"
    hard_stop = state.rules.hard_stop
    assert hard_stop is None or state.ends_at <= max(initial_end, hard_stop)
    assert [s.amount_fen for s in state.steps] == sorted(s.amount_fen for s in state.steps)
    assert (state.steps[-1].bidder_id, state.steps[-1].amount_fen) == (
        leader.bidder_id,
        state.price_fen,
    )
    if state.closed:  # bought now: the maximums below are bids, the buyer paid the price
        return
    current: dict[str, tuple[int, int]] = {}
    for index, action in enumerate(accepted):
        current[action.bidder] = (action.amount, index)
    for bidder, (amount, index) in current.items():
        if bidder == leader.bidder_id:
            continue
        assert amount <= state.price_fen, "a losing maximum above the price"
        if amount == state.price_fen:  # a tie: the leader must have been there first
            reached = min(
                j
                for j, a in enumerate(accepted)
                if a.bidder == leader.bidder_id and a.amount >= amount
            )
            assert reached < index, "a later bid leads a tie"


@settings(max_examples=500, deadline=None)
@given(lots(), intents, st.integers(-60, 120), st.integers(-600, 1_200))
def test_the_engine_agrees_with_the_brute_force_reference(lot, drawn, first_at, close_after):
    rules, bands = lot
    reference = Reference(rules, bands)
    state = LotState.opening(rules)
    at = T0 + timedelta(seconds=first_at)
    accepted_bids: list[Bid] = []

    for number, (bidder, spec, gap) in enumerate(drawn):
        action = resolve(reference, bidder, spec, at)
        bid = Bid(action.bidder, action.amount, action.at, bid_id=number, buy_now=action.buy_now)
        expected = reference.decide(action)

        previous = state
        state, events = apply_bid(state, bid)

        event(f"seen: {expected or 'accepted'}")
        event(f"seen: {'+'.join(sorted({type(e).kind for e in events}))}")
        if expected is None:
            assert isinstance(events[0], BidAccepted), (events, action)
            reference.accepted.append(action)
            accepted_bids.append(bid)
            check_invariants(state, previous, reference.accepted, rules.ends_at)
        else:
            minimum = (
                None
                if expected in (RefusalReason.CLOSED, RefusalReason.ENDED)
                else (reference.minimum())
            )
            assert events == (BidRefused(number, bidder, expected, minimum),), (events, action)
            assert state is previous
        assert (None if state.leader is None else (state.leader_id, state.leader.max_fen)) == (
            reference.leader
        )
        assert state.price_fen == reference.price
        assert state.ends_at == reference.ends_at()
        assert state.closed == bool(reference.accepted and reference.accepted[-1].buy_now)
        at += timedelta(seconds=gap)

    assert [(s.bidder_id, s.amount_fen, s.automatic) for s in state.steps] == reference.bid_log()
    assert state.bid_count == len(reference.accepted)
    event(f"accepted bids: {min(len(accepted_bids) // 5 * 5, 15)}+")
    standing = runner_up(state)
    assert (None if standing is None else (standing.bidder_id, standing.max_fen)) == (
        reference.runner_up()
    )
    # The result is a replay of the accepted bids alone (what the database keeps).
    assert replay(rules, accepted_bids) == state

    now = state.ends_at + timedelta(seconds=close_after)
    closed, _ = close(state, now)
    if state.closed or now >= state.ends_at:
        outcome = closed.outcome
        assert (outcome.sold, outcome.reason, outcome.winner_id, outcome.price_fen) == (
            reference.outcome()
        )
    else:
        assert closed is state
