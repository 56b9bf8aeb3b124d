"""A second trade for an already-paid payment (the buyer paid twice) is taken in, answered
``success`` so the gateway stops retrying, and refunded in full at once."""

from __future__ import annotations

import pytest

from designmall.core.audit import audit_trail
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome, Overpayment, RefundStatus, SandboxTrade
from designmall.payments.services import notification_receive
from tests.payments.conftest import notification_for, post_notify, run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(make_payment):
    payment = make_payment()
    sandbox.sandbox_pay(payment=payment)
    run_jobs()
    payment.refresh_from_db()
    return payment


def test_a_second_trade_for_a_paid_payment_is_answered_success(client, paid, keys):
    params = notification_for(paid, keys, trade_no="2026120522001400000000000002")

    response = post_notify(client, params)

    assert response.content == b"success"
    assert paid.notifications.latest("id").outcome == NotifyOutcome.OVERPAID


def test_a_second_trade_is_refunded_in_full_at_the_gateway(paid, checkouts):
    second = sandbox.sandbox_pay_twice(payment=paid)

    run_jobs()

    overpayment = Overpayment.objects.get()
    assert (overpayment.trade_no, overpayment.amount_fen) == (second.trade.trade_no, 12_900)
    refund = overpayment.refund
    assert (refund.status, refund.amount_fen, refund.automatic) == (
        RefundStatus.SUCCEEDED,
        12_900,
        True,
    )
    assert SandboxTrade.objects.get(trade_no=second.trade.trade_no).refunded_fen == 12_900
    assert SandboxTrade.objects.get(trade_no=paid.trade_no).refunded_fen == 0
    assert checkouts.of("refunded") == []  # the payable's own money is untouched


def test_an_overpayment_leaves_the_payment_and_its_refundable_amount_as_they_were(paid):
    sandbox.sandbox_pay_twice(payment=paid)
    run_jobs()

    paid.refresh_from_db()
    assert (paid.refunded_fen, paid.amount_fen) == (0, 12_900)
    assert escrow_balance() == 12_900  # only the first trade's money waits for the order
    assert ledger_verify() == []


def test_the_same_second_trade_notified_again_is_taken_once(paid, keys):
    params = notification_for(paid, keys, trade_no="2026120522001400000000000002")

    first = notification_receive(params=params).outcome
    again = notification_receive(params=params).outcome

    assert (first, again) == (NotifyOutcome.OVERPAID, NotifyOutcome.DUPLICATE)
    assert Overpayment.objects.count() == 1
    assert paid.refunds.count() == 1


def test_an_overpayment_is_audited(paid):
    second = sandbox.sandbox_pay_twice(payment=paid)
    run_jobs()

    entry = audit_trail(paid).get(action="payment.overpaid")
    assert entry.data["trade_no"] == second.trade.trade_no


def test_a_second_trade_of_another_amount_is_not_believed(paid, keys):
    params = notification_for(
        paid, keys, trade_no="2026120522001400000000000003", total_amount="1.00"
    )

    assert notification_receive(params=params).outcome == NotifyOutcome.AMOUNT_MISMATCH
    assert not Overpayment.objects.exists()
