"""The auctions API: public sales and lots, bidding with its refusals, deposits through the
cashier, watching, my bids, the winner's checkout and second-chance offers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.accounts.roles import Role
from designmall.auctions.models import Bid, LotStatus, OfferStatus
from designmall.auctions.settlement import lot_finalize, lot_payment_overdue
from designmall.core import clock
from tests.api.conftest import assert_error, invalid_fields
from tests.auctions.conftest import (  # noqa: F401  (autouse fixtures: clock, settings, sandbox)
    ADDRESS,
    _auction_settings,
    _frozen_clock,
    _payments_settings,
    after_end,
    bid,
    fresh,
    keys,
    paid_deposit,
    sandbox_key_dir,
    worker_transport,
    yuan,
)
from tests.factories import make_category, make_lot, make_sale, make_shop, make_user

pytestmark = pytest.mark.django_db

ABSENT_LOT = "lot_0000000000000000"


@pytest.fixture
def alice(db):
    return make_user()


@pytest.fixture
def bob(db):
    return make_user()


@pytest.fixture
def lot(db):
    """Open for an hour, ¥1,000 start, no deposit."""
    return make_lot(title_zh="椅子一号", title_en="Chair One")


@pytest.fixture
def deposit_lot(db):
    make_category()
    return make_lot(deposit_fen=yuan(500))


def url(lot, tail: str = "") -> str:
    return f"/auctions/lots/{lot.public_id}{tail}"


# --- reading ------------------------------------------------------------------------------


def test_published_sales_are_listed_with_their_lot_count(anon, lot):
    make_sale(published=False)

    body = anon.get("/auctions/sales").json()

    assert [s["public_id"] for s in body["items"]] == [lot.sale.public_id]
    assert body["items"][0]["lots"] == 1


def test_a_sale_shows_its_summary_and_an_unpublished_one_is_404(anon, lot):
    hidden = make_sale(published=False)

    body = anon.get(f"/auctions/sales/{lot.sale.public_id}").json()

    assert body["summary"]["lots"] == 1 and body["summary"]["open"] == 1
    assert_error(anon.get(f"/auctions/sales/{hidden.public_id}"), 404, "sale_not_found")


def test_lots_are_listed_by_state_and_sale(anon, lot):
    upcoming = make_lot(sale=lot.sale, starts_in=timedelta(hours=2), ends_in=timedelta(hours=3))

    live = anon.get("/auctions/lots", {"state": "live"}).json()
    later = anon.get("/auctions/lots", {"state": "upcoming", "sale": lot.sale.public_id}).json()

    assert [x["public_id"] for x in live["items"]] == [lot.public_id]
    assert [x["public_id"] for x in later["items"]] == [upcoming.public_id]
    assert later["items"][0]["state"] == "scheduled"


def test_an_unknown_list_state_is_refused(anon):
    assert invalid_fields(anon.get("/auctions/lots", {"state": "everything"})) == {"state"}


def test_a_lot_shows_its_public_state_and_no_one_s_identity(anon, lot, alice, bob):
    bid(lot, alice, 2_000)
    bid(lot, bob, 1_500)

    body = anon.get(url(lot)).json()

    assert body["price_fen"] == yuan(1_600) and body["bid_count"] >= 2
    assert body["minimum_bid_fen"] == yuan(1_700)
    assert body["leader"].startswith("竞拍者 ")
    assert body["you"] is None and body["can_bid"] is False
    text = str(body)
    # The handle is random letters and digits: it names nobody (a digit of the row id may
    # turn up in it by chance, so only real identities are looked for).
    assert alice.public_id not in text and alice.email not in text


def test_a_logged_in_caller_sees_their_own_side(api_as, lot, alice, bob):
    bid(lot, alice, 2_000)

    mine = api_as(alice).get(url(lot)).json()["you"]
    theirs = api_as(bob).get(url(lot)).json()["you"]

    assert mine["leading"] is True and mine["max_fen"] == yuan(2_000)
    assert theirs["leading"] is False and theirs["max_fen"] is None


def test_an_absent_lot_is_404(anon):
    assert_error(anon.get(f"/auctions/lots/{ABSENT_LOT}"), 404, "lot_not_found")


def test_the_bid_history_names_handles_only(anon, api_as, lot, alice, bob):
    bid(lot, alice, 2_000)
    bid(lot, bob, 1_500)

    lines = anon.get(url(lot, "/bids")).json()
    mine = api_as(bob).get(url(lot, "/bids")).json()

    assert lines[0]["amount_fen"] == yuan(1_600) and lines[0]["automatic"] is True
    assert all(line["bidder"].startswith("竞拍者 ") for line in lines)
    assert any(line["is_you"] for line in mine) and not any(line["is_you"] for line in lines)


def test_live_gives_the_version_and_whether_it_changed(anon, api_as, lot, alice, bob):
    before = anon.get(url(lot, "/live")).json()
    bid(lot, alice, 2_000)
    bid(lot, bob, 1_500)

    after = api_as(bob).get(url(lot, "/live"), {"since_version": before["version"]}).json()
    same = anon.get(url(lot, "/live"), {"since_version": after["version"]}).json()

    assert after["changed"] is True and after["version"] > before["version"]
    assert after["price_fen"] == yuan(1_600) and after["state"] == "open"
    assert after["you"] == {"leading": False, "outbid": True, "just_outbid": False}
    assert same["changed"] is False and same["you"] is None
    assert alice.public_id not in str(after) and bob.public_id not in str(after)


def test_live_refuses_a_bad_since_version(anon, lot):
    assert invalid_fields(anon.get(url(lot, "/live"), {"since_version": "-1"})) == {"since_version"}


# --- bidding ------------------------------------------------------------------------------


def test_a_bid_is_placed_and_answered_with_the_lot(api_as, lot, alice):
    response = api_as(alice).post(url(lot, "/bids"), {"max_fen": yuan(3_000)})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["leading"] is True and body["price_fen"] == yuan(1_000)
    assert body["lot"]["you"]["max_fen"] == yuan(3_000)
    assert Bid.objects.get(public_id=body["bid"]).source == "api"


def test_bidding_needs_a_login(anon, lot):
    assert_error(anon.post(url(lot, "/bids"), {"max_fen": yuan(1_000)}), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        (-100, 422, "amount_not_positive"),
        (0, 422, "amount_not_positive"),
        (10**15, 422, "amount_too_large"),
        (10**30, 422, "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused_with_their_code(api_as, lot, alice, amount, status, code):
    assert_error(api_as(alice).post(url(lot, "/bids"), {"max_fen": amount}), status, code)


@pytest.mark.parametrize("amount", [True, 1000.5, "100000", None, [1]])
def test_non_integer_amounts_are_refused_as_invalid(api_as, lot, alice, amount):
    assert invalid_fields(api_as(alice).post(url(lot, "/bids"), {"max_fen": amount})) == {"max_fen"}


def test_a_bid_below_the_minimum_says_the_minimum(api_as, lot, alice):
    error = assert_error(
        api_as(alice).post(url(lot, "/bids"), {"max_fen": yuan(900)}), 409, "bid_below_minimum"
    )
    assert error["details"]["minimum_fen"] == yuan(1_000)


def test_the_seller_cannot_bid_on_their_own_lot(api_as):
    seller = make_user(role=Role.SELLER)
    own = make_lot(shop=make_shop(owner=seller))

    assert_error(api_as(seller).post(url(own, "/bids"), {"max_fen": yuan(1_000)}), 403, "own_lot")


def test_a_lot_asking_for_a_deposit_refuses_bids_without_one(api_as, deposit_lot, alice):
    error = assert_error(
        api_as(alice).post(url(deposit_lot, "/bids"), {"max_fen": yuan(1_000)}),
        409,
        "deposit_required",
    )
    assert error["details"]["deposit_fen"] == yuan(500)


def test_a_bid_after_the_end_is_refused(api_as, lot, alice):
    after_end(lot)
    assert_error(api_as(alice).post(url(lot, "/bids"), {"max_fen": yuan(1_000)}), 409, "lot_ended")


def test_buy_now_ends_the_lot(api_as, alice):
    buyable = make_lot(buy_now_fen=yuan(9_000))

    body = (
        api_as(alice).post(url(buyable, "/bids"), {"max_fen": yuan(9_000), "buy_now": True}).json()
    )

    assert body["bought_now"] is True and body["lot"]["state"] == "closed"


# --- deposits -----------------------------------------------------------------------------


def test_a_deposit_is_made_with_a_cashier_link(api_as, deposit_lot, alice):
    response = api_as(alice).post(url(deposit_lot, "/deposit"), {})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["amount_fen"] == yuan(500)
    assert body["payment"]["pay_url"]
    assert body["lot"] == deposit_lot.public_id


def test_once_paid_the_deposit_lets_the_bidder_bid(api_as, deposit_lot, alice):
    paid_deposit(alice, lot=deposit_lot)

    response = api_as(alice).post(url(deposit_lot, "/bids"), {"max_fen": yuan(1_000)})

    assert response.status_code == 201
    assert_error(api_as(alice).post(url(deposit_lot, "/deposit"), {}), 409, "deposit_already_paid")


def test_a_lot_without_a_deposit_needs_none(api_as, lot, alice):
    assert_error(api_as(alice).post(url(lot, "/deposit"), {}), 409, "deposit_not_required")


def test_a_deposit_target_must_be_lot_or_sale(api_as, deposit_lot, alice):
    response = api_as(alice).post(url(deposit_lot, "/deposit"), {"target": "shop"})
    assert invalid_fields(response) == {"target"}


# --- watching and mine --------------------------------------------------------------------


def test_watching_and_unwatching_a_lot(api_as, lot, alice):
    client = api_as(alice)

    assert client.post(url(lot, "/watch")).json() == {"lot": lot.public_id, "watching": True}
    assert [x["public_id"] for x in client.get("/me/auctions/watching").json()] == [lot.public_id]
    assert client.delete(url(lot, "/watch")).json()["watching"] is False
    assert client.get("/me/auctions/watching").json() == []


def test_my_bids_say_where_i_stand(api_as, lot, alice, bob):
    bid(lot, alice, 2_000)
    bid(lot, bob, 1_500)

    rows = api_as(bob).get("/me/auctions/bids").json()

    assert [(r["lot"]["public_id"], r["standing"], r["my_max_fen"]) for r in rows] == [
        (lot.public_id, "outbid", yuan(1_500))
    ]
    assert api_as(make_user()).get("/me/auctions/bids").json() == []


def test_mine_needs_a_login(anon):
    assert_error(anon.get("/me/auctions/bids"), 401, "not_authenticated")
    assert_error(anon.get("/me/auctions/watching"), 401, "not_authenticated")


# --- after the hammer ---------------------------------------------------------------------


@pytest.fixture
def won(deposit_lot, alice, bob):
    """Alice (max ¥5,000) beat Bob (¥3,000) on the deposit lot; it is settled."""
    for who in (alice, bob):
        paid_deposit(who, lot=deposit_lot)
    bid(deposit_lot, alice, 5_000)
    bid(deposit_lot, bob, 3_000)
    after_end(deposit_lot)
    return lot_finalize(lot=deposit_lot)


def test_the_winner_checks_out_and_pays_less_the_deposit(api_as, won, alice):
    response = api_as(alice).post(url(won, "/checkout"), {"delivery": "pickup"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total_fen"] == yuan(3_100)
    assert body["payment"]["amount_fen"] == yuan(3_100 - 500)
    assert body["payment"]["pay_url"]


def test_the_checkout_to_an_address_needs_a_good_one(api_as, won, alice):
    response = api_as(alice).post(url(won, "/checkout"), {"delivery": "address"})
    assert response.status_code == 422
    ok = api_as(alice).post(url(won, "/checkout"), {"delivery": "address", "address": ADDRESS})
    assert ok.status_code == 201, ok.content


def test_someone_else_cannot_check_out_the_lot(api_as, won, bob):
    assert_error(api_as(bob).post(url(won, "/checkout"), {"delivery": "pickup"}), 403, "not_winner")


def test_a_second_chance_is_accepted_or_declined_only_by_its_holder(api_as, won, alice, bob):
    clock.set_frozen(fresh(won).payment_due_at + timedelta(seconds=1))
    lot = lot_payment_overdue(lot=won)
    assert lot.status == LotStatus.SECOND_CHANCE

    assert_error(
        api_as(alice).post(url(lot, "/second-chance/accept"), {"delivery": "pickup"}),
        404,
        "offer_not_found",
    )
    assert_error(api_as(alice).post(url(lot, "/second-chance/decline")), 404, "offer_not_found")
    accepted = api_as(bob).post(url(lot, "/second-chance/accept"), {"delivery": "pickup"})
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["payment"]["amount_fen"] == yuan(3_000)


def test_declining_a_second_chance_leaves_the_lot_unsold(api_as, won, bob):
    clock.set_frozen(fresh(won).payment_due_at + timedelta(seconds=1))
    lot = lot_payment_overdue(lot=won)

    body = api_as(bob).post(url(lot, "/second-chance/decline")).json()

    assert body["status"] == OfferStatus.DECLINED
    assert fresh(lot).status == LotStatus.UNSOLD
    assert fresh(lot).second_chance.status == OfferStatus.DECLINED


def test_anonymous_changes_are_401(anon, lot):
    for method, tail in [("post", "/watch"), ("post", "/deposit"), ("post", "/checkout")]:
        response = getattr(anon, method)(url(lot, tail), {} if tail != "/checkout" else None)
        assert response.status_code == 401, tail
