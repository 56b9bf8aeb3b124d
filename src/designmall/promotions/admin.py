"""The back office for coupons: operators issue platform coupons, pause, resume or stop any
coupon, generate redemption-code batches and download them as CSV; claimed coupons and
codes are read-only. Everything goes through ``services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin, TabularInline
from designmall.core.adminactions import action_form_page, run_each
from designmall.core.errors import DomainError, ValidationFailed
from designmall.promotions import selectors, services
from designmall.promotions.models import (
    CodeBatch,
    Coupon,
    CouponTemplate,
    Issuer,
    RedemptionCode,
    TemplateStatus,
)


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


FORM_FIELDS = (
    "name_zh",
    "name_en",
    "kind",
    "threshold_fen",
    "off_fen",
    "percent_off",
    "cap_fen",
    "scope",
    "shop",
    "categories",
    "products",
    "validity",
    "valid_from",
    "valid_until",
    "valid_days",
    "claim_starts_at",
    "claim_ends_at",
    "distribution",
    "total_quantity",
    "per_buyer_limit",
)


class PlatformCouponForm(forms.ModelForm):
    """A new platform coupon, checked by ``services.template_check``."""

    class Meta:
        model = CouponTemplate
        fields = FORM_FIELDS
        help_texts = {
            "threshold_fen": _("满减券必填；其他类型为最低消费，0 表示无门槛。金额单位为元。"),
            "percent_off": _("折扣券：减免的百分比，例如 15 表示 85 折。"),
            "shop": _("仅“指定店铺”范围需要。"),
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        values = {name: data.get(name) for name in FORM_FIELDS}
        for name in ("threshold_fen", "off_fen", "percent_off", "cap_fen"):
            values[name] = values[name] or 0
        try:
            self.checked = services.template_check(issuer=Issuer.PLATFORM, **values)
        except ValidationFailed as exc:
            field = (exc.details or {}).get("field")
            self.add_error(field if field in self.fields else None, exc.message)
        return data


class CodeBatchForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("兑换码数量"), min_value=1, max_value=services.MAX_BATCH, initial=100
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


@admin.register(CouponTemplate)
class CouponTemplateAdmin(ModelAdmin):
    form = PlatformCouponForm
    list_display = (
        "name_zh",
        "issuer",
        "shop",
        "terms",
        "distribution",
        "remaining",
        "total_quantity",
        "per_buyer_limit",
        "claim_ends_at",
        "status",
    )
    list_filter = ("issuer", "kind", "status", "distribution")
    search_fields = ("public_id", "name_zh", "name_en", "shop__name_zh", "shop__name_en")
    autocomplete_fields = ("shop", "categories", "products")
    actions = ["pause", "resume", "stop", "generate_codes"]

    @admin.display(description=_("优惠内容"))
    def terms(self, template):
        return selectors.terms_display(template)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("public_id", "issuer", *FORM_FIELDS, "remaining", "status", "created_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return FORM_FIELDS
        return self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # a coupon's terms are fixed once issued; its status moves by the actions
        values = {k: v for k, v in form.checked.items() if k not in ("issuer",)}
        created = services.platform_coupon_create(by=request.user, **values)
        obj.pk, obj.public_id = created.pk, created.public_id
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """The service set the categories and products (only those its scope uses)."""

    def _set_status(self, request, queryset, status, done):
        run_each(
            request,
            queryset,
            lambda template: services.template_set_status(
                template=template, status=status, by=request.user
            ),
            done,
        )

    @admin.action(description=_("暂停发放"), permissions=["change"])
    def pause(self, request, queryset):
        self._set_status(request, queryset, TemplateStatus.PAUSED, _("已暂停 %(n)d 张优惠券。"))

    @admin.action(description=_("恢复发放"), permissions=["change"])
    def resume(self, request, queryset):
        self._set_status(request, queryset, TemplateStatus.ACTIVE, _("已恢复 %(n)d 张优惠券。"))

    @admin.action(description=_("停止发放（不可恢复）"), permissions=["change"])
    def stop(self, request, queryset):
        self._set_status(request, queryset, TemplateStatus.STOPPED, _("已停止 %(n)d 张优惠券。"))

    @admin.action(description=_("生成兑换码"), permissions=["change"])
    def generate_codes(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, _("请只选择一张优惠券生成兑换码。"))
            return None
        template = queryset.get()
        form = CodeBatchForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                batch = services.code_batch_create(
                    template=template,
                    quantity=form.cleaned_data["quantity"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已生成 %(n)d 个兑换码。") % {"n": batch.quantity})
                return HttpResponseRedirect(
                    reverse("admin:promotions_codebatch_change", args=[batch.pk])
                )
        return action_form_page(self, request, queryset, title=_("生成兑换码"), form=form)


class RedemptionCodeInline(TabularInline):
    model = RedemptionCode
    fields = ("printed", "claimed_by", "claimed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    show_change_link = False

    @admin.display(description=_("兑换码"))
    def printed(self, code):
        return code.printed

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("promotions.view_codebatch")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CodeBatch)
class CodeBatchAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "template", "quantity", "claimed", "note", "created_at", "csv")
    search_fields = ("public_id", "template__name_zh", "template__public_id", "note")
    fields = ("public_id", "template", "quantity", "note", "created_by", "created_at", "csv")
    readonly_fields = fields
    inlines = [RedemptionCodeInline]
    actions = ["export_csv"]

    @admin.display(description=_("已兑换"))
    def claimed(self, batch):
        return batch.codes.filter(claimed_by__isnull=False).count()

    @admin.display(description=_("导出"))
    def csv(self, batch):
        url = reverse("admin:promotions_codebatch_csv", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, _("下载 CSV"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.csv_view)
        return [
            path("<int:pk>/csv/", view, name="promotions_codebatch_csv"),
            *super().get_urls(),
        ]

    def _csv_response(self, batches) -> HttpResponse:
        text = selectors.code_batches_csv(batches)
        # The byte order mark makes spreadsheet programs read the file as UTF-8.
        response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
        name = batches[0].public_id if len(batches) == 1 else "codes"
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    def csv_view(self, request, pk: int):
        if not request.user.has_perm("promotions.view_codebatch"):
            raise DjangoPermissionDenied
        return self._csv_response([get_object_or_404(CodeBatch, pk=pk)])

    @admin.action(description=_("导出兑换码（CSV）"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._csv_response(list(queryset.order_by("id")))


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "template",
        "buyer",
        "source",
        "state",
        "valid_from",
        "valid_until",
        "checkout_ref",
    )
    list_filter = ("state", "source")
    search_fields = ("public_id", "template__name_zh", "buyer__email", "buyer__mobile")
    list_select_related = ("template", "buyer")


# The flash deals' back office, in a module of its own.
from designmall.promotions import deal_admin  # noqa: E402,F401
