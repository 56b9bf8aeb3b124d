"""Pre-sale campaigns, their SKUs and the buyers' pre-orders.

Rows change only through the services (``services``) and the payable handlers
(``payables``); the admin calls those. Money is integer fen. A campaign SKU's ``taken``
counts the units held by pre-orders waiting for their deposit and kept by those whose
deposit is paid; it changes only through one conditional ``UPDATE`` each way, and the
CHECK constraints (``0 <= taken <= quantity``) stand behind it. A pre-order locks its
price, deposit and credit when it is made: a later change of the campaign or of the
catalog's price never touches it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual
from designmall.core.fields import PublicIdField
from designmall.core.money import format_fen
from designmall.orders.models import DELIVERY_CHOICES
from designmall.orders.rules import Delivery
from designmall.presale import rules


class CampaignKind(models.TextChoices):
    FULL = rules.Kind.FULL.value, _("全款预售")
    DEPOSIT = rules.Kind.DEPOSIT.value, _("定金预售")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已取消")


class Campaign(models.Model):
    """A seller's pre-sale of SKUs of one of its products, live once an operator approves it.

    The windows: ``starts_at``..``ends_at`` takes deposits (or, for a full-payment
    campaign, full payments); ``balance_starts_at``..``balance_ends_at`` takes the balance.
    The promised ship date is ``ship_on`` or ``ship_days_after_end`` days after the last
    window ends (``rules.promised_ship_date``).
    """

    public_id = PublicIdField(prefix="pc")
    shop = models.ForeignKey(
        "catalog.Shop",
        on_delete=models.PROTECT,
        related_name="presale_campaigns",
        verbose_name=_("店铺"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="presale_campaigns",
        verbose_name=_("商品"),
    )
    kind = models.CharField(_("预售类型"), max_length=16, choices=CampaignKind.choices)
    title = bilingual(
        models.CharField, _("中文标题"), _("英文标题"), max_length=120, en_max_length=160
    )
    # 定金 (Civil Code art. 586): at most 20% of the price, forfeited on default. Otherwise an
    # advance payment (预付款), refunded in full on default.
    earnest = models.BooleanField(_("定金（逾期未付尾款不退）"), default=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    balance_starts_at = models.DateTimeField(_("尾款开始时间"), null=True, blank=True)
    balance_ends_at = models.DateTimeField(_("尾款截止时间"), null=True, blank=True)
    ship_on = models.DateField(_("承诺发货日期"), null=True, blank=True)
    ship_days_after_end = models.PositiveIntegerField(_("结束后几天内发货"), null=True, blank=True)
    per_buyer_limit = models.PositiveIntegerField(_("每人限购"), default=1)
    # A unit whose balance was not paid in time: back to the campaign to be sold again
    # (True), or released from it (its quantity shrinks by one).
    resell_defaulted = models.BooleanField(_("逾期未付尾款的名额重新开放"), default=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    reject_reason = models.TextField(_("驳回原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审核人"),
    )

    class Meta:
        verbose_name = _("预售活动")
        verbose_name_plural = _("预售活动")
        ordering = ["-starts_at", "-id"]
        permissions = [("review_campaign", "Can approve or reject pre-sale campaigns")]
        indexes = [models.Index(fields=["status", "starts_at"], name="presale_campaign_live")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="presale_campaign_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(per_buyer_limit__gte=1), name="presale_campaign_buyer_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_deposit(self) -> bool:
        return self.kind == CampaignKind.DEPOSIT

    def terms(self, skus: list[CampaignSku] | None = None) -> rules.CampaignTerms:
        """The campaign as the pure rules see it (its SKUs as stored unless given)."""
        rows = list(self.skus.all()) if skus is None else skus
        return rules.CampaignTerms(
            kind=rules.Kind(self.kind),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            balance_starts_at=self.balance_starts_at,
            balance_ends_at=self.balance_ends_at,
            ship_on=self.ship_on,
            ship_days_after_end=self.ship_days_after_end,
            per_buyer_limit=self.per_buyer_limit,
            earnest=self.earnest,
            skus=tuple(row.terms() for row in rows),
        )

    @property
    def promised_ship_date(self) -> date | None:
        return rules.promised_ship_date(self.terms(skus=[]))


class CampaignSku(models.Model):
    """One SKU of a campaign: its pre-sale price, deposit, the deposit's credit against the
    price (the boost: 定金 ¥100 抵 ¥150), how many units the campaign sells and how many
    pre-orders hold (``taken``)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="skus", verbose_name=_("预售活动")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    price_fen = models.BigIntegerField(_("预售价（分）"))
    deposit_fen = models.BigIntegerField(_("定金（分）"), default=0)
    credit_fen = models.BigIntegerField(_("定金抵扣（分）"), default=0)
    quantity = models.PositiveIntegerField(_("预售数量"))
    taken = models.PositiveIntegerField(_("已占用"), default=0)

    class Meta:
        verbose_name = _("预售规格")
        verbose_name_plural = _("预售规格")
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sku"], name="presale_sku_once"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="presale_sku_price_positive"),
            models.CheckConstraint(
                condition=Q(deposit_fen__gte=0) & Q(credit_fen__gte=F("deposit_fen")),
                name="presale_sku_credit_covers_deposit",
            ),
            models.CheckConstraint(
                condition=Q(credit_fen__lt=F("price_fen")) | Q(credit_fen=0),
                name="presale_sku_balance_positive",
            ),
            models.CheckConstraint(
                condition=Q(taken__gte=0) & Q(taken__lte=F("quantity")),
                name="presale_sku_taken_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.sku_id}"

    def terms(self) -> rules.SkuTerms:
        return rules.SkuTerms(
            price_fen=self.price_fen,
            deposit_fen=self.deposit_fen,
            credit_fen=self.credit_fen,
            quantity=self.quantity,
        )

    @property
    def left(self) -> int:
        return max(0, self.quantity - self.taken)

    @property
    def balance_fen(self) -> int:
        return rules.balance_fen(price_fen=self.price_fen, credit_fen=self.credit_fen)


class PreorderStatus(models.TextChoices):
    PENDING_DEPOSIT = "pending_deposit", _("待付定金")
    DEPOSIT_PAID = "deposit_paid", _("已付定金")
    EXPIRED = "expired", _("已失效")
    FULLY_PAID = "fully_paid", _("已付尾款")
    DEFAULTED = "defaulted", _("逾期未付尾款")
    CANCELLED = "cancelled", _("已取消")


# Pre-orders holding a unit of their campaign SKU (a pending one only until its hold runs out).
HOLDING_STATUSES = (
    PreorderStatus.PENDING_DEPOSIT,
    PreorderStatus.DEPOSIT_PAID,
    PreorderStatus.FULLY_PAID,
)


class Preorder(models.Model):
    """A buyer's pre-order of one unit of a campaign SKU, with the terms of that moment."""

    public_id = PublicIdField(prefix="po")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="preorders",
        verbose_name=_("买家"),
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="preorders", verbose_name=_("预售活动")
    )
    campaign_sku = models.ForeignKey(
        CampaignSku,
        on_delete=models.PROTECT,
        related_name="preorders",
        verbose_name=_("预售 SKU"),
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=PreorderStatus.choices,
        default=PreorderStatus.PENDING_DEPOSIT,
    )
    # Locked when the pre-order is made.
    price_fen = models.BigIntegerField(_("预售价（分）"))
    deposit_fen = models.BigIntegerField(_("定金（分）"))
    credit_fen = models.BigIntegerField(_("定金抵扣（分）"))
    balance_fen = models.BigIntegerField(_("尾款（分）"))
    earnest = models.BooleanField(_("定金（逾期未付尾款不退）"))
    deposit_payment = models.OneToOneField(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="presale_deposit_of",
        verbose_name=_("定金支付"),
    )
    balance_payment = models.OneToOneField(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="presale_balance_of",
        verbose_name=_("尾款支付"),
    )
    # How the order it becomes is delivered: chosen with the deposit or with the balance
    # (``address`` for delivery to an address, ``{}`` for a venue pickup).
    delivery = models.CharField(
        _("配送方式"), max_length=16, choices=DELIVERY_CHOICES, default=Delivery.PICKUP.value
    )
    address = models.JSONField(_("收货地址"), default=dict, blank=True)
    # A coupon taken off the balance (its payment asks for balance − discount); of it, the
    # platform coupon's share, which the platform pays the seller on settlement.
    balance_discount_fen = models.BigIntegerField(_("尾款优惠（分）"), default=0)
    balance_platform_discount_fen = models.BigIntegerField(_("尾款平台优惠（分）"), default=0)
    # Fully paid: the ordinary order of its shop it became (fulfilment, settlement).
    order = models.OneToOneField(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="preorder",
        verbose_name=_("订单"),
    )
    # When the seller and the operators were told it is past its promised ship date.
    late_flagged_at = models.DateTimeField(_("逾期发货提醒时间"), null=True, blank=True)
    hold_expires_at = models.DateTimeField(_("定金支付截止"))
    created_at = models.DateTimeField(_("下单时间"))
    deposit_paid_at = models.DateTimeField(_("定金支付时间"), null=True, blank=True)
    balance_notified_at = models.DateTimeField(_("尾款通知时间"), null=True, blank=True)
    balance_paid_at = models.DateTimeField(_("尾款支付时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=256, blank=True)

    class Meta:
        verbose_name = _("预售订单")
        verbose_name_plural = _("预售订单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "hold_expires_at"], name="presale_preorder_holds"),
            models.Index(fields=["campaign", "buyer", "status"], name="presale_preorder_buyer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deposit_fen__gt=0)
                & Q(credit_fen__gte=F("deposit_fen"))
                & Q(balance_fen__gte=0)
                & Q(balance_fen=F("price_fen") - F("credit_fen"))
                # A full-payment pre-order pays the whole price as its "deposit".
                & (Q(balance_fen__gt=0) | Q(deposit_fen=F("price_fen"))),
                name="presale_preorder_amounts",
            ),
            models.CheckConstraint(
                condition=Q(balance_platform_discount_fen__gte=0)
                & Q(balance_discount_fen__gte=F("balance_platform_discount_fen"))
                & (Q(balance_discount_fen=0) | Q(balance_discount_fen__lt=F("balance_fen"))),
                name="presale_preorder_balance_discount",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def price_display(self) -> str:
        return format_fen(self.price_fen)

    @property
    def balance_due_fen(self) -> int:
        """What the balance payment asks for: the balance less its coupon."""
        return self.balance_fen - self.balance_discount_fen


class NoticeKind(models.TextChoices):
    BALANCE_OPEN = "balance_open", _("尾款已开始支付")
    DEFAULTED = "defaulted", _("预售订单已关闭")
    CANCELLED = "cancelled", _("预售订单已取消")
    SHIP_LATE = "ship_late", _("卖家未按承诺日期发货")


class PreorderNotice(models.Model):
    """A message for the buyer about one of its pre-orders (the pages list them), at most one
    of each kind per pre-order; an email goes out with it (``services.mail_preorder_notice``).
    The text is rendered from ``kind`` in the reader's language."""

    public_id = PublicIdField(prefix="pn")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="presale_notices",
        verbose_name=_("买家"),
    )
    preorder = models.ForeignKey(
        Preorder, on_delete=models.CASCADE, related_name="notices", verbose_name=_("预售订单")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=NoticeKind.choices)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预售通知")
        verbose_name_plural = _("预售通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["buyer", "created_at"], name="presale_notice_inbox")]
        constraints = [
            models.UniqueConstraint(fields=["preorder", "kind"], name="presale_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.preorder_id}"
