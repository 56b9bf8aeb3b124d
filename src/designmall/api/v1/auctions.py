"""Auctions: sales, lots, bidding, bidder deposits, watching, and paying for a lot won.

Sales and lots are public (those of published sales). A lot shows its price, the next
minimum bid, the bid count, its end (moved by the soft close: ``extended``), whether the
reserve is met (never the reserve), and the leader as an anonymised handle; with a login
it shows the caller's own side too (``you``). Keep a lot live with server-sent events at
``/auctions/lots/{id}/events`` (the storefront's, same payload as ``/live``) or by polling
``GET /auctions/lots/{id}/live?since_version=`` (``version`` grows with every change).

Bidding needs a login and, where the lot asks for one, a paid deposit (``POST
/auctions/lots/{id}/deposit`` gives the cashier's ``pay_url``). A bid is a maximum in fen:
the system bids for the caller by proxy up to it. The winner (or the runner-up offered a
second chance) pays through ``POST /auctions/lots/{id}/checkout`` (or ``.../second-chance/
accept``): the price less the deposit, plus shipping for delivery to an address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, Field

from designmall.accounts.models import User
from designmall.accounts.services import api_token_authenticate
from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    DesignerRef,
    Input,
    Page,
    PageQuery,
    PublicId,
    ShopRef,
    absolute_url,
    designer_ref,
    page_out,
    shop_ref,
)
from designmall.api.v1.orders import AddressIn, CheckoutOut, DeliveryValue, checkout_out
from designmall.api.v1.payments import PaymentStatusValue
from designmall.auctions import deposits, selectors, services, settlement, stream
from designmall.auctions.models import AuctionSale, BidSource, Deposit, Lot, LotStatus
from designmall.core.errors import Conflict, NotFound
from designmall.core.money import format_fen
from designmall.core.ratelimit import rate_limited
from designmall.payments.services import GatewayDown, payment_start

router = Router(tags=["auctions"], auth=AUTHENTICATED)

ListValue = Literal["upcoming", "live", "closing_soon", "results"]
PhaseValue = Literal["scheduled", "open", "closed"]
LotStatusValue = Literal["active", "awaiting_payment", "second_chance", "paid", "unsold"]
StandingValue = Literal["leading", "outbid", "won", "lost", "offered", "defaulted", "paid"]


def _money(name: str, fen: int | None) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen) if fen is not None else None}


def _viewer(request: HttpRequest) -> User | None:
    """The caller on a public read, if they sent a valid token or have a session."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return api_token_authenticate(header[7:].strip())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# --- sales --------------------------------------------------------------------------------


class SaleOut(Schema):
    public_id: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    cover: str | None
    starts_at: datetime
    ends_at: datetime = Field(description="When its first lot is scheduled to end.")
    stagger_seconds: int = Field(description="Lots end in turn, this far apart, by number.")
    opens_at: datetime | None = Field(description="When its first lot opens (none: no lots).")
    closes_at: datetime | None = Field(
        description="When its last lot closes, extensions included (none: no lots)."
    )
    deposit_fen: int = Field(description="One deposit covering its lots (0: none offered).")
    deposit_display: str
    lots: int


class SaleSummaryOut(Schema):
    lots: int
    sold: int
    unsold: int
    open: int
    total_hammer_fen: int
    total_hammer_display: str


class SaleDetailOut(SaleOut):
    summary: SaleSummaryOut


def sale_out(request: HttpRequest, sale: AuctionSale) -> dict[str, Any]:
    lots = getattr(sale, "lots_n", None)
    return {
        "public_id": sale.public_id,
        "title_zh": sale.title_zh,
        "title_en": sale.title_en,
        "description_zh": sale.description_zh,
        "description_en": sale.description_en,
        "cover": absolute_url(request, sale.cover),
        "starts_at": sale.starts_at,
        "ends_at": sale.ends_at,
        "stagger_seconds": sale.stagger_seconds,
        "opens_at": getattr(sale, "opens_at", None),
        "closes_at": getattr(sale, "closes_at", None),
        **_money("deposit", sale.deposit_fen),
        "lots": lots if lots is not None else sale.lots.count(),
    }


@router.get("/auctions/sales", auth=None, response=with_errors({200: Page[SaleOut]}, 422))
def sales(request: HttpRequest, query: Query[PageQuery]):
    """Published auction sales, latest start first."""
    found = selectors.sales_published().order_by("-starts_at", "-id")
    return page_out(found, query, lambda sale: sale_out(request, sale))


@router.get(
    "/auctions/sales/{pid:public_id}", auth=None, response=with_errors({200: SaleDetailOut}, 404)
)
def sale_detail(request: HttpRequest, public_id: str):
    """A sale with its results so far (list its lots with ``GET /auctions/lots?sale=``)."""
    sale = selectors.sale_by_public_id(public_id, viewer=_viewer(request))
    summary = selectors.sale_summary(sale)
    return {
        **sale_out(request, sale),
        "opens_at": summary.opens_at,
        "closes_at": summary.closes_at,
        "summary": {
            "lots": summary.lots,
            "sold": summary.sold,
            "unsold": summary.unsold,
            "open": summary.open,
            **_money("total_hammer", summary.total_hammer_fen),
        },
    }


# --- lots ---------------------------------------------------------------------------------


class LotImageOut(Schema):
    url: str | None
    alt: str


class YouOut(Schema):
    code: str = Field(description="The caller's anonymised handle on this lot.")
    leading: bool
    max_fen: int | None = Field(description="The caller's own maximum (nobody else sees it).")
    has_deposit: bool
    watching: bool
    is_seller: bool
    is_winner: bool


class LotOut(Schema):
    public_id: str
    sale: str
    number: int
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    designer: DesignerRef | None
    shop: ShopRef
    images: list[LotImageOut]
    estimate_low_fen: int | None
    estimate_high_fen: int | None
    start_price_fen: int
    start_price_display: str
    state: PhaseValue
    status: LotStatusValue
    price_fen: int | None = Field(description="The current price; null before any bid.")
    price_display: str | None
    minimum_bid_fen: int | None = Field(description="The least a new bid may be now.")
    minimum_bid_display: str | None
    bid_count: int
    leader: str = Field(description="The leader's anonymised handle (empty: no bid).")
    starts_at: datetime
    ends_at: datetime
    extended: bool = Field(description="The end was moved by late bids (soft close).")
    has_reserve: bool
    reserve_met: bool
    buy_now_fen: int | None = Field(description="Set only while buying now is possible.")
    buy_now_display: str | None
    deposit_fen: int
    deposit_display: str
    version: int
    outcome: str
    sold: bool
    hammer_fen: int | None
    hammer_display: str | None
    winner: str | None = Field(description="The winner's handle, once closed and sold.")
    can_bid: bool
    you: YouOut | None


def lot_out(request: HttpRequest, lot: Lot, viewer: User | None = None) -> dict[str, Any]:
    view = selectors.lot_view(lot=lot, viewer=viewer)
    return {
        "public_id": lot.public_id,
        "sale": lot.sale.public_id,
        "number": lot.number,
        "title_zh": lot.title_zh,
        "title_en": lot.title_en,
        "description_zh": lot.description_zh,
        "description_en": lot.description_en,
        "designer": designer_ref(lot.designer),
        "shop": shop_ref(lot.shop),
        "images": [
            {"url": absolute_url(request, image.image), "alt": image.alt}
            for image in lot.images.order_by("position", "id")
        ],
        "estimate_low_fen": lot.estimate_low_fen,
        "estimate_high_fen": lot.estimate_high_fen,
        **_money("start_price", lot.start_price_fen),
        "state": view.phase,
        "status": lot.status,
        **_money("price", view.price_fen),
        **_money("minimum_bid", view.minimum_bid_fen),
        "bid_count": view.bid_count,
        "leader": view.leader_label,
        "starts_at": view.starts_at,
        "ends_at": view.ends_at,
        "extended": view.extended,
        "has_reserve": view.has_reserve,
        "reserve_met": view.reserve_met,
        **_money("buy_now", view.buy_now_fen),
        **_money("deposit", view.deposit_fen),
        "version": view.version,
        "outcome": view.outcome,
        "sold": view.sold,
        **_money("hammer", view.hammer_fen),
        "winner": selectors.handle_label(view.winner_code) or None,
        "can_bid": view.can_bid if viewer is not None else False,
        "you": None
        if viewer is None
        else {
            "code": view.viewer_code,
            "leading": view.viewer_leading,
            "max_fen": view.viewer_max_fen,
            "has_deposit": view.viewer_has_deposit,
            "watching": view.viewer_watching,
            "is_seller": view.viewer_is_seller,
            "is_winner": view.viewer_is_winner,
        },
    }


class LotsQuery(PageQuery):
    state: ListValue = Field("live", description="Which list: by start, by end, or results.")
    sale: PublicId | None = None


@router.get("/auctions/lots", auth=None, response=with_errors({200: Page[LotOut]}, 404, 422))
def lots(request: HttpRequest, query: Query[LotsQuery]):
    """Lots of published sales: ``upcoming`` (by start), ``live`` (by end),
    ``closing_soon`` (live, ending within the hour) or ``results`` (latest first),
    optionally of one ``sale``."""
    viewer = _viewer(request)
    sale = selectors.sale_by_public_id(query.sale, viewer=viewer) if query.sale else None
    found = selectors.lots_listed(which=query.state, sale=sale)
    return page_out(found, query, lambda lot: lot_out(request, lot, viewer))


@router.get("/auctions/lots/{pid:public_id}", auth=None, response=with_errors({200: LotOut}, 404))
def lot_detail(request: HttpRequest, public_id: str):
    """A lot as the caller sees it now (``you`` with a login)."""
    viewer = _viewer(request)
    return lot_out(request, selectors.lot_by_public_id(public_id, viewer=viewer), viewer)


class BidLogOut(Schema):
    bidder: str = Field(description="The bidder's anonymised handle.")
    amount_fen: int
    amount_display: str
    automatic: bool = Field(description="Bid by the system for the bidder (proxy).")
    at: datetime
    is_you: bool


@router.get(
    "/auctions/lots/{pid:public_id}/bids",
    auth=None,
    response=with_errors({200: list[BidLogOut]}, 404),
)
def lot_bids(request: HttpRequest, public_id: str):
    """The public bid history, newest first (the last 50 lines)."""
    viewer = _viewer(request)
    lot = selectors.lot_by_public_id(public_id, viewer=viewer)
    return [
        {
            "bidder": line.label,
            **_money("amount", line.amount_fen),
            "automatic": line.automatic,
            "at": line.at,
            "is_you": line.is_you,
        }
        for line in selectors.lot_bid_log(lot=lot, viewer=viewer)
    ]


class LiveYouOut(Schema):
    leading: bool
    outbid: bool = Field(description="The caller bid and someone else leads now.")
    just_outbid: bool = Field(description="The caller lost the lead since the last event.")


class LiveOut(Schema):
    lot: str
    version: int
    changed: bool = Field(description="``version`` is above the ``since_version`` given.")
    state: PhaseValue
    status: LotStatusValue
    price_fen: int | None
    price_display: str
    minimum_bid_fen: int | None
    minimum_bid_display: str
    bid_count: int
    leader: str
    starts_at: datetime
    ends_at: datetime
    extended: bool
    reserve_met: bool
    server_time: datetime = Field(description="To run the countdown on the server's clock.")
    you: LiveYouOut | None


class LiveQuery(BaseModel):
    since_version: int | None = Field(None, ge=0, le=10**9)


@router.get(
    "/auctions/lots/{pid:public_id}/live",
    auth=None,
    url_name="auctions_lot_live",
    response=with_errors({200: LiveOut}, 404, 422),
)
def lot_live(request: HttpRequest, public_id: str, query: Query[LiveQuery]):
    """The lot's live state, the same payload as each server-sent event: poll it every
    second or two where events cannot be used, passing the ``version`` last seen as
    ``since_version`` (``changed`` says whether anything moved). A poll does not know what
    the caller saw before, so ``you.just_outbid`` is false here: compare ``you.outbid``."""
    viewer = _viewer(request)
    lot = selectors.lot_by_public_id(public_id, viewer=viewer)
    payload = stream.lot_live(lot, viewer=stream.Viewer.of(viewer, lot))
    since = query.since_version
    return {**payload, "changed": since is None or lot.version > since}


# --- bidding, deposits, watching ----------------------------------------------------------


class BidIn(Input):
    max_fen: int = Field(description="Your maximum in fen; the system bids up to it for you.")
    buy_now: bool = Field(False, description="Buy now: ``max_fen`` must be the buy-now price.")


class BidOut(Schema):
    bid: str
    leading: bool
    price_fen: int
    price_display: str
    minimum_bid_fen: int | None
    minimum_bid_display: str | None
    ends_at: datetime
    extended: bool = Field(description="This bid moved the end (soft close).")
    bought_now: bool
    lot: LotOut


@router.post(
    "/auctions/lots/{pid:public_id}/bids",
    response=with_errors({201: BidOut}, 400, 401, 403, 404, 409, 422, 429),
)
@rate_limited("bid")
def bid(request: HttpRequest, public_id: str, payload: BidIn):
    """Bid up to ``max_fen`` (an integer number of fen) or buy now. Refused: amounts
    not positive (``amount_not_positive``) or above what one payment carries
    (``amount_too_large``) (422); the seller's own lot (403 ``own_lot``); no paid deposit
    (409 ``deposit_required``); by the engine, 409 with its reason: ``bid_below_minimum``
    (``details.minimum_fen``), ``bid_off_grid`` (``nearest_below_fen`` /
    ``nearest_above_fen``), ``bid_not_above_own_maximum``, ``lot_not_started``,
    ``lot_ended`` (the server's clock decides), ``lot_closed``, ``buy_now_unavailable``,
    ``buy_now_amount_mismatch``."""
    # Only the key first: most bids on a hot lot are refused, and refusals need no more.
    result = services.bid_place(
        lot=selectors.lot_ref(public_id),
        bidder=request.auth,
        max_fen=payload.max_fen,
        buy_now=payload.buy_now,
        source=BidSource.API,
        client_ip=request.META.get("REMOTE_ADDR") or None,
    )
    fresh = result.lot  # as the bid left it, read with what the answer shows
    return Status(
        201,
        {
            "bid": result.bid.public_id,
            "leading": result.leading,
            **_money("price", result.price_fen),
            **_money("minimum_bid", result.minimum_next_fen),
            "ends_at": result.ends_at,
            "extended": result.extended,
            "bought_now": result.bought_now,
            "lot": lot_out(request, fresh, request.auth),
        },
    )


class DepositIn(Input):
    target: Literal["lot", "sale"] = Field(
        "lot", description="Pay the lot's deposit, or the sale's (covering its lots)."
    )


class DepositPaymentOut(Schema):
    public_id: str
    status: PaymentStatusValue
    amount_fen: int
    amount_display: str
    expires_at: datetime
    pay_url: str | None = Field(description="The cashier while it can be paid.")


class DepositOut(Schema):
    public_id: str
    status: Literal["pending", "paid", "releasing", "released", "applied", "forfeited", "expired"]
    status_display: str
    lot: str | None
    sale: str | None
    amount_fen: int
    amount_display: str
    payment: DepositPaymentOut


def _pay_url(payment) -> str | None:
    try:
        return payment_start(payment=payment, channel="page").url
    except (Conflict, GatewayDown):  # paid, closed or expired; or the gateway is away
        return None


def deposit_out(deposit: Deposit) -> dict[str, Any]:
    payment = deposit.payment
    return {
        "public_id": deposit.public_id,
        "status": deposit.status,
        "status_display": deposit.get_status_display(),
        "lot": deposit.lot.public_id if deposit.lot else None,
        "sale": deposit.sale.public_id if deposit.sale else None,
        **_money("amount", deposit.amount_fen),
        "payment": {
            "public_id": payment.public_id,
            "status": payment.status,
            **_money("amount", payment.amount_fen),
            "expires_at": payment.expires_at,
            "pay_url": _pay_url(payment),
        },
    }


@router.post(
    "/auctions/lots/{pid:public_id}/deposit",
    response=with_errors({201: DepositOut}, 400, 401, 403, 404, 409, 422),
)
def deposit(request: HttpRequest, public_id: str, payload: DepositIn):
    """A bidder deposit for the lot (or its sale) with its payment to pay at ``pay_url``;
    a pending one still payable is given again. Refused: ``deposit_not_required``,
    ``deposit_already_paid``, ``bidding_closed`` (409); the seller (403 ``own_lot``)."""
    lot = selectors.lot_by_public_id(public_id, viewer=request.auth)
    made = deposits.deposit_create(
        bidder=request.auth,
        lot=lot if payload.target == "lot" else None,
        sale=lot.sale if payload.target == "sale" else None,
    )
    return Status(
        201, deposit_out(selectors.deposit_for_bidder(user=request.auth, public_id=made.public_id))
    )


class WatchOut(Schema):
    lot: str
    watching: bool


@router.post(
    "/auctions/lots/{pid:public_id}/watch", response=with_errors({200: WatchOut}, 401, 404)
)
def watch(request: HttpRequest, public_id: str):
    """Watch the lot (again: nothing changes)."""
    lot = selectors.lot_by_public_id(public_id, viewer=request.auth)
    services.lot_watch(lot=lot, user=request.auth)
    return {"lot": lot.public_id, "watching": True}


@router.delete(
    "/auctions/lots/{pid:public_id}/watch", response=with_errors({200: WatchOut}, 401, 404)
)
def unwatch(request: HttpRequest, public_id: str):
    """Stop watching the lot."""
    lot = selectors.lot_by_public_id(public_id, viewer=request.auth)
    services.lot_unwatch(lot=lot, user=request.auth)
    return {"lot": lot.public_id, "watching": False}


class MyBidOut(Schema):
    lot: LotOut
    my_max_fen: int
    my_max_display: str
    my_bids: int
    standing: StandingValue
    last_bid_at: datetime


@router.get("/me/auctions/bids", response=with_errors({200: list[MyBidOut]}, 401))
def my_bids(request: HttpRequest):
    """Every lot the caller bid on, latest first, with their maximum and where they stand
    (``won``: pay through ``/auctions/lots/{id}/checkout``; ``offered``: a second chance)."""
    return [
        {
            "lot": lot_out(request, row.lot, request.auth),
            **_money("my_max", row.my_max_fen),
            "my_bids": row.my_bids,
            "standing": row.standing,
            "last_bid_at": row.last_bid_at,
        }
        for row in selectors.lots_bid_on(user=request.auth)
    ]


@router.get("/me/auctions/watching", response=with_errors({200: list[LotOut]}, 401))
def my_watching(request: HttpRequest):
    """The lots the caller watches, ending first."""
    return [
        lot_out(request, lot, request.auth) for lot in selectors.lots_watched(user=request.auth)
    ]


# --- paying for a lot won -----------------------------------------------------------------


class LotCheckoutIn(Input):
    delivery: DeliveryValue
    address: AddressIn | None = None


def _checkout(request: HttpRequest, public_id: str, payload: LotCheckoutIn, *, kind: str):
    lot = selectors.lot_by_public_id(public_id, viewer=request.auth)
    terms = selectors.purchase_terms(lot=lot, user=request.auth)
    if kind == "second_chance" and (terms is None or terms.kind != "second_chance"):
        raise NotFound(_("没有找到这个优先购买机会。"), code="offer_not_found")
    checkout = settlement.lot_checkout_create(
        lot=lot,
        by=request.auth,
        delivery=payload.delivery,
        address=payload.address.model_dump() if payload.address else None,
    )
    return Status(201, checkout_out(checkout))


@router.post(
    "/auctions/lots/{pid:public_id}/checkout",
    response=with_errors({201: CheckoutOut}, 400, 401, 403, 404, 409, 422),
)
def lot_checkout(request: HttpRequest, public_id: str, payload: LotCheckoutIn):
    """The winner checks out the lot (or the runner-up holding a second-chance offer):
    one order at the price plus shipping, paid (``payment.pay_url``) less the deposit
    credited, within the payment window. A pending checkout is given again. Refused:
    anyone else (403 ``not_winner``), ``payment_window_closed``, ``lot_not_closed``,
    ``lot_paid``, ``lot_unsold`` (409), a bad address (422)."""
    return _checkout(request, public_id, payload, kind="any")


@router.post(
    "/auctions/lots/{pid:public_id}/second-chance/accept",
    response=with_errors({201: CheckoutOut}, 400, 401, 403, 404, 409, 422),
)
def second_chance_accept(request: HttpRequest, public_id: str, payload: LotCheckoutIn):
    """Accept a second-chance offer at its price: its checkout, to pay before the offer's
    end. Someone else's offer, or none, is 404."""
    return _checkout(request, public_id, payload, kind="second_chance")


class OfferOut(Schema):
    public_id: str
    lot: str
    status: Literal["open", "accepted", "declined", "lapsed"]
    amount_fen: int
    amount_display: str
    expires_at: datetime


@router.post(
    "/auctions/lots/{pid:public_id}/second-chance/decline",
    response=with_errors({200: OfferOut}, 401, 404, 409),
)
def second_chance_decline(request: HttpRequest, public_id: str):
    """Decline a second-chance offer: the lot is unsold. Someone else's is 404."""
    lot = selectors.lot_by_public_id(public_id, viewer=request.auth)
    offer = getattr(lot, "second_chance", None) if lot.status != LotStatus.ACTIVE else None
    if offer is None or offer.bidder_id != request.auth.pk:
        raise NotFound(_("没有找到这个优先购买机会。"), code="offer_not_found")
    offer = settlement.second_chance_decline(offer=offer, by=request.auth)
    return {
        "public_id": offer.public_id,
        "lot": lot.public_id,
        "status": offer.status,
        **_money("amount", offer.amount_fen),
        "expires_at": offer.expires_at,
    }
