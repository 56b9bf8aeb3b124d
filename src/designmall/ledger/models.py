"""Ledger rows. They are written only by ``ledger.services`` and never changed or
deleted afterwards: a correction is a new transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from designmall.core.fields import PublicIdField
from designmall.core.money import format_fen
from designmall.ledger.accounts import AccountType


class Account(models.Model):
    code = models.CharField(_("科目代码"), max_length=64, unique=True)
    type = models.CharField(
        _("类型"),
        max_length=16,
        choices=[
            (AccountType.ASSET.value, _("资产")),
            (AccountType.LIABILITY.value, _("负债")),
            (AccountType.REVENUE.value, _("收入")),
            (AccountType.EXPENSE.value, _("费用")),
        ],
    )
    name = models.CharField(_("名称"), max_length=100)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def account_type(self) -> AccountType:
        return AccountType(self.type)


class LedgerTransaction(models.Model):
    public_id = PublicIdField(prefix="lt")
    # The caller's idempotency key: posting the same key twice records it once.
    key = models.CharField(_("幂等键"), max_length=200, unique=True)
    kind = models.CharField(_("类别"), max_length=40, db_index=True)
    memo = models.CharField(_("摘要"), max_length=500, blank=True)
    # The commission rate a release to a seller was split at, kept as data for statements.
    commission_bp = models.PositiveIntegerField(_("佣金（基点）"), null=True, blank=True)
    created_at = models.DateTimeField(_("记账时间"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind}"


class LedgerRef(models.Model):
    """What a transaction is about (a payment, an order, a shop...), searchable."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        on_delete=models.PROTECT,
        related_name="refs",
        verbose_name=_("记账凭证"),
    )
    ref_type = models.CharField(_("关联类型"), max_length=32)
    ref_id = models.CharField(_("关联编号"), max_length=64)

    class Meta:
        verbose_name = _("关联")
        verbose_name_plural = _("关联")
        constraints = [
            models.UniqueConstraint(fields=["transaction", "ref_type"], name="ledger_ref_once")
        ]
        indexes = [models.Index(fields=["ref_type", "ref_id"], name="ledger_ref_lookup")]

    def __str__(self) -> str:
        return f"{self.ref_type}={self.ref_id}"


class Posting(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction,
        on_delete=models.PROTECT,
        related_name="postings",
        verbose_name=_("记账凭证"),
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", verbose_name=_("账户")
    )
    # Integer fen: positive debits, negative credits.
    amount = models.BigIntegerField(_("金额（分）"))

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="posting_not_zero")]

    def __str__(self) -> str:
        side = _("借") if self.amount > 0 else _("贷")
        return f"{side} {self.account_id} {format_fen(abs(self.amount))}"


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("转账中")
    PAID = "paid", _("已打款")
    FAILED = "failed", _("打款失败")
    REJECTED = "rejected", _("已驳回")


class Payout(models.Model):
    """A transfer of part of a seller's balance to the seller's Alipay account.

    The balance is taken when the payout is requested (so it cannot be requested
    twice); finance approves it (two different finance users from
    ``PAYOUT_SECOND_APPROVAL_FROM_FEN``), then the transfer runs at the gateway with
    the payout's own ``out_biz_no``. A rejected or failed payout gives the amount
    back with a reversing transaction.
    """

    public_id = PublicIdField(prefix="po")
    shop_public_id = models.CharField(_("店铺编号"), max_length=24, db_index=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    status = models.CharField(
        _("状态"), max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED
    )
    # Where the money goes: the seller's Alipay login id (email or mobile) and real name.
    payee_account = models.CharField(_("收款支付宝账号"), max_length=100, blank=True)
    payee_name = models.CharField(_("收款人姓名"), max_length=50, blank=True)
    # Our number for the transfer at the gateway: the same on every retry of it.
    out_biz_no = models.CharField(_("转账单号"), max_length=64, unique=True, null=True, blank=True)
    # The caller's key for the request (a form's one-time token, an Idempotency-Key).
    request_key = models.CharField(_("请求幂等键"), max_length=100, null=True, blank=True)
    # 1, or 2 from PAYOUT_SECOND_APPROVAL_FROM_FEN: the rule that applied when requested.
    approvals_required = models.PositiveSmallIntegerField(_("所需审批人数"), default=1)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("复核人"),
    )
    second_approved_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    # The gateway the transfer runs at, fixed when the payout is fully approved.
    gateway = models.CharField(_("转账渠道"), max_length=16, blank=True)
    # The gateway's transfer order id (or a bank reference), once paid.
    reference = models.CharField(_("打款流水号"), max_length=100, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=500, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("申请时间"), db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人"),
    )
    settled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("处理人"),
    )

    class Meta:
        verbose_name = _("卖家打款")
        verbose_name_plural = _("卖家打款")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_payout", _("可以审批或驳回卖家提现"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payout_positive"),
            models.CheckConstraint(
                condition=Q(approvals_required__in=[1, 2]), name="payout_one_or_two_approvals"
            ),
            models.UniqueConstraint(
                fields=["shop_public_id", "request_key"], name="payout_request_key_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.shop_public_id} {format_fen(self.amount_fen)}"

    @property
    def amount_display(self) -> str:
        return format_fen(self.amount_fen)

    @property
    def awaiting_second_approval(self) -> bool:
        return (
            self.status == PayoutStatus.REQUESTED
            and self.approvals_required == 2
            and self.approved_by_id is not None
        )
