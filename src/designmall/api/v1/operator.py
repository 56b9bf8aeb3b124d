"""The operators' review queues: shop applications and product moderation.

Only operators (and superusers) get in; anyone else logged in is 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from designmall.api.auth import OPERATOR
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    CommissionBp,
    Input,
    OptionalReasonIn,
    Page,
    PageQuery,
    ProductStatusValue,
    ReasonIn,
    ShopRef,
    ShopStatusValue,
    page_out,
    shop_ref,
)
from designmall.api.v1.seller import (
    SellerProductOut,
    SellerShopOut,
    seller_product_out,
    seller_shop_out,
)
from designmall.catalog.models import Product, Shop
from designmall.catalog.selectors import (
    product_any_status,
    products_for_review,
    shop_any_status,
    shops_for_review,
)
from designmall.catalog.services import (
    product_approve,
    product_delist,
    product_reject,
    shop_approve,
    shop_reject,
)

router = Router(tags=["operator"], auth=OPERATOR)


# --- shops --------------------------------------------------------------------------------


class ShopOwnerOut(Schema):
    public_id: str
    email: str | None
    mobile: str | None
    display_name: str


class OperatorShopOut(SellerShopOut):
    owner: ShopOwnerOut


def operator_shop_out(shop: Shop) -> dict[str, Any]:
    owner = shop.owner
    return {
        **seller_shop_out(shop),
        "owner": {
            "public_id": owner.public_id,
            "email": owner.email,
            "mobile": owner.mobile,
            "display_name": owner.display_name,
        },
    }


class ShopQuery(PageQuery):
    status: ShopStatusValue | None = None


@router.get("/shops", response=with_errors({200: Page[OperatorShopOut]}, 401, 403, 422))
def operator_shop_list(request: HttpRequest, query: Query[ShopQuery]):
    """Shops (``status=pending`` for the applications to review), oldest first."""
    return page_out(shops_for_review(status=query.status), query, operator_shop_out)


class ShopApproveIn(Input):
    commission_bp: CommissionBp | None = None


@router.post(
    "/shops/{pid:public_id}/approve",
    response=with_errors({200: OperatorShopOut}, 400, 401, 403, 404, 409, 422),
)
def operator_shop_approve(
    request: HttpRequest, public_id: str, payload: ShopApproveIn | None = None
):
    """Open a pending shop, optionally setting its commission (basis points, 800 = 8%)."""
    shop = shop_approve(
        shop=shop_any_status(public_id=public_id),
        by=request.auth,
        commission_bp=payload.commission_bp if payload else None,
    )
    return operator_shop_out(shop)


@router.post(
    "/shops/{pid:public_id}/reject",
    response=with_errors({200: OperatorShopOut}, 400, 401, 403, 404, 409, 422),
)
def operator_shop_reject(request: HttpRequest, public_id: str, payload: ReasonIn):
    """Refuse a pending shop application, with the reason the applicant will read."""
    shop = shop_reject(
        shop=shop_any_status(public_id=public_id), by=request.auth, reason=payload.reason
    )
    return operator_shop_out(shop)


# --- products -----------------------------------------------------------------------------


class OperatorProductOut(SellerProductOut):
    shop: ShopRef


def operator_product_out(product: Product) -> dict[str, Any]:
    return {**seller_product_out(product), "shop": shop_ref(product.shop)}


class ProductQuery(PageQuery):
    status: ProductStatusValue | None = None


@router.get("/products", response=with_errors({200: Page[OperatorProductOut]}, 401, 403, 422))
def operator_product_list(request: HttpRequest, query: Query[ProductQuery]):
    """Products (``status=pending_review`` for the moderation queue), longest waiting first."""
    return page_out(products_for_review(status=query.status), query, operator_product_out)


@router.post(
    "/products/{pid:public_id}/approve",
    response=with_errors({200: OperatorProductOut}, 401, 403, 404, 409),
)
def operator_product_approve(request: HttpRequest, public_id: str):
    """Publish a product waiting for review (its shop must be open)."""
    product = product_approve(product=product_any_status(public_id=public_id), by=request.auth)
    return operator_product_out(product)


@router.post(
    "/products/{pid:public_id}/reject",
    response=with_errors({200: OperatorProductOut}, 400, 401, 403, 404, 409, 422),
)
def operator_product_reject(request: HttpRequest, public_id: str, payload: ReasonIn):
    """Send a product under review back to draft, with the reason the seller will read."""
    product = product_reject(
        product=product_any_status(public_id=public_id), by=request.auth, reason=payload.reason
    )
    return operator_product_out(product)


@router.post(
    "/products/{pid:public_id}/delist",
    response=with_errors({200: OperatorProductOut}, 400, 401, 403, 404, 409, 422),
)
def operator_product_delist(
    request: HttpRequest, public_id: str, payload: OptionalReasonIn | None = None
):
    """Take a live or pending product off sale. The reason is optional."""
    product = product_delist(
        product=product_any_status(public_id=public_id),
        by=request.auth,
        reason=payload.reason if payload else "",
    )
    return operator_product_out(product)
