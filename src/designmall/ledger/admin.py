"""Back office for finance: the books are read-only; payout actions and exports call
ledger services and selectors."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q, Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin, TabularInline
from designmall.core.errors import DomainError
from designmall.core.money import format_fen
from designmall.ledger import selectors, services
from designmall.ledger.accounts import AccountType
from designmall.ledger.models import (
    Account,
    LedgerRef,
    LedgerTransaction,
    Payout,
    PayoutStatus,
    Posting,
)


class ReadOnlyMixin:
    """Ledger rows are never edited: a correction is a new transaction."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ("code", "name", "type", "balance")
    list_filter = ("type",)
    search_fields = ("code", "name")
    fields = ("code", "name", "type", "created_at", "balance")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(debit_minus_credit=Sum("postings__amount"))

    @admin.display(description=_("余额"))
    def balance(self, account):
        raw = account.debit_minus_credit or 0
        return format_fen(AccountType(account.type).debit_sign * raw)


class PostingInline(ReadOnlyMixin, TabularInline):
    model = Posting
    fields = ("account", "debit", "credit")
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("借方"))
    def debit(self, posting):
        return format_fen(posting.amount) if posting.amount > 0 else ""

    @admin.display(description=_("贷方"))
    def credit(self, posting):
        return format_fen(-posting.amount) if posting.amount < 0 else ""


class LedgerRefInline(ReadOnlyMixin, TabularInline):
    model = LedgerRef
    fields = ("ref_type", "ref_id")
    readonly_fields = fields
    extra = 0


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ("public_id", "created_at", "kind", "amount", "memo")
    list_filter = ("kind",)
    search_fields = ("=public_id", "=key", "=refs__ref_id")
    date_hierarchy = "created_at"
    fields = ("public_id", "key", "kind", "memo", "created_at", "created_by")
    readonly_fields = fields
    inlines = [PostingInline, LedgerRefInline]

    def get_queryset(self, request):
        debits = Sum("postings__amount", filter=Q(postings__amount__gt=0))
        return super().get_queryset(request).annotate(debits=debits)

    @admin.display(description=_("金额"))
    def amount(self, txn):
        return format_fen(txn.debits)


class SettleForm(forms.Form):
    text = forms.CharField(max_length=500)


class ExportForm(forms.Form):
    REPORTS = [
        ("reconciliation", _("对账报表")),
        ("payouts", _("打款明细")),
    ]
    report = forms.ChoiceField(label=_("报表"), choices=REPORTS)
    start = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期（含）"), widget=forms.DateInput(attrs={"type": "date"}))

    def period(self) -> tuple[datetime, datetime]:
        """Whole local days, ``end`` included."""
        tz = timezone.get_current_timezone()
        start = datetime.combine(self.cleaned_data["start"], time.min, tzinfo=tz)
        end = datetime.combine(self.cleaned_data["end"] + timedelta(days=1), time.min, tzinfo=tz)
        return start, end


@admin.register(Payout)
class PayoutAdmin(ReadOnlyMixin, ModelAdmin):
    """Payouts for finance. Rejecting is a ledger matter and lives here; approving and
    retrying a transfer need the gateway, so ``payments.admin`` registers this admin
    again with those actions."""

    list_display = (
        "public_id",
        "shop_public_id",
        "amount",
        "status",
        "approvals",
        "payee_account",
        "reference",
        "requested_at",
        "settled_at",
    )
    list_filter = ("status", "approvals_required")
    search_fields = ("=public_id", "=shop_public_id", "=out_biz_no", "reference")
    date_hierarchy = "requested_at"
    readonly_fields = [f.name for f in Payout._meta.fields]
    actions = ["reject"]
    change_list_template = "admin/ledger/payout/change_list.html"

    @admin.display(description=_("金额"))
    def amount(self, payout):
        return format_fen(payout.amount_fen)

    @admin.display(description=_("审批"))
    def approvals(self, payout):
        done = (payout.approved_by_id is not None) + (payout.second_approved_by_id is not None)
        return f"{done}/{payout.approvals_required}"

    def has_approve_permission(self, request):
        return request.user.has_perm("ledger.approve_payout")

    def _settle_each(self, request, queryset, *, label, title, settle, done):
        """Ask for the reason, then settle each payout still waiting for approval."""
        if "apply" in request.POST:
            form = SettleForm(request.POST)
            form.fields["text"].label = label
            if form.is_valid():
                count = 0
                for payout in queryset.filter(status=PayoutStatus.REQUESTED):
                    try:
                        settle(payout, form.cleaned_data["text"])
                        count += 1
                    except DomainError as exc:
                        messages.error(request, f"{payout.public_id}: {exc.message}")
                if count:
                    messages.success(request, done % {"n": count})
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = SettleForm()
            form.fields["text"].label = label
        return TemplateResponse(
            request,
            "admin/ledger/payout_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "queryset": queryset,
                "action": request.POST.get("action"),
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("驳回提现…"), permissions=["approve"])
    def reject(self, request, queryset):
        return self._settle_each(
            request,
            queryset,
            label=_("驳回原因"),
            title=_("驳回提现"),
            settle=lambda payout, text: services.payout_reject(
                payout=payout, reason=text, by=request.user
            ),
            done=_("已驳回 %(n)d 笔提现，金额已退回卖家余额。"),
        )

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="ledger_export"), *super().get_urls()]

    def export_view(self, request):
        """Download the reconciliation report or the payouts list for whole days."""
        form = ExportForm(request.GET or None)
        if form.is_valid():
            report = form.cleaned_data["report"]
            needed = (
                "ledger.view_payout" if report == "payouts" else "ledger.view_ledgertransaction"
            )
            if not request.user.has_perm(needed):
                raise DjangoPermissionDenied
            start, end = form.period()
            try:
                if report == "payouts":
                    text = selectors.export_payouts_csv(start, end)
                else:
                    text = selectors.export_reconciliation_csv(start, end)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                # The byte order mark makes spreadsheet programs read the file as UTF-8.
                response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
                name = f"{report}-{form.cleaned_data['start']}-{form.cleaned_data['end']}.csv"
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
        return TemplateResponse(
            request,
            "admin/ledger/export.html",
            {
                **self.admin_site.each_context(request),
                "title": _("财务导出"),
                "form": form,
                "opts": self.model._meta,
            },
        )
