"""The back office's audience award: operators set up awards with their categories (the
exhibits taking part, by hand or by catalog category; the voting window), see each
category's leaderboard with the flagged votes beside the counted ones, and review the
flagged votes with their reasons. Changes go through ``o2o.votes``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from designmall.core.admin import ModelAdmin, StackedInline
from designmall.core.errors import DomainError
from designmall.o2o import votes
from designmall.o2o.votes_models import Award, AwardCategory, Vote

STATES = {
    "scheduled": _("尚未开始"),
    "open": _("投票进行中"),
    "closed": _("投票已截止"),
}


class AwardForm(forms.ModelForm):
    class Meta:
        model = Award
        fields = (
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "opens_at",
            "closes_at",
            "is_published",
        )

    def clean(self):
        data = super().clean()
        try:
            votes.award_check(opens_at=data.get("opens_at"), closes_at=data.get("closes_at"))
        except DomainError as exc:
            if not self.errors:
                raise forms.ValidationError({"closes_at": exc.message}) from None
        return data


class AwardCategoryInline(StackedInline):
    model = AwardCategory
    extra = 1
    can_delete = False  # votes point at it
    fields = ("name_zh", "name_en", "position", "exhibits", "catalog_categories")
    autocomplete_fields = ("exhibits", "catalog_categories")


@admin.register(Award)
class AwardAdmin(ModelAdmin):
    form = AwardForm
    list_display = ("name_zh", "name_en", "opens_at", "closes_at", "state", "is_published")
    list_filter = ("is_published",)
    search_fields = ("name_zh", "name_en", "public_id")
    inlines = [AwardCategoryInline]

    def has_delete_permission(self, request, obj=None):
        return False  # votes point at it: unpublish instead

    @admin.display(description=_("状态"))
    def state(self, award):
        return STATES[votes.award_state(award)]

    def save_model(self, request, obj, form, change):
        votes.award_save(award=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        for category in formset.save(commit=False):
            votes.award_category_save(category=category, by=request.user)
        formset.save_m2m()


@admin.register(AwardCategory)
class AwardCategoryAdmin(ModelAdmin):
    """Read-only here (change a category on its award's page): the leaderboard as the
    operator sees it."""

    list_display = ("name_zh", "name_en", "award", "counted_votes", "flagged_votes")
    list_filter = ("award",)
    list_select_related = ("award",)
    search_fields = ("name_zh", "name_en", "public_id")
    fields = ("public_id", "award", "name_zh", "name_en", "leaderboard")
    readonly_fields = fields
    actions = ["flags_refresh"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("计入票数"))
    def counted_votes(self, category):
        return category.votes.exclude(votes.FLAGGED).count()

    @admin.display(description=_("可疑票数"))
    def flagged_votes(self, category):
        return category.votes.filter(votes.FLAGGED).count()

    @admin.display(description=_("排行（含可疑票）"))
    def leaderboard(self, category):
        board = votes.leaderboard(category)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.rank,
                    board.exhibits[r.standing.exhibit].shown_title,
                    r.standing.votes,
                    r.standing.flagged,
                    r.standing.all_votes,
                )
                for r in board.ranked
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("名次"),
            _("展品"),
            _("计入票数"),
            _("可疑票数"),
            _("全部票数"),
            rows,
        )

    @admin.action(description=_("重新检查所选类别的可疑票"), permissions=["view"])
    def flags_refresh(self, request, queryset):
        changed = sum(votes.vote_flags_refresh(category=c) for c in queryset)
        messages.success(request, _("已重新检查，%(n)d 张票的标记有变化。") % {"n": changed})


class FlagFilter(admin.SimpleListFilter):
    title = _("可疑原因")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return (
            ("any", _("任一原因")),
            ("device", _("同一设备多账号")),
            ("bulk", _("批量注册账号")),
            ("none", _("未标记")),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.filter(votes.FLAGGED)
        if value == "device":
            return queryset.filter(flag_same_device=True)
        if value == "bulk":
            return queryset.filter(flag_bulk_accounts=True)
        if value == "none":
            return queryset.exclude(votes.FLAGGED)
        return queryset


@admin.register(Vote)
class VoteAdmin(ModelAdmin):
    """Votes, read-only; filter by "可疑原因" for the flagged ones and why."""

    list_display = (
        "voter",
        "category",
        "exhibit_title",
        "reasons",
        "visitor_id",
        "voter_joined",
        "changed_at",
    )
    list_filter = (FlagFilter, "category")
    list_select_related = ("voter", "category__award", "exhibit__product", "exhibit__lot")
    search_fields = ("voter__email", "visitor_id")
    readonly_fields = [f.name for f in Vote._meta.fields] + ["reasons"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("展品"))
    def exhibit_title(self, vote):
        return vote.exhibit.shown_title

    @admin.display(description=_("注册时间"), ordering="voter__date_joined")
    def voter_joined(self, vote):
        return vote.voter.date_joined

    @admin.display(description=_("可疑原因"))
    def reasons(self, vote):
        found = []
        if vote.flag_same_device:
            found.append(str(_("同一设备多账号")))
        if vote.flag_bulk_accounts:
            found.append(str(_("批量注册账号")))
        return " · ".join(found) or "-"
