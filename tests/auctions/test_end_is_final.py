"""The auction's end is final: once a lot's end has come by the clock (soft-close
extensions included) or by a buy-now, no action changes its winner or hammer price, even
before the sweeper has settled it. Each action decides from the clock under the lot's
lock, not from the settled status; the settled result equals the engine's replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from designmall.auctions import engine
from designmall.auctions.deposits import deposit_create
from designmall.auctions.models import Bid, LotOutcome, LotStatus
from designmall.auctions.selectors import lot_verify
from designmall.auctions.services import (
    BidRefused,
    LotEnded,
    bid_retract,
    lot_update,
    sale_schedule_apply,
)
from designmall.auctions.settlement import lot_finalize
from designmall.auctions.snapshot import lot_ended, lot_replay, lot_state
from designmall.core import clock
from designmall.core.errors import Conflict
from tests.auctions.conftest import bid, fresh, yuan
from tests.auctions.test_admin import lot_form
from tests.factories import make_lot, make_operator, make_sale

pytestmark = pytest.mark.django_db

ONE_MS = timedelta(milliseconds=1)


def just_after_the_end(lot) -> None:
    """One millisecond past the lot's current end (extensions included)."""
    clock.set_frozen(fresh(lot).ends_at + ONE_MS)


def snapshot(lot) -> tuple:
    lot = fresh(lot)
    return (lot.leader_id, lot.price_fen, lot.runner_up_id, lot.ends_at, lot.bid_count)


def settled_as_the_replay(lot) -> None:
    """Settle ``lot``: its winner and hammer are ``engine.close`` of a replay of its bids."""
    lot = lot_finalize(lot=lot)
    expected, _events = engine.close(lot_replay(lot), clock.now())
    outcome = expected.outcome
    assert outcome is not None
    assert (lot.winner_id, lot.hammer_fen, lot.outcome) == (
        outcome.winner_id,
        outcome.price_fen,
        outcome.reason.value,
    )
    assert lot_verify(lot) == []


@pytest.fixture
def duel(lot, alice, bob):
    """Alice leads at ¥2,100 with a ¥3,000 maximum; Bob is runner-up at ¥2,000."""
    winning = bid(lot, alice, 3_000).bid
    losing = bid(lot, bob, 2_000).bid
    assert (fresh(lot).leader_id, fresh(lot).price_fen) == (alice.pk, yuan(2_100))
    return winning, losing


# --- retraction -------------------------------------------------------------------------------


def test_retracting_the_winning_bid_one_millisecond_after_the_end_is_refused(
    lot, alice, duel, operator
):
    winning, _losing = duel
    before = snapshot(lot)
    just_after_the_end(lot)

    with pytest.raises(LotEnded) as refused:
        bid_retract(bid=winning, by=operator, reason="疑似托价")

    error = refused.value
    assert (error.code, error.status) == ("lot_ended", 409)
    assert error.as_dict()["error"]["details"]["lot"] == lot.public_id
    assert error.message == "拍卖已截止，结果已定，不能再撤销出价。"
    assert not fresh(winning).retracted
    assert snapshot(lot) == before
    settled_as_the_replay(lot)
    assert (fresh(lot).winner_id, fresh(lot).hammer_fen) == (alice.pk, yuan(2_100))


def test_retracting_a_losing_bid_after_the_end_is_refused_too_so_the_price_stands(
    lot, alice, duel, operator
):
    _winning, losing = duel  # without Bob's bid Alice would pay the start price
    just_after_the_end(lot)

    with pytest.raises(LotEnded):
        bid_retract(bid=losing, by=operator, reason="误操作")

    settled_as_the_replay(lot)
    assert (fresh(lot).winner_id, fresh(lot).hammer_fen) == (alice.pk, yuan(2_100))


def test_the_end_that_counts_is_the_extended_one(lot, alice, bob, operator):
    scheduled = fresh(lot).ends_at
    clock.set_frozen(scheduled - timedelta(minutes=1))
    bid(lot, alice, 2_000)  # extends the end to the scheduled one plus four minutes
    clock.set_frozen(scheduled + timedelta(minutes=2))  # open only because of that
    top = bid(lot, bob, 3_000).bid  # extends it again, to plus seven minutes
    extended = fresh(lot).ends_at
    assert extended == scheduled + timedelta(minutes=7)

    clock.set_frozen(extended + ONE_MS)
    with pytest.raises(LotEnded):
        bid_retract(bid=top, by=operator, reason="疑似托价")

    settled_as_the_replay(lot)
    assert (fresh(lot).winner_id, fresh(lot).closed_at) == (bob.pk, extended)


def test_a_lot_bought_now_keeps_its_buyer_before_the_sweeper_settles_it(alice, bob, operator):
    lot = make_lot(reserve_fen=yuan(4_000), buy_now_fen=yuan(5_000))
    bid(lot, bob, 1_000)  # below the reserve: buy now is still offered
    bought = bid(lot, alice, 5_000, buy_now=True).bid
    assert fresh(lot).status == LotStatus.ACTIVE and fresh(lot).ends_at > clock.now()

    with pytest.raises(LotEnded):
        bid_retract(bid=bought, by=operator, reason="买家反悔")

    settled_as_the_replay(lot)
    lot = fresh(lot)
    assert (lot.outcome, lot.winner_id, lot.hammer_fen) == (
        LotOutcome.BOUGHT_NOW,
        alice.pk,
        yuan(5_000),
    )


def test_the_refusal_is_translated(lot, duel, operator):
    winning, _losing = duel
    just_after_the_end(lot)

    with translation.override("en"), pytest.raises(LotEnded) as refused:
        bid_retract(bid=winning, by=operator, reason="x")

    assert refused.value.message == (
        "The auction has ended and its result is final: bids can no longer be retracted."
    )


# --- buying and bidding -------------------------------------------------------------------------


def test_a_buy_now_one_millisecond_after_the_end_is_refused(alice):
    lot = make_lot(buy_now_fen=yuan(5_000))
    just_after_the_end(lot)

    with pytest.raises(BidRefused) as refused:
        bid(lot, alice, 5_000, buy_now=True)

    assert refused.value.code == "lot_ended"
    settled_as_the_replay(lot)
    assert fresh(lot).outcome == LotOutcome.NO_BIDS


def test_no_deposit_is_taken_for_a_lot_ended_but_not_yet_settled(alice):
    lot = make_lot(deposit_fen=yuan(300))
    just_after_the_end(lot)

    with pytest.raises(Conflict) as refused:
        deposit_create(bidder=alice, lot=lot)

    assert refused.value.code == "bidding_closed"
    assert fresh(lot).status == LotStatus.ACTIVE


# --- editing and rescheduling ------------------------------------------------------------------


def test_an_ended_lot_without_bids_cannot_be_given_a_new_end_or_price(lot):
    ended_at = fresh(lot).ends_at
    just_after_the_end(lot)

    with pytest.raises(LotEnded) as refused:
        lot_update(lot=lot, by=None, scheduled_end_at=clock.now() + timedelta(hours=1))
    assert refused.value.details["fields"] == ["scheduled_end_at"]
    with pytest.raises(LotEnded):
        lot_update(lot=lot, by=None, start_price_fen=yuan(500), reserve_fen=yuan(800))

    assert (fresh(lot).ends_at, fresh(lot).start_price_fen) == (ended_at, yuan(1_000))
    assert lot_update(lot=lot, by=None, title_en="Walnut chair").title_en == "Walnut chair"
    settled_as_the_replay(lot)
    assert fresh(lot).status == LotStatus.UNSOLD


def test_an_ended_lot_with_bids_cannot_change_its_increments_or_end(lot, alice, duel):
    just_after_the_end(lot)

    with pytest.raises(LotEnded):
        lot_update(lot=lot, by=None, increments_override=[{"from_fen": 0, "step_fen": 1}])
    with pytest.raises(LotEnded):
        lot_update(lot=lot, by=None, hard_stop_at=clock.now() + timedelta(days=1))

    settled_as_the_replay(lot)
    assert fresh(lot).hammer_fen == yuan(2_100)


def test_rescheduling_a_sale_leaves_its_ended_lots_alone():
    sale = make_sale(ends_in=timedelta(hours=2), stagger_seconds=60)
    ended = make_lot(sale=sale, ends_in=timedelta(minutes=10))
    running = make_lot(sale=sale, ends_in=timedelta(hours=1))
    just_after_the_end(ended)
    ended_at = fresh(ended).ends_at

    assert sale_schedule_apply(sale=sale, by=None) == 1

    assert fresh(ended).ends_at == ended_at
    assert fresh(running).ends_at == sale.ends_at + timedelta(seconds=60)
    settled_as_the_replay(ended)
    assert fresh(ended).status == LotStatus.UNSOLD


# --- the back office ------------------------------------------------------------------------


def _operator_client(client):
    user = make_operator()
    client.force_login(user)
    return user


def _change_form(lot, **changes) -> dict:
    lot = fresh(lot)
    fields = {
        name: getattr(lot, name)
        for name in (
            "sale",
            "number",
            "designer",
            "shop",
            "product",
            "title_zh",
            "title_en",
            "description_zh",
            "description_en",
            "estimate_low_fen",
            "estimate_high_fen",
            "start_price_fen",
            "reserve_fen",
            "buy_now_fen",
            "deposit_fen",
            "starts_at",
            "scheduled_end_at",
            "hard_stop_at",
            "soft_close_minutes",
            "increment_table",
        )
    }
    return lot_form(**{**fields, **changes})


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_admin_refuses_a_new_end_posted_after_the_lot_ended(client, lot):
    _operator_client(client)
    url = reverse("admin:auctions_lot_change", args=[lot.pk])
    data = _change_form(lot, scheduled_end_at=clock.now() + timedelta(hours=3), title_en="Chair")
    ended_at = fresh(lot).ends_at
    just_after_the_end(lot)  # the operator opened the form before the end, sends it after

    response = client.post(url, data)

    assert response.status_code == 302
    assert any("已截拍" in m for m in _messages(response)), _messages(response)
    lot = fresh(lot)
    assert (lot.ends_at, lot.scheduled_end_at, lot.title_en) == (ended_at, ended_at, "")
    page = client.get(url)
    assert "scheduled_end_at" not in page.context["adminform"].form.fields


def test_the_admin_retraction_after_the_end_says_why_and_changes_nothing(client, lot, alice, duel):
    _operator_client(client)
    winning, _losing = duel
    just_after_the_end(lot)
    url = reverse("admin:auctions_bid_changelist")

    response = client.post(
        url,
        {"action": "retract", "_selected_action": [winning.pk], "apply": "1", "reason": "托价"},
    )

    assert response.status_code == 302
    assert any("拍卖已截止，结果已定，不能再撤销出价。" in m for m in _messages(response))
    assert not Bid.objects.filter(retracted=True).exists()
    settled_as_the_replay(lot)
    assert fresh(lot).winner_id == alice.pk


# --- the one rule -------------------------------------------------------------------------------


def test_lot_ended_is_the_engines_phase_on_the_snapshot(lot, alice):
    bid(lot, alice, 1_000)
    lot = fresh(lot)
    for moment in (lot.ends_at - ONE_MS, lot.ends_at, lot.ends_at + ONE_MS):
        closed = engine.phase(lot_state(lot), moment) == engine.LotPhase.CLOSED
        assert lot_ended(lot, moment) == closed
    assert lot_ended(lot, lot.ends_at) and not lot_ended(lot, lot.ends_at - ONE_MS)
