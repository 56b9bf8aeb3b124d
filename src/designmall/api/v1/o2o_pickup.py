"""At the show: pickup at the booth and its 核销 (redemption).

A buyer who scanned a booth (or one of its exhibits) today sees it among
``GET /o2o/pickup-booths`` for their cart and checks out with pickup there
(``POST /o2o/booth-checkout``, with an ``Idempotency-Key`` as ``POST /checkout``). The
buyer reads their booth pickup (``GET /o2o/pickups/{order}``: the pickup code to show
as a QR code, the booth, what is collected). Booth staff (the shop's seller or its booth
staff) look a code up (``GET /o2o/redeemables?code=``), redeem units of it under their
device's serial (``POST /o2o/redemptions``: the same serial again answers the first
redemption with ``replayed`` true and hands nothing over twice), reverse a redemption
within the window by its serial (``POST /o2o/reversals``, 冲正) and list a booth's
pickups still to hand over (``GET /o2o/booths/{booth}/pickups``). Another shop's staff get
403 ``not_your_counter``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StringConstraints

from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import Input, PublicId, text
from designmall.api.v1.orders import (
    CartLineIn,
    CheckoutOut,
    IdempotencyKeyHeader,
    checkout_out,
)
from designmall.core.errors import NotFound
from designmall.core.ratelimit import rate_limited
from designmall.o2o import pickup, redemption
from designmall.o2o.models import Booth, BoothStatus
from designmall.o2o.redemption_models import Redeemable, Redemption
from designmall.orders.models import Order
from designmall.orders.selectors import cart_priced, lines_priced

router = Router(tags=["o2o"], auth=AUTHENTICATED)

Serial = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$")]
Units = Annotated[int, Field(ge=1, le=10_000)]


class ItemOut(Schema):
    number: int = Field(description="The item's number within its redeemable (from 1).")
    title_zh: str
    title_en: str
    quantity: int
    redeemed: int
    remaining: int


class BoothPlaceOut(Schema):
    public_id: str
    number: str
    venue_zh: str
    venue_en: str
    shop: str = Field(description="The shop's public id.")


class RedeemableOut(Schema):
    public_id: str
    kind: str = Field(description="order_pickup (a booth pickup) or gift.")
    code: str = Field(description="What the holder shows, as a QR code or typed.")
    code_display: str = Field(description="The code grouped for reading aloud.")
    order: str | None = Field(description="The order's public id (a booth pickup).")
    order_status: str | None
    booth: BoothPlaceOut | None
    items: list[ItemOut]
    remaining: int = Field(description="Units still to hand over, all items together.")
    redeemed_at: datetime | None = Field(description="When the last unit was handed over.")
    closed_at: datetime | None = Field(description="Settled: nothing can change any more.")


class RedeemIn(Input):
    code: text(64) | None = Field(
        None, description="The code shown by the holder (or give ``redeemable``)."
    )
    redeemable: text(40) | None = Field(None, description="The redeemable's public id.")
    serial: Serial = Field(description="The device's serial number of this redemption (流水号).")
    device: text(64, min_length=1) = Field(description="The device redeeming.")
    units: Units | None = Field(
        None, description="Units to hand over, taken from the items in order."
    )
    items: dict[str, Units] | None = Field(
        None, description='Or units per item number, e.g. {"1": 2}.'
    )


class RedemptionOut(Schema):
    public_id: str
    serial: str
    quantity: int
    staff: str = Field(description="The staff member's public id.")
    device: str
    redeemed_at: datetime
    reversed_at: datetime | None
    replayed: bool = Field(description="This serial was redeemed before; nothing changed now.")
    redeemable: RedeemableOut


class ReverseIn(Input):
    serial: Serial = Field(description="The serial the redemption was made under.")
    device: text(64, min_length=1)
    reason: text(200) = ""


class ReversalOut(Schema):
    serial: str
    quantity: int
    staff: str
    device: str
    reason: str
    reversed_at: datetime
    redeemable: RedeemableOut


class CodeQuery(Schema):
    code: str = Field(max_length=64, description="The code shown by the holder.")


def redeemable_out(found: Redeemable) -> dict[str, Any]:
    items = redemption.items_of(found)
    booth = found.booth
    return {
        "public_id": found.public_id,
        "kind": found.kind,
        "code": found.code,
        "code_display": found.code_display,
        "order": found.order.public_id if found.order_id else None,
        "order_status": found.order.status if found.order_id else None,
        "booth": None
        if booth is None
        else {
            "public_id": booth.public_id,
            "number": booth.number,
            "venue_zh": booth.venue.name_zh,
            "venue_en": booth.venue.name_en,
            "shop": booth.shop.public_id,
        },
        "items": [
            {
                "number": item.position,
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                "quantity": item.quantity,
                "redeemed": item.redeemed,
                "remaining": item.remaining,
            }
            for item in items
        ],
        "remaining": sum(item.remaining for item in items),
        "redeemed_at": found.redeemed_at,
        "closed_at": found.closed_at,
    }


def _fresh(found: Redeemable) -> Redeemable:
    return Redeemable.objects.select_related("order", "booth__venue", "booth__shop").get(
        pk=found.pk
    )


def redemption_out(made: Redemption, *, replayed: bool) -> dict[str, Any]:
    reversal = getattr(made, "reversal", None)
    return {
        "public_id": made.public_id,
        "serial": made.serial,
        "quantity": made.quantity,
        "staff": made.staff.public_id,
        "device": made.device,
        "redeemed_at": made.redeemed_at,
        "reversed_at": reversal.reversed_at if reversal else None,
        "replayed": replayed,
        "redeemable": redeemable_out(_fresh(made.redeemable)),
    }


@router.get("/o2o/pickups/{order}", response=with_errors({200: RedeemableOut}, 401, 404))
def my_pickup(request: HttpRequest, order: str):
    """The caller's booth pickup of their order: the pickup code (show it as a QR code at
    the booth), the booth, and what is collected so far."""
    mine = Order.objects.filter(public_id=order, buyer=request.auth).first()
    found = pickup.booth_pickup_of(mine) if mine is not None else None
    if found is None:
        raise NotFound(_("没有找到这个展位自提订单。"), code="pickup_not_found")
    return redeemable_out(_fresh(found))


@router.get("/o2o/redeemables", response=with_errors({200: RedeemableOut}, 401, 403, 404, 422))
def redeemable_lookup(request: HttpRequest, query: Query[CodeQuery]):
    """Booth staff look a scanned or typed code up before handing over."""
    return redeemable_out(_fresh(redemption.redeemable_by_code(user=request.auth, code=query.code)))


@router.post(
    "/o2o/redemptions",
    response=with_errors({200: RedemptionOut, 201: RedemptionOut}, 400, 401, 403, 404, 409, 422),
)
def redeem(request: HttpRequest, payload: RedeemIn):
    """Hand over ``units`` (or ``items``) of a redeemable, found by ``code`` or
    ``redeemable``. 201 when made now; 200 with ``replayed`` for a serial made before."""
    if payload.redeemable:
        found = redemption.redeemable_for_staff(user=request.auth, public_id=payload.redeemable)
    else:
        found = redemption.redeemable_by_code(user=request.auth, code=payload.code or "")
    done = redemption.redeem(
        redeemable=found,
        by=request.auth,
        serial=payload.serial,
        device=payload.device,
        units=payload.units,
        items=payload.items,
    )
    return Status(
        200 if done.replayed else 201, redemption_out(done.redemption, replayed=done.replayed)
    )


@router.post(
    "/o2o/reversals", response=with_errors({201: ReversalOut}, 400, 401, 403, 404, 409, 422)
)
def reverse(request: HttpRequest, payload: ReverseIn):
    """冲正: undo the redemption made under ``serial`` within the reversal window, also one
    whose answer the device never got (the same again answers the first reversal)."""
    done = redemption.redemption_reverse(
        serial=payload.serial, by=request.auth, device=payload.device, reason=payload.reason
    )
    made = done.redemption
    return Status(
        201,
        {
            "serial": made.serial,
            "quantity": made.quantity,
            "staff": done.staff.public_id,
            "device": done.device,
            "reason": done.reason,
            "reversed_at": done.reversed_at,
            "redeemable": redeemable_out(_fresh(made.redeemable)),
        },
    )


@router.get(
    "/o2o/booths/{booth}/pickups", response=with_errors({200: list[RedeemableOut]}, 401, 404)
)
def booth_pickups(request: HttpRequest, booth: str):
    """A booth's pickups still to hand over, oldest first (its shop's seller and staff)."""
    found = Booth.objects.filter(
        public_id=booth,
        status=BoothStatus.ACTIVE,
        shop_id__in=redemption.staff_shop_ids(request.auth),
    ).first()
    if found is None:
        raise NotFound(_("没有找到这个展位。"), code="booth_not_found")
    waiting = pickup.pending_pickups(booth=found).select_related("booth__venue", "booth__shop")
    return [redeemable_out(r) for r in waiting[:200]]


class PickupBoothsQuery(Schema):
    sku: list[str] | None = Field(
        None, description="The SKUs to buy (public ids); default: the caller's cart."
    )


@router.get("/o2o/pickup-booths", response=with_errors({200: list[BoothPlaceOut]}, 401, 422))
def pickup_booths(request: HttpRequest, query: Query[PickupBoothsQuery]):
    """The booths the caller may pick up at today for these SKUs (or the cart): booths of
    their shops the caller scanned today that are still open today."""
    if query.sku:
        priced = lines_priced({sku[:40]: 1 for sku in query.sku[:200]}, delivery="pickup")
    else:
        priced = cart_priced(user=request.auth, delivery="pickup")
    booths = pickup.pickup_booths(
        user=request.auth, visitor_id=None, shop_ids=pickup.cart_shop_ids(priced.lines)
    )
    return [
        {
            "public_id": b.public_id,
            "number": b.number,
            "venue_zh": b.venue.name_zh,
            "venue_en": b.venue.name_en,
            "shop": b.shop.public_id,
        }
        for b in booths
    ]


class BoothCheckoutIn(Input):
    booth: PublicId = Field(description="The booth to pick the shop's items up at today.")
    lines: list[CartLineIn] | None = Field(None, min_length=1, max_length=200)
    expected_total_fen: Annotated[int, Field(ge=0, le=10**12)] | None = None
    coupons: list[str] | None = Field(None, max_length=20)


@router.post(
    "/o2o/booth-checkout",
    response=with_errors({201: CheckoutOut}, 400, 401, 403, 404, 409, 422, 429),
)
@rate_limited("checkout")
def booth_checkout(
    request: HttpRequest, payload: BoothCheckoutIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Check out ``lines`` (default: the cart) for pickup, the booth's shop's items at
    ``booth`` today: a booth the caller scanned today (else 422
    ``pickup_booth_unavailable``). Everything else as ``POST /checkout``."""
    placed = pickup.booth_pickup_checkout(
        buyer=request.auth,
        visitor_id=None,
        booth=payload.booth,
        lines=(
            [(line.sku, line.quantity) for line in payload.lines]
            if payload.lines is not None
            else None
        ),
        idempotency_key=idempotency_key,
        expected_total_fen=payload.expected_total_fen,
        coupons=payload.coupons,
    )
    return Status(201, checkout_out(placed))
