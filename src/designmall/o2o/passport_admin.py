"""The back office's passport pages: operators define routes (booths, events, how many
stamps complete them) and their rewards; passports, stamps and grants are read-only (they
come from visitors' scans and check-ins through ``o2o.passport``)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.core import clock
from designmall.core.admin import ModelAdmin, TabularInline
from designmall.o2o.passport_models import Passport, Reward, RewardGrant, Route, Stamp


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RewardInline(TabularInline):
    model = Reward
    extra = 1
    fields = ("kind", "coupon_template", "session", "gift_zh", "gift_en")
    autocomplete_fields = ("session",)
    raw_id_fields = ("coupon_template",)

    def has_delete_permission(self, request, obj=None):
        # A reward already granted stays (its grants point at it): PROTECT refuses it.
        return True


@admin.register(Route)
class RouteAdmin(ModelAdmin):
    list_display = ("name_zh", "name_en", "stamps_needed", "place_count", "is_active", "position")
    list_filter = ("is_active",)
    search_fields = ("name_zh", "name_en", "public_id")
    autocomplete_fields = ("booths", "events")
    readonly_fields = ("public_id", "created_at")
    fields = (
        "public_id",
        "name_zh",
        "name_en",
        "description_zh",
        "description_en",
        "booths",
        "events",
        "stamps_needed",
        "is_active",
        "position",
        "created_at",
    )
    inlines = [RewardInline]

    @admin.display(description=_("展位和活动数"))
    def place_count(self, route):
        return route.booths.count() + route.events.count()

    def save_model(self, request, obj, form, change):
        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


class StampInline(ReadOnly, TabularInline):
    model = Stamp
    fields = ("source", "booth", "event", "stamped_at")
    readonly_fields = fields


class GrantInline(ReadOnly, TabularInline):
    model = RewardGrant
    fields = ("reward", "status", "coupon", "reservation", "claim_code", "refusal", "granted_at")
    readonly_fields = fields


@admin.register(Passport)
class PassportAdmin(ReadOnly, ModelAdmin):
    list_display = ("public_id", "user", "created_at")
    search_fields = ("public_id", "user__email", "user__mobile")
    list_select_related = ("user",)
    readonly_fields = ("public_id", "user", "created_at")
    inlines = [StampInline, GrantInline]


@admin.register(RewardGrant)
class RewardGrantAdmin(ReadOnly, ModelAdmin):
    list_display = ("public_id", "reward", "passport", "status", "claim_code", "granted_at")
    list_filter = ("status", "reward__kind")
    search_fields = ("public_id", "claim_code", "passport__user__email", "passport__public_id")
    list_select_related = ("reward__route", "passport__user")
