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
        LedgerTransaction, on_delete=models.PROTECT, related_name="refs"
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
        LedgerTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
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
    REQUESTED = "requested", _("待打款")
    PAID = "paid", _("已打款")
    FAILED = "failed", _("打款失败")


class Payout(models.Model):
    """A transfer of a seller's balance to the seller's bank account.

    The balance is taken when the payout is requested (so it cannot be paid out
    twice); a failed payout gives it back with a reversing transaction.
    """

    public_id = PublicIdField(prefix="po")
    shop_public_id = models.CharField(_("店铺编号"), max_length=24, db_index=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    status = models.CharField(
        _("状态"), max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED
    )
    # The bank's transfer reference, filled in when finance marks it paid.
    reference = models.CharField(_("银行流水号"), max_length=100, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=500, blank=True)
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
        permissions = [("settle_payout", _("可以确认打款成功或失败"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payout_positive")
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.shop_public_id} {format_fen(self.amount_fen)}"
