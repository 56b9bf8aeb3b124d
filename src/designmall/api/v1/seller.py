"""The seller center: the caller's shop, its products, SKUs and images.

Everything is looked up through the caller's ownership: another seller's
shop, product or SKU is 404, exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    CategoryRef,
    CommissionBp,
    CountryCode,
    DesignerRef,
    ImageOut,
    Input,
    OptionalReasonIn,
    OriginValue,
    Page,
    PageQuery,
    PriceFen,
    ProductStatusValue,
    PublicId,
    ShopStatusValue,
    Slug,
    Stock,
    category_ref,
    designer_ref,
    image_out,
    page_out,
    text,
)
from designmall.api.v1.catalog import ShopOut, shop_out
from designmall.catalog.models import Product, Shop, Sku
from designmall.catalog.selectors import designer_by_public_id, products_of_seller
from designmall.catalog.services import (
    MAX_STOCK,
    PER_BUYER_LIMIT_MAX,
    product_create,
    product_delist,
    product_for_seller,
    product_image_add,
    product_image_remove,
    product_submit,
    product_update,
    shop_apply,
    shop_for_seller,
    sku_for_seller,
)
from designmall.core.errors import NotFound, ValidationFailed
from designmall.core.money import format_fen
from designmall.inventory.models import StockLevel
from designmall.inventory.selectors import available_by_sku, stock_of
from designmall.inventory.services import (
    sku_create_with_stock,
    sku_update_with_stock,
    stock_adjust,
)
from designmall.ledger.models import Payout
from designmall.ledger.selectors import payout_of_shop, payouts_of_shop, seller_statement
from designmall.orders.selectors import shop_in_escrow
from designmall.payments.payouts import payout_request

router = Router(tags=["seller"], auth=AUTHENTICATED)


# --- the shop -----------------------------------------------------------------------------


class SellerShopOut(ShopOut):
    """The public shop plus what only its owner (and operators) see."""

    status: ShopStatusValue
    commission_bp: CommissionBp
    reject_reason: str
    created_at: datetime
    reviewed_at: datetime | None


def seller_shop_out(shop: Shop) -> dict[str, Any]:
    return {
        **shop_out(shop),
        "status": shop.status,
        "commission_bp": shop.commission_bp,
        "reject_reason": shop.reject_reason,
        "created_at": shop.created_at,
        "reviewed_at": shop.reviewed_at,
    }


class ShopApplyIn(Input):
    name_zh: text(100, min_length=1)
    name_en: text(100) = ""
    description_zh: text(5000) = ""
    description_en: text(5000) = ""
    country: CountryCode = "CN"
    designer: PublicId | None = None


@router.post("/shop", response=with_errors({201: SellerShopOut}, 400, 401, 403, 409, 422))
def seller_shop_apply(request: HttpRequest, payload: ShopApplyIn):
    """Apply to open a shop. An operator reviews the application."""
    designer = None
    if payload.designer:
        try:
            designer = designer_by_public_id(public_id=payload.designer)
        except NotFound:
            raise ValidationFailed(
                _("没有这位设计师。"), code="unknown_designer", details={"field": "designer"}
            ) from None
    shop = shop_apply(
        owner=request.auth,
        name_zh=payload.name_zh,
        name_en=payload.name_en,
        description_zh=payload.description_zh,
        description_en=payload.description_en,
        country=payload.country,
        designer=designer,
    )
    return Status(201, seller_shop_out(shop))


@router.get("/shop", response=with_errors({200: SellerShopOut}, 401, 404))
def seller_shop_detail(request: HttpRequest):
    """The caller's shop and the state of its application."""
    return seller_shop_out(shop_for_seller(user=request.auth))


# --- settlement ---------------------------------------------------------------------------


class StatementEntryOut(Schema):
    at: datetime
    kind: str
    label: str
    amount_fen: int = Field(description="+ credited to the shop, - taken from it")
    amount_display: str
    order: str


class SettlementOut(Schema):
    shop: str
    balance_fen: int = Field(description="What the platform owes the shop now")
    balance_display: str
    in_escrow_orders: int
    in_escrow_fen: int = Field(
        description="Paid by buyers for orders not completed yet; released less commission"
    )
    in_escrow_display: str
    entries: list[StatementEntryOut]


@router.get("/settlement", response=with_errors({200: SettlementOut}, 401, 404))
def seller_settlement(request: HttpRequest):
    """The caller's shop balance, what its open orders hold in escrow, and its latest
    ledger movements, newest first."""
    shop = shop_for_seller(user=request.auth)
    statement = seller_statement(shop_public_id=shop.public_id)
    orders, held = shop_in_escrow(shop_id=shop.id)
    return {
        "shop": shop.public_id,
        "balance_fen": statement.balance_fen,
        "balance_display": format_fen(statement.balance_fen),
        "in_escrow_orders": orders,
        "in_escrow_fen": held,
        "in_escrow_display": format_fen(held),
        "entries": [
            {
                "at": e.at,
                "kind": e.kind,
                "label": e.label,
                "amount_fen": e.amount_fen,
                "amount_display": format_fen(e.amount_fen),
                "order": e.order,
            }
            for e in statement.entries
        ],
    }


# --- products -----------------------------------------------------------------------------


class SellerSkuOut(Schema):
    public_id: str
    code: str
    attributes: dict[str, str]
    # The English of each option, keyed by its Chinese name: {"颜色": ["Colour", "Black"]}.
    attributes_en: dict[str, list[str]]
    price_fen: int
    price_display: str
    # Units that can be bought now (held and sold ones are not counted).
    stock: int
    is_active: bool


def seller_sku_out(sku: Sku, available: int) -> dict[str, Any]:
    return {
        "public_id": sku.public_id,
        "code": sku.code,
        "attributes": sku.attributes,
        "attributes_en": sku.attributes_en,
        "price_fen": sku.price_fen,
        "price_display": format_fen(sku.price_fen),
        "stock": available,
        "is_active": sku.is_active,
    }


# A per-buyer purchase limit in units (catalog.services.PER_BUYER_LIMIT_MAX at most).
PerBuyerLimit = Annotated[int, Field(ge=1, le=PER_BUYER_LIMIT_MAX, strict=True)]


class SellerProductOut(Schema):
    public_id: str
    status: ProductStatusValue
    title_zh: str
    title_en: str
    origin: str
    country: str
    category: CategoryRef
    designer: DesignerRef | None
    price_fen: int | None
    price_display: str
    in_stock: bool
    per_buyer_limit: int | None = Field(
        description="The most units one buyer may have in paid and unpaid orders of it "
        "(null: no limit)."
    )
    moderation_note: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


def seller_product_out(product: Product) -> dict[str, Any]:
    return {
        "public_id": product.public_id,
        "status": product.status,
        "title_zh": product.title_zh,
        "title_en": product.title_en,
        "origin": product.origin,
        "country": product.country,
        "category": category_ref(product.category),
        "designer": designer_ref(product.designer),
        "price_fen": product.price_min_fen,
        "price_display": format_fen(product.price_min_fen),
        "in_stock": product.in_stock,
        "per_buyer_limit": product.per_buyer_limit,
        "moderation_note": product.moderation_note,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "published_at": product.published_at,
    }


class SellerProductDetailOut(SellerProductOut):
    description_zh: str
    description_en: str
    skus: list[SellerSkuOut]
    images: list[ImageOut]


def seller_product_detail_out(request: HttpRequest, product: Product) -> dict[str, Any]:
    skus = list(product.skus.all())
    available = available_by_sku(sku.id for sku in skus)
    return {
        **seller_product_out(product),
        "description_zh": product.description_zh,
        "description_en": product.description_en,
        "skus": [seller_sku_out(sku, available[sku.id]) for sku in skus],
        "images": [image_out(request, image) for image in product.images.all()],
    }


class SellerProductQuery(PageQuery):
    status: ProductStatusValue | None = None


@router.get("/products", response=with_errors({200: Page[SellerProductOut]}, 401, 422))
def seller_product_list(request: HttpRequest, query: Query[SellerProductQuery]):
    """The caller's products in any status (filter with ``status``), latest change first."""
    return page_out(
        products_of_seller(user=request.auth, status=query.status), query, seller_product_out
    )


class ProductCreateIn(Input):
    title_zh: text(120, min_length=1)
    title_en: text(120) = ""
    description_zh: text(10000) = ""
    description_en: text(10000) = ""
    category: Slug
    designer: PublicId | None = None
    # Left out: taken from the shop (domestic for a CN shop, else international).
    origin: OriginValue = None
    country: CountryCode = None
    per_buyer_limit: PerBuyerLimit | None = None


@router.post(
    "/products", response=with_errors({201: SellerProductDetailOut}, 400, 401, 403, 404, 409, 422)
)
def seller_product_create(request: HttpRequest, payload: ProductCreateIn):
    """Draft a product in the caller's (approved) shop. It is sold only after review."""
    product = product_create(
        shop=shop_for_seller(user=request.auth),
        by=request.auth,
        **payload.model_dump(exclude_unset=True),
    )
    return Status(201, seller_product_detail_out(request, product))


@router.get(
    "/products/{pid:public_id}", response=with_errors({200: SellerProductDetailOut}, 401, 404)
)
def seller_product_detail(request: HttpRequest, public_id: str):
    """One of the caller's products with all its SKUs (inactive too) and images."""
    product = product_for_seller(user=request.auth, product_public_id=public_id)
    return seller_product_detail_out(request, product)


class ProductUpdateIn(Input):
    # Only the fields sent are changed; ``designer: null`` removes the designer.
    title_zh: text(120, min_length=1) = None
    title_en: text(120) = None
    description_zh: text(10000) = None
    description_en: text(10000) = None
    category: Slug = None
    designer: PublicId | None = None
    origin: OriginValue = None
    country: CountryCode = None
    # ``null`` removes the limit.
    per_buyer_limit: PerBuyerLimit | None = None


@router.patch(
    "/products/{pid:public_id}",
    response=with_errors({200: SellerProductDetailOut}, 400, 401, 403, 404, 422),
)
def seller_product_update(request: HttpRequest, public_id: str, payload: ProductUpdateIn):
    """Change a product. Changing the text of a live product sends it back to review."""
    product = product_for_seller(user=request.auth, product_public_id=public_id)
    product = product_update(
        product=product, by=request.auth, **payload.model_dump(exclude_unset=True)
    )
    return seller_product_detail_out(request, product)


@router.post(
    "/products/{pid:public_id}/submit",
    response=with_errors({200: SellerProductDetailOut}, 401, 403, 404, 409, 422),
)
def seller_product_submit(request: HttpRequest, public_id: str):
    """Send a draft (or delisted) product for review; it needs an active SKU."""
    product = product_for_seller(user=request.auth, product_public_id=public_id)
    product = product_submit(product=product, by=request.auth)
    return seller_product_detail_out(request, product)


@router.post(
    "/products/{pid:public_id}/delist",
    response=with_errors({200: SellerProductDetailOut}, 400, 401, 403, 404, 409, 422),
)
def seller_product_delist(
    request: HttpRequest, public_id: str, payload: OptionalReasonIn | None = None
):
    """Take a live (or pending) product off sale. The body and its reason are optional."""
    product = product_for_seller(user=request.auth, product_public_id=public_id)
    product = product_delist(
        product=product, by=request.auth, reason=payload.reason if payload else ""
    )
    return seller_product_detail_out(request, product)


# --- SKUs ---------------------------------------------------------------------------------

SkuAttributes = dict[text(20, min_length=1), text(40, min_length=1)]
# The English of the options, keyed by the Chinese name: [English name, English value].
SkuAttributesEn = dict[
    text(20, min_length=1), Annotated[list[text(60)], Field(min_length=2, max_length=2)]
]


class SkuCreateIn(Input):
    code: text(40, min_length=1)
    price_fen: PriceFen
    stock: Stock = 0
    attributes: SkuAttributes = {}
    attributes_en: SkuAttributesEn = {}
    is_active: bool = True


@router.post(
    "/products/{pid:public_id}/skus",
    response=with_errors({201: SellerSkuOut}, 400, 401, 403, 404, 409, 422),
)
def seller_sku_create(request: HttpRequest, public_id: str, payload: SkuCreateIn):
    """Add a SKU (a sellable variant with its own price in fen and stock).

    ``stock`` is recorded as received goods.
    """
    product = product_for_seller(user=request.auth, product_public_id=public_id)
    sku = sku_create_with_stock(product=product, by=request.auth, **payload.model_dump())
    return Status(201, seller_sku_out(sku, payload.stock))


class SkuUpdateIn(Input):
    # Only the fields sent are changed.
    code: text(40, min_length=1) = None
    price_fen: PriceFen = None
    stock: Stock = None
    attributes: SkuAttributes = None
    attributes_en: SkuAttributesEn = None
    is_active: bool = None


@router.patch(
    "/skus/{pid:public_id}", response=with_errors({200: SellerSkuOut}, 400, 401, 403, 404, 409, 422)
)
def seller_sku_update(request: HttpRequest, public_id: str, payload: SkuUpdateIn):
    """Change a SKU of one of the caller's products.

    ``stock`` sets the units available now; the difference is recorded as a
    correction (to record a delivery or damage, use ``POST .../stock``).
    """
    sku = sku_for_seller(user=request.auth, sku_public_id=public_id)
    sku = sku_update_with_stock(sku=sku, by=request.auth, **payload.model_dump(exclude_unset=True))
    return seller_sku_out(sku, available_by_sku([sku.id])[sku.id])


# --- stock --------------------------------------------------------------------------------


class StockOut(Schema):
    sku: str
    received: int
    available: int
    held: int
    sold: int
    written_off: int


def stock_out(sku: Sku, level: StockLevel) -> dict[str, Any]:
    return {
        "sku": sku.public_id,
        "received": level.received,
        "available": level.available,
        "held": level.held,
        "sold": level.sold,
        "written_off": level.written_off,
    }


class StockAdjustIn(Input):
    # The change to the available units: positive for received goods, negative
    # for damaged ones, either for a correction of the count.
    delta: Annotated[int, Field(ge=-MAX_STOCK, le=MAX_STOCK)]
    reason: Literal["received", "damaged", "correction"]
    note: text(500) = ""


@router.get("/skus/{pid:public_id}/stock", response=with_errors({200: StockOut}, 401, 404))
def seller_stock_detail(request: HttpRequest, public_id: str):
    """The stock counters of one of the caller's SKUs.

    ``received = available + held + sold + written_off``: held units are in
    unpaid checkouts.
    """
    sku = sku_for_seller(user=request.auth, sku_public_id=public_id)
    return stock_out(sku, stock_of([sku.id])[sku.id])


@router.post(
    "/skus/{pid:public_id}/stock",
    response=with_errors({200: StockOut}, 400, 401, 403, 404, 409, 422),
)
def seller_stock_adjust(request: HttpRequest, public_id: str, payload: StockAdjustIn):
    """Adjust a SKU's available stock with a reason; the adjustment is recorded.

    ``received``: goods came in (delta > 0). ``damaged``: units are written off
    (delta < 0). ``correction``: the count was wrong (either sign). Taking
    more than is available is 409 ``insufficient_stock``.
    """
    sku = sku_for_seller(user=request.auth, sku_public_id=public_id)
    stock_adjust(
        sku=sku, delta=payload.delta, reason=payload.reason, note=payload.note, by=request.auth
    )
    return stock_out(sku, stock_of([sku.id])[sku.id])


# --- images -------------------------------------------------------------------------------


@router.post(
    "/products/{pid:public_id}/images",
    response=with_errors({201: ImageOut}, 400, 401, 403, 404, 413, 422),
)
def seller_image_upload(
    request: HttpRequest,
    public_id: str,
    image: File[UploadedFile],
    alt: str = Form("", max_length=120, pattern=r"^[^\x00]*$"),
):
    """Upload a product image (multipart form: ``image`` file, optional ``alt`` text).

    At most 12 per product. The picture must be JPEG, PNG or WebP by its content (the
    name and content type sent are ignored), at most ``MAX_IMAGE_BYTES`` (5 MB) and
    ``IMAGE_MAX_PIXELS`` (40 megapixels); it is re-encoded (metadata and anything after the
    image dropped, orientation applied) and stored under a new random name. Refusals are 422
    with code ``image_too_large``, ``image_format_not_allowed`` or ``invalid_image``.
    """
    product = product_for_seller(user=request.auth, product_public_id=public_id)
    added = product_image_add(product=product, by=request.auth, upload=image, alt=alt)
    return Status(201, image_out(request, added))


@router.delete(
    "/products/{pid:public_id}/images/{pid:image_id}",
    response=with_errors({204: None}, 401, 403, 404),
)
def seller_image_delete(request: HttpRequest, public_id: str, image_id: str):
    """Remove an image of one of the caller's products."""
    product = product_for_seller(user=request.auth, product_public_id=public_id)
    product_image_remove(product=product, by=request.auth, image_public_id=image_id)
    return HttpResponse(status=204)


# --- payouts ------------------------------------------------------------------------------

PayoutStatusValue = Literal["requested", "approved", "paid", "failed", "rejected"]


class PayoutOut(Schema):
    public_id: str
    status: PayoutStatusValue = Field(
        description="requested: waiting for finance; approved: being transferred; "
        "paid; failed or rejected: the amount is back on the balance"
    )
    amount_fen: int
    amount_display: str
    payee_account: str
    payee_name: str
    approvals_required: int = Field(description="1, or 2 from the second-approval threshold")
    approvals: int
    reference: str = Field(description="The gateway's transfer order number, once paid")
    failure_reason: str
    reject_reason: str
    requested_at: datetime
    settled_at: datetime | None


def payout_out(payout: Payout) -> dict[str, Any]:
    return {
        "public_id": payout.public_id,
        "status": payout.status,
        "amount_fen": payout.amount_fen,
        "amount_display": format_fen(payout.amount_fen),
        "payee_account": payout.payee_account,
        "payee_name": payout.payee_name,
        "approvals_required": payout.approvals_required,
        "approvals": (payout.approved_by_id is not None)
        + (payout.second_approved_by_id is not None),
        "reference": payout.reference,
        "failure_reason": payout.failure_reason,
        "reject_reason": payout.reject_reason,
        "requested_at": payout.requested_at,
        "settled_at": payout.settled_at,
    }


class PayoutIn(Input):
    amount_fen: PriceFen = Field(description="At most the available balance")
    payee_account: text(100, min_length=1) = Field(
        description="The Alipay login id (email or mobile) to pay"
    )
    payee_name: text(50, min_length=1) = Field(description="The payee's real name at Alipay")


@router.get("/payouts", response=with_errors({200: list[PayoutOut]}, 401, 404))
def seller_payout_list(request: HttpRequest):
    """The shop's latest payouts (at most 50), newest first."""
    shop = shop_for_seller(user=request.auth)
    return [payout_out(p) for p in payouts_of_shop(shop_public_id=shop.public_id, limit=50)]


@router.get("/payouts/{pid:public_id}", response=with_errors({200: PayoutOut}, 401, 404))
def seller_payout_detail(request: HttpRequest, public_id: str):
    """One of the shop's payouts."""
    shop = shop_for_seller(user=request.auth)
    return payout_out(payout_of_shop(shop_public_id=shop.public_id, public_id=public_id))


@router.post("/payouts", response=with_errors({201: PayoutOut}, 400, 401, 403, 404, 409, 422))
def seller_payout_request(
    request: HttpRequest,
    payload: PayoutIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=100,
            pattern=r"^[\x21-\x7e]+$",
            description="Retry safely: the same key and body answer the first payout; "
            "the same key with another body is 409 `idempotency_key_reused`.",
        ),
    ] = None,
):
    """Withdraw ``amount_fen`` of the available balance to an Alipay account. The amount
    is taken from the balance at once; finance approves the payout, then it is
    transferred. More than the balance is 409 ``insufficient_balance``."""
    shop = shop_for_seller(user=request.auth)
    payout = payout_request(
        shop_public_id=shop.public_id,
        amount_fen=payload.amount_fen,
        payee_account=payload.payee_account,
        payee_name=payload.payee_name,
        request_key=idempotency_key,
        by=request.auth,
    )
    return Status(201, payout_out(payout))
