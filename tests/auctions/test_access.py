"""Who may bid and what a bid may be: the seller never on their own lot, no bid without the
deposit a lot asks for, and amounts that are not whole, positive, payable fen refused with
a clear error before anything is written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from designmall.accounts.roles import Role
from designmall.auctions.models import Bid, Watch
from designmall.auctions.selectors import lot_view
from designmall.auctions.services import (
    MAX_BID_FEN,
    bid_place,
    lot_unwatch,
    lot_watch,
)
from designmall.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.auctions.conftest import bid, fresh, paid_deposit, yuan
from tests.factories import make_lot, make_sale, make_shop, make_user

pytestmark = pytest.mark.django_db


def test_the_seller_cannot_bid_on_their_own_shops_lot_and_the_attempt_is_recorded():
    seller = make_user(role=Role.SELLER)
    lot = make_lot(shop=make_shop(owner=seller))

    with pytest.raises(PermissionDenied) as refused:
        bid(lot, seller, 1_000)

    assert refused.value.code == "own_lot"
    attempt = Bid.objects.get(lot=lot)
    assert (attempt.bidder, attempt.accepted, attempt.refusal, attempt.sequence) == (
        seller,
        False,
        "own_lot",
        None,
    )
    assert fresh(lot).bid_count == 0
    assert not lot_view(lot=lot, viewer=seller).can_bid


def test_the_seller_may_bid_on_other_shops_lots():
    seller = make_user(role=Role.SELLER)
    make_shop(owner=seller)

    assert bid(make_lot(), seller, 1_000).leading


def test_a_lot_that_asks_for_a_deposit_refuses_bids_without_one(alice):
    lot = make_lot(deposit_fen=yuan(500))

    with pytest.raises(Conflict) as refused:
        bid(lot, alice, 1_000)

    assert refused.value.code == "deposit_required"
    assert refused.value.details["deposit_fen"] == yuan(500)
    assert Bid.objects.get(lot=lot).refusal == "deposit_required"
    assert not lot_view(lot=lot, viewer=alice).can_bid


def test_a_paid_deposit_for_the_lot_lets_its_holder_bid(alice):
    lot = make_lot(deposit_fen=yuan(500))
    paid_deposit(alice, lot=lot)

    assert bid(lot, alice, 1_000).leading
    assert lot_view(lot=fresh(lot), viewer=alice).can_bid is True


def test_an_unpaid_deposit_does_not_count(alice):
    from designmall.auctions.deposits import deposit_create

    lot = make_lot(deposit_fen=yuan(500))
    deposit_create(bidder=alice, lot=lot)

    with pytest.raises(Conflict, match="保证金"):
        bid(lot, alice, 1_000)


def test_a_sale_deposit_covers_the_sales_lots_that_ask_no_more_than_it(alice):
    sale = make_sale(deposit_fen=yuan(300))
    small = make_lot(sale=sale, deposit_fen=yuan(200))
    large = make_lot(sale=sale, deposit_fen=yuan(400), start_price_fen=yuan(2_000))
    elsewhere = make_lot(deposit_fen=yuan(200))
    paid_deposit(alice, sale=sale)

    assert bid(small, alice, 1_000).leading
    with pytest.raises(Conflict):
        bid(large, alice, 2_000)
    with pytest.raises(Conflict):
        bid(elsewhere, alice, 1_000)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (-100, "amount_not_positive"),
        (0, "amount_not_positive"),
        (MAX_BID_FEN + 1, "amount_too_large"),
        (10**30, "amount_too_large"),
        (1000.0, "amount_not_integer"),
        (Decimal("1000"), "amount_not_integer"),
        ("100000", "amount_not_integer"),
        (True, "amount_not_integer"),
        (None, "amount_not_integer"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_error_and_write_nothing(lot, alice, amount, code):
    with pytest.raises(ValidationFailed) as refused:
        bid_place(lot=lot, bidder=alice, max_fen=amount)

    assert refused.value.code == code
    assert refused.value.message
    assert not Bid.objects.exists()
    assert fresh(lot).bid_sequence == 0


def test_a_bad_source_or_buy_now_flag_is_refused(lot, alice):
    with pytest.raises(ValidationFailed) as refused:
        bid_place(lot=lot, bidder=alice, max_fen=yuan(1_000), source="fax")
    assert refused.value.code == "invalid_source"
    with pytest.raises(ValidationFailed) as refused:
        bid_place(lot=lot, bidder=alice, max_fen=yuan(1_000), buy_now="yes")
    assert refused.value.code == "invalid_buy_now"


def test_nobody_bids_without_logging_in_or_with_a_deactivated_account(lot):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAuthenticated):
        bid(lot, AnonymousUser(), 1_000)
    with pytest.raises(NotAuthenticated):
        bid(lot, None, 1_000)
    inactive = make_user(is_active=False)
    with pytest.raises(NotAuthenticated):
        bid(lot, inactive, 1_000)
    assert not Bid.objects.exists()


def test_lots_of_unpublished_sales_are_not_found(alice):
    lot = make_lot(sale=make_sale(published=False))

    with pytest.raises(NotFound):
        bid(lot, alice, 1_000)
    with pytest.raises(NotFound):
        lot_watch(lot=lot, user=alice)


def test_watching_is_idempotent_and_can_be_undone(lot, alice):
    lot_watch(lot=lot, user=alice)
    lot_watch(lot=lot, user=alice)
    assert Watch.objects.filter(lot=lot, user=alice).count() == 1
    assert lot_view(lot=lot, viewer=alice).viewer_watching

    assert lot_unwatch(lot=lot, user=alice) is True
    assert lot_unwatch(lot=lot, user=alice) is False
    assert not lot_view(lot=lot, viewer=alice).viewer_watching
