"""What every payment gateway offers, and what it answers.

A gateway is an object with

- ``name``, ``app_id``, ``seller_id``: who we are there;
- ``create(payment, *, channel)`` -> ``PayStart``: where to send the buyer
  (``page``: desktop cashier, ``wap``: mobile cashier, ``qr``: a code to scan);
- ``verify_notification(params)`` -> bool: is this notification signed by the gateway;
- ``query(payment, *, trade_no="")`` -> ``TradeState``: the trade as the gateway sees it
  (``trade_no``: that one of the payment's trades, when the buyer paid twice);
- ``refund(payment, *, out_request_no, amount_fen, reason, trade_no="")``: refund part
  of a paid trade (the payment's, or its second trade ``trade_no``); the same
  ``out_request_no`` again is the same refund, made once;
- ``close(payment)`` -> bool: stop the trade from being paid (False: the gateway
  never saw it, so there was nothing to close);
- ``bill(bill_date)`` -> ``list[BillLine]``: the day's trades and refunds as the gateway's
  bill lists them (``payments.bills``), for the daily reconciliation.

Failures raise ``GatewayError``; ``retryable`` says whether trying again later
(with the same request numbers) may succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from designmall.payments.bills import BillLine
    from designmall.payments.models import Payment

WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
TRADE_SUCCESS = "TRADE_SUCCESS"
TRADE_FINISHED = "TRADE_FINISHED"
TRADE_CLOSED = "TRADE_CLOSED"
PAID_STATUSES = frozenset({TRADE_SUCCESS, TRADE_FINISHED})

# Alipay's sub codes we act on.
TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
TRADE_STATUS_ERROR = "ACQ.TRADE_STATUS_ERROR"
BILL_NOT_EXIST = "isp.bill_not_exist"
RETRYABLE_SUB_CODES = frozenset({"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR"})


class GatewayError(Exception):
    def __init__(
        self, message: str, *, code: str = "", sub_code: str = "", retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.sub_code = sub_code
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.code}/{self.sub_code}: {self.message}" if self.code else self.message


class GatewayUnavailable(GatewayError):
    """The gateway is not configured here (no keys, or the sandbox is switched off)."""


@dataclass(frozen=True)
class PayStart:
    url: str = ""  # where to send the buyer's browser
    qr_code: str = ""  # what a QR code for the buyer to scan encodes


@dataclass(frozen=True)
class TradeState:
    out_trade_no: str
    status: str  # "" when the gateway has no such trade (the buyer never got that far)
    trade_no: str = ""
    total_fen: int | None = None

    @property
    def paid(self) -> bool:
        return self.status in PAID_STATUSES


class Gateway(Protocol):
    name: str
    app_id: str
    seller_id: str

    def create(self, payment: Payment, *, channel: str = "page") -> PayStart: ...

    def verify_notification(self, params: Mapping[str, str]) -> bool: ...

    def query(self, payment: Payment, *, trade_no: str = "") -> TradeState: ...

    def refund(
        self,
        payment: Payment,
        *,
        out_request_no: str,
        amount_fen: int,
        reason: str,
        trade_no: str = "",
    ) -> None: ...

    def close(self, payment: Payment) -> bool: ...

    def bill(self, bill_date: date) -> list[BillLine]: ...
    # Seller payouts: ``transfer(out_biz_no=..., amount_fen=..., payee_account=...,
    # payee_name=..., title=...)`` -> ``TransferResult``; the same ``out_biz_no`` again
    # is the same transfer, made once, answered with its first result.
    def transfer(
        self, *, out_biz_no: str, amount_fen: int, payee_account: str, payee_name: str, title: str
    ) -> TransferResult: ...


# --- transfers (alipay.fund.trans.uni.transfer) --------------------------------------------

TRANSFER_SUCCESS = "SUCCESS"
TRANSFER_DEALING = "DEALING"
# Sub codes of a transfer that may succeed when asked again with the same out_biz_no.
TRANSFER_RETRYABLE_SUB_CODES = frozenset({"SYSTEM_ERROR", "PAYER_BALANCE_NOT_ENOUGH"})


@dataclass(frozen=True)
class TransferResult:
    out_biz_no: str
    order_id: str  # Alipay's transfer order number
    pay_fund_order_id: str
    status: str
    trans_date: str = ""
