"""At the show: booths of approved shops in the design week's venues, and their exhibits.

Every booth and exhibit has a short public code (``code``, 10 characters of Crockford
base32, 50 random bits): its printed QR code points to ``/o/b/<code>`` or ``/o/e/<code>``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import Bilingual, pick
from designmall.core.fields import PublicIdField
from designmall.core.ids import SHORT_CODE_LENGTH, new_short_code


def new_code() -> str:
    """The default of a booth's or exhibit's short code (a migration names this function)."""
    return new_short_code()


class BoothStatus(models.TextChoices):
    ACTIVE = "active", _("使用中")
    WITHDRAWN = "withdrawn", _("已撤展")


class Booth(models.Model):
    """A place at the show an operator gives an approved shop: venue, hall, booth number
    and opening hours (the days and the daily hours)."""

    public_id = PublicIdField(prefix="bth")
    code = models.CharField(
        _("短码"), max_length=SHORT_CODE_LENGTH, unique=True, default=new_code, editable=False
    )
    shop = models.ForeignKey(
        "catalog.Shop", on_delete=models.PROTECT, related_name="booths", verbose_name=_("店铺")
    )
    venue = models.ForeignKey(
        "events.Venue", on_delete=models.PROTECT, related_name="booths", verbose_name=_("场馆")
    )
    hall = models.ForeignKey(
        "events.Hall",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="booths",
        verbose_name=_("展厅"),
    )
    number = models.CharField(_("展位号"), max_length=20)
    opens_on = models.DateField(_("首日"))
    closes_on = models.DateField(_("末日"))
    opens_at = models.TimeField(_("每日开放"))
    closes_at = models.TimeField(_("每日关闭"))
    status = models.CharField(
        _("状态"), max_length=12, choices=BoothStatus.choices, default=BoothStatus.ACTIVE
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("分配人"),
    )
    created_at = models.DateTimeField(_("分配时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("展位")
        verbose_name_plural = _("展位")
        ordering = ["venue_id", "number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["venue", "number"],
                condition=Q(status="active"),
                name="o2o_booth_number_once_per_venue",
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="o2o_booth_days"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="o2o_booth_hours"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue.name} {self.number} · {self.shop.name}"


class ExhibitKind(models.TextChoices):
    PRODUCT = "product", _("在售商品")
    LOT = "lot", _("拍品")
    SHOWN = "shown", _("仅展示")


class Exhibit(models.Model):
    """A piece a seller shows at its booth (展品): a catalog product, an auction lot, or a
    piece shown only; with a short story in both languages."""

    public_id = PublicIdField(prefix="exh")
    code = models.CharField(
        _("短码"), max_length=SHORT_CODE_LENGTH, unique=True, default=new_code, editable=False
    )
    booth = models.ForeignKey(
        Booth, on_delete=models.PROTECT, related_name="exhibits", verbose_name=_("展位")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=ExhibitKind.choices)
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exhibits",
        verbose_name=_("商品"),
    )
    lot = models.ForeignKey(
        "auctions.Lot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exhibits",
        verbose_name=_("拍品"),
    )
    # A product's or lot's own title is used when these are empty.
    title = Bilingual(
        models.CharField(_("中文名称"), max_length=120, blank=True),
        models.CharField(_("英文名称"), max_length=160, blank=True),
    )
    story = Bilingual(
        models.TextField(_("中文故事"), max_length=500, blank=True),
        models.TextField(_("英文故事"), max_length=1000, blank=True),
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("展出中"), default=True)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("展品")
        verbose_name_plural = _("展品")
        ordering = ["booth_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="product", product__isnull=False, lot__isnull=True)
                    | Q(kind="lot", lot__isnull=False, product__isnull=True)
                    | (Q(kind="shown", product__isnull=True, lot__isnull=True) & ~Q(title_zh=""))
                ),
                name="o2o_exhibit_kind_matches",
            ),
            models.UniqueConstraint(
                fields=["booth", "product"],
                condition=Q(is_active=True, product__isnull=False),
                name="o2o_exhibit_product_once_per_booth",
            ),
            models.UniqueConstraint(
                fields=["booth", "lot"],
                condition=Q(is_active=True, lot__isnull=False),
                name="o2o_exhibit_lot_once_per_booth",
            ),
        ]

    def __str__(self) -> str:
        return self.shown_title

    @property
    def title_zh_shown(self) -> str:
        if self.title_zh:
            return self.title_zh
        source = self.product or self.lot
        return source.title_zh if source else ""

    @property
    def title_en_shown(self) -> str:
        if self.title_en:
            return self.title_en
        source = self.product or self.lot
        return source.title_en if source else ""

    @property
    def shown_title(self) -> str:
        """The exhibit's own title in the active language, else its product's or lot's."""
        return pick(self.title_zh_shown, self.title_en_shown)


class ScanVisit(models.Model):
    """A scan of a booth's or exhibit's code: the page it opened, by whom, when. A visitor
    not logged in is known by a first-party cookie id (``visitor_id``); their scans join
    their account when they log in with that browser. Visitors may clear their own."""

    booth = models.ForeignKey(
        Booth, on_delete=models.CASCADE, related_name="scans", verbose_name=_("展位")
    )
    exhibit = models.ForeignKey(
        Exhibit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scans",
        verbose_name=_("展品"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="show_scans",
        verbose_name=_("用户"),
    )
    visitor_id = models.CharField(_("访客标识"), max_length=40, blank=True, db_index=True)
    scanned_at = models.DateTimeField(_("扫码时间"), db_index=True)

    class Meta:
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")
        ordering = ["-scanned_at", "-id"]
        indexes = [models.Index(fields=["user", "scanned_at"], name="o2o_scan_user_time")]

    def __str__(self) -> str:
        return f"{self.booth_id}/{self.exhibit_id or '-'} @ {self.scanned_at:%Y-%m-%d %H:%M}"


class OrderSource(models.TextChoices):
    OFFLINE = "offline", _("现场")
    ONLINE = "online", _("线上")


class OrderAttribution(models.Model):
    """Where an order came from, stored once per order: ``offline`` with the booth (and
    exhibit) of the buyer's last scan of the shop within the window before the order, or
    ``online``. Booth, exhibit and scan time are copied: a visitor may clear their scans."""

    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.CASCADE,
        related_name="attribution",
        verbose_name=_("订单"),
    )
    source = models.CharField(_("来源"), max_length=8, choices=OrderSource.choices)
    booth = models.ForeignKey(
        Booth,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attributed_orders",
        verbose_name=_("展位"),
    )
    exhibit = models.ForeignKey(
        Exhibit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attributed_orders",
        verbose_name=_("展品"),
    )
    scanned_at = models.DateTimeField(_("扫码时间"), null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(_("归因窗口（天）"))
    attributed_at = models.DateTimeField(_("归因时间"))

    class Meta:
        verbose_name = _("订单归因")
        verbose_name_plural = _("订单归因")
        constraints = [
            models.CheckConstraint(
                condition=Q(source="online", booth__isnull=True)
                | Q(source="offline", booth__isnull=False),
                name="o2o_attribution_source_matches",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.source}"


# The audience award and favourites live in their own modules.
from designmall.o2o import favourites_models, votes_models  # noqa: E402, F401
from designmall.o2o.passport_models import *  # noqa: E402, F403
from designmall.o2o.redemption_models import *  # noqa: E402, F403  (核销: booth pickups)
