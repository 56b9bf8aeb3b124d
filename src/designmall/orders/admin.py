"""Back office for orders: read-only records. Orders change only through the services
(the seller center and the API call them), so nothing here edits them; operators decide
escalated after-sales requests with actions that call the after-sales service."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.accounts.roles import Role
from designmall.core.admin import ModelAdmin, TabularInline, yuan_range_filter
from designmall.core.adminactions import ask_reason, run_each
from designmall.core.money import format_fen
from designmall.orders.aftersales import aftersales_decide
from designmall.orders.models import (
    AfterSalesEvent,
    AfterSalesPhoto,
    AfterSalesRequest,
    Checkout,
    IdempotencyKey,
    Order,
    OrderEvent,
    OrderLine,
)


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(TabularInline):
    """Shown to whoever may view the parent: lines and history are part of an order."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        parent = self.parent_model._meta
        return super().has_view_permission(request, obj) or request.user.has_perm(
            f"{parent.app_label}.view_{parent.model_name}"
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "product_title_zh",
        "product_title_en",
        "sku_label_zh",
        "sku_label_en",
        "unit_price",
        "quantity",
        "line_total",
    )
    readonly_fields = fields

    @admin.display(description=_("单价"))
    def unit_price(self, line):
        return format_fen(line.unit_price_fen)

    @admin.display(description=_("小计"))
    def line_total(self, line):
        return format_fen(line.line_total_fen)


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("at", "from_status", "to_status", "by", "reason", "data")
    readonly_fields = fields
    ordering = ("at", "id")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "status",
        "shop",
        "buyer",
        "delivery",
        "total",
        "refunded",
        "created_at",
    )
    list_filter = ("status", "delivery", yuan_range_filter("total_fen", _("订单金额")))
    search_fields = (
        "public_id",
        "checkout__public_id",
        "buyer__email",
        "buyer__mobile",
        "shop__public_id",
        "shop__name_zh",
        "tracking_number",
    )
    date_hierarchy = "created_at"
    list_select_related = ("shop", "buyer")
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderLineInline, OrderEventInline]

    @admin.display(description=_("订单金额"), ordering="total_fen")
    def total(self, order):
        return format_fen(order.total_fen)

    @admin.display(description=_("已退款"))
    def refunded(self, order):
        return format_fen(order.refunded_fen) if order.refunded_fen else "-"


class OrderInline(ReadOnlyInline):
    model = Order
    fields = ("public_id", "shop", "status", "total")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("订单金额"))
    def total(self, order):
        return format_fen(order.total_fen)


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "status", "buyer", "delivery", "total", "created_at", "expires_at")
    list_filter = ("status", "delivery", yuan_range_filter("total_fen", _("应付金额")))
    search_fields = ("public_id", "buyer__email", "buyer__mobile", "payment__out_trade_no")
    date_hierarchy = "created_at"
    list_select_related = ("buyer",)
    readonly_fields = [f.name for f in Checkout._meta.fields]
    inlines = [OrderInline]

    @admin.display(description=_("应付金额"), ordering="total_fen")
    def total(self, checkout):
        return format_fen(checkout.total_fen)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "scope",
        "user",
        "checkout",
        "refund",
        "error_code",
        "error_status",
        "created_at",
    )
    list_filter = ("scope", "error_code")
    search_fields = ("key", "user__email", "checkout__public_id", "refund__public_id")
    date_hierarchy = "created_at"
    list_select_related = ("user", "checkout", "refund")
    readonly_fields = [f.name for f in IdempotencyKey._meta.fields]


# --- after-sales -----------------------------------------------------------------------------


class AfterSalesEventInline(ReadOnlyInline):
    model = AfterSalesEvent
    fields = ("at", "from_status", "to_status", "by", "reason", "data")
    readonly_fields = fields
    ordering = ("at", "id")


class AfterSalesPhotoInline(ReadOnlyInline):
    model = AfterSalesPhoto
    fields = ("image", "added_at")
    readonly_fields = fields


@admin.register(AfterSalesRequest)
class AfterSalesRequestAdmin(ReadOnlyAdmin):
    """After-sales requests; operators decide escalated ones here (accept -> refund;
    refuse -> closed), through the same service as the API."""

    list_display = (
        "public_id",
        "status",
        "kind",
        "reason",
        "order",
        "quantity",
        "amount",
        "created_at",
        "reply_due_at",
    )
    list_filter = ("status", "kind", "reason", yuan_range_filter("amount_fen", _("退款金额")))
    search_fields = ("public_id", "order__public_id", "order__buyer__email")
    date_hierarchy = "created_at"
    list_select_related = ("order",)
    readonly_fields = [f.name for f in AfterSalesRequest._meta.fields]
    inlines = [AfterSalesPhotoInline, AfterSalesEventInline]
    actions = ["decide_accept", "decide_refuse"]

    @admin.display(description=_("退款金额"), ordering="amount_fen")
    def amount(self, request):
        return format_fen(request.amount_fen)

    def has_decide_permission(self, request):
        user = request.user
        return bool(user.is_superuser or user.has_role(Role.OPERATOR))

    @admin.action(description=_("平台裁决：同意退款"), permissions=["decide"])
    def decide_accept(self, request, queryset):
        run_each(
            request,
            queryset,
            lambda found: aftersales_decide(request=found, by=request.user, accept=True),
            _("已同意 %(n)d 个售后申请。"),
        )

    @admin.action(description=_("平台裁决：拒绝并关闭…"), permissions=["decide"])
    def decide_refuse(self, request, queryset):
        def apply(requests, reason):
            run_each(
                request,
                requests,
                lambda found: aftersales_decide(
                    request=found, by=request.user, accept=False, reason=reason
                ),
                _("已关闭 %(n)d 个售后申请。"),
            )

        return ask_reason(
            self, request, queryset, title=_("拒绝售后申请"), apply=apply, max_length=500
        )
