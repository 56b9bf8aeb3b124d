"""The audience award (人气奖): an operator's award with its voting window and categories;
visitors checked in at the show vote for one exhibit per category.

A category's exhibits are those listed by hand plus the product exhibits whose product is
in one of its catalog categories (or below). A vote records the device it came from (the
``dm_vid`` first-party cookie) and carries the flags ``votes_rules`` raises for the
operator; flagged votes are left out of the public leaderboard.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual
from designmall.core.fields import PublicIdField


class Award(models.Model):
    public_id = PublicIdField(prefix="awd")
    name = bilingual(
        models.CharField, _("中文名称"), _("英文名称"), max_length=60, en_max_length=100
    )
    description = bilingual(models.TextField, _("中文介绍"), _("英文介绍"), blank=True)
    opens_at = models.DateTimeField(_("投票开始"))
    closes_at = models.DateTimeField(_("投票截止"))
    is_published = models.BooleanField(_("对观众公开"), default=True)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("人气奖")
        verbose_name_plural = _("人气奖")
        ordering = ["-opens_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="o2o_award_window"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AwardCategory(models.Model):
    public_id = PublicIdField(prefix="awc")
    award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="categories", verbose_name=_("人气奖")
    )
    name = bilingual(
        models.CharField, _("中文名称"), _("英文名称"), max_length=60, en_max_length=100
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    exhibits = models.ManyToManyField(
        "o2o.Exhibit", blank=True, related_name="award_categories", verbose_name=_("参评展品")
    )
    catalog_categories = models.ManyToManyField(
        "catalog.Category",
        blank=True,
        related_name="+",
        verbose_name=_("参评商品分类"),
        help_text=_("这些分类（含下级分类）商品的展品都参评。"),
    )

    class Meta:
        verbose_name = _("人气奖类别")
        verbose_name_plural = _("人气奖类别")
        ordering = ["award_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.award.name} · {self.name}"


class Vote(models.Model):
    """A visitor's vote in a category: one per visitor and category (changed in place until
    voting closes)."""

    category = models.ForeignKey(
        AwardCategory, on_delete=models.PROTECT, related_name="votes", verbose_name=_("类别")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="award_votes",
        verbose_name=_("投票人"),
    )
    exhibit = models.ForeignKey(
        "o2o.Exhibit", on_delete=models.PROTECT, related_name="votes", verbose_name=_("展品")
    )
    visitor_id = models.CharField(_("设备标识"), max_length=40, blank=True)
    flag_same_device = models.BooleanField(_("同一设备多账号"), default=False)
    flag_bulk_accounts = models.BooleanField(_("批量注册账号"), default=False)
    cast_at = models.DateTimeField(_("首次投票时间"))
    changed_at = models.DateTimeField(_("最近更改时间"))
    changes = models.PositiveIntegerField(_("更改次数"), default=0)

    class Meta:
        verbose_name = _("投票")
        verbose_name_plural = _("投票")
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "voter"], name="o2o_vote_once_per_category")
        ]
        indexes = [
            models.Index(fields=["category", "exhibit"], name="o2o_vote_category_exhibit"),
            models.Index(fields=["category", "visitor_id"], name="o2o_vote_category_device"),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} → {self.exhibit_id} ({self.category_id})"

    @property
    def flagged(self) -> bool:
        return self.flag_same_device or self.flag_bulk_accounts
