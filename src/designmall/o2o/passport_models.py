"""The design-week passport (设计周护照): a visitor's stamps, the operators' routes and the
rewards for completing them. The rules are in ``o2o.passport`` and ``o2o.passport_rules``.

One passport per visitor (made on first use). A stamp comes from a booth (its tablet's
rotating code, scanned by the visitor) or from an event (the visitor's ticket checked in
at its door): one per booth and one per event per visitor, held by partial unique indexes.
A reward is granted once per visitor (``RewardGrant`` unique per reward and passport).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual
from designmall.core.fields import PublicIdField
from designmall.core.ids import SHORT_CODE_LENGTH
from designmall.orders.rules import format_pickup_code

__all__ = [
    "GrantStatus",
    "Passport",
    "Reward",
    "RewardGrant",
    "RewardKind",
    "Route",
    "Stamp",
    "StampSource",
]


class Passport(models.Model):
    """A visitor's design-week passport."""

    public_id = PublicIdField(prefix="pp")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="passport",
        verbose_name=_("用户"),
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("设计周护照")
        verbose_name_plural = _("设计周护照")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.public_id} · {self.user}"


class StampSource(models.TextChoices):
    BOOTH = "booth", _("展位打卡")
    CHECKIN = "checkin", _("活动入场")


class Stamp(models.Model):
    """A stamp in a passport: a booth visited (with the code's step) or an event entered
    (with the ticket that entered)."""

    passport = models.ForeignKey(
        Passport, on_delete=models.CASCADE, related_name="stamps", verbose_name=_("护照")
    )
    source = models.CharField(_("来源"), max_length=8, choices=StampSource.choices)
    booth = models.ForeignKey(
        "o2o.Booth",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stamps",
        verbose_name=_("展位"),
    )
    step = models.BigIntegerField(_("动态码时段"), null=True, blank=True)
    event = models.ForeignKey(
        "events.Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stamps",
        verbose_name=_("活动"),
    )
    ticket = models.ForeignKey(
        "events.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("电子票"),
    )
    stamped_at = models.DateTimeField(_("盖章时间"), db_index=True)

    class Meta:
        verbose_name = _("印章")
        verbose_name_plural = _("印章")
        ordering = ["-stamped_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="booth", booth__isnull=False, event__isnull=True)
                | Q(source="checkin", event__isnull=False, booth__isnull=True),
                name="o2o_stamp_source_matches",
            ),
            models.UniqueConstraint(
                fields=["passport", "booth"],
                condition=Q(booth__isnull=False),
                name="o2o_stamp_once_per_booth",
            ),
            models.UniqueConstraint(
                fields=["passport", "event"],
                condition=Q(event__isnull=False),
                name="o2o_stamp_once_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.passport_id}: {self.booth_id or '-'}/{self.event_id or '-'}"


class Route(models.Model):
    """A route operators define (e.g. "玻璃之旅": five glass studios): booths and events,
    and how many stamps of them complete it (all when empty)."""

    public_id = PublicIdField(prefix="rt")
    name = bilingual(models.CharField, _("中文名称"), _("英文名称"), max_length=80)
    description = bilingual(
        models.CharField, _("中文说明"), _("英文说明"), max_length=300, blank=True
    )
    booths = models.ManyToManyField(
        "o2o.Booth", blank=True, related_name="routes", verbose_name=_("展位")
    )
    events = models.ManyToManyField(
        "events.Event", blank=True, related_name="routes", verbose_name=_("活动")
    )
    stamps_needed = models.PositiveSmallIntegerField(
        _("完成所需印章数"),
        null=True,
        blank=True,
        help_text=_("留空表示需要集齐路线上全部展位和活动的印章。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("护照路线")
        verbose_name_plural = _("护照路线")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RewardKind(models.TextChoices):
    COUPON = "coupon", _("优惠券")
    SEAT = "seat", _("讲座免费座位")
    GIFT = "gift", _("服务台礼品")


class Reward(models.Model):
    """What completing a route gives: a coupon (a promotions template), a free seat at a
    session (a lecture), or a gift collected at the information desk with a claim code."""

    public_id = PublicIdField(prefix="rw")
    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, related_name="rewards", verbose_name=_("路线")
    )
    kind = models.CharField(_("类型"), max_length=8, choices=RewardKind.choices)
    coupon_template = models.ForeignKey(
        "promotions.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("优惠券"),
    )
    session = models.ForeignKey(
        "events.Session",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("场次"),
    )
    gift = bilingual(models.CharField, _("中文礼品名"), _("英文礼品名"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("路线奖励")
        verbose_name_plural = _("路线奖励")
        ordering = ["route_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="coupon", coupon_template__isnull=False, session__isnull=True)
                | Q(kind="seat", session__isnull=False, coupon_template__isnull=True)
                | (
                    Q(kind="gift", coupon_template__isnull=True, session__isnull=True)
                    & ~Q(gift_zh="")
                ),
                name="o2o_reward_kind_matches",
            )
        ]

    def __str__(self) -> str:
        return f"{self.route} · {self.get_kind_display()}"


class GrantStatus(models.TextChoices):
    GRANTED = "granted", _("已发放")
    UNAVAILABLE = "unavailable", _("未能发放")


class RewardGrant(models.Model):
    """A reward given to a visitor, once (unique per reward and passport): the coupon or
    reservation it made, or the gift's claim code for the information desk; or why it
    could not be given (``unavailable``: the coupon ran out, the lecture was full)."""

    public_id = PublicIdField(prefix="rg")
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="grants", verbose_name=_("奖励")
    )
    passport = models.ForeignKey(
        Passport, on_delete=models.CASCADE, related_name="grants", verbose_name=_("护照")
    )
    status = models.CharField(_("状态"), max_length=12, choices=GrantStatus.choices)
    coupon = models.OneToOneField(
        "promotions.Coupon",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("优惠券"),
    )
    reservation = models.OneToOneField(
        "events.Reservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("预约"),
    )
    claim_code = models.CharField(
        _("领取码"), max_length=SHORT_CODE_LENGTH, unique=True, null=True, blank=True
    )
    refusal = models.CharField(_("未发放原因"), max_length=40, blank=True)
    granted_at = models.DateTimeField(_("发放时间"))

    class Meta:
        verbose_name = _("奖励发放")
        verbose_name_plural = _("奖励发放")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reward", "passport"], name="o2o_reward_once_per_visitor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reward} → {self.passport_id} ({self.status})"

    @property
    def claim_code_printed(self) -> str:
        return format_pickup_code(self.claim_code) if self.claim_code else ""
