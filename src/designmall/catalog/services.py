"""Catalog services: shops, products, SKUs and images. Each call is one transaction."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils.translation import gettext as _
from django_countries import countries

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.accounts.services import user_grant_role
from designmall.catalog import search
from designmall.catalog.models import (
    Category,
    Designer,
    Origin,
    Product,
    ProductImage,
    ProductStatus,
    Shop,
    ShopStatus,
    Sku,
)
from designmall.catalog.rules import (
    DOMESTIC_COUNTRY,
    OPERATOR_ACTIONS,
    REVIEWED_FIELDS,
    SELLER_ACTIONS,
    ProductAction,
    next_product_status,
    origin_agrees,
    origin_for_country,
)
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.core.images import intake_image
from designmall.core.jobs import enqueue

MAX_SKUS_PER_PRODUCT = 100
MAX_IMAGES_PER_PRODUCT = 12
MAX_PRICE_FEN = 100_000_000_00  # ¥100,000,000: more is a typo, not a product
# The most units of one SKU a seller may stock: inventory enforces it, the API's
# ``Stock`` type bounds input with it.
MAX_STOCK = 1_000_000


def _require(condition: bool, message: str, code: str) -> None:
    if not condition:
        raise ValidationFailed(message, code=code)


def _check_text(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(
            _("%(field)s 不能为空。") % {"field": field}, code="required", details={"field": field}
        )
    if len(value) > max_length:
        raise ValidationFailed(
            _("%(field)s 最多 %(n)d 个字符。") % {"field": field, "n": max_length},
            code="too_long",
            details={"field": field, "max_length": max_length},
        )
    return value


def _check_country(country: str) -> str:
    country = (country or "").strip().upper()
    _require(
        len(country) == 2 and country in countries,
        _("国家/地区代码须为两个字母（ISO 3166）。"),
        "invalid_country",
    )
    return country


# --- access -----------------------------------------------------------------------------


def shop_for_seller(*, user: User, shop_public_id: str | None = None) -> Shop:
    """The seller's own shop: the one named, else the current one (not a rejected
    application, newest first). Others' shops are 404."""
    shops = Shop.objects.filter(owner=user)
    if shop_public_id:
        shop = shops.filter(public_id=shop_public_id).first()
    else:
        shop = shops.exclude(status=ShopStatus.REJECTED).order_by("-id").first()
        shop = shop or shops.order_by("-id").first()
    if shop is None:
        raise NotFound(_("没有找到你的店铺。"), code="shop_not_found")
    return shop


def product_for_seller(*, user: User, product_public_id: str, lock: bool = False) -> Product:
    """A product of one of the user's shops; anyone else's product is 404."""
    products = Product.objects.select_related("shop")
    if lock:
        products = products.select_for_update()
    product = products.filter(public_id=product_public_id, shop__owner=user).first()
    if product is None:
        raise NotFound(_("没有找到这个商品。"), code="product_not_found")
    return product


def _require_operator(user: User) -> None:
    if not (user.is_superuser or user.has_role(Role.OPERATOR)):
        raise PermissionDenied(_("只有运营人员可以执行此操作。"), code="operator_only")


# --- shops ------------------------------------------------------------------------------


@transaction.atomic
def shop_apply(
    *,
    owner: User,
    name_zh: str,
    name_en: str = "",
    description_zh: str = "",
    description_en: str = "",
    country: str = "CN",
    designer: Designer | None = None,
) -> Shop:
    """A person applies to open a shop; an operator reviews the application."""
    if Shop.objects.filter(owner=owner).exclude(status=ShopStatus.REJECTED).exists():
        raise Conflict(_("你已经有一个店铺或正在审核的申请。"), code="shop_exists")
    shop = Shop.objects.create(
        owner=owner,
        designer=designer,
        name_zh=_check_text(name_zh, field="name_zh", max_length=100, required=True),
        name_en=_check_text(name_en, field="name_en", max_length=100),
        description_zh=_check_text(description_zh, field="description_zh", max_length=5000),
        description_en=_check_text(description_en, field="description_en", max_length=5000),
        country=_check_country(country),
        status=ShopStatus.PENDING,
        created_at=clock.now(),
    )
    audit_record(actor=owner, action="shop.applied", target=shop, to_state=shop.status)
    return shop


def _shop_transition(*, shop: Shop, by: User, to: str, allowed_from: set[str], reason: str = ""):
    _require_operator(by)
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    if shop.status not in allowed_from:
        raise InvalidTransition(
            _("店铺当前状态为「%(status)s」，不能执行此操作。")
            % {"status": shop.get_status_display()},
            details={"from": shop.status, "to": to},
        )
    before = shop.status
    shop.status = to
    shop.reject_reason = reason
    shop.reviewed_at = clock.now()
    shop.reviewed_by = by
    shop.save(update_fields=["status", "reject_reason", "reviewed_at", "reviewed_by"])
    audit_record(
        actor=by, action=f"shop.{to}", target=shop, from_state=before, to_state=to, reason=reason
    )
    # Opening or closing a shop changes which of its products are on sale.
    search.products_reindex(list(shop.products.values_list("id", flat=True)))
    return shop


@transaction.atomic
def shop_approve(*, shop: Shop, by: User, commission_bp: int | None = None) -> Shop:
    if commission_bp is not None:
        _require(0 <= commission_bp <= 10_000, _("佣金须在 0–100% 之间。"), "invalid_commission")
        Shop.objects.filter(pk=shop.pk).update(commission_bp=commission_bp)
    shop = _shop_transition(
        shop=shop, by=by, to=ShopStatus.APPROVED, allowed_from={ShopStatus.PENDING}
    )
    user_grant_role(user=shop.owner, role=Role.SELLER, by=by)
    return shop


@transaction.atomic
def shop_reject(*, shop: Shop, by: User, reason: str) -> Shop:
    reason = _check_text(reason, field="reason", max_length=1000, required=True)
    return _shop_transition(
        shop=shop, by=by, to=ShopStatus.REJECTED, allowed_from={ShopStatus.PENDING}, reason=reason
    )


@transaction.atomic
def shop_suspend(*, shop: Shop, by: User, reason: str) -> Shop:
    reason = _check_text(reason, field="reason", max_length=1000, required=True)
    return _shop_transition(
        shop=shop, by=by, to=ShopStatus.SUSPENDED, allowed_from={ShopStatus.APPROVED}, reason=reason
    )


@transaction.atomic
def shop_reinstate(*, shop: Shop, by: User) -> Shop:
    return _shop_transition(
        shop=shop, by=by, to=ShopStatus.APPROVED, allowed_from={ShopStatus.SUSPENDED}
    )


# --- products ---------------------------------------------------------------------------

PRODUCT_TEXT_LIMITS = {
    "title_zh": 120,
    "title_en": 120,
    "description_zh": 10000,
    "description_en": 10000,
}


PER_BUYER_LIMIT_MAX = 9999


def _check_per_buyer_limit(value: Any) -> int | None:
    """A per-buyer purchase limit: a whole number of units from 1, or None (no limit)."""
    if value is None or value == "":
        return None
    _require(
        isinstance(value, int)
        and not isinstance(value, bool)
        and 1 <= value <= PER_BUYER_LIMIT_MAX,
        _("每位买家限购数量须为 1 至 %(max)d 的整数，或留空表示不限购。")
        % {"max": PER_BUYER_LIMIT_MAX},
        "invalid_per_buyer_limit",
    )
    return value


def _clean_product_fields(fields: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name in PRODUCT_TEXT_LIMITS:
            clean[name] = _check_text(
                value, field=name, max_length=PRODUCT_TEXT_LIMITS[name], required=name == "title_zh"
            )
        elif name == "category":
            if not isinstance(value, Category):
                value = Category.objects.filter(slug=value).first()
            _require(value is not None, _("没有这个分类。"), "unknown_category")
            clean[name] = value
        elif name == "designer":
            if value is not None and not isinstance(value, Designer):
                value = Designer.objects.filter(public_id=value).first()
                _require(value is not None, _("没有这位设计师。"), "unknown_designer")
            clean[name] = value
        elif name == "origin":
            _require(value in Origin.values, _("产地须为国内或国际。"), "invalid_origin")
            clean[name] = value
        elif name == "country":
            clean[name] = _check_country(value)
        elif name == "per_buyer_limit":
            clean[name] = _check_per_buyer_limit(value)
        else:
            raise ValidationFailed(
                _("不能修改字段 %(field)s。") % {"field": name},
                code="unknown_field",
                details={"field": name},
            )
    return clean


def _origin_from_country(clean: dict[str, Any], *, country: str) -> None:
    """Set ``clean["origin"]`` from the product's country; an origin given that disagrees
    with it is refused (``origin_country_mismatch``)."""
    origin = origin_for_country(country)
    _require(
        clean.get("origin", origin) == origin,
        _("产地与国家/地区不一致：中国制造的商品为国内商品，其他国家/地区的为国际商品。"),
        "origin_country_mismatch",
    )
    clean["origin"] = origin


@transaction.atomic
def product_create(*, shop: Shop, by: User, **fields: Any) -> Product:
    """A seller drafts a product in their shop. It is sold only after review."""
    if shop.owner_id != by.pk:
        raise NotFound(_("没有找到你的店铺。"), code="shop_not_found")
    if shop.status != ShopStatus.APPROVED:
        raise Conflict(_("店铺开通后才能发布商品。"), code="shop_not_open")
    if "country" not in fields:
        # Made where the shop is, unless the origin says otherwise (a domestic product of a
        # shop abroad is made in China; an international one of a Chinese shop needs its
        # country named).
        origin = fields.get("origin")
        if origin is None or origin_agrees(origin, shop.country):
            fields["country"] = shop.country
        elif origin == Origin.DOMESTIC:
            fields["country"] = DOMESTIC_COUNTRY
    _require("title_zh" in fields, _("title_zh 不能为空。"), "required")
    _require("category" in fields, _("请选择分类。"), "required")
    _require("country" in fields, _("国际商品请填写产地所在的国家/地区。"), "country_required")
    clean = _clean_product_fields(fields)
    _origin_from_country(clean, country=clean["country"])
    now = clock.now()
    product = Product.objects.create(
        shop=shop, status=ProductStatus.DRAFT, created_at=now, updated_at=now, **clean
    )
    audit_record(actor=by, action="product.created", target=product, to_state=product.status)
    search.products_reindex([product.id])
    return product


@transaction.atomic
def product_update(*, product: Product, by: User, **fields: Any) -> Product:
    """A seller edits their product; a text change to a live product goes back to review."""
    product = product_for_seller(user=by, product_public_id=product.public_id, lock=True)
    clean = _clean_product_fields(fields)
    if "country" in clean or "origin" in clean:
        _origin_from_country(clean, country=clean.get("country", product.country))
    changed = {k for k, v in clean.items() if getattr(product, k) != v}
    if not changed:
        return product
    for name in changed:
        setattr(product, name, clean[name])
    before = product.status
    if product.status == ProductStatus.LIVE and changed & REVIEWED_FIELDS:
        product.status = next_product_status(before, ProductAction.EDIT_LIVE)
    product.updated_at = clock.now()
    product.save()
    audit_record(
        actor=by,
        action="product.updated",
        target=product,
        from_state=before,
        to_state=product.status,
        data={"fields": sorted(changed)},
    )
    search.products_reindex([product.id])
    return product


def _product_transition(
    *, product: Product, by: User, action: ProductAction, reason: str = ""
) -> Product:
    product = Product.objects.select_for_update().select_related("shop").get(pk=product.pk)
    is_owner = product.shop.owner_id == by.pk
    is_operator = by.is_superuser or by.has_role(Role.OPERATOR)
    if not (
        (is_owner and action in SELLER_ACTIONS) or (is_operator and action in OPERATOR_ACTIONS)
    ):
        if not is_owner and not is_operator:
            raise NotFound(_("没有找到这个商品。"), code="product_not_found")
        raise PermissionDenied(_("你不能对这个商品执行此操作。"), code="action_not_allowed")
    target = next_product_status(product.status, action)
    if target is None:
        raise InvalidTransition(
            _("商品当前状态为「%(status)s」，不能执行此操作。")
            % {"status": product.get_status_display()},
            details={"from": product.status, "action": action.value},
        )
    before = product.status
    now = clock.now()
    product.status = target
    product.updated_at = now
    if action in (ProductAction.REJECT, ProductAction.DELIST):
        product.moderation_note = reason
    elif action == ProductAction.APPROVE:
        product.moderation_note = ""
        product.published_at = product.published_at or now
    product.save(update_fields=["status", "updated_at", "moderation_note", "published_at"])
    audit_record(
        actor=by,
        action=f"product.{action.value}",
        target=product,
        from_state=before,
        to_state=target,
        reason=reason,
    )
    search.products_reindex([product.id])
    return product


@transaction.atomic
def product_submit(*, product: Product, by: User) -> Product:
    """Seller sends a draft (or a delisted product) for review; it needs a SKU and an image."""
    if not product.skus.filter(is_active=True).exists():
        raise ValidationFailed(_("提交审核前请至少添加一个可售 SKU。"), code="no_active_sku")
    return _product_transition(product=product, by=by, action=ProductAction.SUBMIT)


@transaction.atomic
def product_approve(*, product: Product, by: User) -> Product:
    if not product.shop.is_open:
        raise Conflict(_("店铺未开通，商品不能上架。"), code="shop_not_open")
    return _product_transition(product=product, by=by, action=ProductAction.APPROVE)


@transaction.atomic
def product_reject(*, product: Product, by: User, reason: str) -> Product:
    reason = _check_text(reason, field="reason", max_length=1000, required=True)
    return _product_transition(product=product, by=by, action=ProductAction.REJECT, reason=reason)


@transaction.atomic
def product_delist(*, product: Product, by: User, reason: str = "") -> Product:
    reason = _check_text(reason, field="reason", max_length=1000)
    return _product_transition(product=product, by=by, action=ProductAction.DELIST, reason=reason)


# --- SKUs -------------------------------------------------------------------------------


def _refresh_product_summary(product: Product) -> None:
    """Keep the product's lowest price equal to its active SKUs' (stock is inventory's)."""
    low = product.skus.filter(is_active=True).aggregate(low=Min("price_fen"))["low"]
    Product.objects.filter(pk=product.pk).update(price_min_fen=low)
    search.products_reindex([product.pk])


@transaction.atomic
def product_availability_set(*, product_id: int, in_stock: bool) -> bool:
    """Record whether the product has an active SKU with stock available.

    Inventory decides it (and calls this whenever it may have changed); the
    flag only serves lists and search. Returns whether the flag changed.
    """
    changed = (
        Product.objects.filter(pk=product_id).exclude(in_stock=in_stock).update(in_stock=in_stock)
    )
    if changed:
        search.product_in_stock_set(product_id, in_stock)
    return bool(changed)


def _clean_sku_fields(fields: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "code":
            clean[name] = _check_text(value, field="code", max_length=40, required=True)
        elif name == "price_fen":
            _require(
                isinstance(value, int)
                and not isinstance(value, bool)
                and 0 < value <= MAX_PRICE_FEN,
                _("价格须为 1 分至 1 亿元之间的整数（分）。"),
                "invalid_price",
            )
            clean[name] = value
        elif name == "attributes":
            _require(
                isinstance(value, dict)
                and len(value) <= 5
                and all(
                    isinstance(k, str)
                    and isinstance(v, str)
                    and 0 < len(k) <= 20
                    and 0 < len(v) <= 40
                    for k, v in value.items()
                ),
                _("规格最多 5 项，名称 20 字、取值 40 字以内。"),
                "invalid_attributes",
            )
            clean[name] = {k.strip(): v.strip() for k, v in value.items()}
        elif name == "attributes_en":
            _require(
                isinstance(value, dict)
                and len(value) <= 5
                and all(
                    isinstance(k, str)
                    and isinstance(v, list | tuple)
                    and len(v) == 2
                    and all(isinstance(half, str) for half in v)
                    and len(v[0].strip()) <= 40
                    and len(v[1].strip()) <= 60
                    for k, v in value.items()
                ),
                _("英文规格须对应中文规格名，每项为 [英文名, 英文取值]，40 字与 60 字以内。"),
                "invalid_attributes",
            )
            clean[name] = {k.strip(): [v[0].strip(), v[1].strip()] for k, v in value.items()}
        elif name == "is_active":
            _require(isinstance(value, bool), _("is_active 须为布尔值。"), "invalid")
            clean[name] = value
        else:
            raise ValidationFailed(
                _("不能修改字段 %(field)s。") % {"field": name},
                code="unknown_field",
                details={"field": name},
            )
    return clean


def _match_english(clean: dict[str, Any], attributes: dict[str, str]) -> None:
    """Refuse English options that name none of the SKU's Chinese ones (``attributes``)."""
    if "attributes_en" in clean:
        unknown = sorted(set(clean["attributes_en"]) - set(attributes))
        _require(
            not unknown,
            _("英文规格「%(name)s」没有对应的中文规格。") % {"name": "、".join(unknown)},
            "invalid_attributes",
        )


@transaction.atomic
def sku_create(*, product: Product, by: User, **fields: Any) -> Sku:
    """Add a SKU to the seller's product. Its stock is inventory's (``sku_create_with_stock``)."""
    product = product_for_seller(user=by, product_public_id=product.public_id, lock=True)
    _require(
        product.skus.count() < MAX_SKUS_PER_PRODUCT,
        _("每个商品最多 %(n)d 个 SKU。") % {"n": MAX_SKUS_PER_PRODUCT},
        "too_many_skus",
    )
    for required in ("code", "price_fen"):
        _require(required in fields, _("%(field)s 不能为空。") % {"field": required}, "required")
    clean = _clean_sku_fields(fields)
    _match_english(clean, clean.get("attributes", {}))
    if product.skus.filter(code=clean["code"]).exists():
        raise Conflict(_("这个货号已存在。"), code="sku_code_taken")
    sku = Sku.objects.create(product=product, **clean)
    audit_record(actor=by, action="sku.created", target=sku, data={"product": product.public_id})
    _refresh_product_summary(product)
    return sku


@transaction.atomic
def sku_update(*, sku: Sku, by: User, **fields: Any) -> Sku:
    """Change a SKU of the seller's product (not its stock: that is inventory's)."""
    product = product_for_seller(user=by, product_public_id=sku.product.public_id, lock=True)
    sku = Sku.objects.select_for_update().get(pk=sku.pk, product=product)
    clean = _clean_sku_fields(fields)
    attributes = clean.get("attributes", sku.attributes)
    _match_english(clean, attributes)
    if "attributes" in clean and "attributes_en" not in clean:
        kept = {k: v for k, v in sku.attributes_en.items() if k in attributes}
        if kept != sku.attributes_en:
            clean["attributes_en"] = kept
    if "code" in clean and product.skus.exclude(pk=sku.pk).filter(code=clean["code"]).exists():
        raise Conflict(_("这个货号已存在。"), code="sku_code_taken")
    before = {k: getattr(sku, k) for k in clean}
    for name, value in clean.items():
        setattr(sku, name, value)
    sku.save()
    audit_record(
        actor=by,
        action="sku.updated",
        target=sku,
        data={"before": before, "after": clean, "product": product.public_id},
    )
    _refresh_product_summary(product)
    return sku


def sku_for_seller(*, user: User, sku_public_id: str) -> Sku:
    sku = (
        Sku.objects.select_related("product__shop")
        .filter(public_id=sku_public_id, product__shop__owner=user)
        .first()
    )
    if sku is None:
        raise NotFound(_("没有找到这个 SKU。"), code="sku_not_found")
    return sku


# --- images -----------------------------------------------------------------------------


@transaction.atomic
def product_image_add(
    *, product: Product, by: User, upload: UploadedFile, alt: str = ""
) -> ProductImage:
    """Add an image to one of ``by``'s products, after image intake (``core.images``): only
    JPEG, PNG and WebP within the byte and pixel limits, re-encoded, under a random name."""
    product = product_for_seller(user=by, product_public_id=product.public_id, lock=True)
    _require(
        product.images.count() < MAX_IMAGES_PER_PRODUCT,
        _("每个商品最多 %(n)d 张图片。") % {"n": MAX_IMAGES_PER_PRODUCT},
        "too_many_images",
    )
    alt = _check_text(alt, field="alt", max_length=120)
    clean = intake_image(upload)
    position = (product.images.aggregate(m=Max("position"))["m"] or 0) + 1
    image = ProductImage.objects.create(
        product=product, image=clean.as_file(), alt=alt, position=position
    )
    audit_record(actor=by, action="product.image_added", target=product)
    return image


@transaction.atomic
def product_image_remove(*, product: Product, by: User, image_public_id: str) -> None:
    product = product_for_seller(user=by, product_public_id=product.public_id, lock=True)
    deleted, _rows = product.images.filter(public_id=image_public_id).delete()
    if not deleted:
        raise NotFound(_("没有找到这张图片。"), code="image_not_found")
    audit_record(actor=by, action="product.image_removed", target=product)


# --- names shown in search results --------------------------------------------------------

REINDEX_NAMES_JOB = "catalog.reindex_names"
_NAME_OWNERS = ("designer", "shop", "category")


def names_changed(*, owner: str, owner_id: int) -> None:
    """A designer's, shop's or category's names changed: their products' search entries
    (which hold those names) are rebuilt by the worker, after this transaction commits."""
    if owner not in _NAME_OWNERS:
        raise ValueError(f"not a name owner: {owner!r}")
    enqueue(REINDEX_NAMES_JOB, {"owner": owner, "id": int(owner_id)})


def products_showing_names_of(*, owner: str, owner_id: int) -> list[int]:
    """Ids of the products whose search entry holds the names of ``owner`` ``owner_id``
    (a category's names are also in its subcategories' products)."""
    if owner not in _NAME_OWNERS:
        raise ValueError(f"not a name owner: {owner!r}")
    condition = Q(**{f"{owner}_id": owner_id})
    if owner == "category":
        condition |= Q(category__parent_id=owner_id)
    return list(Product.objects.filter(condition).order_by("id").values_list("id", flat=True))
