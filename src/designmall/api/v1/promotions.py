"""Promotions: coupons buyers can claim (领券), redemption codes (兑换码), and their own coupons.

The coupon centre (``GET /promotions/coupons``) lists the coupons claimable now; with
``product=`` it lists those that cover that product (the product page's 领券), with
``shop=`` the shop's own and platform coupons for it. Lists are public; with a login each
coupon says how often the caller has claimed it and whether they may claim again.
Claiming needs a login: ``POST /promotions/coupons/{id}/claim``, or
``POST /promotions/codes/claim`` with a printed code. ``GET /promotions/my-coupons``
lists the caller's coupons; ``state`` is what the clock makes of them (a coupon past its
end is ``expired`` even before the sweeper marks it). Sellers issue and manage their shop's
coupons under ``/seller/coupons`` (issue, pause/resume/stop, redemption-code batches).
Amounts are integer fen with a formatted ``*_display`` text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import AwareDatetime, Field, Strict

from designmall.accounts.models import User
from designmall.accounts.services import api_token_authenticate
from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    Input,
    Page,
    PageQuery,
    PublicId,
    ShopRef,
    Slug,
    page_out,
    shop_ref,
    text,
)
from designmall.catalog.models import Category, Product
from designmall.catalog.selectors import product_on_sale, shop_open_by_public_id
from designmall.catalog.services import shop_for_seller
from designmall.core.errors import NotFound
from designmall.core.money import MAX_FEN, format_fen
from designmall.promotions import selectors, services
from designmall.promotions.models import Coupon, CouponTemplate

router = Router(tags=["promotions"], auth=AUTHENTICATED)

IssuerValue = Literal["platform", "shop"]
KindValue = Literal["spend_off", "amount_off", "percent_off"]
ScopeValue = Literal["all", "shop", "categories", "products"]
ValidityValue = Literal["fixed", "days_from_claim"]
CouponStateValue = Literal["available", "locked", "used", "expired"]
# An ISO 8601 time with its offset (JSON has no datetime type, so strict mode is lifted).
When = Annotated[AwareDatetime, Strict(False)]


def _viewer(request: HttpRequest) -> User | None:
    """The caller on a public read, if they sent a valid token or have a session."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return api_token_authenticate(header[7:].strip())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _money(name: str, fen: int | None) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen) if fen is not None else None}


class CouponTemplateOut(Schema):
    public_id: str
    issuer: IssuerValue = Field(description="Who pays: the platform or the shop.")
    shop: ShopRef | None = Field(description="The issuing shop, or the shop it is scoped to.")
    name_zh: str
    name_en: str
    kind: KindValue = Field(description="满减 spend_off, 立减 amount_off, 折扣 percent_off.")
    terms: str = Field(description="The terms in words, in the request's language.")
    threshold_fen: int = Field(description="The least the covered lines must cost (0: none).")
    threshold_display: str
    off_fen: int = Field(description="The amount off (spend_off, amount_off).")
    off_display: str
    percent_off: int = Field(description="The percentage off (percent_off).")
    cap_fen: int = Field(description="The most a percent_off coupon takes off.")
    cap_display: str
    scope: ScopeValue
    validity: ValidityValue
    valid_from: datetime | None = Field(description="Fixed window only.")
    valid_until: datetime | None = Field(description="Fixed window only.")
    valid_days: int | None = Field(description="days_from_claim only.")
    claim_starts_at: datetime
    claim_ends_at: datetime
    total_quantity: int
    remaining: int
    sold_out: bool
    per_buyer_limit: int
    applies_to: str = Field(description="Where it applies, in words (request's language).")
    saves: str = Field(description="What it really saves, in words (request's language).")
    status: Literal["active", "paused", "stopped"]
    distribution: Literal["public", "codes"]
    claimed_by_you: int | None = Field(description="How often the caller claimed it (login).")
    can_claim: bool | None = Field(description="Whether the caller may claim it now (login).")


def template_out(template: CouponTemplate, claimed: int | None) -> dict[str, Any]:
    return {
        "public_id": template.public_id,
        "issuer": template.issuer,
        "shop": shop_ref(template.shop) if template.shop_id else None,
        "name_zh": template.name_zh,
        "name_en": template.name_en,
        "kind": template.kind,
        "terms": selectors.terms_display(template),
        "applies_to": selectors.scope_display(template),
        "saves": selectors.saving_display(template),
        "status": template.status,
        "distribution": template.distribution,
        **_money("threshold", template.threshold_fen),
        **_money("off", template.off_fen),
        "percent_off": template.percent_off,
        **_money("cap", template.cap_fen),
        "scope": template.scope,
        "validity": template.validity,
        "valid_from": template.valid_from,
        "valid_until": template.valid_until,
        "valid_days": template.valid_days,
        "claim_starts_at": template.claim_starts_at,
        "claim_ends_at": template.claim_ends_at,
        "total_quantity": template.total_quantity,
        "remaining": template.remaining,
        "sold_out": template.remaining == 0,
        "per_buyer_limit": template.per_buyer_limit,
        "claimed_by_you": claimed,
        "can_claim": (
            None
            if claimed is None
            else template.remaining > 0 and claimed < template.per_buyer_limit
        ),
    }


class CouponsQuery(PageQuery):
    product: PublicId | None = Field(None, description="Coupons covering this product.")
    shop: PublicId | None = Field(None, description="The shop's coupons and platform ones for it.")


@router.get(
    "/promotions/coupons", auth=None, response=with_errors({200: Page[CouponTemplateOut]}, 404, 422)
)
def coupons(request: HttpRequest, query: Query[CouponsQuery]):
    """Coupons claimable now (the coupon centre), newest first; ``product`` or ``shop``
    narrows them to a product page's or a shop page's. Sold-out ones are listed
    (``sold_out``). An unknown product or shop is 404 (``product_not_found``,
    ``shop_not_found``)."""
    if query.product:
        found = selectors.templates_claimable_for_product(product_on_sale(public_id=query.product))
    elif query.shop:
        found = selectors.templates_claimable_for_shop(shop_open_by_public_id(public_id=query.shop))
    else:
        found = selectors.templates_claimable()
    found = found.prefetch_related("categories", "products")
    viewer = _viewer(request)
    result = page_out(found, query, lambda template: template)
    claimed = selectors.claims_by_buyer(viewer, result["items"]) if viewer else None
    result["items"] = [
        template_out(t, None if claimed is None else claimed.get(t.pk, 0)) for t in result["items"]
    ]
    return result


@router.get(
    "/promotions/coupons/{pid:public_id}",
    auth=None,
    response=with_errors({200: CouponTemplateOut}, 404),
)
def coupon_detail(request: HttpRequest, public_id: str):
    """One coupon handed out publicly (a stopped one is 404 ``coupon_not_found``)."""
    template = selectors.template_by_public_id(public_id)
    viewer = _viewer(request)
    claimed = selectors.claims_by_buyer(viewer, [template]).get(template.pk, 0) if viewer else None
    return template_out(template, claimed)


class CouponOut(Schema):
    public_id: str
    coupon: CouponTemplateOut
    state: CouponStateValue
    source: Literal["claim", "code"]
    claimed_at: datetime
    valid_from: datetime
    valid_until: datetime
    used_at: datetime | None


def coupon_out(coupon: Coupon, claimed: int | None = None) -> dict[str, Any]:
    return {
        "public_id": coupon.public_id,
        "coupon": template_out(coupon.template, claimed),
        "state": selectors.coupon_state(coupon),
        "source": coupon.source,
        "claimed_at": coupon.claimed_at,
        "valid_from": coupon.valid_from,
        "valid_until": coupon.valid_until,
        "used_at": coupon.used_at,
    }


def _claimed_out(coupon: Coupon) -> dict[str, Any]:
    claimed = selectors.claims_by_buyer(coupon.buyer, [coupon.template]).get(coupon.template_id, 0)
    return coupon_out(coupon, claimed)


@router.post(
    "/promotions/coupons/{pid:public_id}/claim",
    response=with_errors({201: CouponOut}, 401, 404, 409),
)
def claim(request: HttpRequest, public_id: str):
    """Claim one of this coupon (领券). Refused (409): ``coupon_sold_out``,
    ``claim_limit_reached`` (``details.limit``), ``claim_not_started``, ``claim_ended``,
    ``coupon_not_active`` (paused); a stopped or codes-only coupon is 404."""
    template = selectors.template_by_public_id(public_id)
    coupon = services.coupon_claim(template=template, buyer=request.auth)
    return Status(201, _claimed_out(coupon))


class CodeIn(Input):
    code: text(40, min_length=1) = Field(
        description="As printed, e.g. ``ABCD-EFGH-JKMN-PQ01``; case, dashes and spaces do not "
        "matter, nor O for 0 and I or L for 1."
    )


@router.post("/promotions/codes/claim", response=with_errors({201: CouponOut}, 401, 404, 409, 422))
def claim_by_code(request: HttpRequest, payload: CodeIn):
    """Redeem a printed code (兑换码) for its coupon, once. Refused: ``code_malformed``
    (422), ``code_unknown`` (404), ``code_already_claimed``, ``claim_limit_reached``,
    ``claim_not_started``, ``claim_ended``, ``coupon_not_active`` (409)."""
    coupon = services.coupon_claim_by_code(code=payload.code, buyer=request.auth)
    return Status(201, _claimed_out(coupon))


class MyCouponsQuery(PageQuery):
    state: CouponStateValue | None = None


@router.get("/promotions/my-coupons", response=with_errors({200: Page[CouponOut]}, 401, 422))
def my_coupons(request: HttpRequest, query: Query[MyCouponsQuery]):
    """The caller's coupons, soonest to expire first; ``state`` filters by the state the
    clock gives them."""
    found = selectors.coupons_of_buyer(buyer=request.auth, state=query.state).prefetch_related(
        "template__categories", "template__products"
    )
    return page_out(found, query, coupon_out)


# --- the seller center: the shop's own coupons ----------------------------------------------


class ShopCouponIn(Input):
    name_zh: text(60, min_length=1)
    name_en: text(80) = ""
    kind: KindValue
    threshold_fen: int = Field(0, ge=0, le=MAX_FEN)
    off_fen: int = Field(0, ge=0, le=MAX_FEN)
    percent_off: int = Field(0, ge=0, le=99)
    cap_fen: int = Field(0, ge=0, le=MAX_FEN)
    scope: Literal["shop", "categories", "products"] = "shop"
    categories: list[Slug] = Field([], max_length=50, description="Category slugs (categories).")
    products: list[PublicId] = Field([], max_length=200, description="The shop's products.")
    validity: ValidityValue = "fixed"
    valid_from: When | None = None
    valid_until: When | None = None
    valid_days: int | None = Field(None, ge=1, le=366)
    claim_starts_at: When
    claim_ends_at: When
    distribution: Literal["public", "codes"] = "public"
    total_quantity: int = Field(ge=1, le=10_000_000)
    per_buyer_limit: int = Field(1, ge=1, le=100)


class StatusIn(Input):
    status: Literal["active", "paused", "stopped"]


class CodeBatchIn(Input):
    quantity: int = Field(ge=1, le=10_000)
    note: text(200) = ""


class CodeBatchOut(Schema):
    public_id: str
    coupon: str
    quantity: int
    note: str
    created_at: datetime
    codes: list[str] = Field(description="As printed: four groups of four characters.")


class SellerCouponsQuery(PageQuery):
    status: Literal["active", "paused", "stopped"] | None = None


def _own_template(request: HttpRequest, public_id: str) -> CouponTemplate:
    return selectors.shop_template(shop_for_seller(user=request.auth), public_id)


@router.get(
    "/seller/coupons",
    tags=["seller"],
    response=with_errors({200: Page[CouponTemplateOut]}, 401, 404, 422),
)
def seller_coupons(request: HttpRequest, query: Query[SellerCouponsQuery]):
    """The caller's shop's coupons, newest first."""
    shop = shop_for_seller(user=request.auth)
    found = selectors.shop_templates(shop, status=query.status).prefetch_related(
        "categories", "products"
    )
    return page_out(found, query, lambda t: template_out(t, None))


@router.post(
    "/seller/coupons",
    tags=["seller"],
    response=with_errors({201: CouponTemplateOut}, 401, 403, 404, 409, 422),
)
def seller_coupon_create(request: HttpRequest, payload: ShopCouponIn):
    """Issue a coupon of the caller's open shop (the shop pays for it); it covers the shop's
    lines only. Refused: ``shop_not_open`` (409); a value that cannot work is 422 with
    code ``invalid_<field>`` and ``details.field``; unknown categories or products
    (``category_not_found``, ``product_not_found``, 404)."""
    shop = shop_for_seller(user=request.auth)
    values = payload.model_dump()
    slugs, public_ids = values.pop("categories"), values.pop("products")
    categories = list(Category.objects.filter(slug__in=slugs))
    if len(categories) != len(set(slugs)):
        raise NotFound(_("分类不存在。"), code="category_not_found")
    products = list(Product.objects.filter(public_id__in=public_ids, shop=shop))
    if len(products) != len(set(public_ids)):
        raise NotFound(_("商品不存在。"), code="product_not_found")
    template = services.shop_coupon_create(
        by=request.auth, shop=shop, categories=categories, products=products, **values
    )
    return Status(201, template_out(template, None))


@router.post(
    "/seller/coupons/{pid:public_id}/status",
    tags=["seller"],
    response=with_errors({200: CouponTemplateOut}, 401, 403, 404, 409, 422),
)
def seller_coupon_status(request: HttpRequest, public_id: str, payload: StatusIn):
    """Pause, resume or stop handing the coupon out (stopped is final:
    ``invalid_transition``, 409). Coupons already claimed stay valid."""
    template = services.template_set_status(
        template=_own_template(request, public_id), status=payload.status, by=request.auth
    )
    template.refresh_from_db()
    return template_out(template, None)


@router.post(
    "/seller/coupons/{pid:public_id}/code-batches",
    tags=["seller"],
    response=with_errors({201: CodeBatchOut}, 401, 403, 404, 409, 422),
)
def seller_code_batch(request: HttpRequest, public_id: str, payload: CodeBatchIn):
    """Generate one-time redemption codes for the coupon, taken from what is left of it
    (``coupon_sold_out``, 409, when not that many are left)."""
    template = _own_template(request, public_id)
    batch = services.code_batch_create(
        template=template, quantity=payload.quantity, note=payload.note, by=request.auth
    )
    return Status(
        201,
        {
            "public_id": batch.public_id,
            "coupon": template.public_id,
            "quantity": batch.quantity,
            "note": batch.note,
            "created_at": batch.created_at,
            "codes": [code.printed for code in batch.codes.order_by("id")],
        },
    )


class CodeBatchSummaryOut(Schema):
    public_id: str
    coupon: str
    quantity: int
    claimed: int = Field(description="How many of its codes were redeemed.")
    note: str
    created_at: datetime
    csv_url: str = Field(description="Its codes as CSV (``GET``, the same login).")


def _batch_summary(batch, template: CouponTemplate) -> dict[str, Any]:
    return {
        "public_id": batch.public_id,
        "coupon": template.public_id,
        "quantity": batch.quantity,
        "claimed": batch.claimed,
        "note": batch.note,
        "created_at": batch.created_at,
        "csv_url": reverse("api-v1:seller_code_batch_csv", args=[batch.public_id]),
    }


@router.get(
    "/seller/coupons/{pid:public_id}",
    tags=["seller"],
    response=with_errors({200: CouponTemplateOut}, 401, 404),
)
def seller_coupon_detail(request: HttpRequest, public_id: str):
    """One of the caller's shop's coupons (another shop's is 404 ``coupon_not_found``)."""
    return template_out(_own_template(request, public_id), None)


@router.get(
    "/seller/coupons/{pid:public_id}/code-batches",
    tags=["seller"],
    response=with_errors({200: Page[CodeBatchSummaryOut]}, 401, 404, 422),
)
def seller_code_batches(request: HttpRequest, public_id: str, query: Query[PageQuery]):
    """The coupon's redemption-code batches, newest first, with how many were redeemed."""
    template = _own_template(request, public_id)
    return page_out(
        selectors.code_batches_of(template), query, lambda b: _batch_summary(b, template)
    )


@router.get(
    "/seller/code-batches/{pid:public_id}/codes.csv",
    tags=["seller"],
    url_name="seller_code_batch_csv",
    response=with_errors({200: str}, 401, 404),
    openapi_extra={
        "responses": {
            200: {
                "description": "The batch's codes, one a row: batch, code (as printed), "
                "coupon, terms, claimed (yes/no), claimed_at. UTF-8 with a byte order mark.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def seller_code_batch_csv(request: HttpRequest, public_id: str):
    """The batch's codes as CSV, for the print shop or the booth (another shop's batch is
    404 ``code_batch_not_found``)."""
    batch = selectors.shop_code_batch(shop_for_seller(user=request.auth), public_id)
    text = selectors.code_batches_csv([batch])
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{batch.public_id}.csv"'
    return response
