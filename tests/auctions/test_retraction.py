"""Retraction: only operators, only with a reason; the remaining bids are replayed through
the engine and decide again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.auctions.models import Bid, BidStep
from designmall.auctions.selectors import lot_verify
from designmall.auctions.services import BidRefused, bid_retract
from designmall.auctions.settlement import lot_finalize
from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.auctions.conftest import after_end, bid, fresh, yuan
from tests.factories import make_operator

pytestmark = pytest.mark.django_db


def test_an_operator_retracts_a_bid_with_a_reason_and_the_rest_are_replayed(
    lot, alice, bob, carol, operator
):
    bid(lot, alice, 2_000)
    shill = bid(lot, bob, 6_000).bid
    bid(lot, carol, 3_000)
    assert fresh(lot).leader_id == bob.pk

    lot = bid_retract(bid=shill, by=operator, reason="与卖家关联的账户")

    assert (lot.leader_id, lot.price_fen) == (carol.pk, yuan(2_100))
    assert (lot.runner_up_id, lot.bid_count) == (alice.pk, 2)
    shill = fresh(shill)
    assert shill.retracted and shill.retracted_by == operator
    assert shill.retraction_reason == "与卖家关联的账户"
    assert not BidStep.objects.filter(lot=lot, bidder=bob).exists()
    assert lot_verify(lot) == []
    (row,) = audit_trail(shill).filter(action="bid.retracted")
    assert row.reason == "与卖家关联的账户" and row.actor == operator


def test_bids_that_only_counted_because_of_the_retracted_one_stop_counting(lot, alice, bob):
    end = fresh(lot).ends_at
    clock.set_frozen(end - timedelta(minutes=1))
    early = bid(lot, alice, 2_000).bid  # extends the end to +4 minutes
    clock.set_frozen(end + timedelta(minutes=2))  # only open because of the extension
    late = bid(lot, bob, 3_000).bid

    lot = bid_retract(bid=early, by=make_operator(), reason="测试撤销")

    assert lot.ends_at == end and lot.leader_id is None and lot.bid_count == 0
    (row,) = audit_trail(early).filter(action="bid.retracted")
    assert row.data["no_longer_counted"] == [late.public_id]
    assert lot_verify(lot) == []


def test_after_a_retraction_new_bids_continue_from_the_replayed_state(lot, alice, bob, operator):
    bid(lot, alice, 2_000)
    top = bid(lot, bob, 5_000).bid
    bid_retract(bid=top, by=operator, reason="误操作")

    with pytest.raises(BidRefused):
        bid(lot, bob, 1_050)
    bid(lot, bob, 1_500)

    lot = fresh(lot)
    assert (lot.leader_id, lot.price_fen) == (alice.pk, yuan(1_600))
    assert lot_verify(lot) == []


def test_only_operators_retract_and_never_without_a_reason(lot, alice, bob):
    placed = bid(lot, alice, 2_000).bid

    with pytest.raises(PermissionDenied):
        bid_retract(bid=placed, by=bob, reason="我不喜欢")
    with pytest.raises(ValidationFailed) as refused:
        bid_retract(bid=placed, by=make_operator(), reason="   ")
    assert refused.value.code == "reason_required"
    assert not fresh(placed).retracted


def test_refused_or_already_retracted_bids_and_settled_lots_cannot_be_retracted(
    lot, alice, operator
):
    with pytest.raises(BidRefused):
        bid(lot, alice, 100)
    refused = Bid.objects.get(lot=lot, accepted=False)
    with pytest.raises(Conflict) as error:
        bid_retract(bid=refused, by=operator, reason="x")
    assert error.value.code == "bid_not_accepted"

    placed = bid(lot, alice, 2_000).bid
    bid_retract(bid=placed, by=operator, reason="x")
    with pytest.raises(Conflict) as error:
        bid_retract(bid=placed, by=operator, reason="x")
    assert error.value.code == "bid_already_retracted"

    settled = bid(lot, alice, 3_000).bid
    after_end(lot)
    lot_finalize(lot=lot)
    with pytest.raises(Conflict) as error:
        bid_retract(bid=settled, by=operator, reason="x")
    assert error.value.code == "lot_ended"  # settled is one way of having ended
