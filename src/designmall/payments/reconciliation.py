"""The daily reconciliation of our books against each gateway's trade bill.

Once a day (after the gateway publishes yesterday's bill, ``BILL_RECONCILE_HOUR``
Beijing time) every gateway in use is asked for the day's bill (Alipay's
``bill.downloadurl.query``; the sandbox serves the same format), and each line
is matched with our books by the gateway's trade number (payments and
overpayments) or our refund request number (refunds), whatever day we booked
them (a trade paid at 23:59:59 may be booked after midnight; such a trade is reported
"not at the gateway" on our day and matched on the gateway's). Finance gets a
``BillReconciliation`` per gateway and day with every difference as a
``BillDiscrepancy``:

- paid at the gateway, not in our books: the trade is asked about again with a
  signed query (``trade_recheck``, queued), which credits it (and refunds it if its
  payable is gone): no paid trade is left behind;
- in our books, not at the gateway; amounts that differ; refunds on one side only:
  recorded for finance to investigate (nothing is moved on an unsigned file).

Running it again for the same day replaces that day's report.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.jobs import enqueue
from designmall.payments import bills
from designmall.payments.gateways import get_gateway
from designmall.payments.gateways.alipay import SHANGHAI
from designmall.payments.gateways.base import GatewayError
from designmall.payments.models import (
    BillDiscrepancy,
    BillReconciliation,
    BillStatus,
    DiscrepancyKind,
    Overpayment,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)

log = logging.getLogger(__name__)

RECHECK_JOB = "payments.trade_recheck"


def _day_bounds(bill_date: date) -> tuple[datetime, datetime]:
    start = datetime.combine(bill_date, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def beijing_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _books(gateway: str, bill_date: date) -> tuple[dict[str, int], dict[str, int]]:
    """What we booked that day: paid trades (trade_no -> fen) and refunds made
    (out_request_no -> fen)."""
    start, end = _day_bounds(bill_date)
    paid = dict(
        Payment.objects.filter(
            gateway=gateway, paid_at__gte=start, paid_at__lt=end, status=PaymentStatus.PAID
        ).values_list("trade_no", "amount_fen")
    )
    paid.update(
        Overpayment.objects.filter(
            payment__gateway=gateway, received_at__gte=start, received_at__lt=end
        ).values_list("trade_no", "amount_fen")
    )
    refunded = dict(
        Refund.objects.filter(
            payment__gateway=gateway,
            status=RefundStatus.SUCCEEDED,
            succeeded_at__gte=start,
            succeeded_at__lt=end,
        ).values_list("out_request_no", "amount_fen")
    )
    return paid, refunded


def _booked_trades(trade_nos: set[str]) -> dict[str, int]:
    """Trades booked on any day, by the gateway's number."""
    found = dict(
        Payment.objects.filter(trade_no__in=trade_nos, status=PaymentStatus.PAID).values_list(
            "trade_no", "amount_fen"
        )
    )
    found.update(
        Overpayment.objects.filter(trade_no__in=trade_nos).values_list("trade_no", "amount_fen")
    )
    return found


def _booked_refunds(request_nos: set[str]) -> dict[str, int]:
    return dict(
        Refund.objects.filter(
            out_request_no__in=request_nos, status=RefundStatus.SUCCEEDED
        ).values_list("out_request_no", "amount_fen")
    )


def _recheck(line: bills.BillLine) -> str:
    """Queue a signed query of a trade paid at the gateway that our books miss."""
    payment = Payment.objects.filter(out_trade_no=line.out_trade_no).first()
    if payment is None:
        return "unknown out_trade_no: for finance to investigate"
    enqueue(
        RECHECK_JOB,
        {"payment_id": payment.pk, "trade_no": line.trade_no},
        key=f"{RECHECK_JOB}:{line.trade_no}",
    )
    return f"queried again (payment {payment.public_id}, {payment.status})"


def _differences(
    lines: list[bills.BillLine], gateway: str, bill_date: date
) -> list[BillDiscrepancy]:
    trades = {line.trade_no: line for line in lines if line.kind == bills.TRADE}
    refunds = {line.out_request_no: line for line in lines if line.kind == bills.REFUND}
    paid_that_day, refunded_that_day = _books(gateway, bill_date)
    booked = _booked_trades(set(trades))
    booked_refunds = _booked_refunds(set(refunds))
    found: list[BillDiscrepancy] = []
    for trade_no, line in trades.items():
        ours = booked.get(trade_no)
        if ours is None:
            found.append(
                BillDiscrepancy(
                    kind=DiscrepancyKind.NOT_IN_BOOKS,
                    out_trade_no=line.out_trade_no,
                    trade_no=trade_no,
                    gateway_fen=line.amount_fen,
                    action=_recheck(line),
                )
            )
        elif ours != line.amount_fen:
            found.append(
                BillDiscrepancy(
                    kind=DiscrepancyKind.AMOUNT_DIFFERS,
                    out_trade_no=line.out_trade_no,
                    trade_no=trade_no,
                    gateway_fen=line.amount_fen,
                    books_fen=ours,
                )
            )
    for trade_no, amount in paid_that_day.items():
        if trade_no not in trades:
            found.append(
                BillDiscrepancy(
                    kind=DiscrepancyKind.NOT_AT_GATEWAY,
                    out_trade_no=_out_trade_no(trade_no),
                    trade_no=trade_no,
                    books_fen=amount,
                )
            )
    for request_no, line in refunds.items():
        ours = booked_refunds.get(request_no)
        if ours is None or ours != line.amount_fen:
            found.append(
                BillDiscrepancy(
                    kind=DiscrepancyKind.REFUND_NOT_IN_BOOKS
                    if ours is None
                    else DiscrepancyKind.AMOUNT_DIFFERS,
                    out_trade_no=line.out_trade_no,
                    trade_no=line.trade_no,
                    out_request_no=request_no,
                    gateway_fen=line.amount_fen,
                    books_fen=ours,
                )
            )
    for request_no, amount in refunded_that_day.items():
        if request_no not in refunds:
            refund = Refund.objects.select_related("payment").get(out_request_no=request_no)
            found.append(
                BillDiscrepancy(
                    kind=DiscrepancyKind.REFUND_NOT_AT_GATEWAY,
                    out_trade_no=refund.payment.out_trade_no,
                    out_request_no=request_no,
                    books_fen=amount,
                )
            )
    return found


def _out_trade_no(trade_no: str) -> str:
    payment = Payment.objects.filter(trade_no=trade_no).first()
    if payment is not None:
        return payment.out_trade_no
    overpayment = Overpayment.objects.select_related("payment").filter(trade_no=trade_no).first()
    return overpayment.payment.out_trade_no if overpayment else ""


def bill_reconcile(*, gateway: str, bill_date: date) -> BillReconciliation:
    """Reconcile ``gateway``'s bill of ``bill_date`` (Beijing time) with our books; the
    day's report, replaced if it was run before. A bill that cannot be fetched gives a
    ``failed`` report (the daily sweep tries again)."""
    try:
        lines = get_gateway(gateway).bill(bill_date)
    except GatewayError as exc:
        log.warning("the %s bill of %s could not be fetched: %s", gateway, bill_date, exc)
        return _report(gateway, bill_date, lines=[], error=str(exc))
    return _report(gateway, bill_date, lines=lines, error="")


def _total(lines: list[bills.BillLine], kind: str) -> int:
    return sum(line.amount_fen for line in lines if line.kind == kind)


@transaction.atomic
def _report(
    gateway: str, bill_date: date, *, lines: list[bills.BillLine], error: str
) -> BillReconciliation:
    found = [] if error else _differences(lines, gateway, bill_date)
    paid_that_day, refunded_that_day = _books(gateway, bill_date)
    if error:
        status = BillStatus.FAILED
    else:
        status = BillStatus.DISCREPANCIES if found else BillStatus.MATCHED
    report, _created = BillReconciliation.objects.update_or_create(
        gateway=gateway,
        bill_date=bill_date,
        defaults={
            "status": status,
            "ran_at": clock.now(),
            "gateway_trades": sum(line.kind == bills.TRADE for line in lines),
            "gateway_paid_fen": _total(lines, bills.TRADE),
            "gateway_refunded_fen": _total(lines, bills.REFUND),
            "books_paid_fen": sum(paid_that_day.values()),
            "books_refunded_fen": sum(refunded_that_day.values()),
            "error": error[:2000],
        },
    )
    report.discrepancies.all().delete()
    for discrepancy in found:
        discrepancy.reconciliation = report
    BillDiscrepancy.objects.bulk_create(found)
    audit_record(
        actor=None,
        action="payments.bill_reconciled",
        target=report,
        to_state=status,
        data={"gateway": gateway, "date": bill_date.isoformat(), "discrepancies": len(found)},
    )
    return report


def gateways_in_use(since: datetime) -> list[str]:
    """The default gateway and every gateway a payment used since ``since``."""
    used = set(
        Payment.objects.filter(created_at__gte=since).values_list("gateway", flat=True).distinct()
    )
    return sorted(used | {settings.PAYMENTS_GATEWAY})
