"""The back office's show pages: booths (an operator assigns them to approved shops, changes
their hours, withdraws them, downloads their print sheets) and exhibits, read-only. Every
change goes through ``o2o.services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin, TabularInline
from designmall.core.adminactions import ask_reason, run_each
from designmall.core.errors import DomainError
from designmall.events.models import Hall
from designmall.o2o import services, sheets
from designmall.o2o.models import Booth, BoothStatus, Exhibit, OrderAttribution
from designmall.o2o.selectors import booth_url, exhibit_url

BOOTH_FIELDS = ("hall", "number", "opens_on", "closes_on", "opens_at", "closes_at")


class BoothForm(forms.ModelForm):
    class Meta:
        model = Booth
        fields = ("shop", "venue", *BOOTH_FIELDS)

    def clean(self):
        data = super().clean()
        instance = self.instance if self.instance.pk else None
        shop = data.get("shop") or (instance.shop if instance else None)
        venue = data.get("venue") or (instance.venue if instance else None)
        if self.errors or shop is None or venue is None:
            return data
        try:
            data["number"] = services.booth_check(
                shop=shop,
                venue=venue,
                booth=instance,
                **{name: data.get(name) for name in BOOTH_FIELDS},
            )
        except DomainError as exc:
            field = (exc.details or {}).get("field") if isinstance(exc.details, dict) else None
            raise forms.ValidationError({field: exc.message} if field else exc.message) from None
        return data


class ExhibitInline(TabularInline):
    model = Exhibit
    extra = 0
    can_delete = False
    fields = ("title_shown", "kind", "code", "is_active")
    readonly_fields = fields
    ordering = ("position", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("名称"))
    def title_shown(self, exhibit):
        return exhibit.shown_title


@admin.register(Booth)
class BoothAdmin(ModelAdmin):
    form = BoothForm
    list_display = ("number", "venue", "hall", "shop", "status", "opens_on", "closes_on", "code")
    list_filter = ("status", "venue")
    search_fields = ("number", "code", "public_id", "shop__name_zh", "shop__name_en")
    list_select_related = ("shop", "venue", "hall")
    autocomplete_fields = ("shop",)
    readonly_fields = ("public_id", "code", "short_url", "status", "created_at", "updated_at")
    inlines = [ExhibitInline]
    actions = ["download_sheets", "withdraw"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*self.readonly_fields, "shop", "venue")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("shop", "venue", *BOOTH_FIELDS)
        return ("public_id", "shop", "venue", *BOOTH_FIELDS, "status", "code", "short_url")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "hall":
            field.queryset = Hall.objects.select_related("venue")
        return field

    def has_delete_permission(self, request, obj=None):
        return False  # a booth is withdrawn, never deleted

    @admin.display(description=_("短链接"))
    def short_url(self, booth):
        url = booth_url(booth)
        return format_html('<a href="{}">{}</a>', url, url)

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in BOOTH_FIELDS}
        if change:
            saved = services.booth_update(booth=obj, by=request.user, **values)
        else:
            saved = services.booth_assign(
                by=request.user,
                shop=form.cleaned_data["shop"],
                venue=form.cleaned_data["venue"],
                **values,
            )
        obj.pk, obj.public_id, obj.code = saved.pk, saved.public_id, saved.code
        obj._state.adding = False

    @admin.action(description=_("下载所选展位的印刷物料（PDF）"), permissions=["view"])
    def download_sheets(self, request, queryset):
        booths = list(queryset.select_related("shop", "venue", "hall").order_by("venue", "number"))
        labels = (
            Exhibit.objects.filter(booth__in=booths, is_active=True)
            .select_related("product", "lot", "booth__shop", "booth__venue", "booth__hall")
            .order_by("booth__venue", "booth__number", "position", "id")
        )
        pdf = sheets.printing.sheet_pdf(
            [sheets.booth_card(b) for b in booths], [sheets.exhibit_card(e) for e in labels]
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="booths.pdf"'
        return response

    @admin.action(description=_("撤展所选展位"), permissions=["change"])
    def withdraw(self, request, queryset):
        def apply(rows, reason):
            run_each(
                request,
                rows.filter(status=BoothStatus.ACTIVE),
                lambda booth: services.booth_withdraw(booth=booth, by=request.user, reason=reason),
                _("已撤展 %(n)d 个展位。"),
            )

        return ask_reason(
            self, request, queryset, title=_("撤展所选展位"), apply=apply, max_length=500
        )


@admin.register(Exhibit)
class ExhibitAdmin(ModelAdmin):
    list_display = ("public_id", "title_shown", "kind", "booth", "is_active", "code")
    list_filter = ("kind", "is_active")
    search_fields = ("public_id", "code", "title_zh", "title_en", "product__title_zh")
    list_select_related = ("booth__shop", "booth__venue", "product", "lot")
    readonly_fields = [f.name for f in Exhibit._meta.fields] + ["short_url"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("名称"))
    def title_shown(self, exhibit):
        return exhibit.shown_title

    @admin.display(description=_("短链接"))
    def short_url(self, exhibit):
        url = exhibit_url(exhibit)
        return format_html('<a href="{}">{}</a>', url, url)


@admin.register(OrderAttribution)
class OrderAttributionAdmin(ModelAdmin):
    list_display = ("order", "source", "booth", "exhibit", "scanned_at", "attributed_at")
    list_filter = ("source",)
    list_select_related = ("order", "booth__venue", "booth__shop", "exhibit")
    readonly_fields = [f.name for f in OrderAttribution._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The show's other admins register themselves (the index links the dashboards).
from designmall.o2o import (  # noqa: E402, F401
    dash_admin,
    passport_admin,
    redemption_admin,
    votes_admin,
)
