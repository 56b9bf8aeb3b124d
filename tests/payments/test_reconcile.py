"""The sweeper asks the gateway about quiet payments and closes expired ones, idempotently."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict
from designmall.core.models import Job
from designmall.core.tasks import run_due_tasks
from designmall.payments.gateways import sandbox
from designmall.payments.models import Payment, PaymentStatus, SandboxTrade
from designmall.payments.services import (
    RECONCILE_JOB,
    payment_close,
    payment_reconcile,
    payment_start,
)
from designmall.payments.tasks import payments_sweep
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db


def paid_but_never_notified(payment) -> None:
    """The buyer pays at the gateway; its notification is lost on the way."""
    sandbox.sandbox_pay(payment=payment)
    Job.objects.filter(name=sandbox.NOTIFY_JOB).delete()


def sweep_and_run(times: int = 1) -> None:
    for _ in range(times):
        payments_sweep()
        run_jobs()


def test_a_payment_whose_notification_was_lost_is_credited_from_the_gateway(
    make_payment, checkouts
):
    payment = make_payment()
    paid_but_never_notified(payment)
    clock.advance(timedelta(minutes=6))

    sweep_and_run(times=2)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert checkouts.of("paid") == [("paid", payment.payable_id)]
    assert audit_trail(payment).get(action="payment.paid").data["via"] == "query"


def test_a_young_pending_payment_is_left_alone(make_payment):
    make_payment()
    clock.advance(timedelta(minutes=4))

    assert payments_sweep() == 0
    assert not Job.objects.filter(name=RECONCILE_JOB).exists()


def test_a_payment_still_unpaid_within_its_time_stays_pending(make_payment, checkouts):
    payment = make_payment()
    clock.advance(timedelta(minutes=6))

    sweep_and_run()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert checkouts.events == []


def test_an_expired_payment_is_closed_at_the_gateway_and_here_once(client, make_payment, checkouts):
    payment = make_payment()
    client.get(f"/payments/sandbox/{payment.out_trade_no}/")  # the buyer saw the cashier
    clock.advance(timedelta(minutes=16))

    sweep_and_run(times=2)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CLOSED
    assert payment.closed_at is not None
    assert checkouts.events == [("expired", payment.payable_id)]
    assert SandboxTrade.objects.get().status == "TRADE_CLOSED"


def test_an_expired_payment_the_gateway_never_saw_is_closed(make_payment, checkouts):
    payment = make_payment()
    clock.advance(timedelta(minutes=16))

    sweep_and_run()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CLOSED
    assert checkouts.of("expired") == [("expired", payment.payable_id)]


def test_an_expired_payment_that_was_paid_at_the_gateway_is_credited_not_closed(
    make_payment, checkouts
):
    payment = make_payment()
    clock.advance(timedelta(minutes=14))
    paid_but_never_notified(payment)
    clock.advance(timedelta(minutes=2))

    sweep_and_run()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert checkouts.of("expired") == []


def test_sweeping_again_while_a_reconciliation_waits_queues_nothing_more(make_payment):
    payment = make_payment()
    clock.advance(timedelta(minutes=16))

    payments_sweep()
    payments_sweep()

    assert Job.objects.filter(name=RECONCILE_JOB, key__endswith=f":{payment.pk}").count() == 1


def test_the_worker_runs_the_sweeper_as_a_periodic_task(make_payment, checkouts):
    payment = make_payment()
    clock.advance(timedelta(minutes=16))

    run_due_tasks()
    run_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CLOSED


def test_reconciling_a_settled_payment_asks_nothing(make_payment, checkouts, monkeypatch):
    payment = make_payment()
    clock.advance(timedelta(minutes=16))
    payment_reconcile(payment=payment)

    monkeypatch.setattr(sandbox.SandboxServer, "post_form", None)  # any call would fail
    again = payment_reconcile(payment=payment)

    assert again.status == PaymentStatus.CLOSED
    assert checkouts.of("expired") == [("expired", payment.payable_id)]


def test_one_round_of_designmall_worker_sweeps_and_runs_the_jobs(make_payment, checkouts):
    payment = make_payment()
    clock.advance(timedelta(minutes=16))

    call_command("worker", "--once", stdout=io.StringIO())

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CLOSED
    assert checkouts.of("expired") == [("expired", payment.payable_id)]


# --- giving a payment up: closing until the gateway confirms -------------------------------


def test_giving_up_a_payment_makes_it_closing_and_tells_its_payable_once(make_payment, checkouts):
    payment = make_payment()

    payment_close(payment=payment, reason="cancelled")
    payment_close(payment=payment, reason="cancelled")

    payment.refresh_from_db()
    assert (payment.status, payment.closed_at) == (PaymentStatus.CLOSING, None)
    assert checkouts.events == [("expired", payment.payable_id)]
    assert audit_trail(payment).get(action="payment.closing").reason == "cancelled"


def test_a_closing_payment_is_closed_only_once_the_gateway_has_closed_its_trade(
    client, make_payment, checkouts
):
    payment = make_payment()
    client.get(f"/payments/sandbox/{payment.out_trade_no}/")  # the buyer saw the cashier
    payment_close(payment=payment)

    run_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CLOSED
    assert SandboxTrade.objects.get().status == "TRADE_CLOSED"
    assert audit_trail(payment).get(action="payment.closed").data == {
        "gateway_status": "TRADE_CLOSED"
    }


def test_a_closing_payment_found_paid_at_the_gateway_is_credited_and_refunded(
    make_payment, checkouts
):
    payment = make_payment()
    paid_but_never_notified(payment)
    payment_close(payment=payment)

    run_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert checkouts.of("paid") == []
    refund = payment.refunds.get()
    assert (refund.automatic, refund.status) == (True, "succeeded")


def test_a_closing_payment_cannot_be_started_again(make_payment):
    payment = make_payment()
    payment_close(payment=payment)
    with pytest.raises(Conflict):
        payment_start(payment=Payment.objects.get(pk=payment.pk))


def test_the_sweeper_asks_about_every_closing_payment(make_payment, checkouts, monkeypatch):
    payment = make_payment()
    payment_close(payment=payment)
    Job.objects.all().delete()  # say the queued job was lost

    assert payments_sweep() == 1
    assert Job.objects.filter(name=RECONCILE_JOB).count() == 1
