"""Back office for payments: read-only records; actions call payments services."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin, TabularInline, yuan_range_filter
from designmall.core.errors import DomainError
from designmall.core.money import format_fen
from designmall.ledger.admin import PayoutAdmin as LedgerPayoutAdmin
from designmall.ledger.models import Payout, PayoutStatus
from designmall.payments.gateways.base import GatewayError
from designmall.payments.models import (
    BillDiscrepancy,
    BillReconciliation,
    Overpayment,
    Payment,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from designmall.payments.payouts import payout_approve, payout_transfer_retry
from designmall.payments.reconciliation import bill_reconcile
from designmall.payments.services import payment_reconcile, refund_retry


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NotificationInline(ReadOnlyInline):
    model = PaymentNotification
    fields = ("received_at", "trade_status", "verified", "outcome", "answer", "remote_addr")
    readonly_fields = fields
    ordering = ("received_at", "id")


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = (
        "public_id",
        "out_request_no",
        "amount",
        "status",
        "automatic",
        "reason",
        "created_at",
    )
    readonly_fields = fields
    ordering = ("created_at", "id")

    @admin.display(description=_("金额"))
    def amount(self, refund):
        return format_fen(refund.amount_fen)


class OverpaymentInline(ReadOnlyInline):
    model = Overpayment
    fields = ("trade_no", "amount", "received_at", "via")
    readonly_fields = fields

    @admin.display(description=_("金额"))
    def amount(self, overpayment):
        return format_fen(overpayment.amount_fen)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "out_trade_no",
        "status",
        "gateway",
        "amount",
        "refunded",
        "buyer",
        "payable",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "gateway", "payable_type", yuan_range_filter("amount_fen", _("金额")))
    search_fields = ("out_trade_no", "public_id", "trade_no", "payable_id", "buyer__email")
    date_hierarchy = "created_at"
    list_select_related = ("buyer",)
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [RefundInline, OverpaymentInline, NotificationInline]
    actions = ["reconcile"]

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, payment):
        return format_fen(payment.amount_fen)

    @admin.display(description=_("已退款"))
    def refunded(self, payment):
        return format_fen(payment.refunded_fen) if payment.refunded_fen else "-"

    @admin.display(description=_("支付对象"))
    def payable(self, payment):
        return f"{payment.payable_type}:{payment.payable_id}"

    @admin.action(description=_("向支付渠道查询并同步所选的待支付或关闭中款项"))
    def reconcile(self, request, queryset):
        done = 0
        for payment in queryset.filter(status__in=[PaymentStatus.PENDING, PaymentStatus.CLOSING]):
            try:
                payment_reconcile(payment=payment)
                done += 1
            except (DomainError, GatewayError) as exc:
                messages.error(request, f"{payment.out_trade_no}: {exc}")
        if done:
            messages.success(request, _("已同步 %(n)d 笔。") % {"n": done})


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "out_request_no",
        "payment",
        "amount",
        "status",
        "automatic",
        "reason",
        "created_at",
        "succeeded_at",
    )
    list_filter = ("status", "automatic", yuan_range_filter("amount_fen", _("金额")))
    search_fields = ("out_request_no", "public_id", "payment__out_trade_no")
    date_hierarchy = "created_at"
    list_select_related = ("payment",)
    readonly_fields = [f.name for f in Refund._meta.fields]
    actions = ["retry"]

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, refund):
        return format_fen(refund.amount_fen)

    @admin.action(description=_("重试所选的退款中款项（同一退款请求号）"))
    def retry(self, request, queryset):
        done = 0
        for refund in queryset.filter(status=RefundStatus.PENDING):
            refund_retry(refund=refund)
            done += 1
        messages.success(request, _("已重新排队 %(n)d 笔退款。") % {"n": done})


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "out_trade_no",
        "trade_status",
        "verified",
        "outcome",
        "answer",
        "remote_addr",
    )
    list_filter = ("outcome", "verified", "trade_status")
    search_fields = ("out_trade_no", "notify_id")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in PaymentNotification._meta.fields]


@admin.register(Overpayment)
class OverpaymentAdmin(ReadOnlyAdmin):
    list_display = ("trade_no", "payment", "amount", "received_at", "via", "refund_status")
    search_fields = ("trade_no", "payment__out_trade_no")
    date_hierarchy = "received_at"
    list_select_related = ("payment", "refund")
    readonly_fields = [f.name for f in Overpayment._meta.fields]

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, overpayment):
        return format_fen(overpayment.amount_fen)

    @admin.display(description=_("退款状态"))
    def refund_status(self, overpayment):
        refund = getattr(overpayment, "refund", None)
        return refund.get_status_display() if refund else "-"


class DiscrepancyInline(ReadOnlyInline):
    model = BillDiscrepancy
    show_change_link = False
    fields = (
        "kind",
        "out_trade_no",
        "trade_no",
        "out_request_no",
        "gateway_amount",
        "books_amount",
        "action",
    )
    readonly_fields = fields

    @admin.display(description=_("渠道金额"))
    def gateway_amount(self, discrepancy):
        return _fen_or_dash(discrepancy.gateway_fen)

    @admin.display(description=_("账面金额"))
    def books_amount(self, discrepancy):
        return _fen_or_dash(discrepancy.books_fen)


def _fen_or_dash(fen: int | None) -> str:
    return "-" if fen is None else format_fen(fen)


@admin.register(BillReconciliation)
class BillReconciliationAdmin(ReadOnlyAdmin):
    """Finance's daily report: the gateway's bill against our books, difference by difference."""

    list_display = (
        "bill_date",
        "gateway",
        "status",
        "gateway_trades",
        "gateway_paid",
        "books_paid",
        "gateway_refunded",
        "books_refunded",
        "differences",
        "ran_at",
    )
    list_filter = ("status", "gateway")
    date_hierarchy = "bill_date"
    readonly_fields = [f.name for f in BillReconciliation._meta.fields]
    inlines = [DiscrepancyInline]
    actions = ["run_again"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(differences_count=Count("discrepancies"))

    @admin.display(description=_("渠道收款"))
    def gateway_paid(self, report):
        return format_fen(report.gateway_paid_fen)

    @admin.display(description=_("账面收款"))
    def books_paid(self, report):
        return format_fen(report.books_paid_fen)

    @admin.display(description=_("渠道退款"))
    def gateway_refunded(self, report):
        return format_fen(report.gateway_refunded_fen)

    @admin.display(description=_("账面退款"))
    def books_refunded(self, report):
        return format_fen(report.books_refunded_fen)

    @admin.display(description=_("差异笔数"), ordering="differences_count")
    def differences(self, report):
        return report.differences_count

    @admin.action(description=_("重新下载账单并核对所选日期"), permissions=["reconcile"])
    def run_again(self, request, queryset):
        for report in queryset:
            again = bill_reconcile(gateway=report.gateway, bill_date=report.bill_date)
            level = messages.SUCCESS if again.status == "matched" else messages.WARNING
            messages.add_message(
                request,
                level,
                _("%(date)s %(gateway)s：%(status)s")
                % {
                    "date": again.bill_date,
                    "gateway": again.get_gateway_display(),
                    "status": again.get_status_display(),
                },
            )

    def has_reconcile_permission(self, request):
        return request.user.has_perm("payments.reconcile_bill")


# --- seller payouts ---------------------------------------------------------------------------


admin.site.unregister(Payout)


@admin.register(Payout)
class PayoutAdmin(LedgerPayoutAdmin):
    """The ledger's payout admin with the actions that reach the gateway: approving (the
    last approval queues the transfer) and queueing a transfer whose job gave up again."""

    actions = ["approve", "reject", "retry_transfer"]

    def _each(self, request, queryset, work, done):
        count = 0
        for payout in queryset:
            try:
                work(payout)
                count += 1
            except DomainError as exc:
                messages.error(request, f"{payout.public_id}: {exc.message}")
        if count:
            messages.success(request, done % {"n": count})

    @admin.action(description=_("审批通过"), permissions=["approve"])
    def approve(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda payout: payout_approve(payout=payout, by=request.user),
            _("已审批 %(n)d 笔提现。达到所需审批人数的提现将自动转账。"),
        )

    @admin.action(description=_("重新发起转账"), permissions=["approve"])
    def retry_transfer(self, request, queryset):
        self._each(
            request,
            queryset.filter(status=PayoutStatus.APPROVED),
            lambda payout: payout_transfer_retry(payout=payout, by=request.user),
            _("已重新发起 %(n)d 笔转账。"),
        )
