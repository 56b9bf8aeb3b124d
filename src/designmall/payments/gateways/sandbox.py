"""The sandbox gateway: Alipay's protocol, played locally, with no real money.

It keeps two RSA key pairs under ``PAYMENTS_SANDBOX_KEY_DIR`` (files, 0600,
generated on first use and shared by every process): the *platform* key
stands in for Alipay's (it signs notifications and answers, and its public key
verifies them through exactly the code that verifies Alipay's), the *app* key
for ours (it signs our requests, and the sandbox checks them).

- ``SandboxGateway`` is the Alipay gateway with two differences: the buyer is
  sent to the local cashier page instead of Alipay's, and its server calls go
  to ``SandboxServer``, an in-process transport that answers them as Alipay
  does, from the sandbox's own record of each trade (``SandboxTrade``).
- Its server also serves the daily trade bill in Alipay's format (``bill_zip``) behind
  a signed, short-lived download URL, for the daily reconciliation.
- At the cashier the buyer pays (``sandbox_pay``) or leaves. Paying signs an
  Alipay-format ``trade_status_sync`` notification and queues its delivery by
  HTTP POST to the notify endpoint; the worker retries it with backoff until
  it is answered ``success``, as Alipay does.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.core.jobs import enqueue
from designmall.payments import bills
from designmall.payments.gateways import rsa2
from designmall.payments.gateways.alipay import (
    SHANGHAI,
    AlipayConfig,
    AlipayGateway,
    Transport,
    UrllibTransport,
    alipay_time,
    fen_or_none,
    yuan,
)
from designmall.payments.gateways.base import (
    BILL_NOT_EXIST,
    TRADE_CLOSED,
    TRADE_NOT_EXIST,
    TRADE_STATUS_ERROR,
    TRADE_SUCCESS,
    WAIT_BUYER_PAY,
    GatewayError,
    GatewayUnavailable,
    PayStart,
)
from designmall.payments.models import Payment, SandboxRefund, SandboxTrade, SandboxTransfer

SANDBOX_APP_ID = "9021000000000000"
SANDBOX_SELLER_ID = "2088000000000000"
SANDBOX_BUYER_ID = "2088100000000000"
PLATFORM_KEY_FILE = "alipay_private_key.pem"
APP_KEY_FILE = "app_private_key.pem"
NOTIFY_JOB = "payments.sandbox_notify"
NOTIFY_TIMEOUT_SECONDS = 10.0
BILL_SALT = "payments.sandbox.bill"
BILL_URL_SECONDS = 300  # Alipay's bill URLs are valid for 30 seconds; ours a little longer

# How the worker delivers notifications (tests deliver through the test client).
NOTIFY_TRANSPORT: Transport = UrllibTransport()


# --- keys ---------------------------------------------------------------------------------


def _key_file(directory: Path, filename: str) -> Path:
    """``directory/filename``, holding a private key made on first use.

    The key is written to a private temporary file and linked into place, which
    fails if another process got there first: then its key is the one used, so
    every process signs and verifies with the same pair.
    """
    path = directory / filename
    if path.exists():
        return path
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".new-", suffix=".pem")  # 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(rsa2.private_key_pem(rsa2.generate_private_key()))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path


@dataclass(frozen=True)
class SandboxKeys:
    platform: rsa.RSAPrivateKey  # plays Alipay's key
    app: rsa.RSAPrivateKey  # plays our app's key


def sandbox_keys() -> SandboxKeys:
    directory = Path(settings.PAYMENTS_SANDBOX_KEY_DIR)
    return SandboxKeys(
        platform=rsa2.read_private_key(_key_file(directory, PLATFORM_KEY_FILE)),
        app=rsa2.read_private_key(_key_file(directory, APP_KEY_FILE)),
    )


# --- the gateway --------------------------------------------------------------------------


def cashier_url(out_trade_no: str) -> str:
    return settings.SITE_URL + reverse("payments:sandbox_cashier", args=[out_trade_no])


class SandboxGateway(AlipayGateway):
    name = "sandbox"

    def create(self, payment: Payment, *, channel: str = "page") -> PayStart:
        if channel == "qr":
            return super().create(payment, channel="qr")  # precreate, as with Alipay
        return PayStart(url=cashier_url(payment.out_trade_no))


def from_settings() -> SandboxGateway:
    if not settings.PAYMENTS_SANDBOX_ENABLED:
        raise GatewayUnavailable("the sandbox gateway is switched off (PAYMENTS_SANDBOX_ENABLED)")
    keys = sandbox_keys()
    config = AlipayConfig(
        app_id=SANDBOX_APP_ID,
        app_private_key=keys.app,
        alipay_public_key=keys.platform.public_key(),
        gateway_url="sandbox://gateway.do",  # never fetched: SandboxServer answers in process
        notify_url=settings.ALIPAY_NOTIFY_URL,
        return_url=settings.ALIPAY_RETURN_URL,
        seller_id=SANDBOX_SELLER_ID,
    )
    return SandboxGateway(config, SandboxServer(keys))


# --- the sandbox's record of trades ------------------------------------------------------


def _new_trade_no(now: datetime) -> str:
    # Alipay's shape: the date, then digits.
    return f"{now.astimezone(SHANGHAI):%Y%m%d}2200{secrets.randbelow(10**20):020d}"


def _trade_locked(
    *, out_trade_no: str, total_fen: int, subject: str, expires_at: datetime
) -> SandboxTrade:
    """The sandbox's trade for ``out_trade_no``, locked; opened on first sight. A trade
    left unpaid past its expiry is closed, as Alipay closes it at ``time_expire``."""
    trades = SandboxTrade.objects.select_for_update().filter(duplicate_of__isnull=True)
    trade = trades.filter(out_trade_no=out_trade_no).first()
    if trade is None:
        now = clock.now()
        try:
            with transaction.atomic():
                SandboxTrade.objects.create(
                    out_trade_no=out_trade_no,
                    trade_no=_new_trade_no(now),
                    status=WAIT_BUYER_PAY,
                    total_fen=total_fen,
                    subject=subject,
                    buyer_id=SANDBOX_BUYER_ID,
                    created_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            pass  # opened at the same moment by another request
        trade = trades.get(out_trade_no=out_trade_no)
    _expire(trade)
    return trade


def _existing_trade_locked(out_trade_no: str = "", trade_no: str = "") -> SandboxTrade | None:
    """The trade called ``trade_no`` if given (Alipay looks it up first), else the first
    trade of ``out_trade_no``."""
    trades = SandboxTrade.objects.select_for_update()
    if trade_no:
        trade = trades.filter(trade_no=trade_no).first()
    else:
        trade = trades.filter(out_trade_no=out_trade_no, duplicate_of__isnull=True).first()
    if trade is not None:
        _expire(trade)
    return trade


def _expire(trade: SandboxTrade) -> None:
    if trade.status == WAIT_BUYER_PAY and clock.now() >= trade.expires_at:
        trade.status = TRADE_CLOSED
        trade.closed_at = trade.expires_at
        trade.save(update_fields=["status", "closed_at"])


def sandbox_trade_for(payment: Payment) -> SandboxTrade:
    """The trade the cashier shows for ``payment`` (opened when the buyer arrives)."""
    with transaction.atomic():
        return _trade_locked(
            out_trade_no=payment.out_trade_no,
            total_fen=payment.amount_fen,
            subject=payment.subject,
            expires_at=payment.expires_at,
        )


def _signed(keys: SandboxKeys, params: dict[str, str]) -> dict[str, str]:
    params["sign"] = rsa2.sign(keys.platform, rsa2.notification_content(params))
    return params


def notification_params(trade: SandboxTrade, keys: SandboxKeys) -> dict[str, str]:
    """The ``trade_status_sync`` notification Alipay sends when a trade is paid, signed."""
    total = yuan(trade.total_fen)
    return _signed(
        keys,
        {
            "notify_time": alipay_time(clock.now()),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": SANDBOX_APP_ID,
            "auth_app_id": SANDBOX_APP_ID,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_id": trade.buyer_id,
            "buyer_logon_id": "buy***@sandbox.com",
            "seller_id": SANDBOX_SELLER_ID,
            "trade_status": trade.status,
            "total_amount": total,
            "receipt_amount": total,
            "invoice_amount": total,
            "buyer_pay_amount": total,
            "point_amount": "0.00",
            "subject": trade.subject,
            "gmt_create": alipay_time(trade.created_at),
            "gmt_payment": alipay_time(trade.paid_at or clock.now()),
            "fund_bill_list": json.dumps(
                [{"amount": total, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
            ),
        },
    )


def return_params(trade: SandboxTrade, keys: SandboxKeys) -> dict[str, str]:
    """What Alipay appends to the return URL when it sends the buyer back, signed."""
    return _signed(
        keys,
        {
            "charset": "utf-8",
            "method": "alipay.trade.page.pay.return",
            "app_id": SANDBOX_APP_ID,
            "auth_app_id": SANDBOX_APP_ID,
            "seller_id": SANDBOX_SELLER_ID,
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "total_amount": yuan(trade.total_fen),
            "timestamp": alipay_time(clock.now()),
            "version": "1.0",
            "sign_type": "RSA2",
        },
    )


@dataclass(frozen=True)
class SandboxPaid:
    trade: SandboxTrade
    notification: dict[str, str] | None  # None: it had been paid already
    job_id: int | None
    return_params: dict[str, str]


@transaction.atomic
def sandbox_pay(*, payment: Payment) -> SandboxPaid:
    """The buyer pays at the sandbox cashier: the trade succeeds and its notification is
    queued for delivery. Paying again returns the first result and notifies nothing;
    a closed or expired trade is refused (``Conflict`` ``trade_closed``)."""
    keys = sandbox_keys()
    trade = _trade_locked(
        out_trade_no=payment.out_trade_no,
        total_fen=payment.amount_fen,
        subject=payment.subject,
        expires_at=payment.expires_at,
    )
    if trade.status == TRADE_SUCCESS:
        return SandboxPaid(trade, None, None, return_params(trade, keys))
    if trade.status != WAIT_BUYER_PAY:
        raise Conflict(_("交易已关闭，无法支付。"), code="trade_closed")
    trade.status = TRADE_SUCCESS
    trade.paid_at = clock.now()
    trade.save(update_fields=["status", "paid_at"])
    params = notification_params(trade, keys)
    job = enqueue(
        NOTIFY_JOB,
        {"url": settings.ALIPAY_NOTIFY_URL, "params": params},
        key=f"{NOTIFY_JOB}:{trade.out_trade_no}",
    )
    return SandboxPaid(trade, params, job.id, return_params(trade, keys))


@transaction.atomic
def sandbox_pay_twice(*, payment: Payment) -> SandboxPaid:
    """The buyer pays an already-paid order a second time (on another device, say): a
    second trade for the same ``out_trade_no`` succeeds and is notified, as happens
    at Alipay when one order is paid through two of its products."""
    keys = sandbox_keys()
    first = _existing_trade_locked(payment.out_trade_no)
    if first is None or first.paid_at is None:
        raise Conflict(_("交易尚未支付。"), code="trade_not_paid")
    now = clock.now()
    trade = SandboxTrade.objects.create(
        out_trade_no=first.out_trade_no,
        trade_no=_new_trade_no(now),
        duplicate_of=first,
        status=TRADE_SUCCESS,
        total_fen=first.total_fen,
        subject=first.subject,
        buyer_id=first.buyer_id,
        created_at=now,
        expires_at=first.expires_at,
        paid_at=now,
    )
    params = notification_params(trade, keys)
    job = enqueue(
        NOTIFY_JOB,
        {"url": settings.ALIPAY_NOTIFY_URL, "params": params},
        key=f"{NOTIFY_JOB}:{trade.trade_no}",
    )
    return SandboxPaid(trade, params, job.id, return_params(trade, keys))


# --- the daily bill ---------------------------------------------------------------------------


def _shanghai_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def _day_bounds(bill_date: date) -> tuple[datetime, datetime]:
    start = datetime.combine(bill_date, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def bill_lines(bill_date: date) -> list[bills.BillLine]:
    """The sandbox's trades paid and refunds made on ``bill_date`` (Beijing time)."""
    start, end = _day_bounds(bill_date)
    lines = [
        bills.BillLine(
            kind=bills.TRADE,
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            amount_fen=trade.total_fen,
            finished_at=alipay_time(trade.paid_at),
            subject=trade.subject,
        )
        for trade in SandboxTrade.objects.filter(paid_at__gte=start, paid_at__lt=end).order_by(
            "paid_at", "id"
        )
    ]
    refunds = SandboxRefund.objects.filter(created_at__gte=start, created_at__lt=end)
    lines += [
        bills.BillLine(
            kind=bills.REFUND,
            trade_no=refund.trade.trade_no,
            out_trade_no=refund.trade.out_trade_no,
            amount_fen=refund.amount_fen,
            finished_at=alipay_time(refund.created_at),
            out_request_no=refund.out_request_no,
            subject=refund.trade.subject,
        )
        for refund in refunds.select_related("trade").order_by("created_at", "id")
    ]
    return lines


def bill_zip(bill_date: date) -> bytes:
    lines = bill_lines(bill_date)
    return bills.render_bill_zip(lines, account=SANDBOX_SELLER_ID, bill_date=bill_date)


def bill_download_url(bill_date: date) -> str:
    until = clock.now() + timedelta(seconds=BILL_URL_SECONDS)
    token = signing.dumps([bill_date.isoformat(), until.timestamp()], salt=BILL_SALT)
    path = reverse("payments:sandbox_bill", args=[bill_date.isoformat()])
    return f"{settings.SITE_URL}{path}?{urlencode({'token': token})}"


def bill_date_from_token(token: str) -> date | None:
    """The day a download URL's token was issued for, while it is valid; else None."""
    try:
        day, until = signing.loads(token, salt=BILL_SALT)
        if clock.now().timestamp() >= float(until):
            return None
        return date.fromisoformat(day)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def notification_deliver(*, url: str, params: Mapping[str, str]) -> None:
    """POST a notification to the notify endpoint; fails unless answered ``success``."""
    answer = NOTIFY_TRANSPORT.post_form(url, params, timeout=NOTIFY_TIMEOUT_SECONDS)
    if answer.strip() != "success":
        raise GatewayError(f"the notify endpoint answered {answer[:100]!r}", retryable=True)


# --- the server side of the protocol ---------------------------------------------------------


def _ok(**fields: Any) -> dict[str, Any]:
    return {"code": "10000", "msg": "Success", **fields}


def _business_error(sub_code: str, sub_msg: str) -> dict[str, Any]:
    return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}


def _not_exist() -> dict[str, Any]:
    return _business_error(TRADE_NOT_EXIST, "交易不存在")


def _parse_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


class SandboxServer:
    """A transport that answers the Alipay gateway's server calls in process, as Alipay
    would: it checks the request's signature with the app's public key, acts on the
    sandbox's trades, and signs its answer with the platform key."""

    def __init__(self, keys: SandboxKeys) -> None:
        self.keys = keys
        self.actions: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "alipay.trade.precreate": self._precreate,
            "alipay.trade.query": self._query,
            "alipay.trade.refund": self._refund,
            "alipay.trade.close": self._close,
            "alipay.data.dataservice.bill.downloadurl.query": self._bill_url,
            "alipay.fund.trans.uni.transfer": self._transfer,
        }

    def post_form(self, url: str, data: Mapping[str, str], *, timeout: float) -> str:
        params = dict(data)
        method = params.get("method", "")
        if params.get("app_id") != SANDBOX_APP_ID or not rsa2.verify(
            self.keys.app.public_key(), rsa2.request_content(params), params.get("sign", "")
        ):
            error = {
                "code": "40002",
                "msg": "Invalid Arguments",
                "sub_code": "isv.invalid-signature",
                "sub_msg": "验签出错",
            }
            return self._answer("error_response", error)
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = None
        action = self.actions.get(method)
        if action is None or not isinstance(biz, dict) or not _names_its_object(biz):
            error = {
                "code": "40002",
                "msg": "Invalid Arguments",
                "sub_code": "isv.invalid-parameter",
                "sub_msg": "参数无效",
            }
            return self._answer("error_response", error)
        with transaction.atomic():
            body = action(biz)
        return self._answer(method.replace(".", "_") + "_response", body)

    def get(self, url: str, *, timeout: float) -> bytes:
        """The bill download: the zip of the day its URL's token names (Alipay's URLs are
        signed and short-lived too)."""
        token = parse_qs(urlsplit(url).query).get("token", [""])[0]
        bill_date = bill_date_from_token(token)
        if bill_date is None:
            raise OSError("HTTP 403: the bill download URL is not valid (any more)")
        return bill_zip(bill_date)

    def _answer(self, name: str, body: dict[str, Any]) -> str:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        signature = rsa2.sign(self.keys.platform, text)
        return f'{{"{name}":{text},"sign":"{signature}"}}'

    def _precreate(self, biz: dict[str, Any]) -> dict[str, Any]:
        total_fen = fen_or_none(biz.get("total_amount"))
        expires_at = _parse_time(biz.get("time_expire"))
        if total_fen is None or total_fen <= 0 or expires_at is None:
            return _business_error("ACQ.INVALID_PARAMETER", "参数无效")
        trade = _trade_locked(
            out_trade_no=str(biz["out_trade_no"]),
            total_fen=total_fen,
            subject=str(biz.get("subject", ""))[:256],
            expires_at=expires_at,
        )
        if trade.status == TRADE_SUCCESS:
            return _business_error("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
        if trade.status != WAIT_BUYER_PAY:
            return _business_error("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        return _ok(out_trade_no=trade.out_trade_no, qr_code=cashier_url(trade.out_trade_no))

    def _query(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = _existing_trade_locked(_text(biz, "out_trade_no"), _text(biz, "trade_no"))
        if trade is None:
            return _not_exist()
        paid = trade.status == TRADE_SUCCESS or trade.paid_at is not None
        return _ok(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_user_id=trade.buyer_id,
            buyer_logon_id="buy***@sandbox.com",
            trade_status=trade.status,
            total_amount=yuan(trade.total_fen),
            receipt_amount=yuan(trade.total_fen) if paid else "0.00",
            send_pay_date=alipay_time(trade.paid_at) if trade.paid_at else "",
        )

    def _refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = _existing_trade_locked(_text(biz, "out_trade_no"), _text(biz, "trade_no"))
        if trade is None:
            return _not_exist()
        amount = fen_or_none(biz.get("refund_amount"))
        request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        if amount is None or amount <= 0:
            return _business_error("ACQ.INVALID_PARAMETER", "退款金额无效")
        done = {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_user_id": trade.buyer_id,
        }
        earlier = trade.refunds.filter(out_request_no=request_no).first()
        if earlier is not None:  # the same refund asked again: done once, answered again
            if earlier.amount_fen != amount:
                return _business_error("ACQ.INVALID_PARAMETER", "同一退款请求号的金额不同")
            return _ok(**done, fund_change="N", refund_fee=yuan(trade.refunded_fen))
        if trade.paid_at is None:
            return _business_error(TRADE_STATUS_ERROR, "交易状态不合法")
        if amount > trade.total_fen - trade.refunded_fen:
            return _business_error("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        now = clock.now()
        SandboxRefund.objects.create(
            trade=trade, out_request_no=request_no, amount_fen=amount, created_at=now
        )
        trade.refunded_fen += amount
        if trade.refunded_fen == trade.total_fen:  # refunded in full: Alipay closes the trade
            trade.status = TRADE_CLOSED
            trade.closed_at = now
        trade.save(update_fields=["refunded_fen", "status", "closed_at"])
        return _ok(
            **done,
            fund_change="Y",
            refund_fee=yuan(trade.refunded_fen),
            gmt_refund_pay=alipay_time(now),
        )

    def _close(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = _existing_trade_locked(str(biz.get("out_trade_no", "")))
        if trade is None:
            return _not_exist()
        if trade.status != WAIT_BUYER_PAY:
            return _business_error(TRADE_STATUS_ERROR, "交易状态不合法")
        trade.status = TRADE_CLOSED
        trade.closed_at = clock.now()
        trade.save(update_fields=["status", "closed_at"])
        return _ok(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no)

    def _bill_url(self, biz: dict[str, Any]) -> dict[str, Any]:
        try:
            bill_date = date.fromisoformat(str(biz.get("bill_date", "")))
        except ValueError:
            return _business_error("isv.invalid-parameter", "账单日期格式不正确")
        if bill_date >= _shanghai_day(clock.now()):
            return _business_error("isp.bill_not_exist", "账单不存在（当天的账单次日生成）")
        if str(biz.get("bill_type")) != "trade":
            return _business_error("isv.invalid-parameter", "账单类型不正确")
        if not bill_lines(bill_date):
            return _business_error(BILL_NOT_EXIST, "账单不存在")
        return _ok(bill_download_url=bill_download_url(bill_date))

    def _transfer(self, biz: dict[str, Any]) -> dict[str, Any]:
        """``alipay.fund.trans.uni.transfer``: pay once per ``out_biz_no``; asked again with
        the same number and content, answer the first result; with other content, refuse
        as Alipay does. A payee whose login id ends in ``.invalid`` does not exist."""
        amount = fen_or_none(biz.get("trans_amount"))
        payee = biz.get("payee_info")
        if (
            amount is None
            or amount <= 0
            or biz.get("product_code") != "TRANS_ACCOUNT_NO_PWD"
            or biz.get("biz_scene") != "DIRECT_TRANSFER"
            or not isinstance(payee, dict)
            or payee.get("identity_type") != "ALIPAY_LOGON_ID"
            or not str(payee.get("identity", "")).strip()
            or not str(payee.get("name", "")).strip()
        ):
            return _business_error("INVALID_PARAMETER", "参数有误")
        wanted = {
            "amount_fen": amount,
            "payee_account": str(payee["identity"])[:100],
            "payee_name": str(payee["name"])[:50],
        }
        out_biz_no = str(biz["out_biz_no"])[:64]
        transfers = SandboxTransfer.objects.select_for_update()
        earlier = transfers.filter(out_biz_no=out_biz_no).first()
        if earlier is None:
            if wanted["payee_account"].endswith(".invalid"):
                return _business_error("PAYEE_NOT_EXIST", "收款账号不存在")
            now = clock.now()
            try:
                with transaction.atomic():
                    SandboxTransfer.objects.create(
                        out_biz_no=out_biz_no,
                        order_id=_new_trade_no(now),
                        pay_fund_order_id=_new_trade_no(now),
                        order_title=str(biz.get("order_title", ""))[:256],
                        status="SUCCESS",
                        created_at=now,
                        **wanted,
                    )
            except IntegrityError:
                pass  # the same number at the same moment: its transfer is the one
            earlier = transfers.get(out_biz_no=out_biz_no)
        if any(getattr(earlier, name) != value for name, value in wanted.items()):
            return _business_error(
                "PAYMENT_INFO_INCONSISTENCY", "两次请求商户单号一样，但是参数不一致"
            )
        return _ok(
            out_biz_no=earlier.out_biz_no,
            order_id=earlier.order_id,
            pay_fund_order_id=earlier.pay_fund_order_id,
            status=earlier.status,
            trans_date=alipay_time(earlier.created_at),
        )


def _text(biz: dict[str, Any], name: str) -> str:
    return str(biz.get(name) or "")


def _names_its_object(biz: dict[str, Any]) -> bool:
    return bool(
        biz.get("out_trade_no")
        or biz.get("trade_no")
        or biz.get("bill_date")
        or biz.get("out_biz_no")
    )
