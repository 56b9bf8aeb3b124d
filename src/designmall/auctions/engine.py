"""Proxy bidding for one lot. Pure: no Django, no clock, no I/O.

``apply_bid(state, bid) -> (state, events)`` is the whole engine: it takes an immutable
``LotState`` and a ``Bid`` (the server time of the bid is passed in, taken inside the lot's
lock) and returns the next state and what happened as small event values. ``replay`` folds
it over a list of bids, ``close`` derives the outcome once the end has passed, and
``runner_up`` gives the second-chance candidate. The Django side keeps the bids and the
derived state in the database; whatever it stores must equal ``replay(rules, bids)``.

Rules
-----
- **Minimum and grid.** The first bid is at least the start price; every later bid (the
  leader raising their maximum included) is at least ``next_valid(price)`` — the price plus
  the increment at the price, rounded up to the increment grid — and on the grid (see
  ``increments`` for the grid's exact definition).
- **Proxy.** A bid is a maximum; the engine bids for its bidder. With one bidder the price
  is the start price. When another bidder bids, the price becomes the runner-up's maximum
  plus one increment (``next_valid``), capped at the leader's maximum.
- **Ties.** At equal maximums the earlier bid leads. "Earlier" is the order in which bids
  are applied (the lot's lock order), not ``placed_at``: clocks of two web processes may
  disagree by a little, the lock order cannot.
- **Reserve.** When the leader's maximum reaches the hidden reserve, the price rises to
  exactly the reserve if it is below it (not rounded up to the grid: nobody is charged more
  than needed). The next minimum bid then rounds up to the grid.
- **Raising and lowering.** The leader may raise their maximum: the price stays, unless the
  raise reaches the reserve. The leader cannot outbid themselves: a bid by the leader is a
  raise, and one not above their current maximum is refused (``bid_not_above_own_maximum``).
- **Never above a maximum.** The price never exceeds the leader's maximum; a buy-now buyer
  pays exactly the buy-now price they agreed to.
- **Time.** A bid placed before ``starts_at`` is refused; one placed at or after the
  current end (``placed_at >= ends_at``) is refused whatever the client believed.
- **Soft close.** An accepted bid that changes what the public sees (the price or the
  leader) moves the end to ``placed_at + soft_close_seconds`` when that is later, never
  beyond ``hard_stop``. So only bids within the last N seconds extend, each at most once.
  A leader's raise that changes nothing visible does not extend: an extension without a
  price change would tell everyone the leader had just raised their maximum.
- **Buy now.** A ``Bid`` with ``buy_now=True`` whose ``max_fen`` equals the buy-now price
  (guarding against a stale page) ends the lot at once, sold at the buy-now price. It is
  offered while no bid exists, or while the lot has a reserve and the price is below it;
  once a bid exists on a lot without reserve, or the reserve is met, it is gone. The end
  time is left as it was; the outcome's ``closed_at`` is the buy-now time.
- **Closing.** ``close(state, now)`` is a no-op before the end and once closed (so a
  sweeper may run it any number of times). Sold when there is a leader and the reserve, if
  any, is met, at the current price; otherwise unsold (``no_bids``, ``reserve_not_met``).
  ``closed_at`` is the lot's end, not the time the sweeper ran.
- **Runner-up.** The bidder with the highest maximum other than the winner (the earlier
  at a tie) and that maximum; it may be below the reserve, the caller decides.
- **Refusals** leave the state untouched (the very same object) and emit one
  ``BidRefused`` with a stable reason code. A ``Bid`` that is malformed in itself (amount not
  a positive whole number of fen within range, naive datetime) cannot be built at all:
  ``InvalidBid``, a ``ValueError``; the caller validates input before building one.
- **Replays after a retraction** decide again: a bid accepted first may be refused in the
  replay (e.g. placed after an end that only the retracted bid had extended).

Bid log
-------
``state.steps`` is the public bid log, one ``Step`` (bidder, amount, automatic, the bid
that caused it, its time) per visible move, amounts never decreasing, the last one always
the leader at the current price:

- first bid: the bidder at the price (not automatic);
- a challenger who stays below (or ties) the leader: the challenger at their maximum, then
  the leader automatically at the new price;
- a challenger who takes the lead: the old leader automatically at their maximum (only if
  that is above the old price), then the challenger at the new price;
- the leader raising: nothing, unless the price rises to the reserve (leader, automatic);
- buy now: the buyer at the buy-now price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from designmall.core.money import MAX_FEN

from .increments import DEFAULT, IncrementTable

__all__ = [
    "Bid",
    "BidAccepted",
    "BidRefused",
    "BoughtNow",
    "EndExtended",
    "Event",
    "InvalidBid",
    "InvalidLotRules",
    "LeaderChanged",
    "LotClosed",
    "LotPhase",
    "LotRules",
    "LotState",
    "Outbid",
    "Outcome",
    "OutcomeReason",
    "PriceChanged",
    "RefusalReason",
    "ReserveMet",
    "Standing",
    "Step",
    "apply_bid",
    "buy_now_available",
    "close",
    "phase",
    "replay",
    "runner_up",
]

BidderId = int | str
BidId = int | str | None


class InvalidLotRules(ValueError):
    """Lot rules that cannot work; ``code`` is stable, ``field`` names the culprit."""

    def __init__(self, code: str, field: str, message: str):
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


class InvalidBid(ValueError):
    """A bid that is malformed in itself; ``code`` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class RefusalReason(StrEnum):
    CLOSED = "lot_closed"
    NOT_STARTED = "lot_not_started"
    ENDED = "lot_ended"
    NOT_ABOVE_OWN_MAX = "bid_not_above_own_maximum"
    BELOW_MINIMUM = "bid_below_minimum"
    OFF_GRID = "bid_off_grid"
    BUY_NOW_UNAVAILABLE = "buy_now_unavailable"
    BUY_NOW_AMOUNT_MISMATCH = "buy_now_amount_mismatch"


class OutcomeReason(StrEnum):
    HIGHEST_BID = "highest_bid"
    BOUGHT_NOW = "bought_now"
    NO_BIDS = "no_bids"
    RESERVE_NOT_MET = "reserve_not_met"


class LotPhase(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


def _is_fen(value: object, *, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_FEN


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


@dataclass(frozen=True, slots=True)
class LotRules:
    """What the operator set for a lot; fixed while it runs."""

    start_price_fen: int
    starts_at: datetime
    ends_at: datetime
    increments: IncrementTable = DEFAULT
    reserve_fen: int | None = None
    buy_now_fen: int | None = None
    soft_close_seconds: int = 300
    hard_stop: datetime | None = None

    def __post_init__(self) -> None:
        def fail(code: str, field: str, message: str) -> None:
            raise InvalidLotRules(code, field, message)

        if not _is_fen(self.start_price_fen, low=1):
            fail("start_price_invalid", "start_price_fen", "the start price must be 1 fen or more")
        if not isinstance(self.increments, IncrementTable):
            fail("increments_invalid", "increments", "increments must be an IncrementTable")
        if self.reserve_fen is not None and not (
            _is_fen(self.reserve_fen) and self.reserve_fen >= self.start_price_fen
        ):
            fail("reserve_below_start", "reserve_fen", "the reserve cannot be below the start")
        if self.buy_now_fen is not None:
            if not (_is_fen(self.buy_now_fen) and self.buy_now_fen > self.start_price_fen):
                fail("buy_now_not_above_start", "buy_now_fen", "buy now must be above the start")
            if self.reserve_fen is not None and self.buy_now_fen < self.reserve_fen:
                fail("buy_now_below_reserve", "buy_now_fen", "buy now cannot be below the reserve")
        for name in ("starts_at", "ends_at"):
            if not _is_aware(getattr(self, name)):
                fail("naive_datetime", name, f"{name} must be an aware datetime")
        if self.ends_at <= self.starts_at:
            fail("ends_before_start", "ends_at", "the lot must end after it starts")
        if (
            not isinstance(self.soft_close_seconds, int)
            or isinstance(self.soft_close_seconds, bool)
            or self.soft_close_seconds < 0
        ):
            fail("soft_close_invalid", "soft_close_seconds", "soft close is whole seconds, >= 0")
        if self.hard_stop is not None:
            if not _is_aware(self.hard_stop):
                fail("naive_datetime", "hard_stop", "hard_stop must be an aware datetime")
            if self.hard_stop < self.ends_at:
                fail("hard_stop_before_end", "hard_stop", "the hard stop cannot precede the end")

    def next_valid(self, price_fen: int) -> int:
        return self.increments.next_valid(price_fen, self.start_price_fen)

    def is_on_grid(self, amount_fen: int) -> bool:
        return self.increments.is_on_grid(amount_fen, self.start_price_fen)


@dataclass(frozen=True, slots=True)
class Bid:
    """A bidder's maximum, placed at server time ``placed_at``.

    ``bid_id`` is the caller's id for the bid (kept in steps and events, never interpreted).
    With ``buy_now=True`` it is a buy-now at ``max_fen``, which must equal the buy-now price.
    """

    bidder_id: BidderId
    max_fen: int
    placed_at: datetime
    bid_id: BidId = None
    buy_now: bool = False

    def __post_init__(self) -> None:
        if self.bidder_id is None:
            raise InvalidBid("bidder_missing", "a bid needs a bidder")
        if isinstance(self.max_fen, bool) or not isinstance(self.max_fen, int):
            raise InvalidBid("amount_not_integer", "a bid is a whole number of fen")
        if self.max_fen <= 0:
            raise InvalidBid("amount_not_positive", "a bid must be above 0")
        if self.max_fen > MAX_FEN:
            raise InvalidBid("amount_too_large", "a bid cannot be that large")
        if not _is_aware(self.placed_at):
            raise InvalidBid("naive_datetime", "placed_at must be an aware datetime")
        if not isinstance(self.buy_now, bool):
            raise InvalidBid("buy_now_not_bool", "buy_now is True or False")


@dataclass(frozen=True, slots=True)
class Standing:
    """A bidder's current maximum and the bid that set it."""

    bidder_id: BidderId
    max_fen: int
    bid_id: BidId
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the public bid log."""

    bidder_id: BidderId
    amount_fen: int
    automatic: bool
    bid_id: BidId
    at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    sold: bool
    reason: OutcomeReason
    closed_at: datetime
    winner_id: BidderId | None = None
    price_fen: int | None = None


@dataclass(frozen=True, slots=True)
class LotState:
    """Everything the engine knows about a lot. Build the first one with ``opening``."""

    rules: LotRules
    ends_at: datetime
    price_fen: int | None = None
    leader: Standing | None = None
    runner_up: Standing | None = None
    bid_count: int = 0
    steps: tuple[Step, ...] = ()
    outcome: Outcome | None = None

    @classmethod
    def opening(cls, rules: LotRules) -> LotState:
        return cls(rules=rules, ends_at=rules.ends_at)

    @property
    def closed(self) -> bool:
        return self.outcome is not None

    @property
    def leader_id(self) -> BidderId | None:
        return None if self.leader is None else self.leader.bidder_id

    @property
    def reserve_met(self) -> bool:
        """True when the lot has no reserve or the price has reached it."""
        reserve = self.rules.reserve_fen
        return reserve is None or (self.price_fen is not None and self.price_fen >= reserve)

    @property
    def minimum_bid_fen(self) -> int | None:
        """The least a new bid may be (``None`` once closed)."""
        if self.closed:
            return None
        if self.price_fen is None:
            return self.rules.start_price_fen
        return self.rules.next_valid(self.price_fen)


# -- events -----------------------------------------------------------------------------


class Event:
    """Base of the engine's events; ``kind`` is a stable name for fan-out."""

    __slots__ = ()
    kind: ClassVar[str] = "event"


@dataclass(frozen=True, slots=True)
class BidAccepted(Event):
    kind: ClassVar[str] = "bid_accepted"
    bid_id: BidId
    bidder_id: BidderId
    max_fen: int
    leading: bool


@dataclass(frozen=True, slots=True)
class BidRefused(Event):
    kind: ClassVar[str] = "bid_refused"
    bid_id: BidId
    bidder_id: BidderId
    reason: RefusalReason
    minimum_fen: int | None


@dataclass(frozen=True, slots=True)
class LeaderChanged(Event):
    kind: ClassVar[str] = "leader_changed"
    previous_id: BidderId | None
    leader_id: BidderId


@dataclass(frozen=True, slots=True)
class Outbid(Event):
    """``bidder_id`` led and no longer does."""

    kind: ClassVar[str] = "outbid"
    bidder_id: BidderId
    price_fen: int


@dataclass(frozen=True, slots=True)
class PriceChanged(Event):
    kind: ClassVar[str] = "price_changed"
    previous_fen: int | None
    price_fen: int


@dataclass(frozen=True, slots=True)
class ReserveMet(Event):
    kind: ClassVar[str] = "reserve_met"
    price_fen: int


@dataclass(frozen=True, slots=True)
class EndExtended(Event):
    kind: ClassVar[str] = "end_extended"
    previous_ends_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class BoughtNow(Event):
    kind: ClassVar[str] = "bought_now"
    bidder_id: BidderId
    price_fen: int


@dataclass(frozen=True, slots=True)
class LotClosed(Event):
    kind: ClassVar[str] = "lot_closed"
    outcome: Outcome


# -- the engine -------------------------------------------------------------------------


def _buy_now_offered(state: LotState) -> bool:
    rules = state.rules
    if rules.buy_now_fen is None or state.closed:
        return False
    if state.price_fen is None:
        return True
    return rules.reserve_fen is not None and state.price_fen < rules.reserve_fen


def buy_now_available(state: LotState, now: datetime) -> bool:
    """Whether a buy-now at ``now`` would be accepted (for showing the button)."""
    return _buy_now_offered(state) and state.rules.starts_at <= now < state.ends_at


def phase(state: LotState, now: datetime) -> LotPhase:
    """Scheduled before the start, closed once closed or past the (possibly moved) end."""
    if state.closed or now >= state.ends_at:
        return LotPhase.CLOSED
    if now < state.rules.starts_at:
        return LotPhase.SCHEDULED
    return LotPhase.OPEN


_NO_MINIMUM = frozenset({RefusalReason.CLOSED, RefusalReason.ENDED})  # no next bid to quote


def _refusal(state: LotState, bid: Bid) -> RefusalReason | None:
    rules = state.rules
    if state.closed:
        return RefusalReason.CLOSED
    if bid.placed_at < rules.starts_at:
        return RefusalReason.NOT_STARTED
    if bid.placed_at >= state.ends_at:
        return RefusalReason.ENDED
    if bid.buy_now:
        if not _buy_now_offered(state):
            return RefusalReason.BUY_NOW_UNAVAILABLE
        if bid.max_fen != rules.buy_now_fen:
            return RefusalReason.BUY_NOW_AMOUNT_MISMATCH
        return None
    leader = state.leader
    if leader is not None and leader.bidder_id == bid.bidder_id and bid.max_fen <= leader.max_fen:
        return RefusalReason.NOT_ABOVE_OWN_MAX
    minimum = state.minimum_bid_fen
    assert minimum is not None  # not closed
    if bid.max_fen < minimum:
        return RefusalReason.BELOW_MINIMUM
    if not rules.is_on_grid(bid.max_fen):
        return RefusalReason.OFF_GRID
    return None


def apply_bid(state: LotState, bid: Bid) -> tuple[LotState, tuple[Event, ...]]:
    """Apply one bid (or buy-now) to a lot: the next state and what happened.

    A refused bid returns ``state`` itself and a single ``BidRefused``. An accepted one
    returns the new state and, in this order: ``BidAccepted``, then as they apply
    ``LeaderChanged`` and ``Outbid`` (the previous leader), ``PriceChanged``,
    ``ReserveMet``, ``EndExtended``, and for a buy-now ``BoughtNow`` and ``LotClosed``.
    """
    reason = _refusal(state, bid)
    if reason is not None:
        minimum = None if reason in _NO_MINIMUM else state.minimum_bid_fen
        return state, (BidRefused(bid.bid_id, bid.bidder_id, reason, minimum),)

    rules = state.rules
    old_leader, old_price = state.leader, state.price_fen
    standing = Standing(bid.bidder_id, bid.max_fen, bid.bid_id, bid.placed_at)
    steps: list[Step] = []

    def step(bidder_id: BidderId, amount_fen: int, automatic: bool) -> None:
        steps.append(Step(bidder_id, amount_fen, automatic, bid.bid_id, bid.placed_at))

    if bid.buy_now:
        price = bid.max_fen
        leader = standing
        runner = (
            old_leader
            if old_leader is not None and old_leader.bidder_id != bid.bidder_id
            else state.runner_up
        )
        step(bid.bidder_id, price, False)
    elif old_leader is None or old_price is None:
        leader, runner = standing, state.runner_up
        price = _with_reserve(rules, leader, rules.start_price_fen)
        step(bid.bidder_id, price, False)
    elif old_leader.bidder_id == bid.bidder_id:
        leader, runner = standing, state.runner_up
        price = _with_reserve(rules, leader, old_price)
        if price != old_price:
            step(bid.bidder_id, price, True)
    elif bid.max_fen > old_leader.max_fen:
        leader, runner = standing, old_leader
        price = _with_reserve(rules, leader, min(bid.max_fen, rules.next_valid(old_leader.max_fen)))
        if old_leader.max_fen > old_price:
            step(old_leader.bidder_id, old_leader.max_fen, True)
        step(bid.bidder_id, price, False)
    else:  # the challenger stays at or below the leader's maximum: the leader keeps it
        leader, runner = old_leader, standing
        price = _with_reserve(rules, leader, min(old_leader.max_fen, rules.next_valid(bid.max_fen)))
        step(bid.bidder_id, bid.max_fen, False)
        step(leader.bidder_id, price, True)

    events: list[Event] = [
        BidAccepted(bid.bid_id, bid.bidder_id, bid.max_fen, leader.bidder_id == bid.bidder_id)
    ]
    leader_changed = old_leader is None or old_leader.bidder_id != leader.bidder_id
    if leader_changed:
        events.append(
            LeaderChanged(None if old_leader is None else old_leader.bidder_id, leader.bidder_id)
        )
        if old_leader is not None:
            events.append(Outbid(old_leader.bidder_id, price))
    if price != old_price:
        events.append(PriceChanged(old_price, price))
    reserve = rules.reserve_fen
    if reserve is not None and (old_price is None or old_price < reserve) and price >= reserve:
        events.append(ReserveMet(price))

    ends_at = state.ends_at
    outcome = None
    if bid.buy_now:
        outcome = Outcome(
            sold=True,
            reason=OutcomeReason.BOUGHT_NOW,
            closed_at=bid.placed_at,
            winner_id=bid.bidder_id,
            price_fen=price,
        )
        events += [BoughtNow(bid.bidder_id, price), LotClosed(outcome)]
    elif leader_changed or price != old_price:
        extended = bid.placed_at + timedelta(seconds=rules.soft_close_seconds)
        if rules.hard_stop is not None:
            extended = min(extended, rules.hard_stop)
        if extended > ends_at:
            events.append(EndExtended(ends_at, extended))
            ends_at = extended

    new_state = replace(
        state,
        ends_at=ends_at,
        price_fen=price,
        leader=leader,
        runner_up=runner,
        bid_count=state.bid_count + 1,
        steps=state.steps + tuple(steps),
        outcome=outcome,
    )
    return new_state, tuple(events)


def _with_reserve(rules: LotRules, leader: Standing, price: int) -> int:
    """The price raised to the reserve once the leader's maximum reaches it."""
    reserve = rules.reserve_fen
    if reserve is not None and leader.max_fen >= reserve and price < reserve:
        return reserve
    return price


def replay(rules: LotRules, bids: Iterable[Bid]) -> LotState:
    """The state after applying ``bids`` in order to a fresh lot (refused ones change nothing)."""
    state = LotState.opening(rules)
    for bid in bids:
        state, _events = apply_bid(state, bid)
    return state


def close(state: LotState, now: datetime) -> tuple[LotState, tuple[Event, ...]]:
    """Settle the outcome once ``now`` has reached the end; idempotent, a no-op before it."""
    if state.closed or now < state.ends_at:
        return state, ()
    if state.leader is None or state.price_fen is None:
        outcome = Outcome(sold=False, reason=OutcomeReason.NO_BIDS, closed_at=state.ends_at)
    elif not state.reserve_met:
        outcome = Outcome(sold=False, reason=OutcomeReason.RESERVE_NOT_MET, closed_at=state.ends_at)
    else:
        outcome = Outcome(
            sold=True,
            reason=OutcomeReason.HIGHEST_BID,
            closed_at=state.ends_at,
            winner_id=state.leader.bidder_id,
            price_fen=state.price_fen,
        )
    return replace(state, outcome=outcome), (LotClosed(outcome),)


def runner_up(state: LotState) -> Standing | None:
    """The best maximum of anyone but the leader (or buy-now buyer), for a second chance."""
    return state.runner_up
