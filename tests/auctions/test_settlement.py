"""After the hammer: the lot is settled by the clock, the winner pays the price less their
deposit through an ordinary order the seller fulfils, and a winner who does not pay
forfeits the deposit and the runner-up gets a second chance. The books balance all along.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.accounts.roles import Role
from designmall.auctions.models import (
    CheckoutKind,
    DepositStatus,
    LotCheckout,
    LotOutcome,
    LotStatus,
    OfferStatus,
    SecondChanceOffer,
    SettlementNote,
)
from designmall.auctions.selectors import lot_view, lots_bid_on, purchase_terms
from designmall.auctions.settlement import (
    lot_checkout_create,
    lot_finalize,
    lot_payment_overdue,
    second_chance_decline,
    second_chance_lapse,
)
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, PermissionDenied
from designmall.ledger import accounts
from designmall.ledger.services import (
    account_balance,
    escrow_balance,
    ledger_verify,
    seller_balance,
)
from designmall.orders.models import CheckoutStatus, OrderStatus
from designmall.orders.services import order_confirm_receipt, order_refund, order_ship
from designmall.payments.services import payment_close
from tests.auctions.conftest import (
    ADDRESS,
    after_end,
    bid,
    fresh,
    paid_deposit,
    pay,
    run_jobs,
    yuan,
)
from tests.factories import make_category, make_lot, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(db):
    return make_user(role=Role.SELLER)


@pytest.fixture
def shop(seller):
    make_category()  # the catalog has categories (a lot's order line needs a catalog record)
    return make_shop(owner=seller, commission_bp=1_000)


@pytest.fixture
def lot(shop):
    """¥1,000 start, ¥500 deposit, reserve ¥2,000, shop commission 10%."""
    return make_lot(shop=shop, deposit_fen=yuan(500), reserve_fen=yuan(2_000))


@pytest.fixture
def won(lot, alice, bob):
    """Alice (max ¥5,000) beat Bob (max ¥3,000): hammer ¥3,100; both paid deposits."""
    for who in (alice, bob):
        paid_deposit(who, lot=lot)
    bid(lot, alice, 5_000)
    bid(lot, bob, 3_000)
    after_end(lot)
    return fresh(lot_finalize(lot=lot))


# --- closing --------------------------------------------------------------------------------


def test_a_lot_is_settled_only_once_the_clock_has_closed_it(lot, alice):
    paid_deposit(alice, lot=lot)
    bid(lot, alice, 3_000)
    assert lot_finalize(lot=lot).status == LotStatus.ACTIVE

    after_end(lot)
    settled = lot_finalize(lot=lot)

    assert settled.status == LotStatus.AWAITING_PAYMENT
    assert (settled.outcome, settled.winner_id, settled.hammer_fen) == (
        LotOutcome.HIGHEST_BID,
        alice.pk,
        yuan(2_000),  # raised to the reserve
    )
    assert settled.closed_at == lot.ends_at
    assert settled.payment_due_at == lot.ends_at + timedelta(hours=48)


def test_settling_twice_changes_nothing_more(won):
    again = lot_finalize(lot=won)

    assert (again.status, again.version, again.finalized_at) == (
        won.status,
        won.version,
        won.finalized_at,
    )


def test_a_late_sweeper_does_not_move_the_payment_window(lot, alice):
    paid_deposit(alice, lot=lot)
    bid(lot, alice, 3_000)
    after_end(lot, seconds=3 * 3600)

    settled = lot_finalize(lot=lot)

    assert settled.payment_due_at == fresh(lot).ends_at + timedelta(hours=48)


@pytest.mark.parametrize(
    ("bids", "outcome"),
    [([], LotOutcome.NO_BIDS), ([1_500], LotOutcome.RESERVE_NOT_MET)],
)
def test_a_lot_without_bids_or_below_its_reserve_is_unsold(lot, alice, bids, outcome):
    paid_deposit(alice, lot=lot)
    for amount in bids:
        bid(lot, alice, amount)
    after_end(lot)

    settled = lot_finalize(lot=lot)

    assert (settled.status, settled.outcome, settled.winner_id) == (
        LotStatus.UNSOLD,
        outcome,
        None,
    )


def test_a_buy_now_is_settled_at_once_without_waiting_for_the_end(shop, alice):
    lot = make_lot(shop=shop, buy_now_fen=yuan(9_000))
    bid(lot, alice, 9_000, buy_now=True)

    settled = lot_finalize(lot=lot)

    assert settled.status == LotStatus.AWAITING_PAYMENT
    assert settled.hammer_fen == yuan(9_000)
    assert settled.payment_due_at == clock.now() + timedelta(hours=48)


# --- the winner pays -----------------------------------------------------------------------


def test_the_winners_checkout_asks_for_the_price_less_the_deposit(won, alice, shop):
    checkout = lot_checkout_create(lot=won, by=alice, delivery="address", address=ADDRESS)

    (order,) = checkout.orders.all()
    (line,) = order.lines.all()
    assert (order.shop, order.status, order.total_fen) == (
        shop,
        OrderStatus.PENDING_PAYMENT,
        yuan(3_100),
    )
    assert (line.quantity, line.unit_price_fen, line.product_title) == (
        1,
        yuan(3_100),
        won.title_zh,
    )
    assert checkout.payment.amount_fen == yuan(3_100) - yuan(500)
    assert checkout.payment.payable_type == "auction_checkout"
    assert checkout.expires_at <= won.payment_due_at
    assert not line.sku.is_active  # the lot's own SKU is never on sale


def test_asking_again_returns_the_checkout_that_can_still_be_paid(won, alice):
    first = lot_checkout_create(lot=won, by=alice, delivery="pickup")

    assert lot_checkout_create(lot=won, by=alice, delivery="pickup") == first


def test_a_lot_without_a_product_gets_a_delisted_catalog_record_for_its_order(won, alice):
    checkout = lot_checkout_create(lot=won, by=alice, delivery="pickup")

    product = checkout.orders.get().lines.get().sku.product
    assert product.status == "delisted" and product.shop == won.shop


def test_a_lot_with_a_product_orders_on_that_product(shop, alice):
    product = make_product(shop=shop)
    lot = make_lot(shop=shop, product=product)
    bid(lot, alice, 1_000)
    after_end(lot)

    checkout = lot_checkout_create(lot=lot, by=alice, delivery="pickup")

    assert checkout.orders.get().lines.get().sku.product == product


def test_only_the_winner_may_check_out_and_only_a_closed_lot(lot, won, bob, alice):
    with pytest.raises(PermissionDenied) as refused:
        lot_checkout_create(lot=won, by=bob, delivery="pickup")
    assert refused.value.code == "not_winner"

    running = make_lot()
    bid(running, alice, 1_000)
    with pytest.raises(Conflict) as refused:
        lot_checkout_create(lot=running, by=alice, delivery="pickup")
    assert refused.value.code == "lot_not_closed"


def test_paying_makes_the_order_paid_the_lot_paid_and_the_deposit_applied(won, alice):
    checkout = lot_checkout_create(lot=won, by=alice, delivery="address", address=ADDRESS)

    assert pay(checkout.payment) == "credited"

    lot = fresh(won)
    assert (lot.status, lot.buyer_id, lot.sold_fen) == (LotStatus.PAID, alice.pk, yuan(3_100))
    assert fresh(checkout).status == CheckoutStatus.PAID
    assert checkout.orders.get().status == OrderStatus.PAID
    deposit = alice.auction_deposits.get()
    assert (deposit.status, deposit.applied_fen) == (DepositStatus.APPLIED, yuan(500))
    run_jobs()
    assert escrow_balance() == yuan(3_100)  # deposit + balance: the order's total
    assert ledger_verify() == []
    assert [m.standing for m in lots_bid_on(user=alice)] == ["paid"]


def test_on_completion_the_seller_is_paid_the_whole_price_less_commission(won, alice, seller):
    checkout = lot_checkout_create(lot=won, by=alice, delivery="address", address=ADDRESS)
    pay(checkout.payment)
    run_jobs()
    order = checkout.orders.get()

    order_ship(order=order, by=seller, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=order, by=alice)

    assert fresh(order).status == OrderStatus.COMPLETED
    assert seller_balance(won.shop.public_id) == yuan(3_100) - yuan(310)
    assert account_balance(accounts.PLATFORM_COMMISSION) == yuan(310)
    assert escrow_balance() == 0
    assert ledger_verify() == []


def test_the_seller_can_refund_the_balance_of_an_auction_order(won, alice, seller):
    checkout = lot_checkout_create(lot=won, by=alice, delivery="pickup")
    pay(checkout.payment)
    order = checkout.orders.get()

    order_refund(order=order, amount_fen=yuan(2_600), reason="破损", by=seller)
    run_jobs()

    assert fresh(order).refunded_fen == yuan(2_600)
    assert escrow_balance() == yuan(500)
    assert ledger_verify() == []


def test_a_checkout_that_expires_can_be_made_again_within_the_window(won, alice):
    first = lot_checkout_create(lot=won, by=alice, delivery="pickup")
    clock.advance(timedelta(minutes=20))
    payment_close(payment=first.payment)
    assert fresh(first).status == CheckoutStatus.EXPIRED

    second = lot_checkout_create(lot=won, by=alice, delivery="pickup")

    assert second != first
    assert pay(second.payment) == "credited"
    assert fresh(won).status == LotStatus.PAID


# --- defaults and second chances ------------------------------------------------------------


def _overdue(lot):
    clock.set_frozen(fresh(lot).payment_due_at)
    return lot_payment_overdue(lot=lot)


def test_a_winner_who_does_not_pay_forfeits_the_deposit_and_the_runner_up_gets_a_chance(
    won, alice, bob
):
    pending = lot_checkout_create(lot=won, by=alice, delivery="pickup")
    lot = _overdue(won)

    assert lot.status == LotStatus.SECOND_CHANCE
    assert lot.settlement_note == SettlementNote.WINNER_DEFAULTED
    assert fresh(pending).status == CheckoutStatus.EXPIRED
    assert alice.auction_deposits.get().status == DepositStatus.FORFEITED
    assert account_balance(accounts.PLATFORM_FORFEITS) == yuan(500)
    offer = SecondChanceOffer.objects.get(lot=lot)
    assert (offer.bidder, offer.amount_fen, offer.status) == (bob, yuan(3_000), OfferStatus.OPEN)
    assert offer.expires_at == won.payment_due_at + timedelta(hours=24)
    run_jobs()
    assert escrow_balance() == 0  # bob's deposit went back when the lot closed
    assert ledger_verify() == []


def test_the_winner_cannot_pay_after_the_window(won, alice):
    clock.set_frozen(won.payment_due_at)

    with pytest.raises(Conflict) as refused:
        lot_checkout_create(lot=won, by=alice, delivery="pickup")

    assert refused.value.code == "payment_window_closed"


def test_a_payment_arriving_after_the_window_is_refunded_and_the_lot_goes_on(won, alice):
    checkout = lot_checkout_create(lot=won, by=alice, delivery="pickup")
    from designmall.payments.gateways import sandbox
    from designmall.payments.services import notification_receive

    notification = sandbox.sandbox_pay(payment=checkout.payment).notification
    clock.set_frozen(won.payment_due_at)

    assert notification_receive(params=notification).outcome == "refunding"
    run_jobs()
    assert fresh(won).status == LotStatus.AWAITING_PAYMENT
    assert lot_payment_overdue(lot=won).status == LotStatus.SECOND_CHANCE
    assert ledger_verify() == []


def test_default_then_second_chance_then_paid_keeps_the_books_balanced(won, alice, bob, seller):
    lot = _overdue(won)
    offer = SecondChanceOffer.objects.get(lot=lot)
    assert purchase_terms(lot=lot, user=bob).price_fen == yuan(3_000)
    assert purchase_terms(lot=lot, user=alice) is None
    with pytest.raises(PermissionDenied):
        lot_checkout_create(lot=lot, by=alice, delivery="pickup")

    checkout = lot_checkout_create(lot=lot, by=bob, delivery="pickup")
    assert checkout.payment.amount_fen == yuan(3_000)  # no deposit of bob's is held now
    assert pay(checkout.payment) == "credited"
    run_jobs()

    lot = fresh(lot)
    assert (lot.status, lot.buyer_id, lot.sold_fen) == (LotStatus.PAID, bob.pk, yuan(3_000))
    assert fresh(offer).status == OfferStatus.ACCEPTED
    assert LotCheckout.objects.get(checkout=checkout).kind == CheckoutKind.SECOND_CHANCE
    order = checkout.orders.get()
    from designmall.orders.services import order_pickup_confirm, order_ready_for_pickup

    order_ready_for_pickup(order=order, by=seller)
    order_pickup_confirm(order=fresh(order), code=fresh(order).pickup_code, by=seller)
    assert seller_balance(lot.shop.public_id) == yuan(3_000) - yuan(300)
    assert account_balance(accounts.PLATFORM_FORFEITS) == yuan(500)
    assert escrow_balance() == 0
    assert ledger_verify() == []


def test_without_a_runner_up_at_the_reserve_a_default_leaves_the_lot_unsold(lot, alice, bob):
    for who in (alice, bob):
        paid_deposit(who, lot=lot)
    bid(lot, bob, 1_500)  # below the ¥2,000 reserve
    bid(lot, alice, 5_000)
    after_end(lot)
    lot_finalize(lot=lot)

    lot = _overdue(lot)

    assert (lot.status, lot.settlement_note) == (LotStatus.UNSOLD, SettlementNote.WINNER_DEFAULTED)
    assert not SecondChanceOffer.objects.exists()


def test_a_second_chance_not_taken_up_in_time_lapses_and_the_lot_is_unsold(won, bob):
    lot = _overdue(won)
    offer = SecondChanceOffer.objects.get(lot=lot)
    lot_checkout_create(lot=lot, by=bob, delivery="pickup")  # opened, never paid

    assert second_chance_lapse(offer=offer).status == OfferStatus.OPEN  # not yet
    clock.set_frozen(offer.expires_at)
    assert second_chance_lapse(offer=offer).status == OfferStatus.LAPSED
    assert second_chance_lapse(offer=offer).status == OfferStatus.LAPSED

    lot = fresh(lot)
    assert (lot.status, lot.settlement_note) == (
        LotStatus.UNSOLD,
        SettlementNote.SECOND_CHANCE_LAPSED,
    )
    assert ledger_verify() == []


def test_the_runner_up_may_decline_and_no_one_else_may_for_them(won, alice, bob):
    lot = _overdue(won)
    offer = SecondChanceOffer.objects.get(lot=lot)
    pending = lot_checkout_create(lot=lot, by=bob, delivery="pickup")

    with pytest.raises(NotFound):
        second_chance_decline(offer=offer, by=alice)
    second_chance_decline(offer=offer, by=bob)

    assert fresh(offer).status == OfferStatus.DECLINED
    assert fresh(pending).status == CheckoutStatus.CANCELLED
    assert fresh(lot).settlement_note == SettlementNote.SECOND_CHANCE_DECLINED
    with pytest.raises(Conflict):
        second_chance_decline(offer=fresh(offer), by=bob)


def test_the_default_sweeper_step_is_idempotent_and_waits_for_the_window(won):
    assert lot_payment_overdue(lot=won).status == LotStatus.AWAITING_PAYMENT
    first = _overdue(won)
    again = lot_payment_overdue(lot=first)

    assert (again.status, again.version) == (first.status, first.version)
    assert SecondChanceOffer.objects.count() == 1


def test_what_each_bidder_sees_of_the_result(won, alice, bob):
    view = lot_view(lot=won, viewer=alice)
    assert view.sold and view.viewer_is_winner and view.hammer_fen == yuan(3_100)
    assert {m.lot.pk: m.standing for m in lots_bid_on(user=alice)} == {won.pk: "won"}
    assert {m.lot.pk: m.standing for m in lots_bid_on(user=bob)} == {won.pk: "lost"}

    lot = _overdue(won)
    assert [m.standing for m in lots_bid_on(user=bob)] == ["offered"]
    assert [m.standing for m in lots_bid_on(user=alice)] == ["defaulted"]
    assert fresh(lot).status == LotStatus.SECOND_CHANCE
