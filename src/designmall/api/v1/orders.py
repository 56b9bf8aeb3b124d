"""Cart, checkout and orders: the buyer's and the seller's views.

Prices are always the catalog's, computed on the server; a client never sends
one (``expected_total_fen`` only says what the buyer was shown). A checkout
makes one order per shop and one payment for the total; its ``pay_url`` opens
the cashier, or the client calls the payments API. Orders are reached through
their buyer or their shop's seller: anyone else's is 404, exactly like one that
does not exist. Sellers never see the pickup code: it is the buyer's proof.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import BaseModel, Field

from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    Input,
    OptionalReasonIn,
    Page,
    PageQuery,
    PublicId,
    ShopRef,
    page_out,
    shop_ref,
    text,
)
from designmall.api.v1.aftersales import AfterSalesOut, aftersales_out
from designmall.api.v1.payments import PaymentStatusValue, RefundOut, refund_out
from designmall.api.v1.promotions import CouponOut, coupon_out
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.core.money import format_fen
from designmall.core.ratelimit import rate_limited
from designmall.orders.cart import (
    cart_add,
    cart_merge_anonymous,
    cart_remove,
    cart_set_quantity,
    check_limits,
)
from designmall.orders.checkout import checkout_coupons_suggest, checkout_create
from designmall.orders.models import Checkout, Order, OrderLine
from designmall.orders.selectors import (
    PricedCart,
    PricedLine,
    aftersales_of_order,
    cart_lines,
    cart_priced,
    cart_priced_anonymous,
    checkout_for_buyer,
    checkout_orders,
    order_for_buyer,
    order_for_pickup,
    order_for_seller,
    orders_for_buyer,
    orders_for_seller,
)
from designmall.orders.services import (
    order_cancel,
    order_confirm_receipt,
    order_pickup_confirm,
    order_ready_for_pickup,
    order_refund,
    order_ship,
)
from designmall.payments.models import Payment
from designmall.payments.services import GatewayDown, payment_start
from designmall.presale.cart_balance import CART_BALANCE_PAYABLE, checkout_with_balances_create
from designmall.presale.selectors import checkout_balances

router = Router(tags=["orders"], auth=AUTHENTICATED)

# A client's bound on one quantity; the cart's own limits (settings) are checked by orders.
Quantity = Annotated[int, Field(ge=1, le=10_000)]
DeliveryValue = Literal["address", "pickup"]
OrderStatusValue = Literal[
    "pending_payment",
    "paid",
    "shipped",
    "received",
    "ready_for_pickup",
    "picked_up",
    "completed",
    "cancelled",
    "expired",
    "refunded",
]
IDEMPOTENCY_KEY_MAX = 100
# Optional, as on every request that takes one: without it each request is a new one.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=r"^[\x21-\x7e]+$",
        description="Optional; send one to retry safely. The same key and body answer the "
        "first result (also an error) and never act twice; the same key with another body "
        "is 409 `idempotency_key_reused`. Keys are the caller's own, per kind of request, "
        "and kept at least 24 hours. Without a key every request is a new one.",
    ),
]


def _money(name: str, fen: int) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen)}


# --- cart ---------------------------------------------------------------------------------


class CartLineOut(Schema):
    sku: str
    product: str | None
    title: str
    sku_label: str
    quantity: int
    unit_price_fen: int
    unit_price_display: str
    line_total_fen: int
    line_total_display: str
    # The price when the line was added, when it has changed since.
    price_changed: bool
    price_seen_fen: int | None
    # Why it cannot be bought now ("" when it can): sku_not_found, product_unavailable,
    # shop_unavailable, sku_inactive or out_of_stock.
    problem: str
    available: int | None


class CartShopOut(Schema):
    shop: ShopRef
    skus: list[str]
    items_fen: int
    items_display: str
    shipping_fen: int
    shipping_display: str
    total_fen: int
    total_display: str


class CartOut(Schema):
    delivery: DeliveryValue
    lines: list[CartLineOut]
    shops: list[CartShopOut]
    items_fen: int
    items_display: str
    shipping_fen: int
    shipping_display: str
    total_fen: int
    total_display: str
    has_problems: bool
    has_price_changes: bool
    can_check_out: bool


def _cart_line_out(line: PricedLine) -> dict[str, Any]:
    sku = line.sku
    return {
        "sku": line.sku_public_id,
        "product": sku.product.public_id if sku is not None else None,
        "title": sku.product.title if sku is not None else "",
        "sku_label": sku.label if sku is not None else "",
        "quantity": line.quantity,
        **_money("unit_price", line.unit_price_fen),
        **_money("line_total", line.line_total_fen),
        "price_changed": line.price_changed,
        "price_seen_fen": line.price_seen_fen if line.price_changed else None,
        "problem": line.problem,
        "available": line.available,
    }


def cart_out(priced: PricedCart) -> dict[str, Any]:
    return {
        "delivery": priced.delivery,
        "lines": [_cart_line_out(line) for line in priced.lines],
        "shops": [
            {
                "shop": shop_ref(part.shop),
                "skus": [line.sku_public_id for line in part.lines],
                **_money("items", part.items_fen),
                **_money("shipping", part.shipping_fen),
                **_money("total", part.total_fen),
            }
            for part in priced.shops
        ],
        **_money("items", priced.items_fen),
        **_money("shipping", priced.shipping_fen),
        **_money("total", priced.total_fen),
        "has_problems": bool(priced.problems),
        "has_price_changes": bool(priced.price_changes),
        "can_check_out": priced.can_check_out,
    }


class CartQuery(BaseModel):
    delivery: DeliveryValue = "address"


class CartLineIn(Input):
    sku: PublicId
    quantity: Quantity = 1


class CartQuantityIn(Input):
    quantity: Quantity


@router.get("/cart", response=with_errors({200: CartOut}, 401, 422))
def cart_detail(request: HttpRequest, query: Query[CartQuery]):
    """The caller's cart priced now, per shop and overall, with the shipping of
    ``delivery``. Lines that cannot be bought carry a ``problem``; lines whose price
    changed since they were added say so with the price seen."""
    return cart_out(cart_priced(user=request.auth, delivery=query.delivery))


@router.post("/cart/lines", response=with_errors({201: CartOut}, 400, 401, 403, 404, 409, 422))
def cart_line_add(request: HttpRequest, payload: CartLineIn):
    """Add units of a SKU on sale (more of it if it is there already), within the
    per-SKU and per-order limits and the stock on sale; answers the cart."""
    cart_add(user=request.auth, sku_public_id=payload.sku, quantity=payload.quantity)
    return Status(201, cart_out(cart_priced(user=request.auth)))


@router.patch(
    "/cart/lines/{pid:sku}", response=with_errors({200: CartOut}, 400, 401, 403, 404, 409, 422)
)
def cart_line_update(request: HttpRequest, sku: str, payload: CartQuantityIn):
    """Set the quantity of a SKU in the cart (404 if it is not in the cart)."""
    if sku not in cart_lines(user=request.auth):
        raise NotFound(_("购物车里没有这个商品。"), code="cart_line_not_found")
    cart_set_quantity(user=request.auth, sku_public_id=sku, quantity=payload.quantity)
    return cart_out(cart_priced(user=request.auth))


@router.delete("/cart/lines/{pid:sku}", response=with_errors({200: CartOut}, 401, 403, 404))
def cart_line_remove(request: HttpRequest, sku: str):
    """Take a SKU out of the cart (nothing happens if it is not there); answers the cart."""
    cart_remove(user=request.auth, sku_public_id=sku)
    return cart_out(cart_priced(user=request.auth))


class CartLinesIn(Input):
    lines: list[CartLineIn] = Field(..., max_length=200)
    delivery: DeliveryValue = "address"


def _quantities_of(lines: list[CartLineIn]) -> dict[str, int]:
    quantities: dict[str, int] = {}
    for line in lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return quantities


@router.post("/cart/quote", auth=None, response=with_errors({200: CartOut}, 400, 422))
def cart_quote(request: HttpRequest, payload: CartLinesIn):
    """Price a cart kept by the client (no login needed: an app's anonymous cart) as the
    cart would be priced now, with problems and the shipping of ``delivery``. Beyond the
    quantity limits is 422; SKUs not on sale come back with their ``problem``."""
    quantities = _quantities_of(payload.lines)
    check_limits(quantities)
    return cart_out(cart_priced_anonymous(lines=quantities, delivery=payload.delivery))


class CartMergedOut(Schema):
    cart: CartOut
    skipped: list[str] = Field(
        description="SKUs of the anonymous cart that were not taken over (not on sale, or"
        " beyond the limits)."
    )


@router.post("/cart/merge", response=with_errors({200: CartMergedOut}, 400, 401, 422))
def cart_merge(request: HttpRequest, payload: CartLinesIn):
    """Move the client's anonymous cart into the caller's cart after logging in, as the
    web site does: a SKU in both keeps the larger quantity; lines that cannot be taken
    over are skipped, never refused."""
    skipped = cart_merge_anonymous(user=request.auth, lines=_quantities_of(payload.lines))
    return {
        "cart": cart_out(cart_priced(user=request.auth, delivery=payload.delivery)),
        "skipped": skipped,
    }


# --- orders (shared output) ---------------------------------------------------------------


class OrderLineOut(Schema):
    sku: str
    # In the request's language (Accept-Language), and both as kept at order time.
    product_title: str
    sku_label: str
    product_title_zh: str
    product_title_en: str
    sku_label_zh: str
    sku_label_en: str
    quantity: int
    unit_price_fen: int
    unit_price_display: str
    line_total_fen: int
    line_total_display: str
    # The coupons' discount apportioned to this line (分摊), and what it really cost.
    discount_fen: int
    discount_display: str
    paid_fen: int
    paid_display: str


class OrderEventOut(Schema):
    from_status: str
    to_status: str
    # Who moved it: "buyer", "seller", "staff" (operator, venue) or "system".
    by: Literal["buyer", "seller", "staff", "system"]
    reason: str
    at: datetime


class AddressOut(Schema):
    name: str = ""
    mobile: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""
    postcode: str = ""


class OrderOut(Schema):
    public_id: str
    checkout: str
    status: OrderStatusValue
    status_display: str
    delivery: DeliveryValue
    shop: ShopRef
    address: AddressOut | None
    # For pickup orders, in the buyer's view only: shown (or as a QR code) at the venue.
    pickup_code: str | None
    lines: list[OrderLineOut]
    items_fen: int
    items_display: str
    shipping_fen: int
    shipping_display: str
    # Taken off by coupons: total = items + shipping - discount.
    discount_fen: int
    discount_display: str
    total_fen: int
    total_display: str
    refunded_fen: int
    refunded_display: str
    carrier: str
    carrier_name: str
    tracking_number: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    ready_at: datetime | None
    received_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None


class OrderDetailOut(OrderOut):
    events: list[OrderEventOut]
    # After-sales requests on the order, newest first, each with its own steps.
    aftersales: list[AfterSalesOut]


def _event_by(order: Order, by_id: int | None) -> str:
    if by_id is None:
        return "system"
    if by_id == order.buyer_id:
        return "buyer"
    if by_id == order.shop.owner_id:
        return "seller"
    return "staff"


def order_detail_out(order: Order, *, for_buyer: bool) -> dict[str, Any]:
    """One order with its history; its lines' SKUs are read in one query."""
    prefetch_related_objects([order], "lines__sku")
    out = order_out(order, for_buyer=for_buyer, events=True)
    out["aftersales"] = [aftersales_out(None, request) for request in aftersales_of_order(order)]
    return out


def order_out(order: Order, *, for_buyer: bool, events: bool = False) -> dict[str, Any]:
    out = {
        "public_id": order.public_id,
        "checkout": order.checkout.public_id,
        "status": order.status,
        "status_display": order.get_status_display(),
        "delivery": order.delivery,
        "shop": shop_ref(order.shop),
        "address": order.address or None,
        "pickup_code": order.pickup_code_display if for_buyer and order.pickup_code else None,
        "lines": [
            {
                "sku": line.sku.public_id,
                "product_title": line.product_title,
                "sku_label": line.sku_label,
                "product_title_zh": line.product_title_zh,
                "product_title_en": line.product_title_en,
                "sku_label_zh": line.sku_label_zh,
                "sku_label_en": line.sku_label_en,
                "quantity": line.quantity,
                **_money("unit_price", line.unit_price_fen),
                **_money("line_total", line.line_total_fen),
                **_money("discount", line.discount_fen),
                **_money("paid", line.paid_fen),
            }
            for line in order.lines.all()
        ],
        **_money("items", order.items_fen),
        **_money("shipping", order.shipping_fen),
        **_money("discount", order.discount_fen),
        **_money("total", order.total_fen),
        **_money("refunded", order.refunded_fen),
        "carrier": order.carrier,
        "carrier_name": order.carrier_name,
        "tracking_number": order.tracking_number,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "shipped_at": order.shipped_at,
        "ready_at": order.ready_at,
        "received_at": order.received_at,
        "completed_at": order.completed_at,
        "closed_at": order.closed_at,
    }
    if events:
        out["events"] = [
            {
                "from_status": event.from_status,
                "to_status": event.to_status,
                "by": _event_by(order, event.by_id),
                "reason": event.reason,
                "at": event.at,
            }
            for event in order.events.all()
        ]
    return out


class OrdersQuery(PageQuery):
    status: OrderStatusValue | None = None


# --- checkout -----------------------------------------------------------------------------


class AddressIn(Input):
    name: text(40, min_length=1)
    mobile: text(20, min_length=1)
    province: text(30, min_length=1)
    city: text(30, min_length=1)
    district: text(30) = ""
    detail: text(200, min_length=1)
    postcode: text(10) = ""


class CheckoutIn(Input):
    lines: list[CartLineIn] | None = Field(None, min_length=1, max_length=200)
    delivery: DeliveryValue
    address: AddressIn | None = None
    expected_total_fen: Annotated[int, Field(ge=0, le=10**12)] | None = None
    # The buyer's coupons to use (public ids; ``POST /checkout/coupons`` suggests the best).
    coupons: list[str] | None = Field(None, max_length=20)
    # The buyer's pre-orders in their balance window whose balance this payment also pays.
    preorders: list[text(64, min_length=1)] | None = Field(None, min_length=1, max_length=10)


class CheckoutBalanceOut(Schema):
    preorder: str
    balance_fen: int
    balance_display: str


class CheckoutPaymentOut(Schema):
    public_id: str
    status: PaymentStatusValue
    amount_fen: int
    amount_display: str
    expires_at: datetime
    # The cashier (computer browser) while it can be paid; else pay through /payments.
    pay_url: str | None


class CheckoutOut(Schema):
    public_id: str
    status: Literal["pending_payment", "paid", "cancelled", "expired"]
    delivery: DeliveryValue
    items_fen: int
    items_display: str
    shipping_fen: int
    shipping_display: str
    discount_fen: int
    discount_display: str
    total_fen: int
    total_display: str
    created_at: datetime
    expires_at: datetime
    orders: list[OrderOut]
    # Pre-orders' balances paid by the same payment (its amount: the total plus these).
    preorder_balances: list[CheckoutBalanceOut] = []
    payment: CheckoutPaymentOut


def _pay_url(payment: Payment) -> str | None:
    try:
        return payment_start(payment=payment, channel="page").url
    except (Conflict, GatewayDown):  # paid, closed or expired; or the gateway is away
        return None


def checkout_out(checkout: Checkout) -> dict[str, Any]:
    payment = checkout.payment
    orders = checkout_orders(checkout)
    return {
        "public_id": checkout.public_id,
        "status": checkout.status,
        "delivery": checkout.delivery,
        **_money("items", checkout.items_fen),
        **_money("shipping", checkout.shipping_fen),
        **_money("discount", checkout.discount_fen),
        **_money("total", checkout.total_fen),
        "created_at": checkout.created_at,
        "expires_at": checkout.expires_at,
        "orders": [order_out(order, for_buyer=True) for order in orders],
        "preorder_balances": (
            [{"preorder": ref, **_money("balance", fen)} for ref, fen in checkout_balances(payment)]
            if payment.payable_type == CART_BALANCE_PAYABLE
            else []
        ),
        "payment": {
            "public_id": payment.public_id,
            "status": payment.status,
            **_money("amount", payment.amount_fen),
            "expires_at": payment.expires_at,
            "pay_url": _pay_url(payment),
        },
    }


def _fingerprint(payload: BaseModel, **path: str) -> str:
    """The request's body (and its path's ids), canonical, hashed."""
    body = payload.model_dump(mode="json")
    canonical = json.dumps(
        {"body": body, "path": path} if path else body,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@router.post(
    "/checkout", response=with_errors({201: CheckoutOut}, 400, 401, 403, 404, 409, 422, 429)
)
@rate_limited("checkout")
def checkout(
    request: HttpRequest,
    payload: CheckoutIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Check out ``lines`` (default: the cart, whose lines are then cleared) for delivery
    to ``address`` or pickup at the venue: one order per shop, the stock held, one
    payment for the total. Prices are the catalog's now; with ``expected_total_fen``
    (the total shown to the buyer) a different total is 409 ``price_changed`` with the
    new prices. Refused: ``cart_empty``, ``invalid_address``, quantities beyond the
    limits, ``sku_not_found``, SKUs not on sale, ``out_of_stock``.

    ``coupons``: the buyer's coupons to use (at most one platform coupon and one shop
    coupon per shop); the payment is the discounted total. Refused with
    ``coupon_not_found`` (404), ``coupon_expired``/``coupon_unavailable`` (409),
    ``coupon_used_twice``, ``platform_coupons_do_not_stack``,
    ``shop_coupons_do_not_stack``, ``coupon_covers_nothing``, ``coupon_threshold_not_met``,
    ``coupon_saves_nothing`` (422).

    ``preorders``: the buyer's pre-orders whose balance the same payment pays (one Alipay
    trade for the cart and the balances; ``preorder_balances`` says what each adds;
    ``expected_total_fen`` and ``total_fen`` stay the cart's). The balance is the server's
    (locked price − boosted deposit credit); the pre-orders are delivered as the cart's
    orders. Refused with
    ``preorder_not_found`` (404), ``deposit_unpaid``, ``balance_not_open``,
    ``balance_closed``, ``balance_already_paid``, ``preorder_closed``,
    ``balance_in_checkout`` (409)."""
    place = checkout_create
    if payload.preorders:
        place = partial(checkout_with_balances_create, preorders=payload.preorders)
    placed = place(
        buyer=request.auth,
        lines=(
            [(line.sku, line.quantity) for line in payload.lines]
            if payload.lines is not None
            else None
        ),
        delivery=payload.delivery,
        address=payload.address.model_dump() if payload.address is not None else None,
        idempotency_key=idempotency_key,
        request_fingerprint=_fingerprint(payload) if idempotency_key is not None else None,
        expected_total_fen=payload.expected_total_fen,
        coupons=payload.coupons,
    )
    return Status(201, checkout_out(placed))


class CheckoutCouponsIn(Input):
    lines: list[CartLineIn] | None = Field(None, min_length=1, max_length=200)
    delivery: DeliveryValue


class CheckoutCouponOut(Schema):
    coupon: CouponOut
    # What it saves alone on these lines; 0 with the reason it cannot apply.
    discount_fen: int
    discount_display: str
    refusal: str = Field(description="'' or coupon_covers_nothing, coupon_threshold_not_met")


class CheckoutCouponsOut(Schema):
    coupons: list[CheckoutCouponOut]
    # The combination that saves most: pass it (or another choice) as CheckoutIn.coupons.
    best: list[str]
    best_discount_fen: int
    best_discount_display: str


@router.post("/checkout/coupons", response=with_errors({200: CheckoutCouponsOut}, 401, 404, 422))
def checkout_coupons(request: HttpRequest, payload: CheckoutCouponsIn):
    """The caller's usable coupons for ``lines`` (default: the cart), what each saves
    alone, and the best combination (at most one platform coupon and one shop coupon per
    shop) to suggest at checkout. Reads only."""
    found = checkout_coupons_suggest(
        buyer=request.auth,
        lines=(
            [(line.sku, line.quantity) for line in payload.lines]
            if payload.lines is not None
            else None
        ),
        delivery=payload.delivery,
    )
    return {
        "coupons": [
            {
                "coupon": coupon_out(usable.coupon),
                **_money("discount", usable.discount_fen),
                "refusal": usable.refusal,
            }
            for usable in found.usable
        ],
        "best": found.best,
        **_money("best_discount", found.best_discount_fen),
    }


@router.get("/checkouts/{pid:public_id}", response=with_errors({200: CheckoutOut}, 401, 404))
def checkout_detail(request: HttpRequest, public_id: str):
    """One of the caller's checkouts: its status, orders and payment (with where to pay
    while it is pending). Anyone else's is 404."""
    return checkout_out(checkout_for_buyer(user=request.auth, public_id=public_id))


# --- the buyer's orders -------------------------------------------------------------------


@router.get("/orders", response=with_errors({200: Page[OrderOut]}, 401, 422))
def buyer_orders(request: HttpRequest, query: Query[OrdersQuery]):
    """The caller's orders, newest first, optionally of one ``status``."""
    orders = orders_for_buyer(user=request.auth, status=query.status).prefetch_related("lines__sku")
    return page_out(orders, query, lambda order: order_out(order, for_buyer=True))


@router.get("/orders/{pid:public_id}", response=with_errors({200: OrderDetailOut}, 401, 404))
def buyer_order_detail(request: HttpRequest, public_id: str):
    """One of the caller's orders with its history (and its pickup code for pickup)."""
    order = order_for_buyer(user=request.auth, public_id=public_id)
    return order_detail_out(order, for_buyer=True)


@router.post(
    "/orders/{pid:public_id}/cancel",
    response=with_errors({200: OrderDetailOut}, 400, 401, 403, 404, 409, 422),
)
def buyer_order_cancel(request: HttpRequest, public_id: str, payload: OptionalReasonIn):
    """Cancel an unpaid order. One payment covers a whole checkout, so every order of
    its checkout is cancelled with it. A paid order is refunded by its seller instead."""
    order = order_for_buyer(user=request.auth, public_id=public_id)
    order_cancel(order=order, by=request.auth, reason=payload.reason)
    order = order_for_buyer(user=request.auth, public_id=public_id)
    return order_detail_out(order, for_buyer=True)


@router.post(
    "/orders/{pid:public_id}/confirm-receipt",
    response=with_errors({200: OrderDetailOut}, 401, 403, 404, 409),
)
def buyer_order_confirm_receipt(request: HttpRequest, public_id: str):
    """Confirm that a shipped order arrived: it is completed and the seller paid."""
    order = order_for_buyer(user=request.auth, public_id=public_id)
    order_confirm_receipt(order=order, by=request.auth)
    order = order_for_buyer(user=request.auth, public_id=public_id)
    return order_detail_out(order, for_buyer=True)


# --- the seller's orders ------------------------------------------------------------------


class ShipIn(Input):
    carrier: text(16, min_length=1)
    tracking_number: text(40, min_length=1)


class PickupIn(Input):
    pickup_code: text(40, min_length=1)


class RefundIn(Input):
    amount_fen: Annotated[int, Field(ge=1, le=10**12)]
    reason: text(500, min_length=1)
    sku: text(24, min_length=1) | None = Field(
        None,
        description="A refund of one line (the order line's SKU): with ``units``, at most "
        "what those units really cost after the line's share of the coupons.",
    )
    units: Quantity | None = Field(None, description="How many units of the line (with sku).")


def _seller_detail(request: HttpRequest, public_id: str) -> dict[str, Any]:
    order = order_for_seller(user=request.auth, public_id=public_id)
    return order_detail_out(order, for_buyer=False)


@router.get(
    "/seller/orders", tags=["seller"], response=with_errors({200: Page[OrderOut]}, 401, 422)
)
def seller_orders(request: HttpRequest, query: Query[OrdersQuery]):
    """The paid orders of the caller's shops, newest first, optionally of one ``status``."""
    orders = orders_for_seller(user=request.auth, status=query.status).prefetch_related(
        "lines__sku"
    )
    return page_out(orders, query, lambda order: order_out(order, for_buyer=False))


@router.post(
    "/seller/orders/pickup",
    tags=["seller"],
    response=with_errors({200: OrderDetailOut}, 400, 401, 403, 404, 409, 422),
)
def seller_order_pickup(request: HttpRequest, payload: PickupIn):
    """The buyer collects an order at the venue: confirm it by the pickup code they show
    (scanned or typed; case, spaces and dashes do not matter). A wrong code is 404
    ``pickup_not_found``. The order is then completed and the seller paid."""
    order = order_for_pickup(user=request.auth, code=payload.pickup_code)
    order_pickup_confirm(order=order, code=payload.pickup_code, by=request.auth)
    order = Order.objects.select_related("shop", "checkout").get(pk=order.pk)
    return order_detail_out(order, for_buyer=False)


@router.get(
    "/seller/orders/{pid:public_id}",
    tags=["seller"],
    response=with_errors({200: OrderDetailOut}, 401, 404),
)
def seller_order_detail(request: HttpRequest, public_id: str):
    """One order of the caller's shops, with the delivery address and its history."""
    return _seller_detail(request, public_id)


@router.post(
    "/seller/orders/{pid:public_id}/ship",
    tags=["seller"],
    response=with_errors({200: OrderDetailOut}, 400, 401, 403, 404, 409, 422),
)
def seller_order_ship(request: HttpRequest, public_id: str, payload: ShipIn):
    """Mark a paid address order shipped, with the carrier's code (``SF``, ``JD``,
    ``EMS``, ...) and the tracking number."""
    order = order_for_seller(user=request.auth, public_id=public_id)
    order_ship(
        order=order,
        by=request.auth,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )
    return _seller_detail(request, public_id)


@router.post(
    "/seller/orders/{pid:public_id}/ready-for-pickup",
    tags=["seller"],
    response=with_errors({200: OrderDetailOut}, 401, 403, 404, 409),
)
def seller_order_ready_for_pickup(request: HttpRequest, public_id: str):
    """A paid pickup order is ready at the venue."""
    order = order_for_seller(user=request.auth, public_id=public_id)
    order_ready_for_pickup(order=order, by=request.auth)
    return _seller_detail(request, public_id)


@router.post(
    "/seller/orders/{pid:public_id}/refunds",
    tags=["seller"],
    response=with_errors({201: RefundOut}, 400, 401, 403, 404, 409, 422, 503),
)
def seller_order_refund(
    request: HttpRequest,
    public_id: str,
    payload: RefundIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Refund ``amount_fen`` of a paid order to the buyer, in part or in full: at most
    the order's total less its refunds (422 ``refund_exceeds_paid``).

    With ``sku`` and ``units`` (some units of one line): at most what those units really
    cost, the line's paid amount after its share of the coupons (分摊) split over its
    units, less what was refunded of it (422 ``refund_exceeds_line``, ``details.refundable_fen``);
    more units than are left is 422 ``invalid_units``; ``units`` without ``sku`` (or the
    other way round) is 422 ``invalid_units``; an SKU not in the order is 404
    ``line_not_found``.

    Each request without an ``Idempotency-Key`` is a new refund. Send a key (optional,
    as for checkout) to retry safely after a timeout: the same key, order and body answer
    the first refund (201, the same ``public_id``) or the first error again and never
    refund twice, even when the retries arrive at once; the same key with another order
    or body is 409 ``idempotency_key_reused``."""
    order = order_for_seller(user=request.auth, public_id=public_id)
    line = None
    if (payload.sku is None) != (payload.units is None):
        raise ValidationFailed(
            _("部分退款须同时指定商品规格和件数。"),
            code="invalid_units",
            details={"field": "units" if payload.units is None else "sku"},
        )
    if payload.sku is not None:
        line = OrderLine.objects.filter(order=order, sku__public_id=payload.sku).first()
        if line is None:
            raise NotFound(_("没有找到这件商品。"), code="line_not_found")
    refund = order_refund(
        order=order,
        amount_fen=payload.amount_fen,
        reason=payload.reason,
        by=request.auth,
        line=line,
        units=payload.units,
        idempotency_key=idempotency_key,
        request_fingerprint=(
            _fingerprint(payload, order=order.public_id) if idempotency_key is not None else None
        ),
    )
    return Status(201, refund_out(refund))
