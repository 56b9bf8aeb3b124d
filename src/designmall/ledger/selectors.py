"""Finance reads: the reconciliation report and the payouts export.

Periods are ``[start, end)`` in aware datetimes. Amounts in CSV are yuan strings
with two decimals (``1299.00``), which spreadsheets read exactly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from datetime import datetime

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as _noop

from designmall.core.errors import NotFound, ValidationFailed
from designmall.core.money import Money, percent_from_bp
from designmall.ledger import accounts
from designmall.ledger.models import LedgerTransaction, Payout, Posting
from designmall.ledger.services import Kind

_REFUND_KINDS = (Kind.REFUND_FROM_ESCROW, Kind.REFUND_FROM_SELLER)
_PAYOUT_KINDS = (Kind.PAYOUT, Kind.PAYOUT_REVERSED, Kind.PAYOUT_REJECTED)


@dataclass
class GatewayLine:
    gateway: str
    received_fen: int = 0
    refunded_fen: int = 0
    paid_out_fen: int = 0  # seller payouts transferred from the gateway account

    @property
    def net_fen(self) -> int:
        return self.received_fen - self.refunded_fen - self.paid_out_fen


@dataclass
class SellerLine:
    """One seller over a period: ``opening + released - commission - refunded - paid_out``
    equals ``closing``."""

    shop_public_id: str
    opening_fen: int = 0
    released_fen: int = 0  # order amounts released from escrow (before commission)
    commission_fen: int = 0  # commission on those, less commission returned with refunds
    refunded_fen: int = 0  # refunds taken from the seller after release
    paid_out_fen: int = 0  # payouts, less failed and rejected ones
    closing_fen: int = 0


def _check_period(start: datetime, end: datetime) -> None:
    for moment in (start, end):
        if not isinstance(moment, datetime) or timezone.is_naive(moment):
            raise ValidationFailed(_("对账期间需要带时区的时间。"))
    if not start < end:
        raise ValidationFailed(_("开始时间必须早于结束时间。"))


def _in_period(start: datetime, end: datetime):
    return Posting.objects.filter(
        transaction__created_at__gte=start, transaction__created_at__lt=end
    )


def reconciliation_by_gateway(start: datetime, end: datetime) -> list[GatewayLine]:
    """Per gateway: money received from buyers, refunded to them, paid out to sellers,
    and the net."""
    _check_period(start, end)
    lines: dict[str, GatewayLine] = {}
    rows = (
        _in_period(start, end)
        .filter(account__code__startswith="gateway:")
        .values_list("account__code", "transaction__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for code, kind, total in rows:
        gateway = code.removeprefix("gateway:")
        line = lines.setdefault(gateway, GatewayLine(gateway))
        if kind == Kind.PAYMENT_RECEIVED:
            line.received_fen += total
        elif kind in _REFUND_KINDS:
            line.refunded_fen -= total
        elif kind == Kind.PAYOUT_SENT:
            line.paid_out_fen -= total
    return [lines[g] for g in sorted(lines)]


def _seller_balances(before: datetime) -> dict[str, int]:
    rows = (
        Posting.objects.filter(
            account__code__startswith="seller:", transaction__created_at__lt=before
        )
        .values_list("account__code")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    # Seller accounts are liabilities: the balance is credits minus debits.
    return {code.removeprefix("seller:"): -total for code, total in rows}


def reconciliation_by_seller(start: datetime, end: datetime) -> list[SellerLine]:
    """Per seller: balance at ``start``, the period's movements, balance at ``end``."""
    _check_period(start, end)
    opening, closing = _seller_balances(start), _seller_balances(end)

    def line_for(shop: str) -> SellerLine:
        if shop not in lines:
            lines[shop] = SellerLine(
                shop, opening_fen=opening.get(shop, 0), closing_fen=closing.get(shop, 0)
            )
        return lines[shop]

    lines: dict[str, SellerLine] = {}
    for shop in closing:
        line_for(shop)
    rows = (
        _in_period(start, end)
        .filter(transaction__refs__ref_type="shop")
        .values_list("transaction__refs__ref_id", "transaction__kind", "account__code")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for shop, kind, code, total in rows:
        line = line_for(shop)
        if kind == Kind.ESCROW_RELEASED and code == accounts.ESCROW:
            line.released_fen += total
        elif code == accounts.PLATFORM_COMMISSION:
            line.commission_fen -= total
        elif kind == Kind.REFUND_FROM_SELLER and code.startswith("gateway:"):
            line.refunded_fen -= total
        elif kind in _PAYOUT_KINDS and code.startswith("seller:"):
            line.paid_out_fen += total
    return [lines[shop] for shop in sorted(lines)]


def _yuan(fen: int) -> str:
    return Money(fen).yuan_str()


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def export_reconciliation_csv(start: datetime, end: datetime) -> str:
    """The reconciliation report: a gateway table, a blank line, a seller table."""
    _check_period(start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("对账期间"), _local(start), _local(end)])
    writer.writerow([])
    writer.writerow(
        [_("支付渠道"), _("收款（元）"), _("退款（元）"), _("提现转出（元）"), _("净额（元）")]
    )
    for g in reconciliation_by_gateway(start, end):
        writer.writerow(
            [
                g.gateway,
                _yuan(g.received_fen),
                _yuan(g.refunded_fen),
                _yuan(g.paid_out_fen),
                _yuan(g.net_fen),
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            _("店铺编号"),
            _("期初余额（元）"),
            _("结算货款（元）"),
            _("佣金（元）"),
            _("售后退款（元）"),
            _("已打款（元）"),
            _("期末余额（元）"),
        ]
    )
    for s in reconciliation_by_seller(start, end):
        writer.writerow(
            [s.shop_public_id]
            + [_yuan(getattr(s, f.name)) for f in fields(SellerLine) if f.name.endswith("_fen")]
        )
    return out.getvalue()


def export_payouts_csv(start: datetime, end: datetime) -> str:
    """Payouts requested in the period, oldest first."""
    _check_period(start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("打款编号"),
            _("店铺编号"),
            _("金额（元）"),
            _("状态"),
            _("打款流水号"),
            _("申请时间"),
            _("处理时间"),
            _("失败或驳回原因"),
            _("收款支付宝账号"),
            _("审批人数"),
        ]
    )
    payouts = Payout.objects.filter(requested_at__gte=start, requested_at__lt=end).order_by(
        "requested_at", "id"
    )
    for p in payouts:
        writer.writerow(
            [
                p.public_id,
                p.shop_public_id,
                _yuan(p.amount_fen),
                p.get_status_display(),
                p.reference,
                _local(p.requested_at),
                _local(p.settled_at),
                p.failure_reason or p.reject_reason,
                p.payee_account,
                f"{(p.approved_by_id is not None) + (p.second_approved_by_id is not None)}"
                f"/{p.approvals_required}",
            ]
        )
    return out.getvalue()


# --- a seller's statement -----------------------------------------------------------------

_KIND_LABELS = {
    Kind.ESCROW_RELEASED: _noop("订单完成，货款入账"),
    Kind.REFUND_FROM_SELLER: _noop("完成后退款，从余额扣回"),
    Kind.PAYOUT: _noop("提现"),
    Kind.PAYOUT_REVERSED: _noop("提现失败，退回余额"),
    Kind.PAYOUT_REJECTED: _noop("提现被驳回，退回余额"),
}


# The release's memo keeps the commission rate in the books' own words (Chinese); a
# statement shows it in the reader's language.
def _memo_shown(txn: LedgerTransaction) -> str:
    """A release's commission rate in the reader's language; any other memo as written."""
    if txn.commission_bp is None:
        return txn.memo
    return _("佣金费率 %(rate)s") % {"rate": percent_from_bp(txn.commission_bp)}


@dataclass(frozen=True)
class StatementEntry:
    at: datetime
    kind: str
    label: str
    amount_fen: int  # + credited to the seller, - taken from the seller
    order: str
    memo: str


@dataclass(frozen=True)
class SellerStatement:
    balance_fen: int
    entries: list[StatementEntry]


def seller_statement(*, shop_public_id: str, limit: int = 50) -> SellerStatement:
    """The shop's balance (what the platform owes it) and its latest movements, newest
    first, each in the seller's sign (+ credited, - taken)."""
    code = accounts.seller_account(shop_public_id)
    postings = (
        Posting.objects.filter(account__code=code)
        .select_related("transaction")
        .prefetch_related("transaction__refs")
        .order_by("-transaction__created_at", "-id")[: max(1, min(int(limit), 500))]
    )
    entries = []
    for posting in postings:
        txn = posting.transaction
        refs = {ref.ref_type: ref.ref_id for ref in txn.refs.all()}
        label = _KIND_LABELS.get(txn.kind)
        entries.append(
            StatementEntry(
                at=txn.created_at,
                kind=txn.kind,
                label=_(label) if label else txn.kind,
                amount_fen=-posting.amount,  # a liability: a credit is what we owe the seller
                order=refs.get("order", ""),
                memo=_memo_shown(txn),
            )
        )
    balance = -(Posting.objects.filter(account__code=code).aggregate(s=Sum("amount"))["s"] or 0)
    return SellerStatement(balance_fen=balance, entries=entries)


# --- a seller's payouts -------------------------------------------------------------------


def payouts_of_shop(*, shop_public_id: str, limit: int = 20) -> list[Payout]:
    """The shop's latest payouts, newest first."""
    return list(
        Payout.objects.filter(shop_public_id=shop_public_id).order_by("-requested_at", "-id")[
            : max(1, min(int(limit), 200))
        ]
    )


def payout_of_shop(*, shop_public_id: str, public_id: str) -> Payout:
    """One of the shop's payouts; another shop's is ``NotFound`` like a missing one."""
    payout = Payout.objects.filter(shop_public_id=shop_public_id, public_id=public_id).first()
    if payout is None:
        raise NotFound(_("没有找到这笔提现。"))
    return payout


def last_payee(*, shop_public_id: str) -> tuple[str, str]:
    """The Alipay account and name of the shop's latest payout, to suggest again."""
    row = (
        Payout.objects.filter(shop_public_id=shop_public_id)
        .exclude(payee_account="")
        .order_by("-requested_at", "-id")
        .values_list("payee_account", "payee_name")
        .first()
    )
    return row or ("", "")
