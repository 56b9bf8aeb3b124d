"""The back office for flash deals: operators schedule a deal (its units leave the SKU's
stock at once) and cancel one; tickets (one per admitted unit) are read-only. Everything
goes through ``promotions.deals``. Imported by ``promotions.admin``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin
from designmall.core.adminactions import run_each
from designmall.core.errors import DomainError
from designmall.promotions import deals
from designmall.promotions.models import Deal, DealTicket

FORM_FIELDS = (
    "sku",
    "title_zh",
    "title_en",
    "price_fen",
    "quantity",
    "per_buyer_limit",
    "starts_at",
    "ends_at",
)


class DealForm(forms.ModelForm):
    class Meta:
        model = Deal
        fields = FORM_FIELDS
        help_texts = {
            "title_zh": _("留空则用商品标题。"),
            "price_fen": _("金额单位为分，须低于原价。"),
            "quantity": _("排期时即从可售库存中划出，普通销售不会占用。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("title_zh", "title_en"):
            if name in self.fields:
                self.fields[name].required = False


@admin.register(Deal)
class DealAdmin(ModelAdmin):
    form = DealForm
    list_display = (
        "title_zh",
        "shop",
        "price_fen",
        "quantity",
        "units_left",
        "per_buyer_limit",
        "starts_at",
        "ends_at",
        "phase",
    )
    list_filter = ("status",)
    search_fields = ("public_id", "title_zh", "title_en", "shop__name_zh")
    raw_id_fields = ("sku",)
    actions = ["cancel"]

    @admin.display(description=_("剩余"))
    def units_left(self, deal):
        return deals.deal_live_state(deal)["units_left"]

    @admin.display(description=_("阶段"))
    def phase(self, deal):
        return {
            "upcoming": _("即将开抢"),
            "live": _("抢购中"),
            "sold_out": _("已抢光"),
            "ended": _("已结束"),
            "cancelled": _("已取消"),
        }[deals.deal_live_state(deal)["phase"]]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "public_id",
            *FORM_FIELDS,
            "shop",
            "list_price_fen",
            "status",
            "taken",
            "created_by",
            "created_at",
            "cancelled_at",
            "settled_at",
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return FORM_FIELDS
        return self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # a deal's terms are fixed once scheduled; cancel it instead
        data = form.cleaned_data
        try:
            created = deals.deal_schedule(
                by=request.user,
                sku=data["sku"],
                price_fen=data["price_fen"],
                quantity=data["quantity"],
                per_buyer_limit=data["per_buyer_limit"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                title_zh=data.get("title_zh") or "",
                title_en=data.get("title_en") or "",
            )
        except DomainError as exc:
            # Refused after validation (stock, SKU not on sale): said on the list page.
            messages.error(request, exc.message)
            obj._refused = True
            return
        obj.pk, obj.public_id = created.pk, created.public_id
        obj._state.adding = False

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_refused", False):
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def log_addition(self, request, obj, message):
        if not getattr(obj, "_refused", False):
            super().log_addition(request, obj, message)

    @admin.action(description=_("取消秒杀"), permissions=["change"])
    def cancel(self, request, queryset):
        run_each(
            request,
            queryset,
            lambda deal: deals.deal_cancel(deal=deal, by=request.user),
            _("已取消 %(n)d 个秒杀。"),
        )


@admin.register(DealTicket)
class DealTicketAdmin(ModelAdmin):
    list_display = ("public_id", "deal", "buyer", "slot", "status", "checkout", "created_at")
    list_filter = ("status",)
    search_fields = ("public_id", "deal__public_id", "token")
    raw_id_fields = ("deal", "buyer", "checkout")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
