"""Between a ``Lot`` row and the pure engine: the lot's rules, its state rebuilt from the
snapshot columns, and the snapshot written back.

The choice: each bid is applied to the state rebuilt from the snapshot (a handful of
columns read with the lot's row lock), not to a replay of every bid, so a bid costs the
same on the 2,000th bid as on the first. What keeps it honest is that the snapshot is
written only from an engine state, in the transaction that applied the bid, under the
lock; the invariant "the lot equals ``engine.replay`` of its accepted, unretracted bids in
sequence order" is checked by ``selectors.lot_verify`` (and the concurrency tests).
A retraction is the one place that replays: the remaining bids decide again.

The end is final. ``lot_ended`` says whether a lot's end has come, from the clock (the end
with its soft-close extensions) and the engine's own outcome (a buy-now), not from the
settled status alone: between the end and the sweeper's settling nothing may change the
result. Every action on a lot (a bid, a retraction, a change of its rules or times, a
deposit) asks it about the row it locked, with the time taken inside the lock.

Engine ids: a bidder is the user's primary key; a bid is its ``sequence`` on the lot (the
lock order), so a replay from the ``Bid`` rows gives the very same state.
"""

from __future__ import annotations

from datetime import datetime

from designmall.auctions import engine
from designmall.auctions.increments import IncrementTable as Increments
from designmall.auctions.models import Bid, BidStep, IncrementTable, Lot, LotOutcome, LotStatus

SNAPSHOT_FIELDS = (
    "ends_at",
    "price_fen",
    "bid_count",
    "leader",
    "leader_max_fen",
    "leader_seq",
    "leader_placed_at",
    "runner_up",
    "runner_up_max_fen",
    "runner_up_seq",
    "runner_up_placed_at",
    "outcome",
    "closed_at",
    "winner",
    "hammer_fen",
)


def lot_increments(lot: Lot) -> Increments:
    """The lot's own bands if it has them, else its table's."""
    if lot.increments_override:
        return Increments.from_data(lot.increments_override)
    return table_increments(lot.increment_table)


def table_increments(table: IncrementTable) -> Increments:
    return Increments.from_data(table.bands)


def lot_rules(lot: Lot) -> engine.LotRules:
    """The rules the operator set (raises ``engine.InvalidLotRules`` if they cannot work)."""
    return engine.LotRules(
        start_price_fen=lot.start_price_fen,
        starts_at=lot.starts_at,
        ends_at=lot.scheduled_end_at,
        increments=lot_increments(lot),
        reserve_fen=lot.reserve_fen,
        buy_now_fen=lot.buy_now_fen,
        soft_close_seconds=lot.soft_close_minutes * 60,
        hard_stop=lot.hard_stop_at,
    )


def _standing(bidder_id, max_fen, seq, placed_at) -> engine.Standing | None:
    if bidder_id is None:
        return None
    return engine.Standing(bidder_id, max_fen, seq, placed_at)


def _outcome(lot: Lot) -> engine.Outcome | None:
    """The engine's outcome once it closed the lot (a buy-now, or the sweeper's close)."""
    if not lot.outcome:
        return None
    reason = {
        LotOutcome.HIGHEST_BID: engine.OutcomeReason.HIGHEST_BID,
        LotOutcome.BOUGHT_NOW: engine.OutcomeReason.BOUGHT_NOW,
        LotOutcome.NO_BIDS: engine.OutcomeReason.NO_BIDS,
        LotOutcome.RESERVE_NOT_MET: engine.OutcomeReason.RESERVE_NOT_MET,
    }[lot.outcome]
    sold = reason in (engine.OutcomeReason.HIGHEST_BID, engine.OutcomeReason.BOUGHT_NOW)
    return engine.Outcome(
        sold=sold,
        reason=reason,
        closed_at=lot.closed_at,
        winner_id=lot.winner_id if sold else None,
        price_fen=lot.hammer_fen if sold else None,
    )


def lot_state(lot: Lot, rules: engine.LotRules | None = None) -> engine.LotState:
    """The engine state the snapshot holds (without the bid log: the engine only appends
    to it, and the log is kept as ``BidStep`` rows)."""
    return engine.LotState(
        rules=rules or lot_rules(lot),
        ends_at=lot.ends_at,
        price_fen=lot.price_fen,
        leader=_standing(lot.leader_id, lot.leader_max_fen, lot.leader_seq, lot.leader_placed_at),
        runner_up=_standing(
            lot.runner_up_id, lot.runner_up_max_fen, lot.runner_up_seq, lot.runner_up_placed_at
        ),
        bid_count=lot.bid_count,
        steps=(),
        outcome=_outcome(lot),
    )


def lot_ended(lot: Lot, now: datetime) -> bool:
    """Whether ``lot``'s end has come at ``now``: settled, closed by the engine (a buy-now),
    or ``now`` at or past its end, soft-close extensions included (``engine.phase`` on the
    snapshot). From then on its winner and price are final, settled or not yet. Ask it of
    the locked row with ``now`` taken inside the lock (``services.lot_locked``)."""
    return lot.status != LotStatus.ACTIVE or bool(lot.outcome) or now >= lot.ends_at


def snapshot_set(lot: Lot, state: engine.LotState) -> list[str]:
    """Copy ``state`` into the lot's snapshot columns (not saved); returns their names."""
    lot.ends_at = state.ends_at
    lot.price_fen = state.price_fen
    lot.bid_count = state.bid_count
    leader, runner = state.leader, state.runner_up
    lot.leader_id = leader.bidder_id if leader else None
    lot.leader_max_fen = leader.max_fen if leader else None
    lot.leader_seq = leader.bid_id if leader else None
    lot.leader_placed_at = leader.placed_at if leader else None
    lot.runner_up_id = runner.bidder_id if runner else None
    lot.runner_up_max_fen = runner.max_fen if runner else None
    lot.runner_up_seq = runner.bid_id if runner else None
    lot.runner_up_placed_at = runner.placed_at if runner else None
    outcome = state.outcome
    lot.outcome = LotOutcome(outcome.reason.value) if outcome else ""
    lot.closed_at = outcome.closed_at if outcome else None
    lot.winner_id = outcome.winner_id if outcome else None
    lot.hammer_fen = outcome.price_fen if outcome else None
    return list(SNAPSHOT_FIELDS)


def engine_bid(bid: Bid) -> engine.Bid:
    return engine.Bid(
        bidder_id=bid.bidder_id,
        max_fen=bid.max_fen,
        placed_at=bid.placed_at,
        bid_id=bid.sequence,
        buy_now=bid.buy_now,
    )


def counted_bids(lot: Lot) -> list[Bid]:
    """The bids the state is a replay of: accepted, not retracted, in lock order."""
    return list(
        Bid.objects.filter(lot=lot, accepted=True, retracted=False)
        .exclude(sequence=None)
        .order_by("sequence")
    )


def lot_replay(lot: Lot) -> engine.LotState:
    """The state from scratch: ``engine.replay`` of the counted bids."""
    return engine.replay(lot_rules(lot), [engine_bid(b) for b in counted_bids(lot)])


def steps_rows(lot: Lot, steps: tuple[engine.Step, ...], *, first: int) -> list[BidStep]:
    """``BidStep`` rows for ``steps``, numbered from ``first``."""
    return [
        BidStep(
            lot=lot,
            position=first + n,
            bidder_id=step.bidder_id,
            amount_fen=step.amount_fen,
            automatic=step.automatic,
            bid_sequence=step.bid_id,
            at=step.at,
        )
        for n, step in enumerate(steps)
    ]
