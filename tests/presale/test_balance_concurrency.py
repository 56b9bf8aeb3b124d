"""Real concurrent connections on PostgreSQL: a deposit refund (the seller cancelling)
racing the balance's notice and the balance's own payment ends in one consistent state per
pre-order: cancelled with everything paid refunded in full, never a fully paid pre-order
beside a refund, never money lost, the books balanced; a notice at most once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome, Payment, PaymentStatus, Refund
from designmall.payments.services import notification_receive
from designmall.presale import tasks
from designmall.presale.models import NoticeKind, PreorderNotice, PreorderStatus
from designmall.presale.selectors import campaign_skus_verify
from designmall.presale.services import (
    preorder_balance_notify,
    preorder_balance_pay,
    preorder_cancel,
    preorder_deposit_create,
)
from tests.concurrency import concurrently
from tests.factories import make_operator
from tests.presale.conftest import buyers, first_sku, fresh, make_campaign, run_jobs, taken

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 16


def _deposit_paid(row, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    paid = sandbox.sandbox_pay(payment=preorder.deposit_payment)
    assert notification_receive(params=paid.notification).outcome == NotifyOutcome.CREDITED
    return fresh(preorder)


def test_deposit_refunds_racing_the_balance_notice_and_payment_end_consistent(on_postgres):
    campaign = make_campaign(quantity=12, per_buyer_limit=1)
    row = first_sku(campaign)
    seller = campaign.shop.owner
    preorders = [_deposit_paid(row, b) for b in buyers(12, prefix="race")]
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    # Half the buyers have paid their balance at the cashier; its notice is on its way.
    notes = {}
    for preorder in preorders[:6]:
        payment = preorder_balance_pay(buyer=preorder.buyer, preorder=preorder)
        notes[preorder.pk] = sandbox.sandbox_pay(payment=payment).notification

    works = []
    for preorder in preorders:
        works.append(lambda p=preorder: preorder_balance_notify(preorder=p))
        works.append(lambda p=preorder: preorder_cancel(preorder=p, by=seller).status)
        if preorder.pk in notes:
            works.append(lambda n=notes[preorder.pk]: notification_receive(params=n).outcome)
    works.extend([tasks.balance_notices, tasks.balance_notices])
    results = concurrently(works, pool=THREADS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    run_jobs()

    outcomes = Counter()
    for preorder in preorders:
        preorder = fresh(preorder)
        outcomes[preorder.status] += 1
        payments = [preorder.deposit_payment, preorder.balance_payment]
        for payment in filter(None, payments):
            payment = fresh(payment)
            if payment.status == PaymentStatus.PAID:
                # Cancelled: every paid payment refunded in full, never more.
                assert payment.refunded_fen == payment.amount_fen, payment
                assert sum(r.amount_fen for r in payment.refunds.all()) == payment.amount_fen
        assert preorder.status == PreorderStatus.CANCELLED  # the seller's cancel always wins
        assert (
            PreorderNotice.objects.filter(preorder=preorder, kind=NoticeKind.CANCELLED).count() == 1
        )
        assert (
            PreorderNotice.objects.filter(preorder=preorder, kind=NoticeKind.BALANCE_OPEN).count()
            <= 1
        )
    assert outcomes == {PreorderStatus.CANCELLED: 12}
    assert escrow_balance() == 0  # nothing paid is lost: all of it went back
    paid_in = sum(
        Payment.objects.filter(status=PaymentStatus.PAID).values_list("amount_fen", flat=True)
    )
    assert sum(Refund.objects.values_list("amount_fen", flat=True)) == paid_in
    assert taken(row) == 0
    assert campaign_skus_verify() == []
    assert ledger_verify() == []


def test_balance_notices_racing_deposit_refunds_never_leave_a_fully_paid_pre_order_refunded(
    on_postgres,
):
    """The buyer pays the balance while an operator refunds the deposit of some pre-orders
    and the sweeper tells everyone: a fully paid pre-order keeps all its money; a refunded
    one is cancelled with all of it back."""
    campaign = make_campaign(quantity=10, per_buyer_limit=1)
    row = first_sku(campaign)
    operator = make_operator()
    preorders = [_deposit_paid(row, b) for b in buyers(10, prefix="pair")]
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    notes = {}
    for preorder in preorders:
        payment = preorder_balance_pay(buyer=preorder.buyer, preorder=preorder)
        notes[preorder.pk] = sandbox.sandbox_pay(payment=payment).notification

    works = [tasks.balance_notices for _ in range(3)]
    for i, preorder in enumerate(preorders):
        works.append(lambda n=notes[preorder.pk]: notification_receive(params=n).outcome)
        if i % 2 == 0:
            works.append(lambda p=preorder: preorder_cancel(preorder=p, by=operator).status)
    results = concurrently(works, pool=THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    run_jobs()

    held = 0
    for i, preorder in enumerate(preorders):
        preorder = fresh(preorder)
        deposit, balance = fresh(preorder.deposit_payment), fresh(preorder.balance_payment)
        if i % 2 == 0:
            assert preorder.status == PreorderStatus.CANCELLED
            assert deposit.refunded_fen == deposit.amount_fen
            assert balance.refunded_fen == balance.amount_fen
        else:
            assert preorder.status == PreorderStatus.FULLY_PAID
            assert deposit.refunded_fen == balance.refunded_fen == 0
            held += deposit.amount_fen + balance.amount_fen
    assert escrow_balance() == held
    assert taken(row) == 5
    assert campaign_skus_verify() == []
    assert ledger_verify() == []
