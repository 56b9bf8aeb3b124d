"""The payments sweeper and the jobs it and the services queue (run by ``designmall worker``)."""

from __future__ import annotations

from datetime import timedelta

from designmall.core import clock
from designmall.core.jobs import enqueue, job_handler
from designmall.core.tasks import periodic
from designmall.payments.gateways import sandbox
from designmall.payments.models import Payment, Refund
from designmall.payments.selectors import payments_to_reconcile
from designmall.payments.services import (
    RECONCILE_JOB,
    REFUND_JOB,
    payment_reconcile,
    refund_execute,
)


@periodic(every=timedelta(minutes=1))
def payments_sweep() -> int:
    """Queue a reconciliation of every pending payment that is quiet too long or expired.

    One job per payment (keyed, so a sweep while one waits adds nothing): the gateway
    is asked outside this transaction, and each payment is settled on its own.
    """
    due = payments_to_reconcile(now=clock.now())
    for payment_id in due:
        enqueue(RECONCILE_JOB, {"payment_id": payment_id}, key=f"{RECONCILE_JOB}:{payment_id}")
    return len(due)


@job_handler(RECONCILE_JOB, max_attempts=6)
def reconcile_job(payload: dict) -> None:
    payment_reconcile(payment=Payment.objects.get(pk=payload["payment_id"]))


@job_handler(REFUND_JOB, max_attempts=12)
def refund_job(payload: dict) -> None:
    refund_execute(refund=Refund.objects.get(pk=payload["refund_id"]))


@job_handler(sandbox.NOTIFY_JOB, max_attempts=8)
def sandbox_notify_job(payload: dict) -> None:
    sandbox.notification_deliver(url=payload["url"], params=payload["params"])


# --- seller payouts -------------------------------------------------------------------------

from designmall.ledger.models import Payout  # noqa: E402
from designmall.payments.payouts import TRANSFER_JOB, payout_transfer_execute  # noqa: E402


@job_handler(TRANSFER_JOB, max_attempts=12)
def payout_transfer_job(payload: dict) -> None:
    payout_transfer_execute(payout=Payout.objects.get(pk=payload["payout_id"]))
