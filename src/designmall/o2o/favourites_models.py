"""Favourites (收藏) at the show: a visitor keeps an exhibit (and through it its product or
lot) to come back to; one row per visitor and exhibit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Favourite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="show_favourites",
        verbose_name=_("用户"),
    )
    exhibit = models.ForeignKey(
        "o2o.Exhibit",
        on_delete=models.CASCADE,
        related_name="favourites",
        verbose_name=_("展品"),
    )
    created_at = models.DateTimeField(_("收藏时间"))

    class Meta:
        verbose_name = _("展品收藏")
        verbose_name_plural = _("展品收藏")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "exhibit"], name="o2o_favourite_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.exhibit_id}"
