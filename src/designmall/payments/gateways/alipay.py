"""The Alipay open-platform gateway: RSA2-signed requests, verified answers.

The buyer-facing calls (``alipay.trade.page.pay``, ``alipay.trade.wap.pay``)
are signed GET URLs the buyer's browser opens; the server calls
(``precreate``, ``query``, ``refund``, ``close``, the bill's download URL) POST
the signed form to the gateway URL and read ``<method>_response`` from the JSON
answer, whose ``sign`` over the raw text of that object must verify with the
Alipay public key before anything in it is believed. The bill itself is a zip
fetched from the short-lived URL the gateway answered. The HTTP transport is
injected, so tests (and the sandbox) answer without a network.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from designmall.core import clock
from designmall.core.money import Money
from designmall.payments.bills import BillFormatError, BillLine, parse_bill_zip
from designmall.payments.gateways import certs, rsa2
from designmall.payments.gateways.base import (
    BILL_NOT_EXIST,
    RETRYABLE_SUB_CODES,
    TRADE_NOT_EXIST,
    TRANSFER_DEALING,
    TRANSFER_RETRYABLE_SUB_CODES,
    TRANSFER_SUCCESS,
    GatewayError,
    GatewayUnavailable,
    PayStart,
    TradeState,
    TransferResult,
)

if TYPE_CHECKING:
    from designmall.payments.models import Payment

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUCCESS_CODE = "10000"
UNAVAILABLE_CODE = "20000"
# Buyer-facing methods: (method, product_code).
PAY_METHODS = {
    "page": ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
    "wap": ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
}
SUBJECT_MAX = 256


def alipay_time(moment: datetime) -> str:
    """Alipay's time format: ``2026-11-20 17:30:00`` in Beijing time."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def yuan(fen: int) -> str:
    return Money(fen).yuan_str()


def fen_or_none(text: Any) -> int | None:
    """An exact yuan string as fen; None for anything that is not one."""
    try:
        return Money.from_yuan(text).fen
    except (TypeError, ValueError):
        return None


class Transport(Protocol):
    def post_form(self, url: str, data: Mapping[str, str], *, timeout: float) -> str: ...

    def get(self, url: str, *, timeout: float) -> bytes: ...


class UrllibTransport:
    """POST a form over HTTP(S); the answer's body as text."""

    def post_form(self, url: str, data: Mapping[str, str], *, timeout: float) -> str:
        request = urllib.request.Request(
            url,
            data=urlencode(data).encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode("utf-8")

    def get(self, url: str, *, timeout: float) -> bytes:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    app_private_key: rsa.RSAPrivateKey
    alipay_public_key: rsa.RSAPublicKey
    gateway_url: str
    notify_url: str
    return_url: str
    seller_id: str = ""
    timeout: float = 10.0
    # Certificate mode (``certs``): both set, every request carries them.
    app_cert_sn: str = ""
    alipay_root_cert_sn: str = ""


_WS = re.compile(r"[ \t\n\r]*")


def response_members(raw: str) -> dict[str, tuple[Any, str]]:
    """The top-level members of a JSON object: name -> (value, its raw text as sent).

    The raw text is what Alipay signed, so it is cut out of the answer exactly
    (strings may hold braces; re-serialising would change spacing and escapes).
    """
    decoder = json.JSONDecoder()
    members: dict[str, tuple[Any, str]] = {}
    pos = _WS.match(raw, 0).end()
    if raw[pos : pos + 1] != "{":
        raise ValueError("not a JSON object")
    pos = _WS.match(raw, pos + 1).end()
    if raw[pos : pos + 1] == "}":
        pos += 1
    else:
        while True:
            name, pos = decoder.raw_decode(raw, pos)
            if not isinstance(name, str):
                raise ValueError("member name is not a string")
            pos = _WS.match(raw, pos).end()
            if raw[pos : pos + 1] != ":":
                raise ValueError("expected ':'")
            start = _WS.match(raw, pos + 1).end()
            value, pos = decoder.raw_decode(raw, start)
            members[name] = (value, raw[start:pos])
            pos = _WS.match(raw, pos).end()
            separator = raw[pos : pos + 1]
            pos = _WS.match(raw, pos + 1).end()
            if separator == "}":
                break
            if separator != ",":
                raise ValueError("expected ',' or '}'")
    if raw[_WS.match(raw, pos).end() :]:
        raise ValueError("text after the JSON object")
    return members


class AlipayGateway:
    name = "alipay"

    def __init__(self, config: AlipayConfig, transport: Transport | None = None) -> None:
        self.config = config
        self.transport = transport or UrllibTransport()

    @property
    def app_id(self) -> str:
        return self.config.app_id

    @property
    def seller_id(self) -> str:
        return self.config.seller_id

    # --- requests ------------------------------------------------------------------------

    def signed_params(
        self, method: str, biz_content: Mapping[str, str], **extra: str
    ) -> dict[str, str]:
        """The public request parameters of ``method`` with ``sign`` (empty extras left out)."""
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": alipay_time(clock.now()),
            "version": "1.0",
            "biz_content": json.dumps(biz_content, ensure_ascii=False, separators=(",", ":")),
            "app_cert_sn": self.config.app_cert_sn,
            "alipay_root_cert_sn": self.config.alipay_root_cert_sn,
            **extra,
        }
        params = {key: value for key, value in params.items() if value}
        params["sign"] = rsa2.sign(self.config.app_private_key, rsa2.request_content(params))
        return params

    def _trade(self, payment: Payment) -> dict[str, str]:
        return {
            "out_trade_no": payment.out_trade_no,
            "total_amount": yuan(payment.amount_fen),
            "subject": payment.subject[:SUBJECT_MAX],
            "time_expire": alipay_time(payment.expires_at),
        }

    def _call(self, method: str, biz_content: Mapping[str, str], **extra: str) -> dict[str, Any]:
        params = self.signed_params(method, biz_content, **extra)
        try:
            raw = self.transport.post_form(
                self.config.gateway_url, params, timeout=self.config.timeout
            )
        except (OSError, http.client.HTTPException) as exc:
            raise GatewayError(
                f"{method}: {exc.__class__.__name__}: {exc}", code="network", retryable=True
            ) from exc
        return self.response_body(raw, method)

    def response_body(self, raw: str, method: str) -> dict[str, Any]:
        """The verified ``<method>_response`` object of a server answer; ``GatewayError``
        if the answer is unreadable, unsigned, wrongly signed or an error (code != 10000)."""
        name = method.replace(".", "_") + "_response"
        try:
            members = response_members(raw)
        except ValueError as exc:
            raise GatewayError(
                f"{method}: unreadable answer: {raw[:200]!r}", code="bad_response", retryable=True
            ) from exc
        found = members.get(name) or members.get("error_response")
        if found is None or not isinstance(found[0], dict):
            raise GatewayError(
                f"{method}: answer without {name}: {raw[:200]!r}",
                code="bad_response",
                retryable=True,
            )
        body, text = found
        signature = members.get("sign", (None, ""))[0]
        if not rsa2.verify(self.config.alipay_public_key, text, signature):
            raise GatewayError(
                f"{method}: the answer's signature does not verify: {text[:300]}",
                code="bad_signature",
                retryable=True,
            )
        code = str(body.get("code", ""))
        if code != SUCCESS_CODE:
            sub_code = str(body.get("sub_code", ""))
            raise GatewayError(
                f"{method}: {body.get('sub_msg') or body.get('msg') or 'error'}",
                code=code,
                sub_code=sub_code,
                retryable=code == UNAVAILABLE_CODE or sub_code in RETRYABLE_SUB_CODES,
            )
        return body

    # --- the gateway interface -----------------------------------------------------------

    def create(self, payment: Payment, *, channel: str = "page") -> PayStart:
        if channel == "qr":
            body = self._call(
                "alipay.trade.precreate", self._trade(payment), notify_url=self.config.notify_url
            )
            return PayStart(qr_code=str(body.get("qr_code", "")))
        method, product_code = PAY_METHODS[channel]
        params = self.signed_params(
            method,
            {**self._trade(payment), "product_code": product_code},
            notify_url=self.config.notify_url,
            return_url=self.config.return_url,
        )
        return PayStart(url=f"{self.config.gateway_url}?{urlencode(params)}")

    def verify_notification(self, params: Mapping[str, str]) -> bool:
        if params.get("sign_type", "RSA2") != "RSA2":
            return False
        return rsa2.verify(
            self.config.alipay_public_key, rsa2.notification_content(params), params.get("sign", "")
        )

    def _which_trade(self, payment: Payment, trade_no: str) -> dict[str, str]:
        # Alipay finds a trade by its own number first: the one to use for a second trade.
        return {"trade_no": trade_no} if trade_no else {"out_trade_no": payment.out_trade_no}

    def query(self, payment: Payment, *, trade_no: str = "") -> TradeState:
        try:
            body = self._call("alipay.trade.query", self._which_trade(payment, trade_no))
        except GatewayError as exc:
            if exc.sub_code == TRADE_NOT_EXIST:
                return TradeState(out_trade_no=payment.out_trade_no, status="")
            raise
        return TradeState(
            out_trade_no=str(body.get("out_trade_no", "")),
            status=str(body.get("trade_status", "")),
            trade_no=str(body.get("trade_no", "")),
            total_fen=fen_or_none(body.get("total_amount")),
        )

    def refund(
        self,
        payment: Payment,
        *,
        out_request_no: str,
        amount_fen: int,
        reason: str,
        trade_no: str = "",
    ) -> None:
        self._call(
            "alipay.trade.refund",
            {
                **self._which_trade(payment, trade_no),
                "out_request_no": out_request_no,
                "refund_amount": yuan(amount_fen),
                "refund_reason": reason[:SUBJECT_MAX],
            },
        )

    def close(self, payment: Payment) -> bool:
        try:
            self._call("alipay.trade.close", {"out_trade_no": payment.out_trade_no})
        except GatewayError as exc:
            if exc.sub_code == TRADE_NOT_EXIST:
                return False
            raise
        return True

    def bill(self, bill_date: date) -> list[BillLine]:
        """The day's trade bill: its download URL from the gateway, then the zip (a day
        without trades has no bill: an empty list)."""
        try:
            body = self._call(
                "alipay.data.dataservice.bill.downloadurl.query",
                {"bill_type": "trade", "bill_date": bill_date.isoformat()},
            )
        except GatewayError as exc:
            if exc.sub_code == BILL_NOT_EXIST:
                return []
            raise
        url = str(body.get("bill_download_url", ""))
        if not url:
            raise GatewayError("the bill query answered no download URL", retryable=True)
        try:
            data = self.transport.get(url, timeout=self.config.timeout)
        except (OSError, http.client.HTTPException) as exc:
            raise GatewayError(
                f"bill download: {exc.__class__.__name__}: {exc}", code="network", retryable=True
            ) from exc
        try:
            return parse_bill_zip(data)
        except BillFormatError as exc:
            raise GatewayError(f"bill download: {exc}", code="bad_bill", retryable=True) from exc

    def transfer(
        self, *, out_biz_no: str, amount_fen: int, payee_account: str, payee_name: str, title: str
    ) -> TransferResult:
        """Send ``amount_fen`` from our Alipay balance to ``payee_account`` (an Alipay
        login id, with the payee's real name) with ``alipay.fund.trans.uni.transfer``.

        ``out_biz_no`` makes it idempotent at Alipay: asked again, the same transfer is
        answered, never made twice. A transfer still processing (``DEALING``) or refused
        for a reason that may pass (system busy, our balance too low) raises a
        retryable ``GatewayError``, to be asked again with the same ``out_biz_no``;
        any other refusal is final.
        """
        try:
            body = self._call(
                "alipay.fund.trans.uni.transfer",
                {
                    "out_biz_no": out_biz_no,
                    "trans_amount": yuan(amount_fen),
                    "product_code": "TRANS_ACCOUNT_NO_PWD",
                    "biz_scene": "DIRECT_TRANSFER",
                    "order_title": title[:SUBJECT_MAX],
                    "payee_info": {
                        "identity": payee_account,
                        "identity_type": "ALIPAY_LOGON_ID",
                        "name": payee_name,
                    },
                },
            )
        except GatewayError as exc:
            if exc.sub_code in TRANSFER_RETRYABLE_SUB_CODES and not exc.retryable:
                raise GatewayError(
                    exc.message, code=exc.code, sub_code=exc.sub_code, retryable=True
                ) from exc
            raise
        result = TransferResult(
            out_biz_no=str(body.get("out_biz_no", "")),
            order_id=str(body.get("order_id", "")),
            pay_fund_order_id=str(body.get("pay_fund_order_id", "")),
            status=str(body.get("status", "")),
            trans_date=str(body.get("trans_date", "")),
        )
        if result.out_biz_no != out_biz_no:
            raise GatewayError(
                f"transfer {out_biz_no}: answered for {result.out_biz_no!r}",
                code="bad_response",
                retryable=True,
            )
        if result.status == TRANSFER_SUCCESS:
            return result
        if result.status == TRANSFER_DEALING:
            raise GatewayError(
                f"transfer {out_biz_no} is still processing", code="dealing", retryable=True
            )
        raise GatewayError(
            f"transfer {out_biz_no} ended {result.status or 'without a status'}",
            code="transfer_failed",
            sub_code=result.status,
        )


def _certificate_mode() -> tuple[rsa.RSAPublicKey, str, str] | None:
    """Alipay's public key and the two SNs, when the three certificate files are set."""
    paths = (
        settings.ALIPAY_APP_CERT_PATH,
        settings.ALIPAY_PUBLIC_CERT_PATH,
        settings.ALIPAY_ROOT_CERT_PATH,
    )
    if not any(paths):
        return None
    if not all(paths):
        raise GatewayUnavailable(
            "Alipay's certificate mode needs ALIPAY_APP_CERT_PATH, ALIPAY_PUBLIC_CERT_PATH "
            "and ALIPAY_ROOT_CERT_PATH"
        )
    app, alipay, root = (certs.load_certificates(Path(path).read_bytes()) for path in paths)
    return certs.public_key_of(alipay[0]), certs.cert_sn(app[0]), certs.root_cert_sn(root)


def from_settings(transport: Transport | None = None) -> AlipayGateway:
    """The gateway configured by the ``ALIPAY_*`` settings: public-key mode
    (``ALIPAY_PUBLIC_KEY_PATH``) or certificate mode (the three ``*_CERT_PATH``)."""
    certificate_mode = _certificate_mode()
    if not (
        settings.ALIPAY_APP_ID
        and settings.ALIPAY_APP_PRIVATE_KEY_PATH
        and (settings.ALIPAY_PUBLIC_KEY_PATH or certificate_mode)
    ):
        raise GatewayUnavailable(
            "Alipay is not configured: set ALIPAY_APP_ID, ALIPAY_APP_PRIVATE_KEY_PATH "
            "and ALIPAY_PUBLIC_KEY_PATH (or the three certificate paths)"
        )
    if certificate_mode:
        alipay_public_key, app_cert_sn, root_cert_sn = certificate_mode
    else:
        alipay_public_key = rsa2.read_public_key(settings.ALIPAY_PUBLIC_KEY_PATH)
        app_cert_sn = root_cert_sn = ""
    config = AlipayConfig(
        app_id=settings.ALIPAY_APP_ID,
        app_private_key=rsa2.read_private_key(settings.ALIPAY_APP_PRIVATE_KEY_PATH),
        alipay_public_key=alipay_public_key,
        app_cert_sn=app_cert_sn,
        alipay_root_cert_sn=root_cert_sn,
        gateway_url=settings.ALIPAY_GATEWAY_URL,
        notify_url=settings.ALIPAY_NOTIFY_URL,
        return_url=settings.ALIPAY_RETURN_URL,
        seller_id=settings.ALIPAY_SELLER_ID,
        timeout=settings.ALIPAY_TIMEOUT_SECONDS,
    )
    return AlipayGateway(config, transport)
