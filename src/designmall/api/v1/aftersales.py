"""After-sales (售后): the buyer's requests, the seller's answers and the platform's decisions.

A buyer asks on one line of their order (``POST /orders/{id}/aftersales``) for a refund
only or a return and refund; the seller accepts or refuses; a refused request may be taken
to the platform, where an operator decides. Requests are reached through their order's
buyer or seller (operators: escalated ones); anyone else's is 404
``aftersales_not_found``, exactly like one that does not exist. Every step is in the
request's ``events``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from designmall.api.auth import AUTHENTICATED, OPERATOR
from designmall.api.errors import with_errors
from designmall.api.schemas import Input, Page, PageQuery, absolute_url, page_out, text
from designmall.core.errors import NotFound
from designmall.core.money import format_fen
from designmall.orders.aftersales import (
    aftersales_accept,
    aftersales_cancel,
    aftersales_create,
    aftersales_decide,
    aftersales_escalate,
    aftersales_photo_add,
    aftersales_refuse,
    aftersales_return_received,
    aftersales_return_ship,
)
from designmall.orders.models import AfterSalesRequest, OrderLine
from designmall.orders.selectors import (
    aftersales_for_buyer,
    aftersales_for_operator,
    aftersales_for_seller,
    order_for_buyer,
)

router = Router(tags=["aftersales"], auth=AUTHENTICATED)
operator_router = Router(tags=["operator"], auth=OPERATOR)

KindValue = Literal["refund_only", "return_refund"]
ReasonValue = Literal[
    "not_as_described",
    "damaged",
    "quality",
    "wrong_item",
    "missing_parts",
    "not_received",
    "changed_mind",
    "other",
]
StatusValue = Literal[
    "requested",
    "accepted",
    "refused",
    "escalated",
    "return_shipped",
    "return_received",
    "refunded",
    "closed",
    "cancelled",
]


class AfterSalesEventOut(Schema):
    from_status: str
    to_status: StatusValue
    to_status_display: str
    # Who took the step: "buyer", "seller", "platform" (an operator) or "system".
    by: Literal["buyer", "seller", "platform", "system"]
    reason: str
    at: datetime


class AfterSalesPhotoOut(Schema):
    url: str


class AfterSalesOut(Schema):
    public_id: str
    order: str
    sku: str
    product_title: str
    kind: KindValue
    kind_display: str
    status: StatusValue
    status_display: str
    reason: ReasonValue
    reason_display: str
    note: str
    quantity: int
    amount_fen: int
    amount_display: str
    refusal_reason: str
    return_carrier: str
    return_tracking_number: str
    refund: str | None
    created_at: datetime
    # When the seller has to answer by, else it is accepted by itself.
    reply_due_at: datetime | None
    photos: list[AfterSalesPhotoOut]
    events: list[AfterSalesEventOut]


def _by(request: AfterSalesRequest, by_id: int | None) -> str:
    if by_id is None:
        return "system"
    if by_id == request.order.buyer_id:
        return "buyer"
    if by_id == request.order.shop.owner_id:
        return "seller"
    return "platform"


def aftersales_out(http: HttpRequest | None, request: AfterSalesRequest) -> dict[str, Any]:
    return {
        "public_id": request.public_id,
        "order": request.order.public_id,
        "sku": request.line.sku.public_id,
        "product_title": request.line.product_title,
        "kind": request.kind,
        "kind_display": request.get_kind_display(),
        "status": request.status,
        "status_display": request.get_status_display(),
        "reason": request.reason,
        "reason_display": request.get_reason_display(),
        "note": request.note,
        "quantity": request.quantity,
        "amount_fen": request.amount_fen,
        "amount_display": format_fen(request.amount_fen),
        "refusal_reason": request.refusal_reason,
        "return_carrier": request.return_carrier,
        "return_tracking_number": request.return_tracking_number,
        "refund": request.refund.public_id if request.refund_id else None,
        "created_at": request.created_at,
        "reply_due_at": request.reply_due_at,
        "photos": [
            {"url": absolute_url(http, photo.image) if http else photo.image.url}
            for photo in request.photos.all()
        ],
        "events": [
            {
                "from_status": event.from_status,
                "to_status": event.to_status,
                "to_status_display": event.to_status_display,
                "by": _by(request, event.by_id),
                "reason": event.reason,
                "at": event.at,
            }
            for event in request.events.all()
        ],
    }


def _fresh(request: AfterSalesRequest) -> AfterSalesRequest:
    return (
        AfterSalesRequest.objects.select_related("order__shop", "line__sku", "refund")
        .prefetch_related("events", "photos")
        .get(pk=request.pk)
    )


class AfterSalesQuery(PageQuery):
    status: StatusValue | None = None


# --- the buyer ------------------------------------------------------------------------------


class AfterSalesIn(Input):
    sku: text(24, min_length=1)  # the order line's SKU
    kind: KindValue
    reason: ReasonValue
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    # Default: the units' share of what the line cost.
    amount_fen: Annotated[int, Field(ge=1, le=10**12)] | None = None
    note: text(500) = ""


class EscalateIn(Input):
    note: text(500) = ""


class ReturnIn(Input):
    carrier: text(16, min_length=1)
    tracking_number: text(40, min_length=1)


@router.post(
    "/orders/{pid:public_id}/aftersales",
    response=with_errors({201: AfterSalesOut}, 400, 401, 403, 404, 409, 422),
)
def buyer_aftersales_create(request: HttpRequest, public_id: str, payload: AfterSalesIn):
    """Ask for a refund only (``refund_only``) or a return and refund (``return_refund``) of
    ``quantity`` units of one line of the caller's paid order. A paid order not yet shipped
    takes refunds only (422 ``return_before_delivery``); a received one within
    ``AFTERSALES_WINDOW_DAYS`` (422 ``aftersales_window_closed``). The line's requests never
    ask for more units (422 ``quantity_exceeds_line``) or money (422 ``amount_exceeds_paid``)
    than it had and cost. Add photos with ``POST /aftersales/{id}/photos``."""
    order = order_for_buyer(user=request.auth, public_id=public_id)
    line = OrderLine.objects.filter(order=order, sku__public_id=payload.sku).first()
    if line is None:
        raise NotFound(_("没有找到这件商品。"), code="line_not_found")
    created = aftersales_create(
        order=order,
        line=line,
        by=request.auth,
        kind=payload.kind,
        reason=payload.reason,
        quantity=payload.quantity,
        amount_fen=payload.amount_fen,
        note=payload.note,
    )
    return Status(201, aftersales_out(request, _fresh(created)))


@router.get("/aftersales", response=with_errors({200: Page[AfterSalesOut]}, 401, 422))
def buyer_aftersales_list(request: HttpRequest, query: Query[AfterSalesQuery]):
    """The caller's after-sales requests, newest first, optionally of one ``status``."""
    requests = aftersales_for_buyer(user=request.auth).select_related("line__sku", "refund")
    if query.status:
        requests = requests.filter(status=query.status)
    return page_out(requests, query, lambda r: aftersales_out(request, r))


@router.get("/aftersales/{pid:public_id}", response=with_errors({200: AfterSalesOut}, 401, 404))
def buyer_aftersales_detail(request: HttpRequest, public_id: str):
    """One of the caller's requests with its photos and every step."""
    found = aftersales_for_buyer(user=request.auth, public_id=public_id)
    return aftersales_out(request, _fresh(found))


@router.post(
    "/aftersales/{pid:public_id}/photos",
    response=with_errors({201: AfterSalesOut}, 400, 401, 404, 409, 413, 422),
)
def buyer_aftersales_photo(request: HttpRequest, public_id: str, image: File[UploadedFile]):
    """Add a photo (multipart ``image``: JPEG, PNG or WebP, re-encoded; at most 6)."""
    found = aftersales_for_buyer(user=request.auth, public_id=public_id)
    aftersales_photo_add(request=found, by=request.auth, upload=image)
    return Status(201, aftersales_out(request, _fresh(found)))


@router.post(
    "/aftersales/{pid:public_id}/return",
    response=with_errors({200: AfterSalesOut}, 400, 401, 404, 409, 422),
)
def buyer_aftersales_return(request: HttpRequest, public_id: str, payload: ReturnIn):
    """The goods of an accepted return were sent back, by ``carrier`` with its number."""
    found = aftersales_for_buyer(user=request.auth, public_id=public_id)
    aftersales_return_ship(
        request=found,
        by=request.auth,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )
    return aftersales_out(request, _fresh(found))


@router.post(
    "/aftersales/{pid:public_id}/escalate",
    response=with_errors({200: AfterSalesOut}, 400, 401, 404, 409, 422),
)
def buyer_aftersales_escalate(request: HttpRequest, public_id: str, payload: EscalateIn):
    """Ask the platform to decide a request the seller refused."""
    found = aftersales_for_buyer(user=request.auth, public_id=public_id)
    aftersales_escalate(request=found, by=request.auth, note=payload.note)
    return aftersales_out(request, _fresh(found))


@router.post(
    "/aftersales/{pid:public_id}/cancel",
    response=with_errors({200: AfterSalesOut}, 401, 404, 409),
)
def buyer_aftersales_cancel(request: HttpRequest, public_id: str):
    """Withdraw a request (before a return was sent and before any refund)."""
    found = aftersales_for_buyer(user=request.auth, public_id=public_id)
    aftersales_cancel(request=found, by=request.auth)
    return aftersales_out(request, _fresh(found))


# --- the seller -----------------------------------------------------------------------------


class RefuseIn(Input):
    reason: text(500, min_length=1)


@router.get(
    "/seller/aftersales",
    tags=["seller"],
    response=with_errors({200: Page[AfterSalesOut]}, 401, 422),
)
def seller_aftersales_list(request: HttpRequest, query: Query[AfterSalesQuery]):
    """Requests on the caller's shops' orders, newest first, optionally of one ``status``."""
    requests = aftersales_for_seller(user=request.auth, status=query.status).select_related(
        "line__sku", "refund"
    )
    return page_out(requests, query, lambda r: aftersales_out(request, r))


@router.get(
    "/seller/aftersales/{pid:public_id}",
    tags=["seller"],
    response=with_errors({200: AfterSalesOut}, 401, 404),
)
def seller_aftersales_detail(request: HttpRequest, public_id: str):
    found = aftersales_for_seller(user=request.auth, public_id=public_id)
    return aftersales_out(request, _fresh(found))


@router.post(
    "/seller/aftersales/{pid:public_id}/accept",
    tags=["seller"],
    response=with_errors({200: AfterSalesOut}, 401, 404, 409, 422, 503),
)
def seller_aftersales_accept(request: HttpRequest, public_id: str):
    """Accept: a refund only is refunded at once (through the order's refund path, never
    twice); a return waits for the goods."""
    found = aftersales_for_seller(user=request.auth, public_id=public_id)
    aftersales_accept(request=found, by=request.auth)
    return aftersales_out(request, _fresh(found))


@router.post(
    "/seller/aftersales/{pid:public_id}/refuse",
    tags=["seller"],
    response=with_errors({200: AfterSalesOut}, 400, 401, 404, 409, 422),
)
def seller_aftersales_refuse(request: HttpRequest, public_id: str, payload: RefuseIn):
    """Refuse, with a reason the buyer sees (they may take it to the platform)."""
    found = aftersales_for_seller(user=request.auth, public_id=public_id)
    aftersales_refuse(request=found, by=request.auth, reason=payload.reason)
    return aftersales_out(request, _fresh(found))


@router.post(
    "/seller/aftersales/{pid:public_id}/return-received",
    tags=["seller"],
    response=with_errors({200: AfterSalesOut}, 401, 404, 409, 422, 503),
)
def seller_aftersales_return_received(request: HttpRequest, public_id: str):
    """The returned goods arrived: the refund is paid."""
    found = aftersales_for_seller(user=request.auth, public_id=public_id)
    aftersales_return_received(request=found, by=request.auth)
    return aftersales_out(request, _fresh(found))


# --- the platform ---------------------------------------------------------------------------


class DecideIn(Input):
    accept: bool
    reason: text(500) = ""


@operator_router.get("/aftersales", response=with_errors({200: Page[AfterSalesOut]}, 401, 403, 422))
def operator_aftersales_list(request: HttpRequest, query: Query[AfterSalesQuery]):
    """Requests of a ``status`` (default: ``escalated``, waiting for the platform)."""
    requests = aftersales_for_operator(status=query.status or "escalated").select_related(
        "line__sku", "refund"
    )
    return page_out(requests, query, lambda r: aftersales_out(request, r))


@operator_router.post(
    "/aftersales/{pid:public_id}/decide",
    response=with_errors({200: AfterSalesOut}, 400, 401, 403, 404, 409, 422, 503),
)
def operator_aftersales_decide(request: HttpRequest, public_id: str, payload: DecideIn):
    """Decide an escalated request: ``accept`` true refunds it (or awaits the return);
    false closes it (a ``reason`` required)."""
    found = aftersales_for_operator(public_id=public_id)
    aftersales_decide(request=found, by=request.auth, accept=payload.accept, reason=payload.reason)
    return aftersales_out(request, _fresh(found))


__all__ = ["aftersales_out", "operator_router", "router"]
