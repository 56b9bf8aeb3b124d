"""Stock per SKU: its counters, the holds checkouts take, and the sellers' adjustments.

Rows are written only by ``inventory.services``. The counters of a SKU always
balance: ``received = available + held + sold + written_off``, and none of them
is ever negative; the database enforces both with CHECK constraints, so a bug
or a race fails a statement instead of overselling.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.catalog.models import Sku
from designmall.core.fields import PublicIdField


class StockLevel(models.Model):
    """The counters of one SKU. A SKU without a row has none of anything."""

    sku = models.OneToOneField(
        Sku,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="stock_level",
        verbose_name=_("SKU"),
    )
    # Everything that ever came in: received goods and upward corrections.
    received = models.IntegerField(_("累计入库"), default=0)
    available = models.IntegerField(_("可售"), default=0)
    held = models.IntegerField(_("锁定"), default=0)
    sold = models.IntegerField(_("已售"), default=0)
    written_off = models.IntegerField(_("报损"), default=0)

    class Meta:
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        ordering = ["sku_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0), name="stock_available_not_negative"
            ),
            models.CheckConstraint(condition=Q(held__gte=0), name="stock_held_not_negative"),
            models.CheckConstraint(condition=Q(sold__gte=0), name="stock_sold_not_negative"),
            models.CheckConstraint(
                condition=Q(written_off__gte=0), name="stock_written_off_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(received=F("available") + F("held") + F("sold") + F("written_off")),
                name="stock_received_balances",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.available}"


class HoldStatus(models.TextChoices):
    HELD = "held", _("锁定中")
    SOLD = "sold", _("已售出")
    RELEASED = "released", _("已释放")


class StockHold(models.Model):
    """Units of a SKU set aside for an owner (a checkout, say) until sold or released."""

    public_id = PublicIdField(prefix="sh")
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="stock_holds", verbose_name=_("SKU")
    )
    quantity = models.IntegerField(_("数量"))
    # Who the units are held for, e.g. "checkout:<public id>": holds are closed by it.
    owner_ref = models.CharField(_("持有方"), max_length=64, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=HoldStatus.choices, default=HoldStatus.HELD
    )
    expires_at = models.DateTimeField(_("到期时间"))
    created_at = models.DateTimeField(_("创建时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("库存锁定")
        verbose_name_plural = _("库存锁定")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="stockhold_quantity_positive"),
            models.CheckConstraint(
                condition=Q(status=HoldStatus.HELD, closed_at__isnull=True)
                | (~Q(status=HoldStatus.HELD) & Q(closed_at__isnull=False)),
                name="stockhold_closed_when_not_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.quantity} × {self.sku_id} ({self.status})"


class AdjustmentReason(models.TextChoices):
    RECEIVED = "received", _("入库")
    DAMAGED = "damaged", _("报损")
    CORRECTION = "correction", _("盘点修正")
    # Sold units that came back (a return) and can be sold again.
    RETURNED = "returned", _("退货入库")


class StockAdjustment(models.Model):
    """A recorded change to a SKU's available stock that no hold made."""

    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="stock_adjustments", verbose_name=_("SKU")
    )
    # The change to ``available``: received and returned add, damaged removes,
    # a correction does either.
    delta = models.IntegerField(_("变动数量"))
    reason = models.CharField(_("原因"), max_length=16, choices=AdjustmentReason.choices)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("库存调整")
        verbose_name_plural = _("库存调整")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="stockadjustment_delta_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.delta:+d} ({self.reason})"
