"""Back office for stock: counters, holds and adjustments, read-only.

Counters change only through inventory services (sellers adjust in the seller
center; checkouts take holds), so nothing here edits them.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin
from designmall.inventory.models import StockAdjustment, StockHold, StockLevel

SKU_SEARCH = ("sku__public_id", "sku__code", "sku__product__title_zh", "sku__product__title_en")


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = (
        "sku_code",
        "product",
        "available",
        "held",
        "sold",
        "written_off",
        "received",
    )
    list_select_related = ("sku__product",)
    search_fields = SKU_SEARCH
    fields = ("sku", "received", "available", "held", "sold", "written_off")
    readonly_fields = fields

    @admin.display(description=_("货号"), ordering="sku__code")
    def sku_code(self, level):
        return level.sku.code

    @admin.display(description=_("商品"))
    def product(self, level):
        return level.sku.product


@admin.register(StockHold)
class StockHoldAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "sku",
        "quantity",
        "owner_ref",
        "status",
        "created_at",
        "expires_at",
        "closed_at",
    )
    list_filter = ("status",)
    list_select_related = ("sku",)
    search_fields = ("public_id", "owner_ref", *SKU_SEARCH)
    date_hierarchy = "created_at"
    fields = (
        "public_id",
        "sku",
        "quantity",
        "owner_ref",
        "status",
        "created_at",
        "expires_at",
        "closed_at",
    )
    readonly_fields = fields


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("at", "sku", "delta", "reason", "note", "by")
    list_filter = ("reason",)
    list_select_related = ("sku", "by")
    search_fields = SKU_SEARCH
    date_hierarchy = "at"
    fields = ("sku", "delta", "reason", "note", "by", "at")
    readonly_fields = fields
