"""Coupons: templates issued by the platform or a shop, the coupons buyers claim from them,
and batches of one-time redemption codes (兑换码) for handing out offline.

Rows change only through ``services`` (the admin, the API and the sweeper call it).
``CouponTemplate.remaining`` is taken with one conditional update (a CHECK keeps it from
going below zero); a buyer's claims of one template are numbered 1..limit and a unique
constraint on that number holds the per-buyer limit; a code is claimed by one conditional
update. Money is integer fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual
from designmall.core.fields import PublicIdField
from designmall.promotions.coupon_math import CouponKind as MathKind
from designmall.promotions.coupon_math import Issuer as MathIssuer
from designmall.promotions.coupon_math import ScopeKind as MathScope


class Issuer(models.TextChoices):
    PLATFORM = MathIssuer.PLATFORM.value, _("平台券")
    SHOP = MathIssuer.SHOP.value, _("店铺券")


class CouponKind(models.TextChoices):
    SPEND_OFF = MathKind.SPEND_OFF.value, _("满减")
    AMOUNT_OFF = MathKind.AMOUNT_OFF.value, _("立减")
    PERCENT_OFF = MathKind.PERCENT_OFF.value, _("折扣")


class ScopeKind(models.TextChoices):
    ALL = MathScope.ALL.value, _("全场通用")
    SHOP = MathScope.SHOP.value, _("指定店铺")
    CATEGORIES = MathScope.CATEGORIES.value, _("指定分类")
    PRODUCTS = MathScope.PRODUCTS.value, _("指定商品")


class ValidityKind(models.TextChoices):
    FIXED = "fixed", _("固定有效期")
    DAYS_FROM_CLAIM = "days_from_claim", _("领取后N天有效")


class Distribution(models.TextChoices):
    PUBLIC = "public", _("公开领取")
    CODES = "codes", _("仅兑换码")


class TemplateStatus(models.TextChoices):
    ACTIVE = "active", _("发放中")
    PAUSED = "paused", _("已暂停")
    STOPPED = "stopped", _("已停止")


class CouponTemplate(models.Model):
    """What a coupon is worth, what it covers, how long a claimed one is valid, and how
    many may be claimed (in all, and by each buyer)."""

    public_id = PublicIdField(prefix="cpt")
    issuer = models.CharField(_("发行方"), max_length=16, choices=Issuer.choices)
    # The issuing shop of a shop coupon; the shop a platform coupon is scoped to.
    shop = models.ForeignKey(
        "catalog.Shop",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupon_templates",
        verbose_name=_("店铺"),
    )
    name = bilingual(
        models.CharField, _("中文名称"), _("英文名称"), max_length=60, en_max_length=80
    )
    kind = models.CharField(_("类型"), max_length=16, choices=CouponKind.choices)
    threshold_fen = models.BigIntegerField(_("使用门槛（分）"), default=0)
    off_fen = models.BigIntegerField(_("减免金额（分）"), default=0)
    percent_off = models.PositiveSmallIntegerField(_("折扣百分比"), default=0)
    cap_fen = models.BigIntegerField(_("最高减免（分）"), default=0)
    scope = models.CharField(
        _("适用范围"), max_length=16, choices=ScopeKind.choices, default=ScopeKind.ALL
    )
    categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("适用分类")
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("适用商品")
    )
    validity = models.CharField(
        _("有效期类型"), max_length=16, choices=ValidityKind.choices, default=ValidityKind.FIXED
    )
    valid_from = models.DateTimeField(_("生效时间"), null=True, blank=True)
    valid_until = models.DateTimeField(_("失效时间"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("领取后有效天数"), null=True, blank=True)
    claim_starts_at = models.DateTimeField(_("开始领取时间"))
    claim_ends_at = models.DateTimeField(_("停止领取时间"))
    distribution = models.CharField(
        _("发放方式"), max_length=16, choices=Distribution.choices, default=Distribution.PUBLIC
    )
    total_quantity = models.PositiveIntegerField(_("发行总量"))
    remaining = models.PositiveIntegerField(_("剩余数量"))
    per_buyer_limit = models.PositiveIntegerField(_("每人限领"), default=1)
    status = models.CharField(
        _("状态"), max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "claim_ends_at"], name="coupon_template_claimable"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=F("total_quantity")),
                name="coupon_template_remaining_within_total",
            ),
            models.CheckConstraint(
                condition=Q(remaining__gte=0), name="coupon_template_remaining_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(issuer=Issuer.PLATFORM) | Q(shop__isnull=False),
                name="coupon_template_shop_coupon_has_shop",
            ),
            models.CheckConstraint(
                condition=Q(per_buyer_limit__gte=1), name="coupon_template_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(claim_ends_at__gt=F("claim_starts_at")),
                name="coupon_template_claim_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def claimed_count(self) -> int:
        return self.total_quantity - self.remaining


class CouponState(models.TextChoices):
    AVAILABLE = "available", _("可使用")
    LOCKED = "locked", _("下单锁定中")
    USED = "used", _("已使用")
    EXPIRED = "expired", _("已过期")


class ClaimSource(models.TextChoices):
    CLAIM = "claim", _("领取")
    CODE = "code", _("兑换码")


class Coupon(models.Model):
    """A coupon a buyer holds. ``seq`` numbers the buyer's claims of one template (1..the
    per-buyer limit): unique, so two racing claims cannot both take the last number.

    Its state is ``available`` until ``valid_until``, after which it counts as expired
    whatever the stored state says (the sweeper only makes that permanent); ``locked``
    while an unpaid checkout (``checkout_ref``) holds it; ``used`` once that is paid."""

    public_id = PublicIdField(prefix="cp")
    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("优惠券")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="coupons",
        verbose_name=_("买家"),
    )
    seq = models.PositiveIntegerField(_("第几张"))
    source = models.CharField(_("来源"), max_length=8, choices=ClaimSource.choices)
    claimed_at = models.DateTimeField(_("领取时间"))
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"))
    state = models.CharField(
        _("状态"), max_length=16, choices=CouponState.choices, default=CouponState.AVAILABLE
    )
    checkout_ref = models.CharField(_("使用的结算单"), max_length=64, blank=True)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("买家优惠券")
        verbose_name_plural = _("买家优惠券")
        ordering = ["valid_until", "id"]
        indexes = [
            models.Index(fields=["buyer", "state", "valid_until"], name="coupon_buyer_state"),
            models.Index(fields=["state", "valid_until"], name="coupon_state_until"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "buyer", "seq"], name="coupon_one_claim_per_number"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="coupon_valid_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.public_id}"


class CodeBatch(models.Model):
    """Redemption codes generated together for one template; their quantity was taken from
    the template's remaining count when the batch was made."""

    public_id = PublicIdField(prefix="cb")
    template = models.ForeignKey(
        CouponTemplate,
        on_delete=models.PROTECT,
        related_name="code_batches",
        verbose_name=_("优惠券"),
    )
    quantity = models.PositiveIntegerField(_("数量"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("兑换码批次")
        verbose_name_plural = _("兑换码批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.template} × {self.quantity}"


class RedemptionCode(models.Model):
    """One printed code (16 Crockford base32 characters, 80 random bits), claimed once."""

    batch = models.ForeignKey(
        CodeBatch, on_delete=models.CASCADE, related_name="codes", verbose_name=_("批次")
    )
    code = models.CharField(_("兑换码"), max_length=16, unique=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("兑换人"),
    )
    claimed_at = models.DateTimeField(_("兑换时间"), null=True, blank=True)
    coupon = models.OneToOneField(
        Coupon,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redemption_code",
        verbose_name=_("兑换所得"),
    )

    class Meta:
        verbose_name = _("兑换码")
        verbose_name_plural = _("兑换码")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.printed

    @property
    def printed(self) -> str:
        """The code as printed: four groups of four."""
        return "-".join(self.code[i : i + 4] for i in range(0, 16, 4))


# --- flash deals (限时秒杀) ------------------------------------------------------------------
#
# A deal sets ``quantity`` units of one SKU aside (an inventory hold owned by the deal) and
# sells them one unit per order at ``price_fen`` between ``starts_at`` and ``ends_at``.
# Every unit a buyer is admitted to is one ``DealTicket`` row, inserted (never a shared row
# updated): the ticket's ``slot`` (1..quantity) and the buyer's ``seq`` (1..per-buyer limit)
# are unique among live tickets, so the database itself refuses an oversold unit or a buyer
# over the limit, whichever path (Redis or the database's conditional update) admitted it.
# See ``promotions.deals`` and ``promotions.deal_admission``.


class DealStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已排期")
    CANCELLED = "cancelled", _("已取消")


class Deal(models.Model):
    public_id = PublicIdField(prefix="dl")
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="deals", verbose_name=_("SKU")
    )
    shop = models.ForeignKey(
        "catalog.Shop", on_delete=models.PROTECT, related_name="deals", verbose_name=_("店铺")
    )
    title = bilingual(models.CharField, _("标题（中文）"), _("标题（英文）"), max_length=120)
    price_fen = models.IntegerField(_("秒杀价（分）"))
    # The catalog price when scheduled, shown struck through beside the deal price.
    list_price_fen = models.IntegerField(_("原价（分）"))
    quantity = models.IntegerField(_("秒杀数量"))
    per_buyer_limit = models.IntegerField(_("每人限购"), default=1)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=DealStatus.choices, default=DealStatus.SCHEDULED
    )
    # Units in live tickets (pending or paid). The database path keeps it with one
    # conditional update per admission; on the Redis path it is reconciled from the tickets.
    taken = models.IntegerField(_("已抢"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # When the units no buyer holds went back to ordinary stock (once, after the end).
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("限时秒杀")
        verbose_name_plural = _("限时秒杀")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="deal_price_positive"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="deal_quantity_positive"),
            models.CheckConstraint(
                condition=Q(per_buyer_limit__gte=1, per_buyer_limit__lte=10),
                name="deal_per_buyer_limit_range",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="deal_ends_later"),
            models.CheckConstraint(
                condition=Q(taken__gte=0, taken__lte=F("quantity")), name="deal_taken_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title_zh}"

    @property
    def owner_ref(self) -> str:
        """Whose inventory hold the deal's units are."""
        return f"deal:{self.public_id}"


class TicketStatus(models.TextChoices):
    PENDING = "pending", _("待支付")
    PAID = "paid", _("已支付")
    RELEASED = "released", _("已释放")
    # The reconciler's mark for an admission whose order was never written: its token is
    # taken, so a late write of that order fails instead of selling the unit twice.
    VOID = "void", _("已作废")


LIVE_TICKET = Q(status__in=[TicketStatus.PENDING, TicketStatus.PAID])


class DealTicket(models.Model):
    """One unit of a deal admitted to one buyer, and the order it became."""

    public_id = PublicIdField(prefix="dt")
    deal = models.ForeignKey(
        Deal, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("限时秒杀")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deal_tickets",
        verbose_name=_("买家"),
    )
    # The admission's token (from Redis, or drawn on the database path): one ticket each.
    token = models.CharField(_("准入令牌"), max_length=40, unique=True)
    slot = models.IntegerField(_("名额号"), null=True, blank=True)
    seq = models.IntegerField(_("买家序号"), null=True, blank=True)
    checkout = models.OneToOneField(
        "orders.Checkout",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deal_ticket",
        verbose_name=_("结算单"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.PENDING
    )
    created_at = models.DateTimeField(_("创建时间"))
    # When Redis admitted the unit (its order is written behind the buyer's answer).
    admitted_at = models.DateTimeField(_("抢到时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("秒杀名额")
        verbose_name_plural = _("秒杀名额")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "slot"], condition=LIVE_TICKET, name="dealticket_live_slot_unique"
            ),
            models.UniqueConstraint(
                fields=["deal", "buyer", "seq"],
                condition=LIVE_TICKET,
                name="dealticket_live_buyer_seq_unique",
            ),
            models.CheckConstraint(
                condition=~LIVE_TICKET
                | Q(slot__isnull=False, seq__isnull=False, buyer__isnull=False),
                name="dealticket_live_has_slot",
            ),
        ]
        indexes = [models.Index(fields=["deal", "status"], name="dealticket_deal_status")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.deal_id}#{self.slot} ({self.status})"
