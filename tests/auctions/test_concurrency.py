"""Real concurrent connections on PostgreSQL: a hot lot takes bursts of bids from many
bidders and ends exactly where a replay of its bids in commit order ends; no bid is lost;
the end moves correctly when bids race it; bids after it are refused; settling and paying
race the sweepers without deadlocks or double effects."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta

import pytest

from designmall.auctions import engine
from designmall.auctions.models import Bid, DepositStatus, Lot, LotStatus
from designmall.auctions.selectors import lot_verify
from designmall.auctions.services import BidRefused, bid_place
from designmall.auctions.settlement import lot_checkout_create, lot_finalize, lot_payment_overdue
from designmall.auctions.snapshot import engine_bid, lot_rules, lot_state
from designmall.core import clock
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import Refund
from designmall.payments.services import notification_receive
from tests.auctions.conftest import bid, fresh, paid_deposit, run_jobs, yuan
from tests.concurrency import concurrently
from tests.factories import make_category, make_lot, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _decisions_replay(lot: Lot) -> None:
    """Every recorded decision, in sequence (lock, hence commit) order, is the engine's:
    replaying all sequenced bids accepts and refuses exactly the same ones, and server
    times never go back in that order."""
    bids = list(Bid.objects.filter(lot=lot).exclude(sequence=None).order_by("sequence"))
    state = engine.LotState.opening(lot_rules(lot))
    for placed in bids:
        state, events = engine.apply_bid(state, engine_bid(placed))
        refused = events[0] if isinstance(events[0], engine.BidRefused) else None
        assert (placed.accepted, placed.refusal) == (
            refused is None,
            refused.reason.value if refused else "",
        ), placed.sequence
    times = [b.placed_at for b in bids]
    assert times == sorted(times)
    stored = lot_state(fresh(lot))
    assert (stored.price_fen, stored.leader, stored.runner_up, stored.ends_at) == (
        state.price_fen,
        state.leader,
        state.runner_up,
        state.ends_at,
    )


def test_2000_bids_from_50_bidders_in_bursts_end_as_a_replay_in_commit_order(on_postgres):
    clock.reset()
    lot = make_lot(start_price_fen=yuan(1_000), ends_in=timedelta(hours=2))
    rules = lot_rules(lot)
    bidders = [make_user(role=None) for _ in range(50)]
    rng = random.Random(5)

    def one_bid(bidder, steps):
        def work():
            seen = Lot.objects.get(pk=lot.pk)  # a page a moment old: the race is the point
            amount = rules.start_price_fen if seen.price_fen is None else seen.price_fen
            for _ in range(steps):
                amount = rules.next_valid(amount)
            return bid_place(lot=lot, bidder=bidder, max_fen=amount).price_fen

        return work

    results = []
    for _burst in range(4):
        works = [one_bid(rng.choice(bidders), rng.choice((0, 1, 1, 2, 3))) for _ in range(500)]
        results += concurrently(works)

    kinds = Counter(
        "accepted" if isinstance(r, int) else f"{type(r).__name__}:{getattr(r, 'code', r)}"
        for r in results
    )
    assert set(kinds) <= {
        "accepted",
        "BidRefused:bid_below_minimum",
        "BidRefused:bid_not_above_own_maximum",
    }, kinds
    lot = fresh(lot)
    # No bid lost: every attempt has its row and its place in the lock order.
    assert Bid.objects.filter(lot=lot).count() == 2000 == lot.bid_sequence
    assert sorted(Bid.objects.filter(lot=lot).values_list("sequence", flat=True)) == list(
        range(1, 2001)
    )
    assert Bid.objects.filter(lot=lot, accepted=True).count() == kinds["accepted"] == lot.bid_count
    # Inserted under the lock: the row ids follow the sequence (the commit order).
    ids = list(Bid.objects.filter(lot=lot).order_by("sequence").values_list("id", flat=True))
    assert ids == sorted(ids)
    assert lot_verify(lot) == []
    _decisions_replay(lot)


def test_bids_racing_the_end_extend_it_correctly_and_late_ones_are_refused(on_postgres):
    clock.reset()
    lot = make_lot(ends_in=timedelta(seconds=5), soft_close_minutes=1)
    original_end = lot.ends_at
    bidders = [make_user(role=None) for _ in range(40)]
    rng = random.Random(11)

    def racing(bidder, at):
        def work():
            time.sleep(max(0.0, (at - clock.now()).total_seconds()))
            seen = Lot.objects.get(pk=lot.pk)
            amount = lot_rules(seen).next_valid(seen.price_fen or yuan(950))
            return bid_place(lot=lot, bidder=bidder, max_fen=max(amount, yuan(1_000))).ends_at

        return work

    works = [
        racing(b, original_end + timedelta(milliseconds=rng.randint(-1_500, 1_500)))
        for b in bidders
    ]
    results = concurrently(works)

    lot = fresh(lot)
    accepted = list(Bid.objects.filter(lot=lot, accepted=True).order_by("sequence"))
    assert accepted, [type(r).__name__ for r in results]
    unexpected = [
        r
        for r in results
        if not isinstance(r, type(lot.ends_at))
        and not (isinstance(r, BidRefused) and r.code in ("bid_below_minimum", "lot_ended"))
    ]
    assert not unexpected, unexpected
    _decisions_replay(lot)
    # The end is a minute after the last bid that moved the price or the lead, never before
    # the schedule, and every accepted bid came before the end as it stood then.
    movers = [b.placed_at for b in accepted if b.placed_at + timedelta(minutes=1) > original_end]
    assert lot.ends_at == max([original_end, *(t + timedelta(minutes=1) for t in movers)])
    assert all(b.placed_at < lot.ends_at for b in accepted)
    assert any(b.placed_at >= original_end for b in accepted)  # open only by an extension
    assert lot_verify(lot) == []


def test_bids_after_an_unextended_end_are_all_refused(on_postgres):
    clock.reset()
    lot = make_lot(ends_in=timedelta(seconds=1))
    bidders = [make_user(role=None) for _ in range(40)]
    time.sleep(max(0.0, (lot.ends_at - clock.now()).total_seconds()) + 0.05)

    results = concurrently([lambda b=b: bid(lot, b, 1_000) for b in bidders])

    assert all(isinstance(r, BidRefused) and r.code == "lot_ended" for r in results), results
    lot = fresh(lot)
    assert (lot.bid_count, lot.price_fen, lot.bid_sequence) == (0, None, 40)


def test_two_workers_settling_one_lot_settle_it_once(on_postgres):
    lot = make_lot(deposit_fen=yuan(300))
    bidders = [make_user(role=None) for _ in range(6)]
    for n, who in enumerate(bidders):
        paid_deposit(who, lot=lot)
        bid(lot, who, 1_000 + 100 * n)
    clock.set_frozen(fresh(lot).ends_at)

    results = concurrently([lambda: lot_finalize(lot=lot).status] * 8)

    assert set(results) == {LotStatus.AWAITING_PAYMENT}, results
    assert Refund.objects.count() == 5  # the five losers' deposits, once each
    run_jobs()
    assert escrow_balance() == yuan(300)
    assert ledger_verify() == []


def test_a_winners_payment_racing_the_default_ends_paid_or_defaulted_never_both(on_postgres):
    make_category()
    outcomes = []
    for _ in range(3):
        alice, bob = make_user(role=None), make_user(role=None)
        lot = make_lot(deposit_fen=yuan(300))
        for who in (alice, bob):
            paid_deposit(who, lot=lot)
        bid(lot, alice, 3_000)
        bid(lot, bob, 2_000)
        clock.set_frozen(fresh(lot).ends_at)
        lot_finalize(lot=lot)
        clock.set_frozen(fresh(lot).payment_due_at - timedelta(minutes=10))
        checkout = lot_checkout_create(lot=lot, by=alice, delivery="pickup")
        notification = sandbox.sandbox_pay(payment=checkout.payment).notification
        clock.set_frozen(fresh(lot).payment_due_at - timedelta(milliseconds=1))

        def pay_now(notification=notification):
            return notification_receive(params=notification).outcome

        def default_now(lot=lot):
            clock.set_frozen(fresh(lot).payment_due_at)
            return lot_payment_overdue(lot=lot).status

        results = concurrently([pay_now, default_now])
        assert not any(isinstance(r, Exception) and "deadlock" in str(r) for r in results)
        run_jobs()
        lot = fresh(lot)
        deposit = alice.auction_deposits.get()
        if lot.status == LotStatus.PAID:
            assert deposit.status == DepositStatus.APPLIED
        else:
            assert lot.status == LotStatus.SECOND_CHANCE
            assert deposit.status == DepositStatus.FORFEITED
        outcomes.append(lot.status)
    assert escrow_balance() == sum(yuan(2_100) for status in outcomes if status == LotStatus.PAID)
    assert ledger_verify() == []
