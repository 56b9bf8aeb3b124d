"""Promotions: coupons buyers can claim (领券), redemption codes (兑换码), and their own coupons.

The coupon centre (``GET /promotions/coupons``) lists the coupons claimable now; with
``product=`` it lists those that cover that product (the product page's 领券), with
``shop=`` the shop's own and platform coupons for it. Lists are public; with a login each
coupon says how often the caller has claimed it and whether they may claim again.
Claiming needs a login: ``POST /promotions/coupons/{id}/claim``, or
``POST /promotions/codes/claim`` with a printed code. ``GET /promotions/my-coupons``
lists the caller's coupons; ``state`` is what the clock makes of them (a coupon past its
end is ``expired`` even before the sweeper marks it). Amounts are integer fen with a
formatted ``*_display`` text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

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
    page_out,
    shop_ref,
    text,
)
from designmall.catalog.selectors import product_on_sale, shop_open_by_public_id
from designmall.core.money import format_fen
from designmall.promotions import selectors, services
from designmall.promotions.models import Coupon, CouponTemplate

router = Router(tags=["promotions"], auth=AUTHENTICATED)

IssuerValue = Literal["platform", "shop"]
KindValue = Literal["spend_off", "amount_off", "percent_off"]
ScopeValue = Literal["all", "shop", "categories", "products"]
ValidityValue = Literal["fixed", "days_from_claim"]
CouponStateValue = Literal["available", "locked", "used", "expired"]


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
    found = selectors.coupons_of_buyer(buyer=request.auth, state=query.state)
    return page_out(found, query, coupon_out)
