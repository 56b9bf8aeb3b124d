"""The back office's shared pieces, and the core models' admins.

Money is kept in fen and never shown in fen: every admin of the project derives from
``ModelAdmin`` / ``TabularInline`` / ``StackedInline`` here (a test walks the registry), whose
``YuanAdminMixin`` turns every ``*_fen`` model field into yuan: list columns and read-only
fields show ``¥1,999.00``, form fields show and take yuan (``core.fields.YuanFormField``),
and ``yuan_range_filter`` filters lists by amount ranges given in yuan.
"""

from __future__ import annotations

import functools
import re

from django.contrib import admin
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from designmall.core.fields import YuanFormField
from designmall.core.models import AuditEvent, Job
from designmall.core.money import Money, format_fen

FEN_SUFFIX = "_fen"
_FEN_UNIT = re.compile(r"\s*[（(](分|fen)[）)]\s*$")


def _yuan_label(verbose_name, unit: bool) -> str:
    """A ``*_fen`` field's label in the page's language, with its unit said in yuan
    ("金额（分）" becomes "金额（元）" on a form, "金额" on a list)."""
    text = _FEN_UNIT.sub("", str(verbose_name))
    return str(_("%(label)s（元）") % {"label": text}) if unit else text


yuan_label = lazy(_yuan_label, str)


def is_fen_field(model, name) -> bool:
    if not isinstance(name, str) or not name.endswith(FEN_SUFFIX):
        return False
    try:
        field = model._meta.get_field(name)
    except Exception:  # a method or an annotation, not a model field
        return False
    return isinstance(field, models.IntegerField)


_columns: dict[tuple[type, str], object] = {}


def yuan_column(model, name: str):
    """A list column / read-only field that shows the fen field ``name`` as ``¥1,999.00``.
    One object per field, so the same column is recognised in fields and readonly_fields."""
    key = (model, name)
    if key not in _columns:
        field = model._meta.get_field(name)

        def show(obj):
            value = getattr(obj, name)
            return "-" if value is None else format_fen(value)

        show.__name__ = name
        show.short_description = yuan_label(field.verbose_name, False)
        show.admin_order_field = name
        show.yuan_of = name
        _columns[key] = show
    return _columns[key]


class YuanAdminMixin:
    """Shows and takes every ``*_fen`` field of the model in yuan (see the module doc).

    The lists of fields an admin gives (``get_readonly_fields``, ``get_fields``,
    ``get_fieldsets``, ``get_list_display``) have their fen fields replaced by yuan columns,
    also where a subclass overrides one of them without calling ``super()``."""

    _in_yuan_methods = ("get_readonly_fields", "get_fields", "get_fieldsets")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for method in cls._in_yuan_methods:
            own = cls.__dict__.get(method)
            if own is not None and not getattr(own, "in_yuan", False):
                setattr(cls, method, _in_yuan_wrapper(method, own))

    def _fen_readonly(self, request, obj=None) -> set[str]:
        shown = self.get_readonly_fields(request, obj)
        return {f.yuan_of for f in shown if hasattr(f, "yuan_of")}

    def _in_yuan(self, names, fen_names=None):
        def convert(name):
            if isinstance(name, (list, tuple)):
                return tuple(convert(n) for n in name)
            wanted = is_fen_field(self.model, name) if fen_names is None else name in fen_names
            return yuan_column(self.model, name) if wanted else name

        return [convert(name) for name in names]

    def _yuan_get_readonly_fields(self, names, request, obj=None):
        return self._in_yuan(names)

    def _yuan_get_fields(self, names, request, obj=None):
        return self._in_yuan(names, self._fen_readonly(request, obj))

    def _yuan_get_fieldsets(self, fieldsets, request, obj=None):
        fen = self._fen_readonly(request, obj)
        if not fen:
            return fieldsets
        return [
            (name, {**options, "fields": self._in_yuan(options["fields"], fen)})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        return self._in_yuan(super().get_readonly_fields(request, obj))

    def get_fields(self, request, obj=None):
        return self._yuan_get_fields(super().get_fields(request, obj), request, obj)

    def get_fieldsets(self, request, obj=None):
        return self._yuan_get_fieldsets(super().get_fieldsets(request, obj), request, obj)

    def get_exclude(self, request, obj=None):
        # The read-only fen fields are shown by their yuan columns, never as inputs.
        fen = self._fen_readonly(request, obj)
        excluded = super().get_exclude(request, obj)
        return [*(excluded or ()), *sorted(fen)] if fen else excluded

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_fen_field(self.model, db_field.name) and not db_field.choices:
            kwargs["form_class"] = YuanFormField
            formfield = db_field.formfield(**kwargs)
            formfield.label = yuan_label(db_field.verbose_name, True)
            return formfield
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _in_yuan_wrapper(method: str, own):
    @functools.wraps(own)
    def in_yuan(self, request, *args, **kwargs):
        convert = getattr(self, f"_yuan_{method}")
        return convert(own(self, request, *args, **kwargs), request, *args, **kwargs)

    in_yuan.in_yuan = True
    return in_yuan


class ListYuanMixin(YuanAdminMixin):
    _in_yuan_methods = (*YuanAdminMixin._in_yuan_methods, "get_list_display")

    def _yuan_get_list_display(self, names, request):
        return self._in_yuan(names)

    def get_list_display(self, request):
        return self._in_yuan(super().get_list_display(request))


class ModelAdmin(ListYuanMixin, admin.ModelAdmin):
    """The project's ModelAdmin: money in yuan."""


class TabularInline(YuanAdminMixin, admin.TabularInline):
    """The project's tabular inline: money in yuan."""


class StackedInline(YuanAdminMixin, admin.StackedInline):
    """The project's stacked inline: money in yuan."""


# Amount ranges of the lists' yuan filters: (from, to) in yuan, to excluded; None is open.
YUAN_RANGES: tuple[tuple[int, int | None], ...] = (
    (0, 100),
    (100, 500),
    (500, 2_000),
    (2_000, 10_000),
    (10_000, None),
)


def yuan_range_filter(field_name: str, title) -> type[admin.SimpleListFilter]:
    """A list filter by the amount ``field_name`` (fen) in ranges named in yuan."""

    class YuanRangeFilter(admin.SimpleListFilter):
        parameter_name = f"{field_name.removesuffix(FEN_SUFFIX)}_yuan"

        def lookups(self, request, model_admin):
            choices = []
            for low, high in YUAN_RANGES:
                low_text = Money(low * 100).format()
                if high is None:
                    label = _("%(low)s 及以上") % {"low": low_text}
                else:
                    label = f"{low_text} – {Money(high * 100).format()}"
                choices.append((f"{low}-{'' if high is None else high}", label))
            return choices

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            low, _sep, high = value.partition("-")
            try:
                low_fen = int(low) * 100
                high_fen = int(high) * 100 if high else None
            except ValueError:
                return queryset
            queryset = queryset.filter(**{f"{field_name}__gte": low_fen})
            if high_fen is not None:
                queryset = queryset.filter(**{f"{field_name}__lt": high_fen})
            return queryset

    YuanRangeFilter.title = title
    YuanRangeFilter.__name__ = f"YuanRangeFilter_{field_name}"
    return YuanRangeFilter


@admin.register(AuditEvent)
class AuditEventAdmin(ModelAdmin):
    list_display = ("at", "action", "target_type", "target_id", "from_state", "to_state", "actor")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "reason")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(ModelAdmin):
    """Queued work (notification deliveries, refunds, reconciliation): read-only."""

    list_display = ("name", "run_at", "attempts", "done_at", "failed_at", "short_error")
    list_filter = ("name",)
    search_fields = ("name", "key")
    readonly_fields = [f.name for f in Job._meta.fields]

    @admin.display(description=_("最近的错误"))
    def short_error(self, job):
        return (job.last_error or "")[-80:]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
