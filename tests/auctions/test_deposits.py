"""Bidder deposits: paid through the sandbox cashier, held in escrow while the lot runs,
released to the losers when it closes, counted toward the winner's price."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from designmall.accounts.roles import Role
from designmall.auctions.deposits import deposit_create, deposit_settle
from designmall.auctions.models import Deposit, DepositStatus, LotStatus
from designmall.auctions.selectors import deposits_to_settle
from designmall.auctions.settlement import lot_finalize
from designmall.core import clock
from designmall.core.errors import Conflict, PermissionDenied, ValidationFailed
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import PaymentStatus, Refund, RefundStatus
from designmall.payments.services import payment_close
from tests.auctions.conftest import after_end, bid, fresh, paid_deposit, pay, run_jobs, yuan
from tests.factories import make_lot, make_sale, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(db):
    return make_lot(deposit_fen=yuan(500))


def test_a_deposit_is_a_pending_payment_of_the_lots_amount(lot, alice):
    deposit = deposit_create(bidder=alice, lot=lot)

    assert (deposit.status, deposit.amount_fen) == (DepositStatus.PENDING, yuan(500))
    payment = deposit.payment
    assert (payment.amount_fen, payment.payable_type, payment.payable_id) == (
        yuan(500),
        "auction_deposit",
        deposit.public_id,
    )
    assert payment.buyer == alice


def test_the_deposits_payment_is_named_in_the_bidders_language(alice):
    # The cashier shows it: one language, not an English label around a Chinese title.
    lot = make_lot(deposit_fen=yuan(500), title_zh="紫砂盖碗", title_en="Zisha Clay Gaiwan")
    with translation.override("en"):
        deposit = deposit_create(bidder=alice, lot=lot)
    assert deposit.payment.subject == "Bidder deposit · Zisha Clay Gaiwan"


def test_asking_again_while_it_can_be_paid_returns_the_same_deposit(lot, alice):
    assert deposit_create(bidder=alice, lot=lot) == deposit_create(bidder=alice, lot=lot)


def test_paying_holds_the_deposit_in_escrow(lot, alice):
    deposit = paid_deposit(alice, lot=lot)

    assert deposit.status == DepositStatus.PAID and deposit.paid_at == clock.now()
    assert escrow_balance() == yuan(500)
    assert ledger_verify() == []


def test_a_second_deposit_for_the_same_lot_is_refused_once_one_is_held(lot, alice):
    paid_deposit(alice, lot=lot)

    with pytest.raises(Conflict) as refused:
        deposit_create(bidder=alice, lot=lot)

    assert refused.value.code == "deposit_already_paid"


def test_two_pending_deposits_paid_both_keep_one_and_refund_the_other(lot, alice):
    first = deposit_create(bidder=alice, lot=lot)
    clock.advance(timedelta(minutes=16))  # the first's payment has run out (not yet closed)
    second = deposit_create(bidder=alice, lot=lot)
    assert second != first

    assert pay(second.payment) == "credited"
    first.payment.expires_at = clock.now() + timedelta(minutes=5)  # paid late at the gateway
    first.payment.save(update_fields=["expires_at"])
    assert pay(first.payment) == "refunding"
    run_jobs()

    assert fresh(first).status == DepositStatus.PENDING
    assert Deposit.objects.filter(lot=lot, bidder=alice, status=DepositStatus.PAID).count() == 1
    assert escrow_balance() == yuan(500)
    assert ledger_verify() == []


def test_the_seller_and_lots_without_a_deposit_cannot_take_one(alice):
    seller = make_user(role=Role.SELLER)
    lot = make_lot(shop=make_shop(owner=seller), deposit_fen=yuan(500))
    with pytest.raises(PermissionDenied):
        deposit_create(bidder=seller, lot=lot)
    with pytest.raises(Conflict) as refused:
        deposit_create(bidder=alice, lot=make_lot())
    assert refused.value.code == "deposit_not_required"
    with pytest.raises(ValidationFailed):
        deposit_create(bidder=alice)


def test_no_deposit_is_taken_for_a_lot_that_has_closed(lot, alice):
    after_end(lot)

    with pytest.raises(Conflict) as refused:
        deposit_create(bidder=alice, lot=lot)

    assert refused.value.code == "bidding_closed"


def test_a_deposit_paid_after_its_lot_closed_is_refunded_in_full(lot, alice):
    deposit = deposit_create(bidder=alice, lot=lot)
    notification = sandbox.sandbox_pay(payment=deposit.payment).notification
    after_end(lot)
    from designmall.payments.services import notification_receive

    assert notification_receive(params=notification).outcome == "refunding"
    run_jobs()

    assert fresh(deposit).status == DepositStatus.PENDING
    assert escrow_balance() == 0
    assert ledger_verify() == []


def test_an_unpaid_deposit_expires_with_its_payment(lot, alice):
    deposit = deposit_create(bidder=alice, lot=lot)

    payment_close(payment=deposit.payment)

    assert fresh(deposit).status == DepositStatus.EXPIRED


def test_when_the_lot_closes_the_losers_deposits_are_released_and_the_winners_kept(
    lot, alice, bob, carol
):
    deposits = {who: paid_deposit(who, lot=lot) for who in (alice, bob, carol)}
    bid(lot, alice, 3_000)
    bid(lot, bob, 2_000)  # carol paid but never bid: released too
    after_end(lot)

    lot_finalize(lot=lot)
    assert {p: fresh(d).status for p, d in deposits.items()} == {
        alice: DepositStatus.PAID,
        bob: DepositStatus.RELEASING,
        carol: DepositStatus.RELEASING,
    }
    run_jobs()

    assert fresh(deposits[alice]).credited_lot == fresh(lot)
    assert fresh(deposits[bob]).status == DepositStatus.RELEASED
    assert fresh(deposits[carol]).status == DepositStatus.RELEASED
    assert escrow_balance() == yuan(500)  # the winner's, toward the price
    assert ledger_verify() == []


def test_an_unsold_lot_releases_every_deposit(alice, bob):
    lot = make_lot(deposit_fen=yuan(500), reserve_fen=yuan(10_000))
    for who in (alice, bob):
        paid_deposit(who, lot=lot)
    bid(lot, alice, 3_000)
    after_end(lot)

    lot_finalize(lot=lot)
    run_jobs()

    assert fresh(lot).status == LotStatus.UNSOLD
    assert set(Deposit.objects.values_list("status", flat=True)) == {DepositStatus.RELEASED}
    assert escrow_balance() == 0
    assert ledger_verify() == []


def test_a_sale_deposit_is_released_only_when_the_sales_last_lot_is_settled(alice):
    sale = make_sale(deposit_fen=yuan(300))
    first = make_lot(sale=sale, ends_in=timedelta(minutes=10))
    second = make_lot(sale=sale, ends_in=timedelta(minutes=20))
    deposit = paid_deposit(alice, sale=sale)

    after_end(first)
    lot_finalize(lot=first)
    assert fresh(deposit).status == DepositStatus.PAID

    after_end(second)
    lot_finalize(lot=second)
    run_jobs()
    assert fresh(deposit).status == DepositStatus.RELEASED
    assert ledger_verify() == []


def test_the_sweeper_releases_a_deposit_left_held_and_makes_a_failed_release_again(
    lot, alice, monkeypatch
):
    deposit = paid_deposit(alice, lot=lot)
    after_end(lot)
    lot_finalize(lot=lot)
    refund = fresh(deposit).release_refund
    # The gateway refuses the refund for good: payments fails it.
    from designmall.payments.gateways.base import GatewayError

    def refuse(*args, **kwargs):
        raise GatewayError("refund refused", retryable=False)

    monkeypatch.setattr(sandbox.SandboxGateway, "refund", refuse)
    run_jobs()
    assert fresh(refund).status == RefundStatus.FAILED
    assert deposits_to_settle() == [deposit.pk]
    monkeypatch.undo()

    deposit_settle(deposit=deposit)
    deposit_settle(deposit=deposit)  # twice: harmless
    run_jobs()

    assert fresh(deposit).status == DepositStatus.RELEASED
    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 1
    assert deposits_to_settle() == []
    assert escrow_balance() == 0
    assert ledger_verify() == []
    assert fresh(deposit).payment.status == PaymentStatus.PAID
