"""Payments: the caller's own payments, their status and where to pay them.

Payments are made by the domains that sell (a checkout returns its payment);
here a buyer reads one and gets its cashier URL or QR code. Another buyer's
payment is 404, exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import BaseModel

from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.core.errors import Conflict
from designmall.core.money import format_fen
from designmall.payments.models import Payment, Refund
from designmall.payments.selectors import payment_for_buyer
from designmall.payments.services import payment_start

router = Router(tags=["payments"], auth=AUTHENTICATED)

PaymentStatusValue = Literal["pending", "paid", "closing", "closed"]
RefundStatusValue = Literal["pending", "succeeded", "failed"]


class RefundOut(Schema):
    public_id: str
    status: RefundStatusValue
    amount_fen: int
    amount_display: str
    reason: str
    created_at: datetime
    succeeded_at: datetime | None


class PaymentOut(Schema):
    public_id: str
    status: PaymentStatusValue
    gateway: Literal["alipay", "sandbox"]
    subject: str
    amount_fen: int
    amount_display: str
    refunded_fen: int
    refunded_display: str
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    closed_at: datetime | None
    pay_url: str | None
    refunds: list[RefundOut]


def refund_out(refund: Refund) -> dict[str, Any]:
    return {
        "public_id": refund.public_id,
        "status": refund.status,
        "amount_fen": refund.amount_fen,
        "amount_display": format_fen(refund.amount_fen),
        "reason": refund.reason,
        "created_at": refund.created_at,
        "succeeded_at": refund.succeeded_at,
    }


def payment_out(payment: Payment, pay_url: str | None) -> dict[str, Any]:
    return {
        "public_id": payment.public_id,
        "status": payment.status,
        "gateway": payment.gateway,
        "subject": payment.subject,
        "amount_fen": payment.amount_fen,
        "amount_display": format_fen(payment.amount_fen),
        "refunded_fen": payment.refunded_fen,
        "refunded_display": format_fen(payment.refunded_fen),
        "created_at": payment.created_at,
        "expires_at": payment.expires_at,
        "paid_at": payment.paid_at,
        "closed_at": payment.closed_at,
        "pay_url": pay_url,
        "refunds": [refund_out(refund) for refund in payment.refunds.all()],
    }


class PayQuery(BaseModel):
    channel: Literal["page", "wap"] = "page"


@router.get("/payments/{pid:public_id}", response=with_errors({200: PaymentOut}, 401, 404, 503))
def payment_detail(request: HttpRequest, public_id: str, query: Query[PayQuery]):
    """One of the caller's payments. ``pay_url`` (while it can still be paid) opens the
    cashier: ``channel=page`` for a computer, ``wap`` for a phone's browser."""
    payment = payment_for_buyer(user=request.auth, public_id=public_id)
    try:
        pay_url = payment_start(payment=payment, channel=query.channel).url
    except Conflict:  # paid, closed or expired: nothing to pay
        pay_url = None
    return payment_out(payment, pay_url)


class QrOut(Schema):
    qr_code: str
    expires_at: datetime


@router.post("/payments/{pid:public_id}/qr", response=with_errors({200: QrOut}, 401, 404, 409, 503))
def payment_qr(request: HttpRequest, public_id: str):
    """A QR code to pay with the Alipay app (``alipay.trade.precreate``): render
    ``qr_code`` as a QR image. Refused (409) once the payment is paid, closed or expired."""
    payment = payment_for_buyer(user=request.auth, public_id=public_id)
    start = payment_start(payment=payment, channel="qr")
    return {"qr_code": start.qr_code, "expires_at": payment.expires_at}
