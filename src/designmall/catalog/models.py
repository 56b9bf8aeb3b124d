from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from designmall.core.bilingual import bilingual, pick
from designmall.core.fields import PublicIdField, SafeImageField
from designmall.core.money import format_fen


class Origin(models.TextChoices):
    DOMESTIC = "domestic", _("国内")
    INTERNATIONAL = "international", _("国际")


class Designer(models.Model):
    public_id = PublicIdField(prefix="d")
    name = bilingual(models.CharField, _("中文名"), _("英文名"), max_length=100)
    bio = bilingual(models.TextField, _("中文简介"), _("英文简介"), blank=True)
    country = models.CharField(_("国家/地区代码"), max_length=2, default="CN")
    is_renowned = models.BooleanField(_("知名设计师"), default=False, db_index=True)
    portrait = SafeImageField(_("头像"), upload_to="designers/", blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("设计师")
        verbose_name_plural = _("设计师")
        ordering = ["name_en", "id"]

    def __str__(self) -> str:
        return self.name


class ShopStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已开通")
    REJECTED = "rejected", _("已驳回")
    SUSPENDED = "suspended", _("已暂停")


class Shop(models.Model):
    public_id = PublicIdField(prefix="s")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="shops",
        verbose_name=_("店主"),
    )
    designer = models.ForeignKey(
        Designer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shops",
        verbose_name=_("设计师"),
    )
    name = bilingual(models.CharField, _("中文店名"), _("英文店名"), max_length=100)
    description = bilingual(models.TextField, _("中文介绍"), _("英文介绍"), blank=True)
    country = models.CharField(_("国家/地区代码"), max_length=2, default="CN")
    status = models.CharField(
        _("状态"), max_length=16, choices=ShopStatus.choices, default=ShopStatus.PENDING
    )
    reject_reason = models.TextField(_("驳回原因"), blank=True)
    # Platform commission in basis points (1/100 of a percent): 800 = 8%.
    commission_bp = models.PositiveIntegerField(_("佣金（基点）"), default=800)
    created_at = models.DateTimeField(_("申请时间"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审核人"),
    )

    class Meta:
        verbose_name = _("店铺")
        verbose_name_plural = _("店铺")
        ordering = ["name_en", "id"]
        permissions = [("review_shop", "Can approve or reject shops")]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_bp__lte=10000), name="shop_commission_bp_le_100pct"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == ShopStatus.APPROVED


class Category(models.Model):
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级类目"),
    )
    slug = models.SlugField(_("标识"), max_length=60, unique=True)
    name = bilingual(models.CharField, _("中文名"), _("英文名"), max_length=60, en_blank=False)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("分类")
        verbose_name_plural = _("分类")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING_REVIEW = "pending_review", _("待审核")
    LIVE = "live", _("在售")
    DELISTED = "delisted", _("已下架")


class Product(models.Model):
    public_id = PublicIdField(prefix="p")
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="products", verbose_name=_("店铺")
    )
    designer = models.ForeignKey(
        Designer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
        verbose_name=_("设计师"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("类目")
    )
    title = bilingual(models.CharField, _("中文标题"), _("英文标题"), max_length=120)
    description = bilingual(models.TextField, _("中文描述"), _("英文描述"), blank=True)
    origin = models.CharField(
        _("产地"), max_length=16, choices=Origin.choices, default=Origin.DOMESTIC
    )
    country = models.CharField(_("国家/地区代码"), max_length=2, default="CN")
    status = models.CharField(
        _("状态"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    moderation_note = models.TextField(_("审核意见"), blank=True)
    # Kept from the active SKUs (the price by catalog services, the stock flag
    # by inventory through ``product_availability_set``), so lists and search
    # can filter and sort without joining SKUs.
    price_min_fen = models.BigIntegerField(_("最低价（分）"), null=True, blank=True)
    in_stock = models.BooleanField(_("有货"), default=False)
    # The most units one buyer may have in paid and unpaid orders of it (None: no limit),
    # enforced at checkout (orders.checkout).
    per_buyer_limit = models.PositiveIntegerField(_("每位买家限购（件）"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    published_at = models.DateTimeField(_("上架时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["-published_at", "-id"]
        permissions = [("moderate_product", "Can approve, reject and delist products")]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="product_live_newest"),
            models.Index(fields=["status", "price_min_fen"], name="product_live_price"),
            models.Index(fields=["status", "category"], name="product_live_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(per_buyer_limit__isnull=True) | Q(per_buyer_limit__gt=0),
                name="product_per_buyer_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def price_display(self) -> str:
        return format_fen(self.price_min_fen)

    @property
    def is_sellable(self) -> bool:
        return self.status == ProductStatus.LIVE and self.shop.is_open


class Sku(models.Model):
    public_id = PublicIdField(prefix="k")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("商品")
    )
    code = models.CharField(_("货号"), max_length=40)
    # e.g. {"颜色": "胡桃木", "尺寸": "L"}: option name → value, in Chinese (the SKU's identity).
    attributes = models.JSONField(_("规格"), default=dict, blank=True)
    # Their English, keyed by the Chinese option name: {"颜色": ["Colour", "Walnut"]}. An
    # option without one (or with an empty half) shows its Chinese text.
    attributes_en = models.JSONField(_("英文规格"), default=dict, blank=True)
    price_fen = models.BigIntegerField(_("价格（分）"))
    is_active = models.BooleanField(_("可售"), default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKU")
        ordering = ["price_fen", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="sku_price_positive"),
            models.UniqueConstraint(fields=["product", "code"], name="sku_code_unique_per_product"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}".strip()

    def options_in(self, language: str | None = None) -> list[tuple[str, str]]:
        """The (option name, value) pairs in ``language`` (by default the active one),
        each half falling back to Chinese."""
        pairs = []
        for name, value in self.attributes.items():
            english = self.attributes_en.get(name) or ["", ""]
            pairs.append(
                (
                    str(pick(name, english[0], language=language)),
                    str(pick(value, english[1], language=language)),
                )
            )
        return pairs

    @property
    def options(self) -> list[tuple[str, str]]:
        return self.options_in()

    def label_in(self, language: str | None = None) -> str:
        """The option values joined ("原木色 / L"), in ``language`` (default: active)."""
        return " / ".join(value for _name, value in self.options_in(language))

    @property
    def label(self) -> str:
        return self.label_in()

    @property
    def price_display(self) -> str:
        return format_fen(self.price_fen)


class ProductImage(models.Model):
    public_id = PublicIdField(prefix="img")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("商品")
    )
    image = SafeImageField(_("图片"), upload_to="products/%Y/%m/")
    alt = models.CharField(_("说明"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.image.name
