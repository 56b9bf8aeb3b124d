"""Ledger services: every money movement as one balanced, idempotent transaction.

``ledger_post`` is the one writer. The business flows below it (payment into
escrow, release to a seller, refunds, payouts) build their postings from the
chart in ``ledger.accounts`` and a deterministic idempotency key, so a retried
call books nothing twice. Ledger rows are never updated or deleted; a
correction is a new transaction.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from designmall.core.money import MAX_FEN, format_fen
from designmall.ledger import accounts
from designmall.ledger.models import (
    Account,
    LedgerRef,
    LedgerTransaction,
    Payout,
    PayoutStatus,
    Posting,
)
from designmall.ledger.rules import split_commission

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_REF_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Kind:
    """The kinds of transaction the flows below record."""

    PAYMENT_RECEIVED = "payment_received"
    ESCROW_RELEASED = "escrow_released"
    DEPOSIT_FORFEITED = "deposit_forfeited"
    REFUND_FROM_ESCROW = "refund_from_escrow"
    REFUND_FROM_SELLER = "refund_from_seller"
    PAYOUT = "payout"
    PLATFORM_COUPON_SUBSIDY = "platform_coupon_subsidy"
    PAYOUT_SENT = "payout_sent"
    PAYOUT_REVERSED = "payout_reversed"
    PAYOUT_REJECTED = "payout_rejected"


def _invalid(message: str, **details: Any) -> ValidationFailed:
    return ValidationFailed(message, details=details or None)


# --- the one writer -----------------------------------------------------------------------


def _clean_postings(postings: Any) -> list[tuple[str, int]]:
    if not isinstance(postings, list | tuple):
        raise _invalid(_("分录必须是列表。"))
    cleaned: list[tuple[str, int]] = []
    for item in postings:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise _invalid(_("每条分录是（科目, 金额）。"), posting=repr(item))
        code, amount = item
        try:
            accounts.describe(code)
        except ValueError:
            raise _invalid(_("未知的会计科目。"), account=repr(code)) from None
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise _invalid(_("金额必须是整数（分）。"), account=code)
        if amount == 0:
            raise _invalid(_("分录金额不能为零。"), account=code)
        if abs(amount) > MAX_FEN:
            raise _invalid(_("金额超出范围。"), account=code)
        cleaned.append((code, amount))
    if len(cleaned) < 2:
        raise _invalid(_("一笔凭证至少要有两条分录。"))
    if len({code for code, _amount in cleaned}) != len(cleaned):
        raise _invalid(_("同一科目在一笔凭证中只能出现一次。"))
    total = sum(amount for _code, amount in cleaned)
    if total != 0:
        raise _invalid(_("借贷不平衡。"), imbalance_fen=total)
    return cleaned


def _clean_refs(refs: Any) -> dict[str, str]:
    if refs is None:
        return {}
    if not isinstance(refs, dict):
        raise _invalid(_("关联必须是字典。"))
    for ref_type, ref_id in refs.items():
        if not isinstance(ref_type, str) or not _REF_TYPE_RE.match(ref_type):
            raise _invalid(_("关联类型无效。"), ref_type=repr(ref_type))
        if not isinstance(ref_id, str) or not 0 < len(ref_id) <= 64:
            raise _invalid(_("关联编号无效。"), ref_type=ref_type)
    return dict(refs)


def _accounts_for(codes: list[str]) -> dict[str, Account]:
    found = {a.code: a for a in Account.objects.filter(code__in=codes)}
    # Sorted, so two transactions creating the same new accounts cannot deadlock.
    for code in sorted(set(codes) - found.keys()):
        account_type, name = accounts.describe(code)
        found[code], _created = Account.objects.get_or_create(
            code=code,
            defaults={"type": account_type.value, "name": name, "created_at": clock.now()},
        )
    return found


def _same_or_conflict(
    existing: LedgerTransaction, *, kind: str, postings: list[tuple[str, int]]
) -> LedgerTransaction:
    recorded = sorted(existing.postings.values_list("account__code", "amount"))
    if existing.kind != kind or recorded != sorted(postings):
        raise Conflict(
            _("这个幂等键已用于另一笔不同的凭证。"),
            code="ledger_key_reused",
            details={"key": existing.key, "transaction": existing.public_id},
        )
    return existing


@transaction.atomic
def ledger_post(
    *,
    key: str,
    kind: str,
    postings: list[tuple[str, int]],
    memo: str = "",
    refs: dict[str, str] | None = None,
    commission_bp: int | None = None,
    by=None,
) -> LedgerTransaction:
    """Record one balanced transaction, once per ``key``.

    ``postings`` are ``(account code, amount in fen)``: positive debits, negative
    credits, at least two, each account once, no zero amount, ints only, summing
    to exactly 0 (else ``ValidationFailed``). Accounts are created on first use.
    The same ``key`` again returns the first transaction and writes nothing, also
    when the calls race; the same key with another kind or other postings raises
    ``Conflict`` ``ledger_key_reused``.
    """
    if not isinstance(key, str) or not 0 < len(key) <= 200:
        raise _invalid(_("幂等键无效。"))
    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        raise _invalid(_("凭证类别无效。"), kind=repr(kind))
    if not isinstance(memo, str) or len(memo) > 500:
        raise _invalid(_("摘要最多 500 个字符。"))
    cleaned = _clean_postings(postings)
    clean_refs = _clean_refs(refs)

    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing is not None:
        return _same_or_conflict(existing, kind=kind, postings=cleaned)

    by_account = _accounts_for([code for code, _amount in cleaned])
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                key=key,
                kind=kind,
                memo=memo,
                commission_bp=commission_bp,
                created_at=clock.now(),
                created_by=by if getattr(by, "pk", None) else None,
            )
    except IntegrityError:
        # A concurrent call with the same key committed first (its insert made ours
        # wait, then fail on the unique key): answer with what it recorded.
        existing = LedgerTransaction.objects.get(key=key)
        return _same_or_conflict(existing, kind=kind, postings=cleaned)
    Posting.objects.bulk_create(
        Posting(transaction=txn, account=by_account[code], amount=amount)
        for code, amount in cleaned
    )
    LedgerRef.objects.bulk_create(
        LedgerRef(transaction=txn, ref_type=ref_type, ref_id=ref_id)
        for ref_type, ref_id in sorted(clean_refs.items())
    )
    return txn


# --- balances -----------------------------------------------------------------------------


def _natural(code: str, debit_minus_credit: int) -> int:
    account_type, _name = accounts.describe(code)
    return account_type.debit_sign * debit_minus_credit


def _raw_balance(code: str) -> int:
    total = Posting.objects.filter(account__code=code).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def account_balance(code: str) -> int:
    """The balance of ``code`` in fen, in the account's natural sign (0 if unused)."""
    try:
        return _natural(code, _raw_balance(code))
    except ValueError:
        raise _invalid(_("未知的会计科目。"), account=repr(code)) from None


def seller_balance(shop_public_id: str) -> int:
    """What the platform owes the shop, in fen; negative when the shop owes us."""
    return account_balance(_seller(shop_public_id))


def platform_revenue() -> int:
    return account_balance(accounts.PLATFORM_COMMISSION)


def escrow_balance() -> int:
    return account_balance(accounts.ESCROW)


def transactions_for(ref_type: str, ref_id: str):
    """The transactions that refer to ``ref_type``=``ref_id``, oldest first, with postings."""
    return (
        LedgerTransaction.objects.filter(refs__ref_type=ref_type, refs__ref_id=ref_id)
        .prefetch_related("postings__account", "refs")
        .order_by("created_at", "id")
    )


def ledger_verify() -> list[str]:
    """Problems with the books, for tests and the periodic check; empty when sound."""
    problems = []
    unbalanced = (
        Posting.objects.values("transaction__public_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("transaction__public_id")
    )
    for row in unbalanced:
        problems.append(f"transaction {row['transaction__public_id']} sums to {row['total']}")
    for posting in Posting.objects.filter(amount=0).select_related("transaction"):
        problems.append(f"transaction {posting.transaction.public_id} has a zero posting")
    for txn in LedgerTransaction.objects.annotate(n=Count("postings")).filter(n__lt=2):
        problems.append(f"transaction {txn.public_id} has fewer than two postings")
    return problems


# --- flows --------------------------------------------------------------------------------


def _gateway(gateway: str) -> str:
    try:
        return accounts.gateway_account(gateway)
    except ValueError:
        raise _invalid(_("未知的支付渠道。"), gateway=repr(gateway)) from None


def _seller(shop_public_id: str) -> str:
    try:
        return accounts.seller_account(shop_public_id)
    except ValueError:
        raise _invalid(_("店铺编号无效。"), shop=repr(shop_public_id)) from None


def _positive(amount_fen: Any) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise _invalid(_("金额必须是正整数（分）。"), amount_fen=repr(amount_fen))
    return amount_fen


def _nonzero(postings: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(code, amount) for code, amount in postings if amount != 0]


def _ref(value: Any, what: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise _invalid(_("关联编号无效。"), ref_type=what)
    return value


def escrow_receive_payment(
    *, payment_ref: str, gateway: str, amount_fen: int, refs: dict[str, str] | None = None, by=None
) -> LedgerTransaction:
    """A buyer's payment arrived at ``gateway``: the gateway holds it, escrow owes it."""
    amount = _positive(amount_fen)
    return ledger_post(
        key=f"payment:{_ref(payment_ref, 'payment')}",
        kind=Kind.PAYMENT_RECEIVED,
        postings=[(_gateway(gateway), amount), (accounts.ESCROW, -amount)],
        refs={**(refs or {}), "payment": payment_ref, "gateway": gateway},
        by=by,
    )


def escrow_release_to_seller(
    *,
    order_ref: str,
    shop_public_id: str,
    amount_fen: int,
    commission_bp: int,
    refs: dict[str, str] | None = None,
    by=None,
) -> LedgerTransaction:
    """An order is complete: its amount leaves escrow, the seller is owed it less the
    commission (``commission_bp``/10000, rounded half up), the platform earns that."""
    return _escrow_to_seller(
        key=f"release:{_ref(order_ref, 'order')}",
        kind=Kind.ESCROW_RELEASED,
        shop_public_id=shop_public_id,
        amount_fen=amount_fen,
        commission_bp=commission_bp,
        refs={**(refs or {}), "order": order_ref},
        by=by,
    )


def _escrow_to_seller(
    *,
    key: str,
    kind: str,
    shop_public_id: str,
    amount_fen: int,
    commission_bp: int,
    refs: dict[str, str],
    by,
) -> LedgerTransaction:
    """Money leaves escrow for the seller, less the commission the platform earns."""
    amount = _positive(amount_fen)
    if isinstance(commission_bp, bool) or not isinstance(commission_bp, int):
        raise _invalid(_("佣金比例必须是整数（基点）。"))
    try:
        seller_fen, commission_fen = split_commission(amount, commission_bp)
    except ValueError:
        raise _invalid(_("佣金比例必须在 0 到 10000 基点之间。")) from None
    return ledger_post(
        key=key,
        kind=kind,
        postings=_nonzero(
            [
                (accounts.ESCROW, amount),
                (_seller(shop_public_id), -seller_fen),
                (accounts.PLATFORM_COMMISSION, -commission_fen),
            ]
        ),
        memo=f"佣金费率 {commission_bp} 基点",
        commission_bp=commission_bp,
        refs={**refs, "shop": shop_public_id},
        by=by,
    )


def escrow_forfeit_to_seller(
    *,
    forfeit_ref: str,
    shop_public_id: str,
    amount_fen: int,
    commission_bp: int,
    refs: dict[str, str] | None = None,
    by=None,
) -> LedgerTransaction:
    """A buyer forfeits money held in escrow (a pre-sale's 定金 whose balance was not paid in
    time): it leaves escrow, the seller is owed it less the commission, the platform earns
    that; once per ``forfeit_ref``."""
    return _escrow_to_seller(
        key=f"forfeit:{_ref(forfeit_ref, 'forfeit')}",
        kind=Kind.DEPOSIT_FORFEITED,
        shop_public_id=shop_public_id,
        amount_fen=amount_fen,
        commission_bp=commission_bp,
        refs={**(refs or {}), "forfeit": forfeit_ref},
        by=by,
    )


def platform_coupon_subsidy(
    *,
    order_ref: str,
    shop_public_id: str,
    amount_fen: int,
    refs: dict[str, str] | None = None,
    by=None,
) -> LedgerTransaction:
    """An order that a platform coupon discounted is released: the platform pays the
    seller the coupon's share of the order (its expense), so the seller is made whole.
    Once per order (the key)."""
    amount = _positive(amount_fen)
    return ledger_post(
        key=f"coupon_subsidy:{_ref(order_ref, 'order')}",
        kind=Kind.PLATFORM_COUPON_SUBSIDY,
        postings=[(accounts.PLATFORM_COUPONS, amount), (_seller(shop_public_id), -amount)],
        refs={**(refs or {}), "order": order_ref, "shop": shop_public_id},
        by=by,
    )


def refund_from_escrow(
    *, refund_ref: str, gateway: str, amount_fen: int, refs: dict[str, str] | None = None, by=None
) -> LedgerTransaction:
    """A refund before release: escrow gives the money back through the gateway."""
    amount = _positive(amount_fen)
    return ledger_post(
        key=f"refund:{_ref(refund_ref, 'refund')}",
        kind=Kind.REFUND_FROM_ESCROW,
        postings=[(accounts.ESCROW, amount), (_gateway(gateway), -amount)],
        refs={**(refs or {}), "refund": refund_ref, "gateway": gateway},
        by=by,
    )


def refund_from_seller(
    *,
    refund_ref: str,
    shop_public_id: str,
    gateway: str,
    amount_fen: int,
    commission_back_fen: int,
    refs: dict[str, str] | None = None,
    by=None,
) -> LedgerTransaction:
    """A refund after release: the seller's balance pays it, less the commission share
    the platform returns (``commission_back_fen``, see ``rules.commission_back``).

    The seller balance may go below zero: that is the seller's debt, kept on record.
    """
    amount = _positive(amount_fen)
    if (
        isinstance(commission_back_fen, bool)
        or not isinstance(commission_back_fen, int)
        or not 0 <= commission_back_fen <= amount
    ):
        raise _invalid(_("退回佣金必须在 0 与退款金额之间。"))
    return ledger_post(
        key=f"refund:{_ref(refund_ref, 'refund')}",
        kind=Kind.REFUND_FROM_SELLER,
        postings=_nonzero(
            [
                (_seller(shop_public_id), amount - commission_back_fen),
                (accounts.PLATFORM_COMMISSION, commission_back_fen),
                (_gateway(gateway), -amount),
            ]
        ),
        refs={**(refs or {}), "refund": refund_ref, "shop": shop_public_id, "gateway": gateway},
        by=by,
    )


@transaction.atomic
def payout_to_seller(
    *, payout_ref: str, shop_public_id: str, amount_fen: int, by=None
) -> LedgerTransaction:
    """Take ``amount_fen`` of the seller balance for a payout: it waits in
    ``payouts:pending`` until it is sent (``payout_transfer_succeeded``) or given back.

    Refused with ``Conflict`` ``insufficient_balance`` when the balance, read under
    a row lock on the seller's account, is lower, so concurrent payouts can never
    take the balance below zero.
    """
    amount = _positive(amount_fen)
    seller = _seller(shop_public_id)
    key = f"payout:{_ref(payout_ref, 'payout')}"
    postings = [(seller, amount), (accounts.PAYOUTS_PENDING, -amount)]
    # The lock serialises payouts of one seller; the key is checked after it so a
    # retry of a payout that just went through returns it instead of failing.
    locked = Account.objects.select_for_update().filter(code=seller).exists()
    if not LedgerTransaction.objects.filter(key=key).exists():
        balance = seller_balance(shop_public_id) if locked else 0
        if balance < amount:
            raise Conflict(
                _("提现金额 %(amount)s 超过可提现余额 %(balance)s。")
                % {"amount": format_fen(amount), "balance": format_fen(max(balance, 0))},
                code="insufficient_balance",
                details={"balance_fen": balance, "amount_fen": amount},
            )
    return ledger_post(
        key=key,
        kind=Kind.PAYOUT,
        postings=postings,
        refs={"payout": payout_ref, "shop": shop_public_id},
        by=by,
    )


# --- payouts ------------------------------------------------------------------------------
#
# requested --approve (1 or 2 finance users)--> approved --transfer--> paid
#     |                                             |
#     +--reject--> rejected (money back)            +--final failure--> failed (money back)

_MOBILE_RE = re.compile(r"^(\+?86)?1[3-9][0-9]{9}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean_payee(account: Any, name: Any) -> tuple[str, str]:
    account = account.strip() if isinstance(account, str) else ""
    name = name.strip() if isinstance(name, str) else ""
    if not (0 < len(account) <= 100 and (_MOBILE_RE.match(account) or _EMAIL_RE.match(account))):
        raise ValidationFailed(
            _("请填写收款支付宝账号（邮箱或手机号）。"),
            code="invalid_payee_account",
            details={"field": "payee_account"},
        )
    if not 0 < len(name) <= 50:
        raise ValidationFailed(
            _("请填写收款人真实姓名（最多 50 个字符）。"),
            code="invalid_payee_name",
            details={"field": "payee_name"},
        )
    return account, name


def approvals_required_for(amount_fen: int) -> int:
    """Two finance users approve a payout from ``PAYOUT_SECOND_APPROVAL_FROM_FEN``, else one."""
    return 2 if amount_fen >= settings.PAYOUT_SECOND_APPROVAL_FROM_FEN else 1


def _same_request(payout: Payout, amount_fen: int, account: str, name: str) -> Payout:
    if (payout.amount_fen, payout.payee_account, payout.payee_name) != (amount_fen, account, name):
        raise Conflict(
            _("这个幂等键已用于另一笔不同的提现申请。"),
            code="idempotency_key_reused",
            details={"payout": payout.public_id},
        )
    return payout


@transaction.atomic
def payout_request(
    *,
    shop_public_id: str,
    amount_fen: int,
    payee_account: str,
    payee_name: str,
    request_key: str | None = None,
    by=None,
) -> Payout:
    """Request a payout of ``amount_fen`` to the seller's Alipay account.

    The balance is taken now (``payout_to_seller``), so what is requested cannot be
    requested again; more than the balance is refused (``Conflict``
    ``insufficient_balance``). The same ``request_key`` again returns the first
    payout (a double submit, a retried API call) and takes nothing more. The caller
    checks that ``by`` may act for the shop.
    """
    amount = _positive(amount_fen)
    account, name = _clean_payee(payee_account, payee_name)
    key_ok = isinstance(request_key, str) and 0 < len(request_key) <= 100
    if request_key is not None and not key_ok:
        raise _invalid(_("幂等键无效。"))
    if request_key:
        earlier = Payout.objects.filter(shop_public_id=shop_public_id, request_key=request_key)
        if (found := earlier.first()) is not None:
            return _same_request(found, amount, account, name)
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                shop_public_id=shop_public_id,
                amount_fen=amount,
                payee_account=account,
                payee_name=name,
                request_key=request_key or None,
                approvals_required=approvals_required_for(amount),
                requested_at=clock.now(),
                requested_by=by if getattr(by, "pk", None) else None,
            )
    except IntegrityError:
        if not request_key:
            raise
        # The same key committed by a concurrent request: answer with its payout.
        found = Payout.objects.get(shop_public_id=shop_public_id, request_key=request_key)
        return _same_request(found, amount, account, name)
    payout.out_biz_no = payout.public_id  # letters, digits and "_": valid at Alipay
    payout.save(update_fields=["out_biz_no"])
    payout_to_seller(
        payout_ref=payout.public_id, shop_public_id=shop_public_id, amount_fen=amount, by=by
    )
    audit_record(
        actor=by,
        action="payout.request",
        target=payout,
        to_state=payout.status,
        data={
            "amount_fen": amount,
            "payee_account": account,
            "approvals_required": payout.approvals_required,
        },
    )
    return payout


def _require_finance(user) -> None:
    if not (user is not None and user.has_perm("ledger.approve_payout")):
        raise PermissionDenied(_("只有财务人员可以审批提现。"), code="finance_only")


def _locked(payout: Payout, *, expected: str, to: str) -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status != expected:
        raise InvalidTransition(
            _("这笔提现已处理（%(status)s）。") % {"status": payout.get_status_display()},
            details={"from": payout.status, "to": to},
        )
    return payout


@transaction.atomic
def payout_approve(*, payout: Payout, by, gateway: str) -> Payout:
    """A finance user approves a requested payout; with the last approval it needs, it
    becomes ``approved`` and is to be transferred at ``gateway``.

    Four eyes: the requester never approves their own payout, and the second approval
    (``approvals_required`` 2) must come from another finance user than the first.
    Approving under the payout's row lock, two approvals at once are taken one after
    the other: the one that comes too late is refused (``InvalidTransition``).
    """
    _require_finance(by)
    gateway_code = _gateway(gateway)
    payout = _locked(payout, expected=PayoutStatus.REQUESTED, to=PayoutStatus.APPROVED)
    if not (payout.out_biz_no and payout.payee_account and payout.payee_name):
        # Requested before payouts went through the gateway: nowhere to send it.
        raise Conflict(
            _("这笔提现没有收款支付宝账号，无法转账，请驳回。"),
            code="payout_without_payee",
            details={"payout": payout.public_id},
        )
    if payout.requested_by_id is not None and payout.requested_by_id == by.pk:
        raise PermissionDenied(
            _("不能审批自己申请的提现。"), code="own_payout", details={"payout": payout.public_id}
        )
    now = clock.now()
    if payout.approved_by_id is None:
        payout.approved_by, payout.approved_at = by, now
        action, fields = "payout.approve", ["approved_by", "approved_at"]
    else:
        if payout.approved_by_id == by.pk:
            raise PermissionDenied(
                _("这笔提现需要另一位财务人员复核，不能由同一人审批两次。"),
                code="second_approver_required",
                details={"payout": payout.public_id},
            )
        payout.second_approved_by, payout.second_approved_at = by, now
        action, fields = "payout.approve_second", ["second_approved_by", "second_approved_at"]
    approvals = 1 + (payout.second_approved_by_id is not None)
    if approvals >= payout.approvals_required:
        payout.status = PayoutStatus.APPROVED
        payout.gateway = gateway_code.removeprefix("gateway:")
        fields += ["status", "gateway"]
    payout.save(update_fields=fields)
    audit_record(
        actor=by,
        action=action,
        target=payout,
        from_state=PayoutStatus.REQUESTED,
        to_state=payout.status,
        data={"approvals": approvals, "approvals_required": payout.approvals_required},
    )
    return payout


def _give_back(payout: Payout, *, kind: str, memo: str, by) -> LedgerTransaction:
    # One key for a rejection and a failure alike: the money can come back only once.
    return ledger_post(
        key=f"payout_reversed:{payout.public_id}",
        kind=kind,
        postings=[
            (accounts.PAYOUTS_PENDING, payout.amount_fen),
            (_seller(payout.shop_public_id), -payout.amount_fen),
        ],
        memo=memo[:500],
        refs={"payout": payout.public_id, "shop": payout.shop_public_id},
        by=by,
    )


@transaction.atomic
def payout_reject(*, payout: Payout, reason: str, by) -> Payout:
    """Finance refuses a requested payout (also one half approved), with the reason the
    seller reads: the amount goes back to the seller balance."""
    _require_finance(by)
    reason = (reason or "").strip()
    if not 0 < len(reason) <= 500:
        raise _invalid(_("请填写驳回原因（最多 500 个字符）。"))
    payout = _locked(payout, expected=PayoutStatus.REQUESTED, to=PayoutStatus.REJECTED)
    payout.status = PayoutStatus.REJECTED
    payout.reject_reason = reason
    payout.settled_at, payout.settled_by = clock.now(), by
    payout.save(update_fields=["status", "reject_reason", "settled_at", "settled_by"])
    _give_back(payout, kind=Kind.PAYOUT_REJECTED, memo=reason, by=by)
    audit_record(
        actor=by,
        action="payout.reject",
        target=payout,
        from_state=PayoutStatus.REQUESTED,
        to_state=PayoutStatus.REJECTED,
        reason=reason,
    )
    return payout


@transaction.atomic
def payout_transfer_succeeded(*, payout: Payout, reference: str) -> Payout:
    """The gateway made the transfer (``reference``: its order id): the pending amount
    leaves the gateway account. Recorded once; a repeat returns the paid payout."""
    current = Payout.objects.select_for_update().get(pk=payout.pk)
    if current.status == PayoutStatus.PAID:
        return current
    payout = _locked(current, expected=PayoutStatus.APPROVED, to=PayoutStatus.PAID)
    payout.status = PayoutStatus.PAID
    payout.reference = (reference or "")[:100]
    payout.settled_at = clock.now()
    payout.save(update_fields=["status", "reference", "settled_at"])
    ledger_post(
        key=f"payout_sent:{payout.public_id}",
        kind=Kind.PAYOUT_SENT,
        postings=[
            (accounts.PAYOUTS_PENDING, payout.amount_fen),
            (_gateway(payout.gateway), -payout.amount_fen),
        ],
        refs={"payout": payout.public_id, "shop": payout.shop_public_id, "gateway": payout.gateway},
    )
    audit_record(
        actor=None,
        action="payout.paid",
        target=payout,
        from_state=PayoutStatus.APPROVED,
        to_state=PayoutStatus.PAID,
        data={"reference": payout.reference, "gateway": payout.gateway},
    )
    return payout


@transaction.atomic
def payout_transfer_failed(*, payout: Payout, reason: str) -> Payout:
    """The gateway refused the transfer for good: the amount goes back to the seller
    balance. Recorded once; a repeat returns the failed payout."""
    current = Payout.objects.select_for_update().get(pk=payout.pk)
    if current.status == PayoutStatus.FAILED:
        return current
    payout = _locked(current, expected=PayoutStatus.APPROVED, to=PayoutStatus.FAILED)
    payout.status = PayoutStatus.FAILED
    payout.failure_reason = (reason or "")[:500]
    payout.settled_at = clock.now()
    payout.save(update_fields=["status", "failure_reason", "settled_at"])
    _give_back(payout, kind=Kind.PAYOUT_REVERSED, memo=payout.failure_reason, by=None)
    audit_record(
        actor=None,
        action="payout.failed",
        target=payout,
        from_state=PayoutStatus.APPROVED,
        to_state=PayoutStatus.FAILED,
        reason=payout.failure_reason,
    )
    return payout
