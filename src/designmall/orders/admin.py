"""Back office for orders: read-only records. Orders change only through the services
(the seller center and the API call them), so nothing here edits them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.core.money import format_fen
from designmall.orders.models import Checkout, IdempotencyKey, Order, OrderEvent, OrderLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
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
    fields = ("product_title", "sku_label", "unit_price", "quantity", "line_total")
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
    list_filter = ("status", "delivery")
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
    list_filter = ("status", "delivery")
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
