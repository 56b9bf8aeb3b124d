"""Carts, checkouts, orders (one per shop of a checkout), their history, and the
Idempotency-Keys of checkout and refund requests.

State changes are made by the services in ``cart``, ``checkout``, ``services``
and ``payables``; models only hold data. Money is integer fen.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual
from designmall.core.fields import PublicIdField, SafeImageField
from designmall.core.money import format_fen
from designmall.orders import aftersales_rules, rules


class Cart(models.Model):
    """A buyer's cart. Its row is locked while its lines change, so limits hold."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cart",
        verbose_name=_("用户"),
    )
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("购物车")
        verbose_name_plural = _("购物车")

    def __str__(self) -> str:
        return str(self.user)


class CartLine(models.Model):
    cart = models.ForeignKey(
        Cart, on_delete=models.CASCADE, related_name="lines", verbose_name=_("购物车")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name=_("SKU")
    )
    quantity = models.PositiveIntegerField(_("数量"))
    # The price the buyer saw when adding: a later change is shown, never charged silently.
    price_seen_fen = models.BigIntegerField(_("加入时价格（分）"))
    added_at = models.DateTimeField(_("加入时间"))

    class Meta:
        verbose_name = _("购物车商品")
        verbose_name_plural = _("购物车商品")
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="cart_line_once_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"


DELIVERY_CHOICES = [
    (rules.Delivery.ADDRESS.value, _("快递到家")),
    (rules.Delivery.PICKUP.value, _("展会现场自提")),
]


class CheckoutStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("待支付")
    PAID = "paid", _("已支付")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已过期")


class Checkout(models.Model):
    """One purchase: one order per shop, one payment for the total, stock held until
    ``expires_at`` (the holds' owner is ``checkout:<public id>``)."""

    public_id = PublicIdField(prefix="co")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="checkouts",
        verbose_name=_("买家"),
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=CheckoutStatus.choices,
        default=CheckoutStatus.PENDING_PAYMENT,
    )
    delivery = models.CharField(_("配送方式"), max_length=16, choices=DELIVERY_CHOICES)
    items_fen = models.BigIntegerField(_("商品金额（分）"))
    shipping_fen = models.BigIntegerField(_("运费（分）"))
    # Taken off by the buyer's coupons (0 without): total = items + shipping - discount.
    discount_fen = models.BigIntegerField(_("优惠金额（分）"), default=0)
    total_fen = models.BigIntegerField(_("应付金额（分）"))
    payment = models.OneToOneField(
        "payments.Payment",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("支付"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("库存保留至"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="checkout_pending_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_fen=F("items_fen") + F("shipping_fen") - F("discount_fen"))
                & Q(items_fen__gt=0)
                & Q(discount_fen__gte=0)
                & Q(total_fen__gt=0),
                name="checkout_total_is_items_plus_shipping_less_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {format_fen(self.total_fen)}"

    @property
    def owner_ref(self) -> str:
        """Whose stock holds these are, for inventory."""
        return f"checkout:{self.public_id}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = rules.Status.PENDING_PAYMENT.value, _("待支付")
    PAID = rules.Status.PAID.value, _("待发货")
    SHIPPED = rules.Status.SHIPPED.value, _("已发货")
    RECEIVED = rules.Status.RECEIVED.value, _("已收货")
    READY_FOR_PICKUP = rules.Status.READY_FOR_PICKUP.value, _("待自提")
    PICKED_UP = rules.Status.PICKED_UP.value, _("已自提")
    COMPLETED = rules.Status.COMPLETED.value, _("已完成")
    CANCELLED = rules.Status.CANCELLED.value, _("已取消")
    EXPIRED = rules.Status.EXPIRED.value, _("已过期")
    REFUNDED = rules.Status.REFUNDED.value, _("已退款")


OPEN_STATUS_VALUES = sorted(status.value for status in rules.OPEN_STATES)


class Order(models.Model):
    """One shop's part of a checkout, fulfilled and settled on its own."""

    public_id = PublicIdField(prefix="o")
    checkout = models.ForeignKey(
        Checkout, on_delete=models.PROTECT, related_name="orders", verbose_name=_("结算单")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("买家"),
    )
    shop = models.ForeignKey(
        "catalog.Shop", on_delete=models.PROTECT, related_name="orders", verbose_name=_("店铺")
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.PENDING_PAYMENT,
    )
    delivery = models.CharField(_("配送方式"), max_length=16, choices=DELIVERY_CHOICES)
    # {"name", "mobile", "province", "city", "district", "detail", "postcode"}; {} for pickup.
    address = models.JSONField(_("收货地址"), default=dict, blank=True)
    pickup_code = models.CharField(_("自提码"), max_length=16, blank=True)
    items_fen = models.BigIntegerField(_("商品金额（分）"))
    shipping_fen = models.BigIntegerField(_("运费（分）"))
    # Taken off by coupons (0 without): total = items + shipping - discount. Of it, the
    # platform coupon's share is the platform's expense, paid to the seller on release.
    discount_fen = models.BigIntegerField(_("优惠金额（分）"), default=0)
    platform_discount_fen = models.BigIntegerField(_("平台优惠（分）"), default=0)
    total_fen = models.BigIntegerField(_("订单金额（分）"))
    # The shop's commission rate when the order was placed: the one it is settled at.
    commission_bp = models.PositiveIntegerField(_("佣金（基点）"))
    # Refunds that succeeded (refunds under way are the payments' Refund rows).
    refunded_fen = models.BigIntegerField(_("已退款（分）"), default=0)
    # Released to the seller's balance on completion, and the commission kept of it.
    released_fen = models.BigIntegerField(_("已结算（分）"), default=0)
    commission_fen = models.BigIntegerField(_("佣金（分）"), default=0)
    carrier = models.CharField(_("快递公司"), max_length=16, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("下单时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    ready_at = models.DateTimeField(_("备货完成时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # A pre-sale's order (issue 12): the date the seller promised to ship by, and the
    # payment made before the checkout's (the pre-order's deposit, already in escrow and
    # part of ``total_fen``). Null for every other order. No database constraint: the
    # order is written while its balance payment is being credited, and a foreign key check
    # would take a share lock on the deposit's payment row, which a cancellation of the
    # pre-order locks first (deadlock); payments are never deleted anyway (PROTECT).
    promised_ship_by = models.DateField(_("承诺发货日期"), null=True, blank=True)
    prepaid_payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        verbose_name=_("预付款"),
    )

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="order_buyer_newest"),
            models.Index(fields=["shop", "status", "-created_at"], name="order_shop_status"),
            models.Index(fields=["status", "shipped_at"], name="order_status_shipped"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pickup_code"],
                condition=~Q(pickup_code="") & Q(status__in=OPEN_STATUS_VALUES),
                name="order_pickup_code_unique_while_open",
            ),
            models.CheckConstraint(
                condition=Q(total_fen=F("items_fen") + F("shipping_fen") - F("discount_fen"))
                & Q(items_fen__gt=0)
                & Q(platform_discount_fen__gte=0)
                & Q(discount_fen__gte=F("platform_discount_fen"))
                & Q(total_fen__gt=0),
                name="order_total_is_items_plus_shipping_less_discount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0) & Q(refunded_fen__lte=F("total_fen")),
                name="order_refunded_within_total",
            ),
            models.CheckConstraint(
                condition=Q(released_fen__gte=0) & Q(released_fen__lte=F("total_fen")),
                name="order_released_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {format_fen(self.total_fen)}"

    @property
    def total_display(self) -> str:
        return format_fen(self.total_fen)

    @property
    def pickup_code_display(self) -> str:
        return rules.format_pickup_code(self.pickup_code)

    @property
    def carrier_name(self) -> str:
        return carrier_label(self.carrier)


def carrier_label(code: str) -> str:
    """The carrier's name in the active language (its code when unknown)."""
    name = rules.CARRIERS.get(code)
    return gettext(name) if name else code


def carrier_choices() -> list[tuple[str, Any]]:
    """(code, name) of every carrier, the names translated when shown."""
    return [(code, gettext_lazy(name)) for code, name in rules.CARRIERS.items()]


class OrderLine(models.Model):
    """What was bought, as it was when bought (title and price are copied)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("订单")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    # Both languages as they were at order time (orders.checkout.line_snapshot), so a
    # line reads in the page's language even after the product changes or goes.
    product_title = bilingual(models.CharField, _("商品"), _("英文商品名"), max_length=120)
    sku_label = bilingual(models.CharField, _("规格"), _("英文规格"), max_length=200, blank=True)
    unit_price_fen = models.BigIntegerField(_("单价（分）"))
    quantity = models.PositiveIntegerField(_("数量"))
    line_total_fen = models.BigIntegerField(_("小计（分）"))
    # The coupons' discount apportioned to this line (分摊); it cost line_total - discount.
    discount_fen = models.BigIntegerField(_("优惠分摊（分）"), default=0)

    class Meta:
        verbose_name = _("订单商品")
        verbose_name_plural = _("订单商品")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                & Q(unit_price_fen__gt=0)
                & Q(line_total_fen=F("unit_price_fen") * F("quantity")),
                name="order_line_total_is_price_times_quantity",
            ),
            models.CheckConstraint(
                condition=Q(discount_fen__gte=0) & Q(discount_fen__lte=F("line_total_fen")),
                name="order_line_discount_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_title} × {self.quantity}"

    @property
    def paid_fen(self) -> int:
        """What the line really cost the buyer, after its share of the coupons."""
        return self.line_total_fen - self.discount_fen


class OrderEvent(models.Model):
    """One transition of an order: from, to, who, why, when."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("订单")
    )
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("订单记录")
        verbose_name_plural = _("订单记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class IdempotencyScope(models.TextChoices):
    """What an Idempotency-Key was sent for: each scope has its own keys and its result."""

    CHECKOUT = "checkout", _("结算")
    REFUND = "refund", _("退款")
    # A pre-sale's pre-order (its result kept as ``result_ref``, the pre-order's public id).
    PREORDER = "preorder", _("预售订单")


class IdempotencyKey(models.Model):
    """A request's Idempotency-Key and what came of it: the checkout (scope
    ``checkout``), the refund (scope ``refund``), or the error. Kept at least
    ``IDEMPOTENCY_KEY_HOURS``; one per user, scope and key."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户")
    )
    scope = models.CharField(
        _("用途"), max_length=16, choices=IdempotencyScope, default=IdempotencyScope.CHECKOUT
    )
    key = models.CharField(_("幂等键"), max_length=255)
    fingerprint = models.CharField(_("请求指纹"), max_length=128)
    checkout = models.ForeignKey(
        Checkout,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("结算单"),
    )
    refund = models.ForeignKey(
        "payments.Refund",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("退款"),
    )
    # The result of a scope whose result lives in another app (``idempotency.
    # register_scope``): its public id.
    result_ref = models.CharField(_("结果编号"), max_length=64, blank=True, default="")
    error_code = models.CharField(_("错误代码"), max_length=64, blank=True)
    error_message = models.CharField(_("错误信息"), max_length=500, blank=True)
    error_status = models.PositiveSmallIntegerField(_("错误状态码"), null=True, blank=True)
    error_details = models.JSONField(_("错误详情"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="idempotency_key_once_per_user_scope"
            ),
            # Exactly one result, and only the kind its scope makes.
            models.CheckConstraint(
                condition=(
                    Q(scope=IdempotencyScope.CHECKOUT)
                    & Q(checkout__isnull=False)
                    & Q(refund__isnull=True)
                    & Q(result_ref="")
                    & Q(error_code="")
                )
                | (
                    Q(scope=IdempotencyScope.REFUND)
                    & Q(checkout__isnull=True)
                    & Q(refund__isnull=False)
                    & Q(result_ref="")
                    & Q(error_code="")
                )
                | (
                    Q(scope=IdempotencyScope.PREORDER)
                    & Q(checkout__isnull=True)
                    & Q(refund__isnull=True)
                    & ~Q(result_ref="")
                    & Q(error_code="")
                )
                | (
                    Q(checkout__isnull=True)
                    & Q(refund__isnull=True)
                    & Q(result_ref="")
                    & ~Q(error_code="")
                ),
                name="idempotency_key_has_one_result_of_its_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.key


# --- after-sales (售后) ----------------------------------------------------------------------


class AfterSalesKind(models.TextChoices):
    REFUND_ONLY = aftersales_rules.Kind.REFUND_ONLY.value, _("仅退款")
    RETURN_REFUND = aftersales_rules.Kind.RETURN_REFUND.value, _("退货退款")


class AfterSalesStatus(models.TextChoices):
    REQUESTED = aftersales_rules.Status.REQUESTED.value, _("待卖家处理")
    ACCEPTED = aftersales_rules.Status.ACCEPTED.value, _("卖家已同意")
    REFUSED = aftersales_rules.Status.REFUSED.value, _("卖家已拒绝")
    ESCALATED = aftersales_rules.Status.ESCALATED.value, _("平台介入中")
    RETURN_SHIPPED = aftersales_rules.Status.RETURN_SHIPPED.value, _("买家已退货")
    RETURN_RECEIVED = aftersales_rules.Status.RETURN_RECEIVED.value, _("卖家已收到退货")
    REFUNDED = aftersales_rules.Status.REFUNDED.value, _("已退款")
    CLOSED = aftersales_rules.Status.CLOSED.value, _("已关闭")
    CANCELLED = aftersales_rules.Status.CANCELLED.value, _("已撤销")


class AfterSalesReason(models.TextChoices):
    NOT_AS_DESCRIBED = aftersales_rules.Reason.NOT_AS_DESCRIBED.value, _("与描述不符")
    DAMAGED = aftersales_rules.Reason.DAMAGED.value, _("商品破损")
    QUALITY = aftersales_rules.Reason.QUALITY.value, _("质量问题")
    WRONG_ITEM = aftersales_rules.Reason.WRONG_ITEM.value, _("发错货")
    MISSING_PARTS = aftersales_rules.Reason.MISSING_PARTS.value, _("少件或漏发")
    NOT_RECEIVED = aftersales_rules.Reason.NOT_RECEIVED.value, _("未收到货")
    CHANGED_MIND = aftersales_rules.Reason.CHANGED_MIND.value, _("不想要了")
    OTHER = aftersales_rules.Reason.OTHER.value, _("其他")


class AfterSalesRequest(models.Model):
    """A buyer's after-sales request on one line of an order: a refund only, or a return
    and refund, of ``quantity`` units for ``amount_fen``. Moved by ``orders.aftersales``."""

    public_id = PublicIdField(prefix="as")
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="aftersales", verbose_name=_("订单")
    )
    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="aftersales", verbose_name=_("订单商品")
    )
    kind = models.CharField(_("售后类型"), max_length=16, choices=AfterSalesKind.choices)
    status = models.CharField(
        _("售后状态"),
        max_length=20,
        choices=AfterSalesStatus.choices,
        default=AfterSalesStatus.REQUESTED,
    )
    reason = models.CharField(_("售后原因"), max_length=20, choices=AfterSalesReason.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    quantity = models.PositiveIntegerField(_("数量"))
    amount_fen = models.BigIntegerField(_("退款金额（分）"))
    refusal_reason = models.CharField(_("拒绝原因"), max_length=500, blank=True)
    return_carrier = models.CharField(_("退货快递公司"), max_length=16, blank=True)
    return_tracking_number = models.CharField(_("退货运单号"), max_length=32, blank=True)
    refund = models.ForeignKey(
        "payments.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("退款"),
    )
    created_at = models.DateTimeField(_("申请时间"))
    # When the seller has to answer by, else it is accepted by itself.
    reply_due_at = models.DateTimeField(_("卖家处理期限"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("售后申请")
        verbose_name_plural = _("售后申请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "reply_due_at"], name="aftersales_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(amount_fen__gte=0),
                name="aftersales_quantity_and_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.get_kind_display()} {format_fen(self.amount_fen)}"

    @property
    def amount_display(self) -> str:
        return format_fen(self.amount_fen)

    @property
    def return_carrier_name(self) -> str:
        return carrier_label(self.return_carrier)


class AfterSalesPhoto(models.Model):
    """A photo the buyer attached to a request (taken through image intake)."""

    request = models.ForeignKey(
        AfterSalesRequest,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("售后申请"),
    )
    image = SafeImageField(_("图片"), upload_to="aftersales/%Y/%m/")
    added_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("售后图片")
        verbose_name_plural = _("售后图片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class AfterSalesEvent(models.Model):
    """One step of a request: from, to, who, why, when."""

    request = models.ForeignKey(
        AfterSalesRequest,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("售后申请"),
    )
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("售后记录")
        verbose_name_plural = _("售后记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"

    @property
    def to_status_display(self) -> str:
        return str(AfterSalesStatus(self.to_status).label)
