"""The back office's pre-sale pages: campaigns to review (approve, or reject with a reason;
cancel a live one, refunding every buyer) and every pre-order, read-only, with a
force-refund action. Every change goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin, TabularInline
from designmall.core.adminactions import ask_reason, run_each
from designmall.core.money import format_fen
from designmall.presale import selectors, services
from designmall.presale.models import (
    Campaign,
    CampaignSku,
    CampaignStatus,
    Preorder,
    PreorderStatus,
)


class LateToShipFilter(admin.SimpleListFilter):
    """Fully paid pre-orders past their promised ship date and not shipped (the operator's
    list of late sellers, as ``selectors.late_for_operator``)."""

    title = _("发货")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", _("逾期未发货"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=selectors.late_for_operator().values("pk"))
        return queryset


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CampaignSkuInline(TabularInline):
    model = CampaignSku
    extra = 0
    can_delete = False
    fields = ("sku", "price", "deposit", "credit", "balance", "quantity", "taken")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "presale.view_campaign"
        )

    @admin.display(description=_("预售价"))
    def price(self, row):
        return format_fen(row.price_fen)

    @admin.display(description=_("定金"))
    def deposit(self, row):
        return format_fen(row.deposit_fen)

    @admin.display(description=_("定金抵扣"))
    def credit(self, row):
        return format_fen(row.credit_fen)

    @admin.display(description=_("尾款"))
    def balance(self, row):
        return format_fen(row.balance_fen) if row.deposit_fen else ""


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "title_zh",
        "shop",
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "balance_ends_at",
        "promised_ship",
        "submitted_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("public_id", "title_zh", "title_en", "shop__name_zh", "shop__name_en")
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in Campaign._meta.fields] + ["promised_ship"]
    inlines = [CampaignSkuInline]
    actions = ["approve", "reject", "cancel"]

    @admin.display(description=_("承诺发货日期"))
    def promised_ship(self, campaign):
        return campaign.promised_ship_date

    def has_review_permission(self, request):
        return request.user.has_perm("presale.review_campaign")

    @admin.action(description=_("通过预售活动"), permissions=["review"])
    def approve(self, request, queryset):
        run_each(
            request,
            queryset.filter(status=CampaignStatus.SUBMITTED),
            lambda campaign: services.campaign_approve(campaign=campaign, by=request.user),
            _("已通过 %(n)d 个预售活动。"),
        )

    @admin.action(description=_("驳回预售活动…"), permissions=["review"])
    def reject(self, request, queryset):
        def apply(campaigns, reason):
            run_each(
                request,
                campaigns.filter(status=CampaignStatus.SUBMITTED),
                lambda campaign: services.campaign_reject(
                    campaign=campaign, by=request.user, reason=reason
                ),
                _("已驳回 %(n)d 个预售活动。"),
            )

        return ask_reason(
            self,
            request,
            queryset,
            title=_("驳回预售活动"),
            apply=apply,
            max_length=services.REASON_MAX,
        )

    @admin.action(description=_("取消预售活动并全额退款…"), permissions=["review"])
    def cancel(self, request, queryset):
        def apply(campaigns, reason):
            run_each(
                request,
                campaigns.filter(status=CampaignStatus.APPROVED),
                lambda campaign: services.campaign_cancel(
                    campaign=campaign, by=request.user, reason=reason
                ),
                _("已取消 %(n)d 个预售活动，买家已付款项将全额退回。"),
            )

        return ask_reason(
            self,
            request,
            queryset,
            title=_("取消预售活动"),
            apply=apply,
            max_length=services.REASON_MAX,
        )


@admin.register(Preorder)
class PreorderAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "buyer",
        "campaign",
        "status",
        "price",
        "deposit",
        "credit",
        "balance",
        "hold_expires_at",
        "deposit_paid_at",
        "created_at",
    )
    list_filter = (LateToShipFilter, "status", "campaign__kind")
    search_fields = ("public_id", "buyer__email", "buyer__mobile", "campaign__public_id")
    actions = ["force_refund"]
    date_hierarchy = "created_at"
    list_select_related = ("buyer", "campaign")
    readonly_fields = [f.name for f in Preorder._meta.fields]

    @admin.display(description=_("预售价"), ordering="price_fen")
    def price(self, preorder):
        return format_fen(preorder.price_fen)

    @admin.display(description=_("定金"), ordering="deposit_fen")
    def deposit(self, preorder):
        return format_fen(preorder.deposit_fen)

    @admin.display(description=_("定金抵扣"), ordering="credit_fen")
    def credit(self, preorder):
        return format_fen(preorder.credit_fen)

    @admin.display(description=_("尾款"), ordering="balance_fen")
    def balance(self, preorder):
        return format_fen(preorder.balance_fen)

    def has_review_permission(self, request):
        return request.user.has_perm("presale.review_campaign")

    @admin.action(description=_("强制全额退款…"), permissions=["review"])
    def force_refund(self, request, queryset):
        def apply(preorders, reason):
            run_each(
                request,
                preorders.exclude(status=PreorderStatus.EXPIRED).select_related(
                    "deposit_payment", "balance_payment"
                ),
                lambda preorder: services.preorder_force_refund(
                    preorder=preorder, by=request.user, reason=reason
                ),
                _("已为 %(n)d 个预售订单发起全额退款。"),
            )

        return ask_reason(
            self,
            request,
            queryset,
            title=_("强制全额退款"),
            apply=apply,
            max_length=services.REASON_MAX,
        )
