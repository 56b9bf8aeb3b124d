"""Payment reads for pages, the API and the sweepers."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core.errors import NotFound
from designmall.payments.models import Payment, PaymentStatus, Refund


def payment_for_buyer(*, user: User, public_id: str) -> Payment:
    """The buyer's own payment with its refunds; anyone else's is 404, as a missing one."""
    payment = (
        Payment.objects.filter(public_id=public_id, buyer=user)
        .prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("created_at")))
        .first()
    )
    if payment is None:
        raise NotFound(_("没有找到这笔支付。"), code="payment_not_found")
    return payment


def payment_by_out_trade_no(out_trade_no: str) -> Payment:
    """The payment a gateway page (cashier, return) is about; its number is unguessable."""
    payment = Payment.objects.filter(out_trade_no=out_trade_no).first()
    if payment is None:
        raise NotFound(_("没有找到这笔支付。"), code="payment_not_found")
    return payment


def payments_to_reconcile(*, now: datetime, limit: int = 500) -> list[int]:
    """Payments the gateway should be asked about: pending ones old enough that a
    notification may have been lost or past their expiry (to be closed), and every
    closing one (given up here, not yet confirmed closed by the gateway)."""
    quiet_since = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    pending_due = Q(status=PaymentStatus.PENDING) & (
        Q(created_at__lte=quiet_since) | Q(expires_at__lte=now)
    )
    return list(
        Payment.objects.filter(pending_due | Q(status=PaymentStatus.CLOSING))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
