"""Payments, the notifications about them, refunds, and the sandbox's own trades.

A payment knows nothing of what it pays for: ``payable_type`` and
``payable_id`` name it, and the domain that registered that type is told when
the payment is paid, refunded or expires (``payments.payables``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.core.fields import PublicIdField
from designmall.core.money import format_fen


class GatewayName(models.TextChoices):
    ALIPAY = "alipay", _("支付宝")
    SANDBOX = "sandbox", _("沙箱")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待支付")
    PAID = "paid", _("已支付")
    # Given up here, not yet confirmed closed (or found paid) by the gateway.
    CLOSING = "closing", _("关闭中")
    CLOSED = "closed", _("已关闭")


class Payment(models.Model):
    public_id = PublicIdField(prefix="pay")
    # Our trade number at the gateway: random, so nobody can guess another's cashier.
    out_trade_no = models.CharField(_("商户订单号"), max_length=64, unique=True)
    gateway = models.CharField(_("支付渠道"), max_length=16, choices=GatewayName.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    # Committed to refunds, pending or done (a failed refund gives its part back).
    refunded_fen = models.BigIntegerField(_("已退款（分）"), default=0)
    subject = models.CharField(_("商品描述"), max_length=256)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("买家"),
    )
    payable_type = models.CharField(_("支付对象类型"), max_length=40)
    payable_id = models.CharField(_("支付对象编号"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    trade_no = models.CharField(_("支付宝交易号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("支付截止时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    closing_at = models.DateTimeField(_("放弃时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付")
        verbose_name_plural = _("支付")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["payable_type", "payable_id"]),
            models.Index(fields=["status", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0) & Q(refunded_fen__lte=F("amount_fen")),
                name="payment_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.out_trade_no} {format_fen(self.amount_fen)}"

    @property
    def amount_display(self) -> str:
        return format_fen(self.amount_fen)


class NotifyOutcome(models.TextChoices):
    CREDITED = "credited", _("已入账")
    DUPLICATE = "duplicate", _("重复通知")
    REFUNDING = "refunding", _("已入账并自动退款")
    OVERPAID = "overpaid", _("重复付款，已入账并自动退款")
    IGNORED = "ignored", _("无需处理的状态")
    BAD_SIGNATURE = "bad_signature", _("验签失败")
    UNKNOWN_TRADE = "unknown_trade", _("未知交易")
    APP_ID_MISMATCH = "app_id_mismatch", _("应用编号不符")
    SELLER_ID_MISMATCH = "seller_id_mismatch", _("收款方不符")
    AMOUNT_MISMATCH = "amount_mismatch", _("金额不符")
    TRADE_NO_MISMATCH = "trade_no_mismatch", _("交易号不符")
    ERROR = "error", _("处理出错")


class PaymentNotification(models.Model):
    """One call of the notify endpoint, whatever it said and whatever we answered."""

    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("支付"),
    )
    received_at = models.DateTimeField(_("收到时间"), db_index=True)
    params = models.JSONField(_("通知参数"), default=dict)
    out_trade_no = models.CharField(_("商户订单号"), max_length=64, blank=True, db_index=True)
    trade_status = models.CharField(_("交易状态"), max_length=32, blank=True)
    notify_id = models.CharField(_("通知编号"), max_length=128, blank=True)
    verified = models.BooleanField(_("验签通过"), default=False)
    outcome = models.CharField(_("处理结果"), max_length=32, choices=NotifyOutcome.choices)
    answer = models.CharField(_("应答"), max_length=16)
    error = models.TextField(_("错误"), blank=True)
    remote_addr = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.out_trade_no or '-'} {self.trade_status} {self.outcome}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("退款中")
    SUCCEEDED = "succeeded", _("已退款")
    FAILED = "failed", _("退款失败")


class Refund(models.Model):
    public_id = PublicIdField(prefix="rf")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("支付")
    )
    # Our number for this refund at the gateway: the same on every retry of it.
    out_request_no = models.CharField(_("退款请求号"), max_length=64, unique=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    reason = models.CharField(_("原因"), max_length=256)
    # Made by payments itself for money that arrived for something no longer payable.
    automatic = models.BooleanField(_("自动退款"), default=False)
    # Set when the money refunded is a second trade's for the same payment (paid twice).
    overpayment = models.OneToOneField(
        "Overpayment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund",
        verbose_name=_("重复付款"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    refs = models.JSONField(_("关联"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("申请人"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    succeeded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    failure = models.TextField(_("失败原因"), blank=True)

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.out_request_no} {format_fen(self.amount_fen)}"


class Overpayment(models.Model):
    """A second gateway trade that paid an already-paid payment (the buyer paid twice,
    e.g. on two devices): its money is received into escrow and refunded in full."""

    public_id = PublicIdField(prefix="ovp")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="overpayments", verbose_name=_("支付")
    )
    trade_no = models.CharField(_("支付宝交易号"), max_length=64, unique=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    received_at = models.DateTimeField(_("收到时间"))
    via = models.CharField(_("来源"), max_length=16)

    class Meta:
        verbose_name = _("重复付款")
        verbose_name_plural = _("重复付款")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="overpayment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.trade_no} {format_fen(self.amount_fen)}"


class BillStatus(models.TextChoices):
    MATCHED = "matched", _("账实相符")
    DISCREPANCIES = "discrepancies", _("有差异")
    FAILED = "failed", _("对账失败")


class BillReconciliation(models.Model):
    """One day's gateway bill (Alipay's 业务明细) compared with our books."""

    gateway = models.CharField(_("支付渠道"), max_length=16, choices=GatewayName.choices)
    bill_date = models.DateField(_("账单日期"))
    status = models.CharField(_("结果"), max_length=16, choices=BillStatus.choices)
    ran_at = models.DateTimeField(_("对账时间"))
    gateway_trades = models.PositiveIntegerField(_("渠道交易笔数"), default=0)
    gateway_paid_fen = models.BigIntegerField(_("渠道收款（分）"), default=0)
    gateway_refunded_fen = models.BigIntegerField(_("渠道退款（分）"), default=0)
    books_paid_fen = models.BigIntegerField(_("账面收款（分）"), default=0)
    books_refunded_fen = models.BigIntegerField(_("账面退款（分）"), default=0)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("渠道对账")
        verbose_name_plural = _("渠道对账")
        ordering = ["-bill_date", "gateway"]
        permissions = [("reconcile_bill", _("可以重新核对渠道账单"))]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "bill_date"], name="bill_reconciliation_once_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.bill_date} {self.status}"


class DiscrepancyKind(models.TextChoices):
    NOT_IN_BOOKS = "not_in_books", _("渠道已收款，账面未记")
    NOT_AT_GATEWAY = "not_at_gateway", _("账面已收款，渠道无记录")
    AMOUNT_DIFFERS = "amount_differs", _("金额不符")
    REFUND_NOT_IN_BOOKS = "refund_not_in_books", _("渠道已退款，账面未记")
    REFUND_NOT_AT_GATEWAY = "refund_not_at_gateway", _("账面已退款，渠道无记录")


class BillDiscrepancy(models.Model):
    reconciliation = models.ForeignKey(
        BillReconciliation,
        on_delete=models.CASCADE,
        related_name="discrepancies",
        verbose_name=_("渠道对账"),
    )
    kind = models.CharField(_("差异类型"), max_length=32, choices=DiscrepancyKind.choices)
    out_trade_no = models.CharField(_("商户订单号"), max_length=64, blank=True)
    trade_no = models.CharField(_("支付宝交易号"), max_length=64, blank=True)
    out_request_no = models.CharField(_("退款请求号"), max_length=64, blank=True)
    gateway_fen = models.BigIntegerField(_("渠道金额（分）"), null=True, blank=True)
    books_fen = models.BigIntegerField(_("账面金额（分）"), null=True, blank=True)
    # What was done about it: e.g. the payment queued for a query that credits it.
    action = models.CharField(_("处理"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.out_trade_no or self.trade_no}"


# --- the sandbox's side -------------------------------------------------------------------


class SandboxTrade(models.Model):
    """A trade as the sandbox gateway (standing in for Alipay) knows it."""

    out_trade_no = models.CharField(max_length=64, db_index=True)
    trade_no = models.CharField(max_length=64, unique=True)
    # A second trade for the same out_trade_no: the sandbox plays a buyer paying twice.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="duplicates"
    )
    status = models.CharField(max_length=32)  # Alipay's trade_status values
    total_fen = models.BigIntegerField()
    refunded_fen = models.BigIntegerField(default=0)
    subject = models.CharField(max_length=256)
    buyer_id = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("沙箱交易")
        verbose_name_plural = _("沙箱交易")
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0) & Q(refunded_fen__lte=F("total_fen")),
                name="sandbox_trade_refunded_within_total",
            ),
            models.UniqueConstraint(
                fields=["out_trade_no"],
                condition=Q(duplicate_of__isnull=True),
                name="sandbox_trade_one_per_out_trade_no",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trade_no} {self.status}"


class SandboxRefund(models.Model):
    trade = models.ForeignKey(SandboxTrade, on_delete=models.CASCADE, related_name="refunds")
    out_request_no = models.CharField(max_length=64)
    amount_fen = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trade", "out_request_no"], name="sandbox_refund_once_per_request"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.out_request_no} {format_fen(self.amount_fen)}"


class SandboxTransfer(models.Model):
    """A transfer (``alipay.fund.trans.uni.transfer``) as the sandbox gateway knows it:
    one per ``out_biz_no``, so a repeated request is answered from here, not paid again."""

    out_biz_no = models.CharField(max_length=64, unique=True)
    order_id = models.CharField(max_length=64, unique=True)
    pay_fund_order_id = models.CharField(max_length=64)
    amount_fen = models.BigIntegerField()
    payee_account = models.CharField(max_length=100)
    payee_name = models.CharField(max_length=50)
    order_title = models.CharField(max_length=256, blank=True)
    status = models.CharField(max_length=16)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("沙箱转账")
        verbose_name_plural = _("沙箱转账")

    def __str__(self) -> str:
        return f"{self.out_biz_no} {format_fen(self.amount_fen)}"
