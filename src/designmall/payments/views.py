"""Payment pages: the notify endpoint, the sandbox cashier and the return page.

Thin adapters: they read the request, call a service and render its result.
"""

from __future__ import annotations

import base64
import io
import math
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from designmall.core import clock
from designmall.core.errors import DomainError
from designmall.core.jobs import job_done
from designmall.payments.gateways import sandbox
from designmall.payments.gateways.base import TRADE_SUCCESS, WAIT_BUYER_PAY
from designmall.payments.models import Payment, PaymentStatus
from designmall.payments.payables import REGISTRY as PAYABLES
from designmall.payments.selectors import payment_by_out_trade_no
from designmall.payments.services import SUCCESS, notification_receive, payment_start

RETURN_POLL_SECONDS = 2


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@csrf_exempt
@require_POST
def alipay_notify(request: HttpRequest) -> HttpResponse:
    """Alipay's (and the sandbox's) asynchronous notification: form-encoded, answered
    ``success`` (stop retrying) or ``failure``, in plain text."""
    notification = notification_receive(params=request.POST.dict(), remote_addr=_client_ip(request))
    return HttpResponse(notification.answer, content_type="text/plain; charset=utf-8")


@require_GET
def sandbox_bill(request: HttpRequest, bill_date: str) -> HttpResponse:
    """The sandbox's daily trade bill, where its short-lived download URL points."""
    if not settings.PAYMENTS_SANDBOX_ENABLED:
        raise Http404
    day = sandbox.bill_date_from_token(request.GET.get("token", ""))
    if day is None or day.isoformat() != bill_date:
        raise Http404
    response = HttpResponse(sandbox.bill_zip(day), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="{sandbox.SANDBOX_SELLER_ID}_{day:%Y%m%d}.csv.zip"'
    )
    return response


# --- the sandbox cashier -------------------------------------------------------------------


def _sandbox_payment(out_trade_no: str) -> Payment:
    if not settings.PAYMENTS_SANDBOX_ENABLED:
        raise Http404
    try:
        payment = payment_by_out_trade_no(out_trade_no)
    except DomainError:
        raise Http404 from None
    if payment.gateway != "sandbox":
        raise Http404
    return payment


def _minutes_until(moment) -> int:
    return max(0, math.ceil((moment - clock.now()).total_seconds() / 60))


def _qr_svg_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@require_GET
def sandbox_cashier(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    """The sandbox's cashier, standing in for Alipay's: amount, subject, a QR code of this
    page (to pay from a phone), and Pay / Cancel."""
    payment = _sandbox_payment(out_trade_no)
    trade = sandbox.sandbox_trade_for(payment)
    url = sandbox.cashier_url(out_trade_no)
    return render(
        request,
        "payments/sandbox_cashier.html",
        {
            "payment": payment,
            "trade": trade,
            "payable": trade.status == WAIT_BUYER_PAY,
            "paid": trade.status == TRADE_SUCCESS,
            "minutes_left": max(
                0, math.ceil((trade.expires_at - clock.now()).total_seconds() / 60)
            ),
            "qr_code": _qr_svg_data_uri(url),
            "cashier_url": url,
        },
    )


def _return_url(params: dict[str, str]) -> str:
    separator = "&" if "?" in settings.ALIPAY_RETURN_URL else "?"
    return f"{settings.ALIPAY_RETURN_URL}{separator}{urlencode(params)}"


@require_POST
def sandbox_pay(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    """Pay: the sandbox settles the trade and notifies us as Alipay would (the first
    delivery is made here, in process, through the same verification; the worker
    retries it if that did not succeed), then sends the buyer back to the return URL."""
    payment = _sandbox_payment(out_trade_no)
    try:
        paid = sandbox.sandbox_pay(payment=payment)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:sandbox_cashier", out_trade_no)
    if paid.notification is not None:
        notification = notification_receive(
            params=paid.notification, remote_addr=_client_ip(request)
        )
        if notification.answer == SUCCESS and paid.job_id is not None:
            job_done(job_id=paid.job_id)
    return redirect(_return_url(paid.return_params))


@require_POST
def sandbox_cancel(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    """Cancel: the buyer leaves the cashier without paying; the trade stays unpaid."""
    payment = _sandbox_payment(out_trade_no)
    return redirect(_return_url({"out_trade_no": payment.out_trade_no}))


# --- back from the gateway ----------------------------------------------------------------


@require_GET
def payment_return(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the buyer back. It shows the payment's status as we know
    it (the parameters in the URL prove nothing) and looks again every few seconds
    while a payment the buyer just made has not been confirmed yet."""
    try:
        payment = payment_by_out_trade_no(request.GET.get("out_trade_no", "")[:64])
    except DomainError:
        raise Http404 from None
    pending = payment.status == PaymentStatus.PENDING
    came_from_payment = bool(request.GET.get("trade_no"))
    payable = PAYABLES.get(payment.payable_type)
    next_url = payable.return_url(payment) if payable and payable.return_url else "/"
    try:
        pay_url = payment_start(payment=payment).url
    except DomainError:  # paid, closed or expired; or the gateway is not available
        pay_url = ""
    return render(
        request,
        "payments/return.html",
        {
            "payment": payment,
            "paid": payment.status == PaymentStatus.PAID,
            "closed": payment.status in (PaymentStatus.CLOSING, PaymentStatus.CLOSED),
            "confirming": pending and came_from_payment,
            "poll_seconds": RETURN_POLL_SECONDS,
            "next_url": next_url,
            "pay_url": pay_url,
            "refunded": payment.status == PaymentStatus.PAID
            and payment.refunds.filter(automatic=True).exists(),
        },
    )
