"""Real concurrent connections on PostgreSQL: a payment is credited once, and a payment
racing its expiry ends paid or refunded, never both and never neither."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from designmall.core.errors import Conflict
from designmall.core.models import Job
from designmall.ledger.services import escrow_balance, ledger_verify, transactions_for
from designmall.payments.gateways import sandbox
from designmall.payments.models import (
    NotifyOutcome,
    PaymentNotification,
    PaymentStatus,
    RefundStatus,
    SandboxTrade,
)
from designmall.payments.services import notification_receive, payment_close, payment_reconcile
from designmall.payments.tasks import payments_sweep
from tests.payments.conftest import NOTIFY_PATH, run_jobs

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def at_once(*works):
    """Run each ``work()`` in its own thread and connection, released together."""
    barrier = threading.Barrier(len(works))
    results: list[object] = [None] * len(works)

    def run(i):
        try:
            barrier.wait()
            results[i] = works[i]()
        except Exception as exc:  # each thread's outcome is inspected
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_one_notification_delivered_by_ten_connections_at_once_credits_once(
    on_postgres, make_payment, checkouts
):
    payment = make_payment(amount_fen=12_900)
    body = urlencode(sandbox.sandbox_pay(payment=payment).notification)

    def deliver():
        response = Client().post(
            NOTIFY_PATH, body, content_type="application/x-www-form-urlencoded"
        )
        return response.content

    answers = at_once(*[deliver] * 10)

    assert answers == [b"success"] * 10
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert checkouts.of("paid") == [("paid", payment.payable_id)]
    assert transactions_for("payment", payment.public_id).count() == 1
    assert escrow_balance() == 12_900
    outcomes = sorted(PaymentNotification.objects.values_list("outcome", flat=True))
    assert outcomes == sorted([NotifyOutcome.CREDITED] + [NotifyOutcome.DUPLICATE] * 9)


def test_a_notification_racing_the_expiry_ends_paid_or_refunded(
    on_postgres, make_payment, checkouts
):
    payments = [make_payment(amount_fen=1_000 * (i + 1)) for i in range(6)]
    paid_at_gateway = [sandbox.sandbox_pay(payment=p).notification for p in payments]

    for payment, notification in zip(payments, paid_at_gateway, strict=True):
        results = at_once(
            lambda n=notification: notification_receive(params=n).answer,
            lambda p=payment: payment_close(payment=p).status,
        )
        assert results[0] == "success", results
    run_jobs()

    kept = 0
    for payment in payments:
        payment.refresh_from_db()
        got_paid = ("paid", payment.payable_id) in checkouts.events
        got_expired = ("expired", payment.payable_id) in checkouts.events
        refunds = list(payment.refunds.all())
        assert payment.status == PaymentStatus.PAID  # the money arrived: recorded either way
        assert got_paid != got_expired  # told exactly one thing
        if got_paid:  # the notification won: paid, nothing refunded
            assert refunds == []
            kept += payment.amount_fen
        else:  # the expiry won: the money went back in full
            assert [(r.status, r.automatic, r.amount_fen) for r in refunds] == [
                (RefundStatus.SUCCEEDED, True, payment.amount_fen)
            ]
    assert escrow_balance() == kept
    assert ledger_verify() == []


def test_a_buyer_paying_while_the_gateway_closes_the_trade_ends_closed_or_refunded(
    on_postgres, make_payment, checkouts
):
    """The notification is lost: only the reconciliation can find the money."""
    payments = [make_payment(amount_fen=1_000 * (i + 1)) for i in range(6)]
    for payment in payments:
        sandbox.sandbox_trade_for(payment)  # the buyer is at the cashier
        payment_close(payment=payment, reason="cancelled")

    def pay_without_notice(payment):
        try:
            sandbox.sandbox_pay(payment=payment)
        except Conflict:
            return "refused"
        Job.objects.filter(name=sandbox.NOTIFY_JOB).delete()
        return "paid"

    for payment in payments:
        at_once(
            lambda p=payment: pay_without_notice(p),
            lambda p=payment: payment_reconcile(payment=p),
        )
    payments_sweep()
    run_jobs()

    for payment in payments:
        payment.refresh_from_db()
        trade = SandboxTrade.objects.get(out_trade_no=payment.out_trade_no)
        if trade.paid_at is None:  # the close won: nothing was paid
            assert (payment.status, trade.status) == (PaymentStatus.CLOSED, "TRADE_CLOSED")
        else:  # the buyer won: the money was found and went back in full
            assert payment.status == PaymentStatus.PAID
            assert trade.refunded_fen == trade.total_fen
    assert checkouts.of("paid") == []
    assert escrow_balance() == 0
    assert ledger_verify() == []
