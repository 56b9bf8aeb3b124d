"""The back office's 核销 pages: redeemables (booth pickups) with their items and
redemptions, redemptions and reversals, all read-only with filters; and the shops' booth
staff, whom operators add and deactivate."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin, TabularInline
from designmall.o2o import redemption
from designmall.o2o.redemption_models import (
    Redeemable,
    RedeemableItem,
    Redemption,
    RedemptionLine,
    RedemptionReversal,
    ShopStaff,
)


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RedeemableState(admin.SimpleListFilter):
    title = _("核销进度")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("待核销")),
            ("redeemed", _("已全部核销，待结算")),
            ("closed", _("已结束")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(redeemed_at__isnull=True, closed_at__isnull=True)
        if self.value() == "redeemed":
            return queryset.filter(redeemed_at__isnull=False, closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


class Reversed(admin.SimpleListFilter):
    title = _("是否冲正")
    parameter_name = "reversed"

    def lookups(self, request, model_admin):
        return [("yes", _("已冲正")), ("no", _("未冲正"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(reversal__isnull=self.value() == "no")
        return queryset


class RedeemableItemInline(_ReadOnly, TabularInline):
    model = RedeemableItem
    fields = ("position", "title_zh", "title_en", "quantity", "redeemed")
    readonly_fields = fields
    extra = 0


class RedemptionInline(_ReadOnly, TabularInline):
    model = Redemption
    fields = ("serial", "quantity", "staff", "device", "redeemed_at", "reversed")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    @admin.display(description=_("已冲正"), boolean=True)
    def reversed(self, redemption):
        return redemption.is_reversed


@admin.register(Redeemable)
class RedeemableAdmin(_ReadOnly, ModelAdmin):
    list_display = (
        "public_id",
        "kind",
        "code",
        "order",
        "booth",
        "holder",
        "created_at",
        "redeemed_at",
        "closed_at",
    )
    list_filter = (RedeemableState, "kind", "booth__venue", "created_at")
    search_fields = ("public_id", "code", "order__public_id", "holder__email", "booth__number")
    list_select_related = ("order", "booth__venue", "booth__shop", "holder")
    readonly_fields = [f.name for f in Redeemable._meta.fields]
    inlines = [RedeemableItemInline, RedemptionInline]
    date_hierarchy = "created_at"


class RedemptionLineInline(_ReadOnly, TabularInline):
    model = RedemptionLine
    fields = ("item", "quantity")
    readonly_fields = fields
    extra = 0


@admin.register(Redemption)
class RedemptionAdmin(_ReadOnly, ModelAdmin):
    list_display = (
        "serial",
        "redeemable",
        "quantity",
        "staff",
        "device",
        "redeemed_at",
        "reversed",
    )
    list_filter = (Reversed, "redeemable__kind", "redeemable__booth__venue", "redeemed_at")
    search_fields = (
        "serial",
        "public_id",
        "device",
        "redeemable__public_id",
        "redeemable__order__public_id",
        "staff__email",
    )
    list_select_related = ("redeemable", "staff", "reversal")
    readonly_fields = [f.name for f in Redemption._meta.fields]
    inlines = [RedemptionLineInline]
    date_hierarchy = "redeemed_at"

    @admin.display(description=_("已冲正"), boolean=True)
    def reversed(self, redemption):
        return redemption.is_reversed


@admin.register(RedemptionReversal)
class RedemptionReversalAdmin(_ReadOnly, ModelAdmin):
    list_display = ("redemption", "staff", "device", "reason", "reversed_at")
    list_filter = ("redemption__redeemable__kind", "reversed_at")
    search_fields = ("redemption__serial", "device", "staff__email")
    list_select_related = ("redemption", "staff")
    readonly_fields = [f.name for f in RedemptionReversal._meta.fields]


@admin.register(ShopStaff)
class ShopStaffAdmin(ModelAdmin):
    list_display = ("shop", "user", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("shop__name_zh", "shop__name_en", "user__email")
    list_select_related = ("shop", "user")
    autocomplete_fields = ("shop", "user")
    fields = ("shop", "user", "is_active", "created_at")
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request, obj=None):
        return ("shop", "user", "created_at") if obj else ("created_at",)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: redemptions name the staff member

    def save_model(self, request, obj, form, change):
        saved = redemption.shop_staff_set(
            shop=obj.shop, user=obj.user, active=obj.is_active, by=request.user
        )
        obj.pk, obj.created_at = saved.pk, saved.created_at
