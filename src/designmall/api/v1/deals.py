"""Flash deals (限时秒杀): list and read them (public), and buy one unit (a login).

A deal sells ``quantity`` units of one SKU at ``price_fen`` between ``starts_at`` and
``ends_at``, at most ``per_buyer_limit`` per buyer, one unit per order. ``phase`` is
``upcoming`` (即将开抢: count down to ``starts_at`` from ``server_time``), ``live``,
``sold_out`` (已抢光), ``ended`` or ``cancelled``; ``units_left`` is what is left to take
now (units of unpaid orders come back when those expire).

``POST /deals/{id}/buy``, where the deal runs on Redis, answers 202 at once with a ticket
(``queued``: 抢到了，正在生成订单 — the unit is yours, the order is being written); fetch
``GET /deals/{id}/tickets/{ticket}`` (about once a second) until it is ``ordered`` (its
``checkout``: one pending order of the deal's shop at the deal price, to be paid by its
``expires_at``, like ``POST /checkout``) or, rarely, ``failed`` (the order was refused when
written, e.g. the account was closed: the unit went back on sale). Without Redis (the
embedded tier) the order is written in the request: 201 with the checkout.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from designmall.api.auth import AUTHENTICATED
from designmall.api.deal_front import caller_ref
from designmall.api.errors import with_errors
from designmall.api.schemas import Input, ShopRef, shop_ref
from designmall.api.v1.orders import (
    AddressIn,
    CheckoutOut,
    DeliveryValue,
    IdempotencyKeyHeader,
    _fingerprint,
    checkout_out,
)
from designmall.core.money import format_fen
from designmall.core.ratelimit import rate_limited
from designmall.promotions import deals as deal_services
from designmall.promotions.models import Deal

router = Router(tags=["deals"], auth=AUTHENTICATED)

PhaseValue = Literal["upcoming", "live", "sold_out", "ended", "cancelled"]


class DealStateOut(Schema):
    phase: PhaseValue = Field(
        description="upcoming (即将开抢), live, sold_out (已抢光), ended or cancelled."
    )
    units_left: int
    quantity: int
    starts_at: datetime
    ends_at: datetime
    server_time: datetime = Field(description="The server's clock, to count down from.")


class DealOut(DealStateOut):
    public_id: str
    title: str = Field(description="In the request's language.")
    title_zh: str
    title_en: str
    shop: ShopRef
    product: str = Field(description="The product's public id.")
    sku: str = Field(description="The SKU's public id.")
    sku_label: str
    price_fen: int
    price_display: str
    list_price_fen: int
    list_price_display: str
    per_buyer_limit: int


class DealListOut(Schema):
    items: list[DealOut]


def deal_out(deal: Deal) -> dict[str, Any]:
    return {
        **deal_services.deal_live_state(deal),
        "public_id": deal.public_id,
        "title": deal.title,
        "title_zh": deal.title_zh,
        "title_en": deal.title_en,
        "shop": shop_ref(deal.shop),
        "product": deal.sku.product.public_id,
        "sku": deal.sku.public_id,
        "sku_label": deal.sku.label,
        "price_fen": deal.price_fen,
        "price_display": format_fen(deal.price_fen),
        "list_price_fen": deal.list_price_fen,
        "list_price_display": format_fen(deal.list_price_fen),
        "per_buyer_limit": deal.per_buyer_limit,
    }


@router.get("/deals", auth=None, response=with_errors({200: DealListOut}))
def deals(request: HttpRequest):
    """Deals running now or still to come, soonest first (at most 50)."""
    return {"items": [deal_out(deal) for deal in deal_services.deals_current()]}


@router.get("/deals/{pid:public_id}", auth=None, response=with_errors({200: DealOut}, 404))
def deal_detail(request: HttpRequest, public_id: str):
    """One deal, with its phase and units left now. Unknown: 404 ``deal_not_found``."""
    return deal_out(deal_services.deal_by_public_id(public_id))


@router.get(
    "/deals/{pid:public_id}/state", auth=None, response=with_errors({200: DealStateOut}, 404)
)
def deal_state(request: HttpRequest, public_id: str):
    """Just the phase, units left and times: what the deal page polls."""
    return deal_services.deal_live_state(deal_services.deal_by_public_id(public_id))


TicketStatusValue = Literal["queued", "ordered", "failed"]


class DealTicketOut(Schema):
    ticket: str = Field(description="The ticket's id: fetch it at /deals/{deal}/tickets/{ticket}.")
    deal: str = Field(description="The deal's public id.")
    status: TicketStatusValue = Field(
        description="queued (排队中: the unit is yours, the order is being written), ordered "
        "(checkout holds it) or failed (the order was refused: the unit went back on sale)."
    )
    message: str = Field(description="What to tell the buyer, in the request's language.")
    checkout: CheckoutOut | None = Field(description="The order's checkout once ordered.")
    poll_after_ms: int = Field(description="While queued: when to fetch the ticket again.")


_POLL_AFTER_MS = 1000


def ticket_out(grab: deal_services.Grab) -> dict[str, Any]:
    messages = {
        "queued": _("抢到了，正在生成订单……"),
        "ordered": _("抢到了，订单已生成，请尽快付款。"),
        "failed": _("订单未能生成，名额已退回。"),
    }
    return {
        "ticket": grab.ticket,
        "deal": grab.deal,
        "status": grab.status,
        "message": messages[grab.status],
        "checkout": checkout_out(grab.checkout) if grab.checkout is not None else None,
        "poll_after_ms": _POLL_AFTER_MS if grab.status == "queued" else 0,
    }


class DealBuyIn(Input):
    delivery: DeliveryValue
    address: AddressIn | None = None


@router.post(
    "/deals/{pid:public_id}/buy",
    response=with_errors({201: CheckoutOut, 202: DealTicketOut}, 400, 401, 403, 404, 409, 422, 429),
)
@rate_limited("deal_buy")
def deal_buy(
    request: HttpRequest,
    public_id: str,
    payload: DealBuyIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Take one unit of the deal. Where the deal runs on Redis: 202 with a ticket
    (``queued``) as soon as the unit is yours; fetch the ticket until it is ``ordered``.
    Without Redis: 201 with the pending checkout (one order of the deal's shop at the deal
    price, shipping by the usual rule), to be paid by its ``expires_at``. Refused:
    409 ``deal_not_started``, ``deal_sold_out``, ``deal_ended`` (also cancelled),
    ``deal_limit_reached`` (the caller holds ``per_buyer_limit`` units in unpaid or paid
    orders), ``deal_busy`` (a race lost: try again); 404 ``deal_not_found``; 422
    ``invalid_address``; 429 ``rate_limited`` (``Retry-After``). With an
    ``Idempotency-Key`` a retry answers the first result."""
    grab = deal_services.deal_grab(
        buyer=request.auth,
        deal=public_id,
        delivery=payload.delivery,
        address=payload.address.model_dump() if payload.address is not None else None,
        idempotency_key=idempotency_key,
        request_fingerprint=(
            _fingerprint(payload, deal=public_id) if idempotency_key is not None else None
        ),
        caller=caller_ref(request.headers.get("Authorization", "")),
    )
    if grab.status == "ordered" and not deal_services.deal_admission.enabled():
        return Status(201, checkout_out(grab.checkout))
    return Status(202, ticket_out(grab))


@router.get(
    "/deals/{pid:public_id}/tickets/{ticket}",
    response=with_errors({200: DealTicketOut}, 401, 404),
)
def deal_ticket(request: HttpRequest, public_id: str, ticket: str):
    """Your ticket of the deal (from the 202 of ``buy``): ``queued`` while the order is
    being written, then ``ordered`` with its checkout (or ``failed``). 404
    ``deal_ticket_not_found`` for a ticket that is not yours."""
    return ticket_out(
        deal_services.deal_ticket_state(buyer=request.auth, deal=public_id, ticket=ticket)
    )
