"""核销 (redemption) at the show: something a visitor collects in person, item by item.

A ``Redeemable`` is what the holder shows at the counter: its code (for a booth pickup, the
order's pickup code), who may redeem it (a shop's seller and staff, at its booth; without a
shop, the venue's staff at the information desk) and its items with their quantities. Each
``Redemption`` hands over some units of its items (``RedemptionLine``), by a staff member
on a device, under the device's serial number (流水号: a retried upload with the same
serial counts once). A ``RedemptionReversal`` (冲正) undoes one redemption within
``O2O_REDEMPTION_REVERSAL_MINUTES``. Rows are only added: the units still to collect of an
item are its quantity less the units of its redemptions not reversed, kept on the item
(``redeemed``) under the redeemable's row lock, with a CHECK as the last line.

A booth pickup order (``kind`` order_pickup) is the order's ``redeemable``: it records the
booth the buyer chose at checkout. Passport gifts can be redeemables of kind gift later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import Bilingual
from designmall.core.fields import PublicIdField


class RedeemableKind(models.TextChoices):
    ORDER_PICKUP = "order_pickup", _("展位自提订单")
    GIFT = "gift", _("礼品")


class Redeemable(models.Model):
    public_id = PublicIdField(prefix="rdm")
    kind = models.CharField(_("类型"), max_length=16, choices=RedeemableKind.choices)
    # What the holder shows (a QR code of it or typed): not unique for ever (an order's
    # pickup code is unique among open orders only), so found among open redeemables.
    code = models.CharField(_("核销码"), max_length=16, db_index=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="redeemables",
        verbose_name=_("持有人"),
    )
    # Whose staff may redeem it: the shop's seller and staff; none: the venue's staff.
    shop = models.ForeignKey(
        "catalog.Shop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redeemables",
        verbose_name=_("店铺"),
    )
    booth = models.ForeignKey(
        "o2o.Booth",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redeemables",
        verbose_name=_("自提展位"),
    )
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redeemable",
        verbose_name=_("订单"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    # Set when its last unit is handed over (cleared by a reversal of that redemption).
    redeemed_at = models.DateTimeField(_("全部核销时间"), null=True, blank=True)
    # Set when nothing can change any more: the order settled, or the redeemable closed.
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("核销凭证")
        verbose_name_plural = _("核销凭证")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="order_pickup") | Q(order__isnull=False, booth__isnull=False),
                name="o2o_redeemable_pickup_has_order_and_booth",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def code_display(self) -> str:
        half = len(self.code) // 2
        return f"{self.code[:half]}-{self.code[half:]}" if self.code else ""


class RedeemableItem(models.Model):
    redeemable = models.ForeignKey(
        Redeemable, on_delete=models.CASCADE, related_name="items", verbose_name=_("核销凭证")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("订单商品"),
    )
    title = Bilingual(
        models.CharField(_("中文名称"), max_length=200),
        models.CharField(_("英文名称"), max_length=200, blank=True),
    )
    quantity = models.PositiveIntegerField(_("数量"))
    redeemed = models.PositiveIntegerField(_("已核销"), default=0)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("核销项目")
        verbose_name_plural = _("核销项目")
        ordering = ["redeemable_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(redeemed__lte=F("quantity")),
                name="o2o_redeemable_item_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.redeemed}/{self.quantity}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.redeemed


class Redemption(models.Model):
    public_id = PublicIdField(prefix="rdn")
    redeemable = models.ForeignKey(
        Redeemable, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("核销凭证")
    )
    # The device's serial number of this redemption (流水号): one redemption per serial.
    serial = models.CharField(_("流水号"), max_length=64, unique=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("核销人"),
    )
    device = models.CharField(_("设备"), max_length=64)
    quantity = models.PositiveIntegerField(_("件数"))
    redeemed_at = models.DateTimeField(_("核销时间"), db_index=True)

    class Meta:
        verbose_name = _("核销记录")
        verbose_name_plural = _("核销记录")
        ordering = ["-redeemed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="o2o_redemption_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} × {self.quantity}"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal")


class RedemptionLine(models.Model):
    redemption = models.ForeignKey(
        Redemption, on_delete=models.CASCADE, related_name="lines", verbose_name=_("核销记录")
    )
    item = models.ForeignKey(
        RedeemableItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("核销项目")
    )
    quantity = models.PositiveIntegerField(_("件数"))

    class Meta:
        verbose_name = _("核销明细")
        verbose_name_plural = _("核销明细")
        constraints = [
            models.UniqueConstraint(
                fields=["redemption", "item"], name="o2o_redemption_line_once_per_item"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="o2o_redemption_line_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"


class RedemptionReversal(models.Model):
    """冲正: a redemption undone (its units are to collect again), once."""

    redemption = models.OneToOneField(
        Redemption, on_delete=models.PROTECT, related_name="reversal", verbose_name=_("核销记录")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("冲正人"),
    )
    device = models.CharField(_("设备"), max_length=64)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    reversed_at = models.DateTimeField(_("冲正时间"))

    class Meta:
        verbose_name = _("核销冲正")
        verbose_name_plural = _("核销冲正")
        ordering = ["-reversed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.redemption_id} @ {self.reversed_at:%Y-%m-%d %H:%M}"


class ShopStaff(models.Model):
    """A member of a shop's booth staff: redeems the shop's booth pickups like its seller."""

    shop = models.ForeignKey(
        "catalog.Shop", on_delete=models.CASCADE, related_name="booth_staff", verbose_name=_("店铺")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="booth_staff_of",
        verbose_name=_("员工"),
    )
    is_active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(_("添加时间"))

    class Meta:
        verbose_name = _("展位员工")
        verbose_name_plural = _("展位员工")
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="o2o_shop_staff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.user_id}"
