"""The payments sweeper and the jobs it and the services queue (run by ``designmall worker``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from designmall.core import clock
from designmall.core.jobs import enqueue, job_handler
from designmall.core.tasks import periodic
from designmall.ledger.models import Payout
from designmall.payments.gateways import sandbox
from designmall.payments.gateways.alipay import SHANGHAI
from designmall.payments.gateways.base import GatewayUnavailable
from designmall.payments.models import BillReconciliation, BillStatus, Payment, Refund
from designmall.payments.payouts import TRANSFER_JOB, payout_transfer_execute
from designmall.payments.reconciliation import (
    RECHECK_JOB,
    beijing_today,
    bill_reconcile,
    gateways_in_use,
)
from designmall.payments.selectors import payments_to_reconcile
from designmall.payments.services import (
    RECONCILE_JOB,
    REFUND_JOB,
    payment_reconcile,
    refund_execute,
    trade_recheck,
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


@periodic(every=timedelta(hours=1))
def bills_sweep() -> int:
    """Reconcile yesterday's bill of every gateway in use, once the gateway has published
    it (``BILL_RECONCILE_HOUR``, Beijing time); a failed fetch is tried again next hour."""
    now = clock.now()
    local = now.astimezone(SHANGHAI)
    if local.hour < settings.BILL_RECONCILE_HOUR:
        return 0
    yesterday = beijing_today(now) - timedelta(days=1)
    done = set(
        BillReconciliation.objects.filter(bill_date=yesterday)
        .exclude(status=BillStatus.FAILED)
        .values_list("gateway", flat=True)
    )
    ran = 0
    for gateway in gateways_in_use(since=now - timedelta(days=3)):
        if gateway in done:
            continue
        try:
            bill_reconcile(gateway=gateway, bill_date=yesterday)
        except GatewayUnavailable:
            continue  # not configured here (e.g. the sandbox switched off)
        ran += 1
    return ran


@job_handler(RECHECK_JOB, max_attempts=8)
def trade_recheck_job(payload: dict) -> None:
    trade_recheck(
        payment=Payment.objects.get(pk=payload["payment_id"]), trade_no=payload["trade_no"]
    )


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


@job_handler(TRANSFER_JOB, max_attempts=12)
def payout_transfer_job(payload: dict) -> None:
    payout_transfer_execute(payout=Payout.objects.get(pk=payload["payout_id"]))
