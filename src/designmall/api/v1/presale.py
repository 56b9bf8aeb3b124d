"""Pre-sales (预售): campaigns, pre-orders, deposits and balances, for buyers, sellers and
operators.

Campaigns are public once an operator approves them: ``GET /presales`` (those not over)
and ``GET /presales/{id}``, with their SKUs (pre-sale price, deposit, what the deposit
counts for: 定金 ¥100 抵 ¥150, the balance, units left), their windows, the promised ship
date and their ``terms``: what happens when the balance is not paid in time (a 定金 is
forfeited, an advance payment refunded in full) and when the seller ships late (the buyer
may cancel with everything refunded). A buyer sees these before paying the deposit.

A buyer pre-orders one unit (``POST /presales/{id}/preorders``, with an optional
``Idempotency-Key``): the unit is held and the deposit is asked for as its own payment,
payable at ``deposit_payment.pay_url`` until ``hold_expires_at``. In the balance window,
``POST /preorders/{id}/balance`` gives the balance payment: its amount is the server's
(locked price − deposit credit − an optional coupon), never the client's; paying it
before or after the window or with the deposit unpaid is 409. Fully paid, the pre-order
becomes an ordinary order (``order``) with its promised ship date, shipped, received and
settled as any order. ``POST /preorders/{id}/cancel``: the seller or an operator at any
time before shipping, the buyer once the promised ship date has passed; everything paid
is refunded in full.

Sellers write campaigns under ``/seller/presales`` (create, edit while a draft or
rejected, submit, cancel, their pre-orders, what to ship by when); operators review them
under ``/operator/presales`` and see every pre-order (the late ones too) and refund a
buyer in full (``/operator/preorders/{id}/refund``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, Strict

from designmall.api.auth import AUTHENTICATED, OPERATOR
from designmall.api.errors import with_errors
from designmall.api.schemas import (
    Input,
    OptionalReasonIn,
    Page,
    PageQuery,
    PriceBoundFen,
    PriceFen,
    PublicId,
    ReasonIn,
    ShopRef,
    page_out,
    shop_ref,
    text,
)
from designmall.api.v1.orders import AddressIn, DeliveryValue, IdempotencyKeyHeader
from designmall.api.v1.payments import PaymentStatusValue
from designmall.catalog.models import Shop
from designmall.catalog.services import product_for_seller
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound
from designmall.core.money import format_fen
from designmall.orders import idempotency
from designmall.orders.models import IdempotencyScope
from designmall.payments.models import Payment, PaymentStatus
from designmall.payments.services import GatewayDown, payment_start
from designmall.presale import rules, selectors, services
from designmall.presale.models import (
    Campaign,
    CampaignSku,
    Preorder,
    PreorderStatus,
)

router = Router(tags=["presale"], auth=AUTHENTICATED)
seller_router = Router(tags=["presale"], auth=AUTHENTICATED)
operator_router = Router(tags=["presale"], auth=OPERATOR)

KindValue = Literal["full", "deposit"]
CampaignStatusValue = Literal["draft", "submitted", "approved", "rejected", "cancelled"]
PreorderStatusValue = Literal[
    "pending_deposit", "deposit_paid", "expired", "fully_paid", "defaulted", "cancelled"
]
PhaseValue = Literal["upcoming", "deposit", "waiting_for_balance", "balance", "ended"]
YEARS = range(2000, 2200)  # a campaign's times and dates fall in these years


def _in_years(value: Any) -> Any:
    if value.year not in YEARS:
        raise ValueError(f"the year must be between {YEARS.start} and {YEARS.stop - 1}")
    return value


# An ISO 8601 time with its offset, a date (JSON has no such types: strict mode is lifted).
When = Annotated[AwareDatetime, Strict(False), AfterValidator(_in_years)]
Day = Annotated[date, Strict(False), AfterValidator(_in_years)]


def _money(name: str, fen: int) -> dict[str, Any]:
    return {f"{name}_fen": fen, f"{name}_display": format_fen(fen)}


# --- campaigns --------------------------------------------------------------------------------


class CampaignSkuOut(Schema):
    sku: str
    label: str
    price_fen: int
    price_display: str
    deposit_fen: int = Field(description="Paid now (0 for a full-payment campaign).")
    deposit_display: str
    credit_fen: int = Field(description="What the deposit counts for against the price.")
    credit_display: str
    pay_now_fen: int = Field(description="Paid on pre-ordering: the deposit, or the price.")
    pay_now_display: str
    balance_fen: int = Field(description="Price − credit: the balance to pay later (0: none).")
    balance_display: str
    quantity: int
    left: int


class TermsOut(Schema):
    on_default: Literal["deposit_forfeited", "deposit_refunded"] = Field(
        description="When the balance is not paid by the window's end."
    )
    on_default_text: str
    on_late_shipping_text: str
    unit_on_default: Literal["resold", "released"]
    balance_text: str


class CampaignOut(Schema):
    public_id: str
    kind: KindValue
    title_zh: str
    title_en: str
    shop: ShopRef
    product: str
    product_title: str
    earnest: bool = Field(description="The deposit is 定金 (forfeited on default).")
    starts_at: datetime
    ends_at: datetime
    balance_starts_at: datetime | None
    balance_ends_at: datetime | None
    ship_on: date | None
    ship_days_after_end: int | None
    promised_ship_date: date | None
    per_buyer_limit: int
    phase: PhaseValue
    skus: list[CampaignSkuOut]
    terms: TermsOut


class CampaignCountsOut(Schema):
    pending_deposit: int
    deposit_paid: int
    fully_paid: int
    defaulted: int
    cancelled: int
    expired: int


class SellerCampaignOut(CampaignOut):
    status: CampaignStatusValue
    status_display: str
    reject_reason: str
    resell_defaulted: bool
    created_at: datetime
    submitted_at: datetime | None
    reviewed_at: datetime | None
    preorders: CampaignCountsOut


def _phase(campaign: Campaign, now: datetime) -> str:
    if now < campaign.starts_at:
        return "upcoming"
    if now < campaign.ends_at:
        return "deposit"
    if campaign.balance_starts_at and now < campaign.balance_starts_at:
        return "waiting_for_balance"
    if campaign.balance_ends_at and now < campaign.balance_ends_at:
        return "balance"
    return "ended"


def terms_out(campaign: Campaign) -> dict[str, Any]:
    forfeited = campaign.is_deposit and campaign.earnest
    if not campaign.is_deposit:
        on_default_text = _("全款预售，无尾款。")
    elif forfeited:
        on_default_text = _("逾期未付尾款，订单关闭，定金不退（归卖家）。")
    else:
        on_default_text = _("逾期未付尾款，订单关闭，预付款全额退回。")
    return {
        "on_default": "deposit_forfeited" if forfeited else "deposit_refunded",
        "on_default_text": on_default_text,
        "on_late_shipping_text": _(
            "卖家取消，或过了承诺发货日期仍未发货时买家申请取消：已付款项全额自动退回。"
        ),
        "unit_on_default": "resold" if campaign.resell_defaulted else "released",
        "balance_text": _("尾款由平台计算：预售价 − 定金抵扣（− 优惠券），客户端金额无效。"),
    }


def _sku_out(row: CampaignSku) -> dict[str, Any]:
    return {
        "sku": row.sku.public_id,
        "label": row.sku.label,
        **_money("price", row.price_fen),
        **_money("deposit", row.deposit_fen),
        **_money("credit", row.credit_fen),
        **_money("pay_now", row.deposit_fen if row.deposit_fen else row.price_fen),
        **_money("balance", row.balance_fen if row.deposit_fen else 0),
        "quantity": row.quantity,
        "left": row.left,
    }


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    return {
        "public_id": campaign.public_id,
        "kind": campaign.kind,
        "title_zh": campaign.title_zh,
        "title_en": campaign.title_en,
        "shop": shop_ref(campaign.shop),
        "product": campaign.product.public_id,
        "product_title": campaign.product.title,
        "earnest": campaign.earnest,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "balance_starts_at": campaign.balance_starts_at,
        "balance_ends_at": campaign.balance_ends_at,
        "ship_on": campaign.ship_on,
        "ship_days_after_end": campaign.ship_days_after_end,
        "promised_ship_date": campaign.promised_ship_date,
        "per_buyer_limit": campaign.per_buyer_limit,
        "phase": _phase(campaign, clock.now()),
        "skus": [_sku_out(row) for row in campaign.skus.all()],
        "terms": terms_out(campaign),
    }


def seller_campaign_out(campaign: Campaign) -> dict[str, Any]:
    counts = dict.fromkeys(CampaignCountsOut.model_fields, 0)
    for status in campaign.preorders.values_list("status", flat=True):
        counts[status] += 1
    return {
        **campaign_out(campaign),
        "status": campaign.status,
        "status_display": campaign.get_status_display(),
        "reject_reason": campaign.reject_reason,
        "resell_defaulted": campaign.resell_defaulted,
        "created_at": campaign.created_at,
        "submitted_at": campaign.submitted_at,
        "reviewed_at": campaign.reviewed_at,
        "preorders": counts,
    }


class CampaignsQuery(PageQuery):
    product: PublicId | None = None


@router.get("/presales", auth=None, response=with_errors({200: Page[CampaignOut]}, 422))
def campaigns(request: HttpRequest, query: Query[CampaignsQuery]):
    """Approved pre-sales not over yet (upcoming, taking deposits, waiting for or taking
    balances), soonest to start first; ``product`` narrows to one product's."""
    found = selectors.campaigns_public()
    if query.product:
        found = found.filter(product__public_id=query.product)
    return page_out(found, query, campaign_out)


@router.get("/presales/{pid:public_id}", auth=None, response=with_errors({200: CampaignOut}, 404))
def campaign_detail(request: HttpRequest, public_id: str):
    """An approved pre-sale with its SKUs, windows, promised ship date and terms."""
    return campaign_out(selectors.campaign_public(public_id))


# --- pre-orders -------------------------------------------------------------------------------


class PaymentBriefOut(Schema):
    public_id: str
    status: PaymentStatusValue
    amount_fen: int
    amount_display: str
    expires_at: datetime
    pay_url: str | None = Field(description="The cashier while it can be paid.")


class CampaignRef(Schema):
    public_id: str
    kind: KindValue
    title_zh: str
    title_en: str
    shop: ShopRef


class PreorderOut(Schema):
    public_id: str
    status: PreorderStatusValue
    status_display: str
    campaign: CampaignRef
    sku: str
    sku_label: str
    price_fen: int = Field(description="Locked when the pre-order was made.")
    price_display: str
    deposit_fen: int
    deposit_display: str
    credit_fen: int
    credit_display: str
    balance_fen: int = Field(description="Locked price − credit.")
    balance_display: str
    balance_discount_fen: int = Field(description="A coupon taken off the balance.")
    balance_discount_display: str
    balance_due_fen: int = Field(description="What the balance payment asks for.")
    balance_due_display: str
    earnest: bool
    terms: TermsOut
    delivery: DeliveryValue
    hold_expires_at: datetime = Field(description="The deposit is due by then.")
    balance_starts_at: datetime | None
    balance_ends_at: datetime | None
    promised_ship_date: date | None
    deposit_payment: PaymentBriefOut | None
    balance_payment: PaymentBriefOut | None
    order: str | None = Field(description="The order it became once fully paid.")
    order_status: str | None
    late: bool = Field(description="Past its promised ship date and not shipped.")
    can_pay_balance: bool
    created_at: datetime
    deposit_paid_at: datetime | None
    balance_paid_at: datetime | None
    closed_at: datetime | None
    close_reason: str


def _pay_url(payment: Payment) -> str | None:
    if payment.status != PaymentStatus.PENDING:
        return None
    try:
        return payment_start(payment=payment, channel="page").url
    except (Conflict, GatewayDown):  # paid, closed or expired; or the gateway is away
        return None


def payment_brief(payment: Payment | None, *, with_url: bool = True) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {
        "public_id": payment.public_id,
        "status": payment.status,
        **_money("amount", payment.amount_fen),
        "expires_at": payment.expires_at,
        "pay_url": _pay_url(payment) if with_url else None,
    }


def preorder_out(preorder: Preorder, *, with_urls: bool = False) -> dict[str, Any]:
    campaign = preorder.campaign
    now = clock.now()
    order = preorder.order
    promised = order.promised_ship_by if order else campaign.promised_ship_date
    return {
        "public_id": preorder.public_id,
        "status": preorder.status,
        "status_display": preorder.get_status_display(),
        "campaign": {
            "public_id": campaign.public_id,
            "kind": campaign.kind,
            "title_zh": campaign.title_zh,
            "title_en": campaign.title_en,
            "shop": shop_ref(campaign.shop),
        },
        "sku": preorder.campaign_sku.sku.public_id,
        "sku_label": preorder.campaign_sku.sku.label,
        **_money("price", preorder.price_fen),
        **_money("deposit", preorder.deposit_fen),
        **_money("credit", preorder.credit_fen),
        **_money("balance", preorder.balance_fen),
        **_money("balance_discount", preorder.balance_discount_fen),
        **_money("balance_due", preorder.balance_due_fen),
        "earnest": preorder.earnest,
        "terms": terms_out(campaign),
        "delivery": preorder.delivery,
        "hold_expires_at": preorder.hold_expires_at,
        "balance_starts_at": campaign.balance_starts_at,
        "balance_ends_at": campaign.balance_ends_at,
        "promised_ship_date": promised,
        "deposit_payment": payment_brief(preorder.deposit_payment, with_url=with_urls),
        "balance_payment": payment_brief(preorder.balance_payment, with_url=with_urls),
        "order": order.public_id if order else None,
        "order_status": order.status if order else None,
        "late": bool(
            order
            and order.status == "paid"
            and promised is not None
            and rules.local_date(now) > promised
        ),
        "can_pay_balance": preorder.status == PreorderStatus.DEPOSIT_PAID
        and campaign.balance_starts_at is not None
        and campaign.balance_starts_at <= now < campaign.balance_ends_at,
        "created_at": preorder.created_at,
        "deposit_paid_at": preorder.deposit_paid_at,
        "balance_paid_at": preorder.balance_paid_at,
        "closed_at": preorder.closed_at,
        "close_reason": preorder.close_reason,
    }


class PreorderIn(Input):
    sku: PublicId = Field(description="The SKU of the campaign to pre-order one unit of.")
    delivery: DeliveryValue = Field(
        "pickup", description="How the order is delivered (may be changed with the balance)."
    )
    address: AddressIn | None = None


def _fingerprint(payload: BaseModel, **path: str) -> str:
    body = payload.model_dump(mode="json")
    canonical = json.dumps(
        {"body": body, "path": path}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _campaign_sku(campaign: Campaign, sku_public_id: str) -> CampaignSku:
    row = campaign.skus.filter(sku__public_id=sku_public_id).first()
    if row is None:
        raise NotFound(
            _("这个规格不在该预售中。"), code="sku_not_found", details={"sku": sku_public_id}
        )
    return row


@router.post(
    "/presales/{pid:public_id}/preorders",
    response=with_errors({201: PreorderOut}, 400, 401, 403, 404, 409, 422),
)
def preorder_create(
    request: HttpRequest,
    public_id: str,
    payload: PreorderIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Pre-order one unit of ``sku``: the unit is held and the deposit (a deposit
    pre-sale) or the whole price (a full-payment one) asked for
    (``deposit_payment.pay_url``) until ``hold_expires_at``; the price, deposit and credit
    of this moment are locked. A full payment paid makes the pre-order fully paid and its
    order at once. Refused: ``presale_not_started``, ``presale_ended``,
    ``presale_limit_reached``,
    ``presale_sold_out``, ``product_unavailable`` (409); the seller's own (403
    ``own_campaign``); ``invalid_address`` (422)."""
    campaign = selectors.campaign_public(public_id)
    row = _campaign_sku(campaign, payload.sku)
    address = payload.address.model_dump() if payload.address is not None else None

    create = (
        services.preorder_deposit_create if campaign.is_deposit else services.preorder_full_create
    )

    def make() -> Preorder:
        return create(
            buyer=request.auth, campaign_sku=row, delivery=payload.delivery, address=address
        )

    if idempotency_key is None:
        made = make()
    else:
        made = idempotency.idempotent(
            user=request.auth,
            scope=IdempotencyScope.PREORDER,
            key=idempotency_key,
            fingerprint=_fingerprint(payload, campaign=public_id),
            make=make,
        )
    preorder = selectors.preorder_visible_to(request.auth, made.public_id)
    return Status(201, preorder_out(preorder, with_urls=True))


class PreordersQuery(PageQuery):
    status: PreorderStatusValue | None = None


@router.get("/preorders", response=with_errors({200: Page[PreorderOut]}, 401, 422))
def my_preorders(request: HttpRequest, query: Query[PreordersQuery]):
    """The caller's pre-orders, newest first."""
    found = selectors.preorders_of_buyer(request.auth, status=query.status)
    return page_out(found, query, preorder_out)


@router.get("/preorders/{pid:public_id}", response=with_errors({200: PreorderOut}, 401, 404))
def preorder_detail(request: HttpRequest, public_id: str):
    """One pre-order (its buyer's, its seller's, or any for an operator), with the
    cashier's ``pay_url`` of a payment still to pay."""
    return preorder_out(selectors.preorder_visible_to(request.auth, public_id), with_urls=True)


def _own_preorder(request: HttpRequest, public_id: str) -> Preorder:
    preorder = selectors.preorder_visible_to(request.auth, public_id)
    if preorder.buyer_id != request.auth.pk:
        raise NotFound(_("没有找到这个预售订单。"), code="preorder_not_found")
    return preorder


@router.post(
    "/preorders/{pid:public_id}/deposit",
    response=with_errors({200: PaymentBriefOut}, 401, 404, 409),
)
def preorder_deposit(request: HttpRequest, public_id: str):
    """The deposit's payment to pay at ``pay_url`` while the pre-order waits for it.
    Refused once paid or no longer payable (409 ``deposit_not_payable``)."""
    preorder = _own_preorder(request, public_id)
    payment = preorder.deposit_payment
    if (
        preorder.status != PreorderStatus.PENDING_DEPOSIT
        or payment.status != PaymentStatus.PENDING
        or clock.now() >= preorder.hold_expires_at
    ):
        raise Conflict(
            _("这笔定金已无需支付。"),
            code="deposit_not_payable",
            details={"status": preorder.status},
        )
    return payment_brief(payment)


class BalanceIn(Input):
    coupon: text(40, min_length=1) | None = Field(
        None, description="One of the caller's coupons to take off the balance."
    )
    delivery: DeliveryValue | None = Field(None, description="Change how it is delivered.")
    address: AddressIn | None = None
    amount_fen: int | None = Field(
        None, description="Ignored: the balance is the server's to compute."
    )


@router.post(
    "/preorders/{pid:public_id}/balance",
    response=with_errors({200: PaymentBriefOut}, 400, 401, 404, 409, 422),
)
def preorder_balance(request: HttpRequest, public_id: str, payload: BalanceIn | None = None):
    """The balance payment (``pay_url``): the locked price − the deposit's credit − an
    optional ``coupon``, computed here (``amount_fen`` is ignored). A pending one still
    running is given again. Refused (409): ``deposit_unpaid``, ``balance_not_open``,
    ``balance_closed``, ``balance_already_paid``, ``preorder_closed``; coupons as at
    checkout (``coupon_not_found`` 404, ``coupon_unavailable`` 409, 422 when it does not
    apply)."""
    payload = payload or BalanceIn()
    preorder = _own_preorder(request, public_id)
    payment = services.preorder_balance_pay(
        buyer=request.auth,
        preorder=preorder,
        amount_fen=payload.amount_fen,
        coupon=payload.coupon,
        delivery=payload.delivery,
        address=payload.address.model_dump() if payload.address is not None else None,
    )
    return payment_brief(payment)


@router.post(
    "/preorders/{pid:public_id}/cancel",
    response=with_errors({200: PreorderOut}, 400, 401, 404, 409, 422),
)
def preorder_cancel(request: HttpRequest, public_id: str, payload: OptionalReasonIn | None = None):
    """Cancel a pre-order; everything paid is refunded in full, automatically. The
    campaign's seller or an operator may at any time before the order is shipped; its
    buyer once the promised ship date has passed unshipped (409 ``ship_date_not_missed``
    before). Refused: ``preorder_closed``, ``order_in_fulfilment`` (409)."""
    preorder = selectors.preorder_visible_to(request.auth, public_id)
    services.preorder_cancel(
        preorder=preorder, by=request.auth, reason=payload.reason if payload else ""
    )
    return preorder_out(selectors.preorder_visible_to(request.auth, public_id))


# --- the seller's campaigns -----------------------------------------------------------------


class CampaignSkuIn(Input):
    sku: PublicId
    price_fen: PriceFen
    deposit_fen: PriceBoundFen = 0
    credit_fen: PriceBoundFen | None = Field(None, description="Default: the deposit.")
    quantity: int = Field(ge=1, le=rules.MAX_QUANTITY)


class CampaignFieldsIn(Input):
    kind: KindValue
    title_zh: text(120, min_length=1)
    title_en: text(160) = ""
    earnest: bool = Field(True, description="The deposit is 定金: forfeited on default.")
    starts_at: When
    ends_at: When
    balance_starts_at: When | None = None
    balance_ends_at: When | None = None
    ship_on: Day | None = None
    ship_days_after_end: int | None = Field(None, ge=1, le=rules.MAX_SHIP_DAYS)
    per_buyer_limit: int = Field(1, ge=1, le=rules.MAX_PER_BUYER)
    resell_defaulted: bool = True
    skus: list[CampaignSkuIn] = Field(min_length=1, max_length=rules.MAX_SKUS)


class CampaignIn(CampaignFieldsIn):
    product: PublicId


class CampaignPatchIn(Input):
    kind: KindValue | None = None
    title_zh: text(120, min_length=1) | None = None
    title_en: text(160) | None = None
    earnest: bool | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    balance_starts_at: When | None = None
    balance_ends_at: When | None = None
    ship_on: Day | None = None
    ship_days_after_end: int | None = Field(None, ge=1, le=rules.MAX_SHIP_DAYS)
    per_buyer_limit: int | None = Field(None, ge=1, le=rules.MAX_PER_BUYER)
    resell_defaulted: bool | None = None
    skus: list[CampaignSkuIn] | None = Field(None, min_length=1, max_length=rules.MAX_SKUS)


def _sku_lines(skus: list[CampaignSkuIn]) -> list[dict[str, Any]]:
    lines = []
    for line in skus:
        values = line.model_dump()
        if values["credit_fen"] is None:
            values.pop("credit_fen")
        lines.append(values)
    return lines


class SellerCampaignsQuery(PageQuery):
    status: CampaignStatusValue | None = None


@seller_router.get("/presales", response=with_errors({200: Page[SellerCampaignOut]}, 401, 422))
def seller_campaigns(request: HttpRequest, query: Query[SellerCampaignsQuery]):
    """The caller's shops' pre-sale campaigns, newest first, with their pre-orders' counts."""
    found = selectors.campaigns_of_seller(request.auth, status=query.status)
    return page_out(found, query, seller_campaign_out)


@seller_router.post(
    "/presales", response=with_errors({201: SellerCampaignOut}, 400, 401, 403, 404, 409, 422)
)
def seller_campaign_create(request: HttpRequest, payload: CampaignIn):
    """A draft campaign for SKUs of one of the caller's live products. Every rule is
    checked (422 ``campaign_invalid``, each problem in ``details.problems``): the 定金 at
    most 20% of the price, the credit between the deposit and the price, the windows in
    order, the ship date after the last window."""
    product = product_for_seller(user=request.auth, product_public_id=payload.product)
    fields = payload.model_dump(exclude={"product", "skus"})
    campaign = services.campaign_create(
        by=request.auth, product=product, skus=_sku_lines(payload.skus), **fields
    )
    return Status(
        201, seller_campaign_out(selectors.campaign_of_seller(request.auth, campaign.public_id))
    )


@seller_router.get(
    "/presales/{pid:public_id}", response=with_errors({200: SellerCampaignOut}, 401, 404)
)
def seller_campaign_detail(request: HttpRequest, public_id: str):
    """One of the caller's campaigns."""
    return seller_campaign_out(selectors.campaign_of_seller(request.auth, public_id))


@seller_router.patch(
    "/presales/{pid:public_id}",
    response=with_errors({200: SellerCampaignOut}, 400, 401, 403, 404, 409, 422),
)
def seller_campaign_update(request: HttpRequest, public_id: str, payload: CampaignPatchIn):
    """Edit a draft or rejected campaign (the fields given; ``skus`` replace them all);
    a rejected one becomes a draft again. An approved one is fixed (409)."""
    campaign = selectors.campaign_of_seller(request.auth, public_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"skus"})
    skus = _sku_lines(payload.skus) if payload.skus is not None else None
    services.campaign_update(campaign=campaign, by=request.auth, skus=skus, **fields)
    return seller_campaign_out(selectors.campaign_of_seller(request.auth, public_id))


@seller_router.post(
    "/presales/{pid:public_id}/submit",
    response=with_errors({200: SellerCampaignOut}, 401, 404, 409, 422),
)
def seller_campaign_submit(request: HttpRequest, public_id: str):
    """Send a draft (or rejected) campaign for an operator's review."""
    campaign = selectors.campaign_of_seller(request.auth, public_id)
    services.campaign_submit(campaign=campaign, by=request.auth)
    return seller_campaign_out(selectors.campaign_of_seller(request.auth, public_id))


@seller_router.post(
    "/presales/{pid:public_id}/cancel",
    response=with_errors({200: SellerCampaignOut}, 400, 401, 404, 409, 422),
)
def seller_campaign_cancel(request: HttpRequest, public_id: str, payload: ReasonIn):
    """Cancel an approved campaign: every pre-order of it not yet shipped is cancelled
    with everything paid refunded in full."""
    campaign = selectors.campaign_of_seller(request.auth, public_id)
    services.campaign_cancel(campaign=campaign, by=request.auth, reason=payload.reason)
    return seller_campaign_out(selectors.campaign_of_seller(request.auth, public_id))


@seller_router.get(
    "/presales/{pid:public_id}/preorders",
    response=with_errors({200: Page[PreorderOut]}, 401, 404, 422),
)
def seller_campaign_preorders(request: HttpRequest, public_id: str, query: Query[PreordersQuery]):
    """A campaign's pre-orders (deposits, balances, defaults), newest first."""
    campaign = selectors.campaign_of_seller(request.auth, public_id)
    return page_out(
        selectors.preorders_of_campaign(campaign, status=query.status), query, preorder_out
    )


class ToShipOut(Schema):
    preorder: PreorderOut
    ship_by: date | None
    is_late: bool


@seller_router.get("/presale-shipments", response=with_errors({200: list[ToShipOut]}, 401))
def seller_to_ship(request: HttpRequest):
    """The caller's fully paid pre-orders still to ship (or ready at the venue), by
    promised ship date; late ones are flagged. Ship them as orders (``order``)."""
    rows = []
    for shop in Shop.objects.filter(owner=request.auth).order_by("id"):
        for preorder in selectors.to_ship_for_shop(shop)[:500]:
            rows.append(
                {
                    "preorder": preorder_out(preorder),
                    "ship_by": preorder.ship_by,
                    "is_late": preorder.is_late,
                }
            )
    return rows


# --- the operators' review --------------------------------------------------------------------


@operator_router.get(
    "/presales", response=with_errors({200: Page[SellerCampaignOut]}, 401, 403, 422)
)
def operator_campaigns(request: HttpRequest, query: Query[SellerCampaignsQuery]):
    """Every campaign (``status=submitted``: those to review), oldest submission first."""
    return page_out(selectors.campaigns_for_review(status=query.status), query, seller_campaign_out)


@operator_router.post(
    "/presales/{pid:public_id}/approve",
    response=with_errors({200: SellerCampaignOut}, 401, 403, 404, 409, 422),
)
def operator_campaign_approve(request: HttpRequest, public_id: str):
    """Approve a submitted campaign: it goes live at its start."""
    services.campaign_approve(campaign=selectors.campaign_any(public_id), by=request.auth)
    return seller_campaign_out(selectors.campaign_any(public_id))


@operator_router.post(
    "/presales/{pid:public_id}/reject",
    response=with_errors({200: SellerCampaignOut}, 400, 401, 403, 404, 409, 422),
)
def operator_campaign_reject(request: HttpRequest, public_id: str, payload: ReasonIn):
    """Send a submitted campaign back to its seller with the reason they will read."""
    services.campaign_reject(
        campaign=selectors.campaign_any(public_id), by=request.auth, reason=payload.reason
    )
    return seller_campaign_out(selectors.campaign_any(public_id))


class OperatorPreordersQuery(PageQuery):
    status: PreorderStatusValue | None = None
    late: bool = Field(False, description="Only those past their promised ship date.")


@operator_router.get("/preorders", response=with_errors({200: Page[PreorderOut]}, 401, 403, 422))
def operator_preorders(request: HttpRequest, query: Query[OperatorPreordersQuery]):
    """Every pre-order, newest first; ``late``: those past their promised ship date and
    still not shipped, the longest overdue first."""
    if query.late:
        found = selectors.late_for_operator()
    else:
        found = selectors.preorders_all(status=query.status)
    return page_out(found, query, preorder_out)


@operator_router.post(
    "/preorders/{pid:public_id}/refund",
    response=with_errors({200: PreorderOut}, 400, 401, 403, 404, 409, 422),
)
def operator_preorder_refund(request: HttpRequest, public_id: str, payload: ReasonIn):
    """Refund the buyer in full: an open pre-order is cancelled with everything paid
    refunded; a defaulted one gets back its deposit (a forfeited 定金 comes back from the
    seller). Refused: ``nothing_to_refund``, ``order_in_fulfilment`` (409)."""
    preorder = selectors.preorder_visible_to(request.auth, public_id)
    services.preorder_force_refund(preorder=preorder, by=request.auth, reason=payload.reason)
    return preorder_out(selectors.preorder_visible_to(request.auth, public_id))
