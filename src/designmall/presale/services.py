"""Pre-sale services: campaigns (the seller's, reviewed by an operator) and deposit pre-orders.

Campaigns. A seller writes a campaign for SKUs of one of its products (its shop approved,
the product live) as a draft, edits it while it is a draft or rejected, and submits it;
an operator approves it or rejects it with a reason. The rules (``rules.campaign_problems``)
are checked on every save, on submitting and on approving; an approved campaign is fixed
(its buyers were shown its terms).

Deposit pre-orders. ``preorder_deposit_create`` takes one unit of the campaign SKU with
one conditional ``UPDATE`` (``taken = taken + 1 WHERE taken < quantity``), never a read
followed by a write, and locks the price, deposit, credit and balance of that moment in
the pre-order. The deposit is its own payment (``payments.payment_create``, payable type
``presale.deposit``) due by the hold's end: ``PRESALE_DEPOSIT_HOLD_MINUTES`` from now, and
never after the deposit window closes. A hold past its end counts as gone wherever it
matters (it cannot be paid, the buyer's limit no longer counts it); the unit goes back
when the payment is closed unpaid (``on_expired``) or the sweeper expires the pre-order
(``preorder_expire``), exactly once: the pre-order leaves ``pending_deposit`` by a
conditional update, and only the update that moved it gives the unit back. A buyer who
finds the SKU sold out first expires what has run out by the clock, so units that are
free by the clock are never refused.

Full-payment pre-orders (``preorder_full_create``) are the same with the whole price as
their one payment (deposit = credit = price, no balance).

Fulfilment. A fully paid pre-order becomes an ordinary paid order of its shop in the
transaction that credits its last payment (``preorder_fully_paid``): the money already in
escrow is what the order's total says, never credited twice; the shop ships it (or has it
ready at the venue) by ``promised_ship_by``, receipt settles deposit + balance less the
commission to the seller, and refunds naming the order are booked by orders. Late ones
are flagged once (``preorder_flag_late``) and their buyer may cancel with everything
refunded; once shipped, a pre-order is no longer cancelled (its order's refunds and
after-sales apply).

Locks are taken in one order everywhere: the buyer's user row, a payment, a pre-order,
its order, a campaign SKU's row (by its conditional update). Payments calls our handlers
with the payment locked (``payables``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.catalog.models import Product, ProductStatus, Shop, ShopStatus, Sku
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.core.ids import new_public_id
from designmall.core.jobs import enqueue, job_handler
from designmall.core.money import format_fen
from designmall.ledger import accounts
from designmall.ledger.models import LedgerTransaction
from designmall.ledger.rules import commission_back
from designmall.ledger.services import (
    escrow_forfeit_to_seller,
    refund_from_escrow,
    refund_from_seller,
)
from designmall.orders import idempotency
from designmall.orders import rules as order_rules
from designmall.orders.checkout import (
    _clean_delivery,
    _orders_insert,
    clean_address,
    order_line_build,
)
from designmall.orders.coupons import _REFUSALS as COUPON_REFUSALS
from designmall.orders.coupons import clean_coupon_ids
from designmall.orders.models import (
    Checkout,
    CheckoutStatus,
    IdempotencyScope,
    Order,
    OrderEvent,
    OrderStatus,
)
from designmall.orders.rules import Delivery
from designmall.orders.services import _record as order_record
from designmall.orders.services import (
    order_refund,
    order_refund_succeeded,
    order_refundable_fen,
)
from designmall.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from designmall.payments.services import payment_close, payment_create, refund_create
from designmall.presale import rules
from designmall.presale.models import (
    Campaign,
    CampaignKind,
    CampaignSku,
    CampaignStatus,
    NoticeKind,
    Preorder,
    PreorderNotice,
    PreorderStatus,
)
from designmall.promotions import coupon_math
from designmall.promotions.models import Coupon, CouponState
from designmall.promotions.selectors import math_coupon, math_lines
from designmall.promotions.services import coupons_lock, coupons_release, coupons_use

DEPOSIT_PAYABLE = "presale.deposit"
REASON_MAX = 1000
TITLE_MAX = Campaign._meta.get_field("title_zh").max_length
TITLE_EN_MAX = Campaign._meta.get_field("title_en").max_length
# How many run-out holds a buyer who finds a SKU sold out expires before being refused.
EXPIRE_ON_SOLD_OUT = 20

# What each of the rules' problem codes says to a person.
PROBLEM_MESSAGES = {
    "price_invalid": gettext_lazy("预售价须为正数。"),
    "quantity_invalid": gettext_lazy("预售数量须在 1 到 %(max)s 件之间。"),
    "deposit_not_allowed": gettext_lazy("全款预售不设定金。"),
    "deposit_invalid": gettext_lazy("定金预售须设置定金。"),
    "deposit_above_earnest_limit": gettext_lazy(
        "定金不能超过预售价的 20%%（《民法典》第五百八十六条），最多 %(max)s。"
    ),
    "credit_below_deposit": gettext_lazy("定金抵扣金额不能少于定金。"),
    "credit_above_price": gettext_lazy("定金抵扣金额不能超过预售价。"),
    "balance_not_positive": gettext_lazy("定金抵扣后须留有尾款。"),
    "skus_invalid": gettext_lazy("预售须包含 1 到 %(max)s 个规格。"),
    "per_buyer_limit_invalid": gettext_lazy("每人限购须在 1 到 %(max)s 件之间。"),
    "naive_datetime": gettext_lazy("时间须带时区。"),
    "window_order": gettext_lazy("结束时间须晚于开始时间。"),
    "balance_window_missing": gettext_lazy("定金预售须设置尾款时间。"),
    "balance_window_not_allowed": gettext_lazy("全款预售没有尾款时间。"),
    "balance_before_deposit_end": gettext_lazy("尾款须在定金阶段结束后才开始。"),
    "ship_date_missing": gettext_lazy("请设置承诺发货日期，或结束后几天内发货。"),
    "ship_date_ambiguous": gettext_lazy("承诺发货日期与结束后几天内发货只能选一种。"),
    "ship_days_invalid": gettext_lazy("发货天数须在 1 到 %(max)s 天之间。"),
    "ship_before_end": gettext_lazy("承诺发货日期须晚于预售最后阶段结束的日期。"),
}


# A pre-order made with an Idempotency-Key is its key's result (``orders.idempotency``).
idempotency.register_scope(
    IdempotencyScope.PREORDER, load=lambda ref: Preorder.objects.get(public_id=ref)
)


class CountersOutOfStep(RuntimeError):
    """A campaign SKU's ``taken`` disagrees with its pre-orders: a bug, never a buyer's doing."""


# --- small helpers ------------------------------------------------------------------------


def _require_active_user(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotAuthenticated(_("请先登录。"), code="not_authenticated")
    return user


def _require_operator(user: User | None) -> User:
    _require_active_user(user)
    if not (user.is_superuser or user.has_role(Role.OPERATOR)):
        raise PermissionDenied(_("只有运营人员可以执行此操作。"), code="operator_only")
    return user


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value if isinstance(value, str) else "").strip()
    if required and not value:
        raise ValidationFailed(_("请填写此项。"), code="required", details={"field": field})
    if len(value) > max_length:
        raise ValidationFailed(
            _("最多 %(n)d 个字符。") % {"n": max_length},
            code="too_long",
            details={"field": field, "max_length": max_length},
        )
    return value


def problem_message(problem: rules.Problem) -> str:
    params = {
        name: format_fen(value) if name.endswith("_fen") else value
        for name, value in problem.params
    }
    if "max_fen" in params:
        params["max"] = params.pop("max_fen")
    return str(PROBLEM_MESSAGES.get(problem.code, problem.code)) % params


def _refuse_problems(problems: list[rules.Problem]) -> None:
    if not problems:
        return
    described = [
        {"code": p.code, "field": p.field, "message": problem_message(p)} for p in problems
    ]
    raise ValidationFailed(
        " ".join(dict.fromkeys(d["message"] for d in described)),
        code="campaign_invalid",
        details={"problems": described},
    )


# --- campaigns ------------------------------------------------------------------------------


def _product_of_seller(product: Product, by: User) -> Product:
    """The seller's own live product of its approved shop, locked for the campaign's write."""
    product = Product.objects.select_related("shop").get(pk=product.pk)
    if product.shop.owner_id != by.pk:
        raise PermissionDenied(_("只能为自己店铺的商品创建预售。"), code="not_your_product")
    if product.shop.status != ShopStatus.APPROVED:
        raise Conflict(_("店铺尚未开通，不能创建预售。"), code="shop_unavailable")
    if product.status != ProductStatus.LIVE:
        raise Conflict(_("商品审核通过后才能创建预售。"), code="product_unavailable")
    return product


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(
            _("请填写整数。"), code="invalid_number", details={"field": field, "value": repr(value)}
        )
    return value


def _clean_skus(product: Product, lines: Any) -> list[CampaignSku]:
    """``lines``: ``[{"sku": public id or Sku, "price_fen", "deposit_fen", "credit_fen"
    (default: the deposit, no boost), "quantity"}, ...]`` → unsaved rows."""
    if not isinstance(lines, list | tuple):
        raise ValidationFailed(_("请选择预售的规格。"), code="skus_invalid")
    rows: list[CampaignSku] = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise ValidationFailed(_("请选择预售的规格。"), code="skus_invalid")
        ref = line.get("sku")
        ref = ref.public_id if isinstance(ref, Sku) else ref
        sku = Sku.objects.filter(public_id=ref, product=product, is_active=True).first()
        if sku is None:
            raise ValidationFailed(
                _("这个规格不属于该商品或已停售。"),
                code="sku_not_found",
                details={"field": f"skus.{i}.sku", "sku": str(ref)},
            )
        if sku.pk in seen:
            raise ValidationFailed(
                _("同一规格只能添加一次。"), code="sku_repeated", details={"field": f"skus.{i}.sku"}
            )
        seen.add(sku.pk)
        deposit = _int(line.get("deposit_fen", 0), f"skus.{i}.deposit_fen")
        rows.append(
            CampaignSku(
                sku=sku,
                price_fen=_int(line.get("price_fen"), f"skus.{i}.price_fen"),
                deposit_fen=deposit,
                credit_fen=_int(line.get("credit_fen", deposit), f"skus.{i}.credit_fen"),
                quantity=_int(line.get("quantity"), f"skus.{i}.quantity"),
            )
        )
    return rows


def _optional_int(value: Any, field: str) -> int | None:
    return None if value is None else _int(value, field)


def _apply_fields(campaign: Campaign, fields: dict[str, Any]) -> None:
    campaign.title_zh = _text(
        fields.get("title_zh"), field="title_zh", max_length=TITLE_MAX, required=True
    )
    campaign.title_en = _text(fields.get("title_en", ""), field="title_en", max_length=TITLE_EN_MAX)
    kind = fields.get("kind")
    if kind not in CampaignKind.values:
        raise ValidationFailed(
            _("请选择预售类型。"), code="kind_invalid", details={"field": "kind"}
        )
    campaign.kind = kind
    campaign.earnest = bool(fields.get("earnest", True))
    for name in ("starts_at", "ends_at", "balance_starts_at", "balance_ends_at"):
        value = fields.get(name)
        if value is not None and not isinstance(value, datetime):
            raise ValidationFailed(
                _("时间格式不正确。"), code="invalid_datetime", details={"field": name}
            )
        setattr(campaign, name, value)
    if campaign.starts_at is None or campaign.ends_at is None:
        raise ValidationFailed(
            _("请设置开始和结束时间。"), code="window_missing", details={"field": "starts_at"}
        )
    ship_on = fields.get("ship_on")
    if ship_on is not None and (not isinstance(ship_on, date) or isinstance(ship_on, datetime)):
        raise ValidationFailed(
            _("日期格式不正确。"), code="invalid_date", details={"field": "ship_on"}
        )
    campaign.ship_on = ship_on
    campaign.ship_days_after_end = _optional_int(
        fields.get("ship_days_after_end"), "ship_days_after_end"
    )
    campaign.per_buyer_limit = _int(fields.get("per_buyer_limit", 1), "per_buyer_limit")
    campaign.resell_defaulted = bool(fields.get("resell_defaulted", True))


CAMPAIGN_FIELDS = (
    "kind",
    "title_zh",
    "title_en",
    "earnest",
    "starts_at",
    "ends_at",
    "balance_starts_at",
    "balance_ends_at",
    "ship_on",
    "ship_days_after_end",
    "per_buyer_limit",
    "resell_defaulted",
)


def _save_with_skus(campaign: Campaign, rows: list[CampaignSku]) -> None:
    _refuse_problems(rules.campaign_problems(campaign.terms(skus=rows)))
    campaign.save()
    campaign.skus.all().delete()
    for row in rows:
        row.campaign = campaign
    CampaignSku.objects.bulk_create(rows)


@transaction.atomic
def campaign_create(*, by: User, product: Product, skus: list[dict], **fields: Any) -> Campaign:
    """A draft campaign by the seller ``by`` for ``skus`` of its ``product`` (its shop
    approved, the product live). ``fields``: ``kind`` (``full``/``deposit``), ``title_zh``
    (``title_en``), ``earnest`` (default True: the deposit is 定金), ``starts_at``,
    ``ends_at``, ``balance_starts_at``/``balance_ends_at`` (deposit campaigns), ``ship_on``
    or ``ship_days_after_end``, ``per_buyer_limit`` (default 1). ``skus``: see
    ``_clean_skus``. Refused when any rule is broken (``ValidationFailed``
    ``campaign_invalid``, every problem in ``details``)."""
    _require_active_user(by)
    product = _product_of_seller(product, by)
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {sorted(unknown)}")
    now = clock.now()
    campaign = Campaign(
        shop=product.shop, product=product, created_by=by, created_at=now, updated_at=now
    )
    _apply_fields(campaign, fields)
    _save_with_skus(campaign, _clean_skus(product, skus))
    audit_record(
        actor=by, action="presale.campaign_created", target=campaign, to_state=campaign.status
    )
    return campaign


def _campaign_locked(campaign: Campaign) -> Campaign:
    # Only the campaign's row: not its shop's, which other paths may lock in their own order.
    return (
        Campaign.objects.select_for_update(of=("self",)).select_related("shop").get(pk=campaign.pk)
    )


def _require_own(campaign: Campaign, by: User) -> None:
    if campaign.shop.owner_id != by.pk:
        raise NotFound(_("没有找到这个预售活动。"), code="campaign_not_found")


def _not_in_state(campaign: Campaign, to: str) -> InvalidTransition:
    return InvalidTransition(
        _("预售活动当前状态为「%(status)s」，不能执行此操作。")
        % {"status": campaign.get_status_display()},
        details={"from": campaign.status, "to": to},
    )


@transaction.atomic
def campaign_update(
    *, campaign: Campaign, by: User, skus: list[dict] | None = None, **fields: Any
) -> Campaign:
    """The seller rewrites its draft or rejected campaign (every field of
    ``campaign_create`` given again; ``skus`` replace the old ones when given). A rejected
    campaign becomes a draft again."""
    _require_active_user(by)
    campaign = _campaign_locked(campaign)
    _require_own(campaign, by)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.REJECTED):
        raise _not_in_state(campaign, CampaignStatus.DRAFT)
    product = _product_of_seller(campaign.product, by)
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {sorted(unknown)}")
    merged = {name: getattr(campaign, name) for name in CAMPAIGN_FIELDS} | fields
    _apply_fields(campaign, merged)
    rows = (
        _clean_skus(product, skus)
        if skus is not None
        else [
            CampaignSku(
                sku_id=row.sku_id,
                price_fen=row.price_fen,
                deposit_fen=row.deposit_fen,
                credit_fen=row.credit_fen,
                quantity=row.quantity,
            )
            for row in campaign.skus.all()
        ]
    )
    before = campaign.status
    campaign.status = CampaignStatus.DRAFT
    campaign.updated_at = clock.now()
    _save_with_skus(campaign, rows)
    audit_record(
        actor=by,
        action="presale.campaign_updated",
        target=campaign,
        from_state=before,
        to_state=campaign.status,
    )
    return campaign


def _check_runnable(campaign: Campaign, now: datetime) -> None:
    """What submitting and approving re-check: the rules, the shop, the product, the time."""
    _refuse_problems(rules.campaign_problems(campaign.terms()))
    product = Product.objects.select_related("shop").get(pk=campaign.product_id)
    if product.shop.status != ShopStatus.APPROVED:
        raise Conflict(_("店铺尚未开通，不能创建预售。"), code="shop_unavailable")
    if product.status != ProductStatus.LIVE:
        raise Conflict(_("商品审核通过后才能创建预售。"), code="product_unavailable")
    if campaign.ends_at <= now:
        raise Conflict(_("预售时间已过，请修改时间。"), code="campaign_window_passed")


def _move(campaign: Campaign, to: str, *, by: User, reason: str = "", **fields: Any) -> Campaign:
    before = campaign.status
    campaign.status = to
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=["status", *fields])
    audit_record(
        actor=by,
        action=f"presale.campaign_{to}",
        target=campaign,
        from_state=before,
        to_state=to,
        reason=reason,
    )
    return campaign


@transaction.atomic
def campaign_submit(*, campaign: Campaign, by: User) -> Campaign:
    """The seller sends its draft (or rejected) campaign for review."""
    _require_active_user(by)
    campaign = _campaign_locked(campaign)
    _require_own(campaign, by)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.REJECTED):
        raise _not_in_state(campaign, CampaignStatus.SUBMITTED)
    now = clock.now()
    _check_runnable(campaign, now)
    return _move(
        campaign,
        CampaignStatus.SUBMITTED,
        by=by,
        submitted_at=now,
        updated_at=now,
        reject_reason="",
    )


@transaction.atomic
def campaign_approve(*, campaign: Campaign, by: User) -> Campaign:
    """An operator approves a submitted campaign: it goes live at its ``starts_at``."""
    _require_operator(by)
    campaign = _campaign_locked(campaign)
    if campaign.status != CampaignStatus.SUBMITTED:
        raise _not_in_state(campaign, CampaignStatus.APPROVED)
    now = clock.now()
    _check_runnable(campaign, now)
    return _move(campaign, CampaignStatus.APPROVED, by=by, reviewed_at=now, reviewed_by=by)


@transaction.atomic
def campaign_reject(*, campaign: Campaign, by: User, reason: str) -> Campaign:
    """An operator sends a submitted campaign back to its seller with ``reason``."""
    _require_operator(by)
    reason = _text(reason, field="reason", max_length=REASON_MAX, required=True)
    campaign = _campaign_locked(campaign)
    if campaign.status != CampaignStatus.SUBMITTED:
        raise _not_in_state(campaign, CampaignStatus.REJECTED)
    return _move(
        campaign,
        CampaignStatus.REJECTED,
        by=by,
        reason=reason,
        reject_reason=reason,
        reviewed_at=clock.now(),
        reviewed_by=by,
    )


# --- units: one conditional UPDATE each way --------------------------------------------------


def _unit_take(campaign_sku_id: int) -> bool:
    """Take one unit of the campaign SKU; False when none is left."""
    return (
        CampaignSku.objects.filter(pk=campaign_sku_id, taken__lt=F("quantity")).update(
            taken=F("taken") + 1
        )
        == 1
    )


def _unit_give_back(campaign_sku_id: int) -> None:
    given = CampaignSku.objects.filter(pk=campaign_sku_id, taken__gte=1).update(
        taken=F("taken") - 1
    )
    if given != 1:
        raise CountersOutOfStep(f"campaign SKU {campaign_sku_id}: no unit taken to give back")


def _expire(preorder: Preorder, *, reason: str) -> bool:
    """Move the pre-order out of ``pending_deposit`` and give its unit back, once: only the
    update that moved it gives the unit back. True if this call did."""
    now = clock.now()
    moved = Preorder.objects.filter(pk=preorder.pk, status=PreorderStatus.PENDING_DEPOSIT).update(
        status=PreorderStatus.EXPIRED, closed_at=now
    )
    if moved != 1:
        return False
    _unit_give_back(preorder.campaign_sku_id)
    preorder.status, preorder.closed_at = PreorderStatus.EXPIRED, now
    audit_record(
        actor=None,
        action="presale.preorder_expired",
        target=preorder,
        from_state=PreorderStatus.PENDING_DEPOSIT,
        to_state=PreorderStatus.EXPIRED,
        reason=reason,
    )
    return True


def _locked(preorder_id: int) -> tuple[Payment | None, Preorder]:
    """The pre-order's deposit payment, then the pre-order, locked in that order."""
    payment_id = (
        Preorder.objects.filter(pk=preorder_id).values_list("deposit_payment_id", flat=True).get()
    )
    payment = Payment.objects.select_for_update().get(pk=payment_id) if payment_id else None
    return payment, Preorder.objects.select_for_update().get(pk=preorder_id)


@transaction.atomic
def preorder_expire(*, preorder: Preorder) -> Preorder:
    """End a pre-order whose deposit hold ran out unpaid (the sweeper's step); idempotent.

    Its pending payment is closed (``payment_close``), which calls back
    ``deposit_payment_expired``; if the payment is no longer pending (money that came too
    late is being refunded by payments), the pre-order expires here. Anything else is
    left as it is."""
    payment, preorder = _locked(preorder.pk)
    if preorder.status != PreorderStatus.PENDING_DEPOSIT or clock.now() < preorder.hold_expires_at:
        return preorder
    if payment is not None and payment.status == PaymentStatus.PENDING:
        payment_close(payment=payment, reason="presale deposit hold expired")
        preorder.refresh_from_db()
    _expire(preorder, reason=_("超时未付定金"))
    return preorder


def _unit_take_freeing_run_out(campaign_sku_id: int, now: datetime) -> bool:
    """Take one unit of the campaign SKU, first expiring holds of it that ran out by the
    clock (up to ``EXPIRE_ON_SOLD_OUT``) when none is left; False when none is freed.

    One hold at a time, each followed by a take: an expiry that gives a unit back holds the
    SKU's row until the transaction ends, and the take right after it succeeds, so no
    payment or pre-order is ever locked after the SKU's row (the lock order)."""
    if _unit_take(campaign_sku_id):
        return True
    run_out = (
        Preorder.objects.filter(
            campaign_sku_id=campaign_sku_id,
            status=PreorderStatus.PENDING_DEPOSIT,
            hold_expires_at__lte=now,
        )
        .order_by("hold_expires_at", "id")
        .values_list("pk", flat=True)[:EXPIRE_ON_SOLD_OUT]
    )
    for pk in list(run_out):
        preorder_expire(preorder=Preorder(pk=pk))
        if _unit_take(campaign_sku_id):
            return True
    return False


# --- deposit pre-orders --------------------------------------------------------------------


def _buyer_holding(campaign_id: int, buyer_id: int, now: datetime) -> int:
    """The buyer's pre-orders of the campaign that hold a unit by the clock."""
    return Preorder.objects.filter(
        Q(status__in=(PreorderStatus.DEPOSIT_PAID, PreorderStatus.FULLY_PAID))
        | Q(status=PreorderStatus.PENDING_DEPOSIT, hold_expires_at__gt=now),
        campaign_id=campaign_id,
        buyer_id=buyer_id,
    ).count()


def _sold_out(campaign_sku: CampaignSku) -> Conflict:
    return Conflict(
        _("预售名额已被抢完。"),
        code="presale_sold_out",
        details={"campaign_sku": campaign_sku.pk, "left": 0},
    )


def _clean_delivery_choice(delivery: Any, address: Any) -> tuple[str, dict]:
    """The buyer's way of delivery for the order a pre-order becomes: ``"pickup"`` at the
    venue, or ``"address"`` with a full address (refusals as at checkout)."""
    delivery = _clean_delivery(delivery)
    return delivery, clean_address(address) if delivery == Delivery.ADDRESS else {}


def preorder_full_create(
    *,
    buyer: User,
    campaign_sku: CampaignSku,
    delivery: str | None = None,
    address: dict | None = None,
) -> Preorder:
    """A pre-order by ``buyer`` of one unit of ``campaign_sku`` of a live full-payment
    campaign (全款预售), holding the unit for the payment of the whole price.

    The same as ``preorder_deposit_create`` but for the amounts: its ``deposit_payment``
    asks for the whole locked price (deposit = credit = price, balance 0). Paid, the
    pre-order is fully paid at once and becomes an order with the promised ship date
    (``deposit_mark_paid``). Refused for a deposit campaign (``not_a_full_presale``),
    else as ``preorder_deposit_create``."""
    return _preorder_create(
        buyer=buyer, campaign_sku=campaign_sku, delivery=delivery, address=address, full=True
    )


def preorder_deposit_create(
    *,
    buyer: User,
    campaign_sku: CampaignSku,
    delivery: str | None = None,
    address: dict | None = None,
) -> Preorder:
    """A pre-order by ``buyer`` of one unit of ``campaign_sku`` of a live deposit campaign,
    holding the unit for its deposit's payment.

    The price, deposit, credit and balance of this moment are locked in it. Its deposit
    payment (``deposit_payment``) is due by ``hold_expires_at``. Refused: not logged in
    (``NotAuthenticated``); a campaign not approved (``NotFound``); the buyer's own shop
    (``PermissionDenied`` ``own_campaign``); a full-payment campaign
    (``not_a_deposit_presale``), before or after the deposit window
    (``presale_not_started``, ``presale_ended``), the product or shop no longer on sale
    (``product_unavailable``), the buyer's limit reached (``presale_limit_reached``), no
    unit left (``presale_sold_out``) (``Conflict``).

    ``delivery``/``address``: how the order it becomes is delivered (default: a venue
    pickup); the buyer may change it when paying the balance.
    """
    return _preorder_create(
        buyer=buyer, campaign_sku=campaign_sku, delivery=delivery, address=address, full=False
    )


@transaction.atomic
def _preorder_create(
    *,
    buyer: User,
    campaign_sku: CampaignSku,
    delivery: str | None,
    address: dict | None,
    full: bool,
) -> Preorder:
    _require_active_user(buyer)
    delivery, address = _clean_delivery_choice(delivery or Delivery.PICKUP, address)
    row = CampaignSku.objects.select_related(
        "campaign", "campaign__shop", "campaign__product", "sku"
    ).get(pk=campaign_sku.pk)
    campaign = row.campaign
    now = clock.now()
    if campaign.status != CampaignStatus.APPROVED:
        raise NotFound(_("没有找到这个预售活动。"), code="campaign_not_found")
    if campaign.shop.owner_id == buyer.pk:
        raise PermissionDenied(_("不能预订自己店铺的商品。"), code="own_campaign")
    if full and campaign.kind != CampaignKind.FULL:
        raise Conflict(_("这是定金预售，请支付定金。"), code="not_a_full_presale")
    if not full and campaign.kind != CampaignKind.DEPOSIT:
        raise Conflict(_("这是全款预售，无需支付定金。"), code="not_a_deposit_presale")
    if now < campaign.starts_at:
        raise Conflict(
            _("预售尚未开始。"),
            code="presale_not_started",
            details={"starts_at": campaign.starts_at.isoformat()},
        )
    if now >= campaign.ends_at:
        raise Conflict(_("定金阶段已结束。"), code="presale_ended")
    if (
        campaign.shop.status != ShopStatus.APPROVED
        or campaign.product.status != ProductStatus.LIVE
        or not row.sku.is_active
    ):
        raise Conflict(_("该商品已下架。"), code="product_unavailable")
    # The buyer's row, first in the lock order: two pre-orders of one buyer queue here, so
    # the limit holds. FOR NO KEY UPDATE: rows that merely reference the buyer (whose
    # foreign-key checks take a key-share lock) are not held up.
    User.objects.select_for_update(no_key=True).filter(pk=buyer.pk).values_list(
        "pk", flat=True
    ).get()
    holding = _buyer_holding(campaign.pk, buyer.pk, now)
    if holding >= campaign.per_buyer_limit:
        raise Conflict(
            _("每人限购 %(limit)d 件，您已预订 %(holding)d 件。")
            % {"limit": campaign.per_buyer_limit, "holding": holding},
            code="presale_limit_reached",
            details={"limit": campaign.per_buyer_limit, "holding": holding},
        )
    if not _unit_take_freeing_run_out(row.pk, now):
        raise _sold_out(row)
    hold_expires_at = min(
        now + timedelta(minutes=settings.PRESALE_DEPOSIT_HOLD_MINUTES), campaign.ends_at
    )
    public_id = new_public_id("po")
    # A full payment is the whole price paid now: deposit = credit = price, no balance.
    deposit_fen = row.price_fen if full else row.deposit_fen
    credit_fen = row.price_fen if full else row.credit_fen
    subject = _("预售全款 · %(title)s") if full else _("预售定金 · %(title)s")
    payment = payment_create(
        buyer=buyer,
        amount_fen=deposit_fen,
        subject=subject % {"title": campaign.title},
        payable_type=DEPOSIT_PAYABLE,
        payable_id=public_id,
        expires_at=hold_expires_at,
    )
    preorder = Preorder.objects.create(
        public_id=public_id,
        buyer=buyer,
        campaign=campaign,
        campaign_sku=row,
        price_fen=row.price_fen,
        deposit_fen=deposit_fen,
        credit_fen=credit_fen,
        balance_fen=row.price_fen - credit_fen,
        earnest=campaign.earnest and not full,
        deposit_payment=payment,
        delivery=delivery,
        address=address,
        hold_expires_at=hold_expires_at,
        created_at=now,
    )
    audit_record(
        actor=buyer,
        action="presale.preorder_created",
        target=preorder,
        to_state=preorder.status,
        data={
            "campaign": campaign.public_id,
            "price_fen": row.price_fen,
            "deposit_fen": deposit_fen,
            "credit_fen": credit_fen,
            "payment": payment.public_id,
        },
    )
    return preorder


# --- the deposit payable's handlers (payments calls them with the payment locked) -----------


def _preorder_of(payment: Payment) -> Preorder | None:
    # Only the pre-order's row: locking its campaign's too would block every buyer's new
    # pre-order (its foreign key check takes a key-share lock on the campaign) behind us.
    return (
        Preorder.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(public_id=payment.payable_id, deposit_payment_id=payment.pk)
        .first()
    )


def _deposit_payable(preorder: Preorder | None) -> bool:
    return (
        preorder is not None
        and preorder.status == PreorderStatus.PENDING_DEPOSIT
        and clock.now() < preorder.hold_expires_at
        and preorder.campaign.status == CampaignStatus.APPROVED
    )


def deposit_is_payable(payment: Payment) -> bool:
    """Still waiting for its deposit, its hold running by the clock, its campaign live."""
    return _deposit_payable(_preorder_of(payment))


def deposit_mark_paid(payment: Payment) -> Preorder:
    """The deposit arrived (its money is in escrow, as every payment's): the pre-order keeps
    its unit and waits for the balance window."""
    preorder = _preorder_of(payment)
    if not _deposit_payable(preorder):
        raise Conflict(_("这笔定金已无需支付。"), code="deposit_not_payable")
    now = clock.now()
    full = preorder.balance_fen == 0  # a full payment: nothing is left to pay
    preorder.status = PreorderStatus.FULLY_PAID if full else PreorderStatus.DEPOSIT_PAID
    preorder.deposit_paid_at = now
    preorder.balance_paid_at = now if full else None
    if full:
        preorder_fully_paid(preorder, balance=None)
    preorder.save(update_fields=["status", "deposit_paid_at", "balance_paid_at", "order"])
    audit_record(
        actor=None,
        action="presale.full_payment_paid" if full else "presale.deposit_paid",
        target=preorder,
        from_state=PreorderStatus.PENDING_DEPOSIT,
        to_state=preorder.status,
        data={"payment": payment.public_id, "amount_fen": payment.amount_fen},
    )
    return preorder


def deposit_payment_expired(payment: Payment) -> None:
    """The deposit's payment was closed unpaid: a pre-order still waiting for it expires and
    its unit goes back to the campaign."""
    preorder = _preorder_of(payment)
    if preorder is not None:
        _expire(preorder, reason=_("定金支付已关闭"))


def _refund_forfeited(refund: Refund, forfeit: LedgerTransaction, refs: dict) -> None:
    """A refund (an operator's) of a deposit already forfeited to the seller: the seller's
    balance pays it back, less the commission's share the platform returns."""
    by_account = dict(forfeit.postings.values_list("account__code", "amount"))
    released = by_account[accounts.ESCROW]
    commission = -by_account.get(accounts.PLATFORM_COMMISSION, 0)
    before = sum(
        Refund.objects.filter(
            payment_id=refund.payment_id,
            status=RefundStatus.SUCCEEDED,
            succeeded_at__gte=forfeit.created_at,
        )
        .exclude(pk=refund.pk)
        .values_list("amount_fen", flat=True)
    )
    refund_from_seller(
        refund_ref=refund.public_id,
        shop_public_id=forfeit.refs.get(ref_type="shop").ref_id,
        gateway=refund.payment.gateway,
        amount_fen=refund.amount_fen,
        commission_back_fen=commission_back(
            commission_fen=commission,
            released_fen=released,
            refunded_before_fen=before,
            refund_fen=refund.amount_fen,
        ),
        refs=refs,
    )


def deposit_refund_succeeded(refund: Refund) -> None:
    """A refund of a deposit the pre-sale asked for went through: a deposit waits in escrow
    until it is applied or forfeited, so the refund comes out of escrow."""
    payment = refund.payment
    preorder = Preorder.objects.filter(deposit_payment_id=payment.pk).first()
    refs = {"payment": payment.public_id, "preorder": payment.payable_id}
    forfeit = LedgerTransaction.objects.filter(key=f"forfeit:{payment.payable_id}").first()
    if (refund.refs or {}).get("order"):
        # The pre-order became an order, whose total the deposit is part of: the order's
        # books (out of escrow before its release, out of the seller's balance after).
        order_refund_succeeded(refund=refund)
    elif forfeit is None:
        refund_from_escrow(
            refund_ref=refund.public_id,
            gateway=payment.gateway,
            amount_fen=refund.amount_fen,
            refs=refs,
        )
    else:
        _refund_forfeited(refund, forfeit, refs)
    if preorder is not None:
        audit_record(
            actor=None,
            action="presale.deposit_refunded",
            target=preorder,
            to_state=preorder.status,
            data={"refund": refund.public_id, "amount_fen": refund.amount_fen},
        )


# --- the balance: notice, payment ------------------------------------------------------------
#
# When the balance window opens, each pre-order whose deposit is paid is told once
# (``preorder_balance_notify``, the sweeper's step): a notice for the buyer's pages and an
# email (a queued job). The balance is the amount locked in the pre-order (price − credit),
# asked for as its own payment (payable type ``presale.balance``) only while the window is
# open and the deposit paid; any amount a client sends is ignored. Paid: the pre-order is
# fully paid (``FULLY_PAID``), its money in escrow until the order it becomes is settled.
#
# Locks: a pre-order's deposit payment, then its balance payment, then the pre-order, then
# its campaign SKU's row; payments' crediting of the balance locks the balance payment and
# then the pre-order, in the same order.

BALANCE_PAYABLE = "presale.balance"
NOTICE_MAIL_JOB = "presale.mail_notice"


def _locked_all(preorder_id: int) -> tuple[Payment | None, Payment | None, Preorder]:
    """The pre-order's deposit payment, its balance payment, then the pre-order, locked."""
    deposit_id, balance_id = (
        Preorder.objects.filter(pk=preorder_id)
        .values_list("deposit_payment_id", "balance_payment_id")
        .get()
    )
    deposit = Payment.objects.select_for_update().get(pk=deposit_id) if deposit_id else None
    balance = Payment.objects.select_for_update().get(pk=balance_id) if balance_id else None
    preorder = (
        Preorder.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__shop")
        .get(pk=preorder_id)
    )
    # A new balance payment made between our read and our lock (its maker held the
    # pre-order and is done): take it too. Out of the lock order, so a crediting of that
    # very payment at this moment may deadlock; PostgreSQL then aborts one of the two, and
    # the sweeper or the gateway's retry runs it again.
    if preorder.balance_payment_id not in (None, balance.pk if balance else None):
        balance = Payment.objects.select_for_update().get(pk=preorder.balance_payment_id)
    return deposit, balance, preorder


def _notice(preorder: Preorder, kind: str) -> bool:
    """Write the buyer's notice of ``kind`` about ``preorder`` and queue its email, once."""

    notice, created = PreorderNotice.objects.get_or_create(
        preorder=preorder,
        kind=kind,
        defaults={"buyer_id": preorder.buyer_id, "created_at": clock.now()},
    )
    if created:
        enqueue(
            NOTICE_MAIL_JOB,
            {"notice": notice.public_id},
            key=f"{NOTICE_MAIL_JOB}:{notice.public_id}",
        )
    return created


@transaction.atomic
def preorder_balance_notify(*, preorder: Preorder) -> bool:
    """Tell the buyer of a pre-order whose deposit is paid that its balance window is open
    (the sweeper's step): once, only while the window is open and the deposit paid.
    True if this call told them."""
    _deposit, _balance, preorder = _locked_all(preorder.pk)
    campaign = preorder.campaign
    now = clock.now()
    if (
        preorder.status != PreorderStatus.DEPOSIT_PAID
        or preorder.balance_notified_at is not None
        or campaign.balance_starts_at is None
        or not campaign.balance_starts_at <= now < campaign.balance_ends_at
    ):
        return False
    preorder.balance_notified_at = now
    preorder.save(update_fields=["balance_notified_at"])
    _notice(preorder, NoticeKind.BALANCE_OPEN)
    audit_record(
        actor=None,
        action="presale.balance_notified",
        target=preorder,
        to_state=preorder.status,
        data={"balance_fen": preorder.balance_fen},
    )
    return True


def _balance_refusal(preorder: Preorder, now: datetime) -> Conflict | None:
    campaign = preorder.campaign
    if preorder.status == PreorderStatus.PENDING_DEPOSIT:
        return Conflict(_("请先支付定金。"), code="deposit_unpaid")
    if preorder.status == PreorderStatus.FULLY_PAID:
        return Conflict(_("尾款已支付。"), code="balance_already_paid")
    if preorder.status != PreorderStatus.DEPOSIT_PAID:
        return Conflict(
            _("这个预售订单已关闭，不能支付尾款。"),
            code="preorder_closed",
            details={"status": preorder.status},
        )
    if campaign.balance_starts_at is None or now < campaign.balance_starts_at:
        return Conflict(
            _("尾款支付尚未开始。"),
            code="balance_not_open",
            details={
                "balance_starts_at": campaign.balance_starts_at.isoformat()
                if campaign.balance_starts_at
                else None
            },
        )
    if now >= campaign.balance_ends_at:
        return Conflict(
            _("尾款支付已截止。"),
            code="balance_closed",
            details={"balance_ends_at": campaign.balance_ends_at.isoformat()},
        )
    return None


def _balance_coupon(
    buyer: User, preorder: Preorder, coupon_id: Any, held_by: Payment | None
) -> tuple[Coupon, int, int]:
    """The buyer's coupon against the pre-order's balance: (coupon, discount, the platform's
    share of it). The balance is the coupon's base (its threshold and its percentage); at
    least one fen is left to pay. Refusals as at checkout (``orders.coupons``); a coupon
    held by the pending balance payment ``held_by`` counts as available."""
    (public_id,) = clean_coupon_ids([coupon_id])
    now = clock.now()
    coupon = (
        Coupon.objects.select_related("template")
        .prefetch_related("template__categories", "template__products")
        .filter(buyer=buyer, public_id=public_id)
        .first()
    )
    if coupon is None:
        raise NotFound(
            _("没有找到这张优惠券。"), code="coupon_not_found", details={"coupon": public_id}
        )
    if coupon.state == CouponState.EXPIRED or (
        coupon.state == CouponState.AVAILABLE and coupon.valid_until <= now
    ):
        raise Conflict(
            _("这张优惠券已过期。"), code="coupon_expired", details={"coupon": public_id}
        )
    held = (
        held_by is not None
        and coupon.state == CouponState.LOCKED
        and coupon.checkout_ref == _coupon_ref(held_by)
    )
    if (coupon.state != CouponState.AVAILABLE and not held) or coupon.valid_from > now:
        raise Conflict(
            _("这张优惠券已被使用、已过期或暂不可用。"),
            code="coupon_unavailable",
            details={"coupon": public_id},
        )
    product_id = Sku.objects.values_list("product_id", flat=True).get(
        pk=preorder.campaign_sku.sku_id
    )
    lines = math_lines([(preorder.pk, product_id, preorder.balance_fen)])
    try:
        outcome = coupon_math.apply([math_coupon(coupon)], lines)
    except coupon_math.CouponRefused as refused:
        raise ValidationFailed(
            _(COUPON_REFUSALS[refused.code]), code=refused.code.value, details={"coupon": public_id}
        ) from None
    discount = min(outcome.discount_fen, preorder.balance_fen - 1)
    if discount <= 0:
        raise ValidationFailed(
            _("这张优惠券对所选商品没有优惠。"),
            code="coupon_saves_nothing",
            details={"coupon": public_id},
        )
    platform = discount if coupon.template.issuer == coupon_math.Issuer.PLATFORM else 0
    return coupon, discount, platform


@transaction.atomic
def preorder_balance_pay(
    *,
    buyer: User,
    preorder: Preorder,
    amount_fen: Any = None,
    coupon: str | None = None,
    delivery: str | None = None,
    address: dict | None = None,
) -> Payment:
    """The balance payment of the buyer's pre-order: its locked balance (price − credit),
    computed here; ``amount_fen`` (whatever a client sent) is ignored. A pending balance
    payment still running is returned again rather than a second one made.

    Refused (``Conflict``): the deposit unpaid (``deposit_unpaid``), before the balance
    window (``balance_not_open``), after it (``balance_closed``), already paid
    (``balance_already_paid``), the pre-order closed (``preorder_closed``). Someone
    else's pre-order is ``NotFound``.

    ``coupon``: the public id of one of the buyer's coupons to take off the balance
    (``_balance_coupon``), held for this payment, used when it is paid and given back when
    it is closed unpaid. ``delivery``/``address`` change how the order is delivered. Given
    either, a pending balance payment that differs is replaced by a new one."""
    del amount_fen  # the server alone says what is owed
    _require_active_user(buyer)
    if not Preorder.objects.filter(pk=preorder.pk, buyer_id=buyer.pk).exists():
        raise NotFound(_("没有找到这个预售订单。"), code="preorder_not_found")
    _deposit, balance, preorder = _locked_all(preorder.pk)
    now = clock.now()
    refusal = _balance_refusal(preorder, now)
    if refusal is not None:
        raise refusal
    changes: dict[str, Any] = {}
    if delivery is not None:
        changes["delivery"], changes["address"] = _clean_delivery_choice(delivery, address)
    running = (
        balance is not None and balance.status == PaymentStatus.PENDING and now < balance.expires_at
    )
    if balance is not None and balance.status == PaymentStatus.PENDING:
        refuse_if_in_checkout(balance)
    chosen = None
    if coupon is not None:
        chosen, discount, platform = _balance_coupon(
            buyer, preorder, coupon, balance if running else None
        )
        changes["balance_discount_fen"] = discount
        changes["balance_platform_discount_fen"] = platform
    if running:
        held = set(
            Coupon.objects.filter(checkout_ref=_coupon_ref(balance)).values_list("pk", flat=True)
        )
        same = all(getattr(preorder, name) == value for name, value in changes.items())
        if same and (chosen is None or held == {chosen.pk}):
            return balance
    if balance is not None and balance.status == PaymentStatus.PENDING:
        # Its handler gives back a coupon it held (``balance_payment_expired``).
        payment_close(payment=balance, reason="presale balance payment replaced")
    if chosen is None:  # a new payment without a coupon
        changes.setdefault("balance_discount_fen", 0)
        changes.setdefault("balance_platform_discount_fen", 0)
    for name, value in changes.items():
        setattr(preorder, name, value)
    expires_at = min(
        now + timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES),
        preorder.campaign.balance_ends_at,
    )
    payment = payment_create(
        buyer=buyer,
        amount_fen=preorder.balance_due_fen,
        subject=_("预售尾款 · %(title)s") % {"title": preorder.campaign.title},
        payable_type=BALANCE_PAYABLE,
        payable_id=preorder.public_id,
        expires_at=expires_at,
    )
    if chosen is not None:
        # Held for this payment, or the whole transaction rolls back (``coupon_unavailable``).
        coupons_lock(buyer=buyer, coupon_ids=[chosen.pk], checkout_ref=_coupon_ref(payment))
    preorder.balance_payment = payment
    preorder.save(update_fields=["balance_payment", *changes])
    audit_record(
        actor=buyer,
        action="presale.balance_payment_created",
        target=preorder,
        to_state=preorder.status,
        data={
            "payment": payment.public_id,
            "amount_fen": payment.amount_fen,
            "discount_fen": preorder.balance_discount_fen,
            **({"coupon": chosen.public_id} if chosen is not None else {}),
        },
    )
    return payment


def refuse_if_in_checkout(balance: Payment) -> None:
    """A pending payment of the balance that is a cart checkout's (``cart_balance``) is
    that checkout's to pay or cancel: it is not replaced behind the buyer's back."""
    if balance.payable_type != BALANCE_PAYABLE:
        raise Conflict(
            _("尾款已在一笔待支付的结算单中，请先支付或取消该结算单。"),
            code="balance_in_checkout",
            details={"checkout": balance.payable_id},
        )


def _balance_preorder_of(payment: Payment) -> Preorder | None:
    return (
        Preorder.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(public_id=payment.payable_id, balance_payment_id=payment.pk)
        .first()
    )


def _balance_payable(preorder: Preorder | None) -> bool:
    return (
        preorder is not None
        and preorder.status == PreorderStatus.DEPOSIT_PAID
        and preorder.campaign.status == CampaignStatus.APPROVED
        and preorder.campaign.balance_ends_at is not None
        and clock.now() < preorder.campaign.balance_ends_at
    )


def balance_is_payable(payment: Payment) -> bool:
    """The pre-order still waits for this balance payment, its window open by the clock."""
    return _balance_payable(_balance_preorder_of(payment))


def _coupon_ref(payment: Payment) -> str:
    """Whose coupons these are, for promotions: the balance payment's."""
    return f"presale:{payment.public_id}"


def balance_part_fen(preorder: Preorder, payment: Payment) -> int:
    """What of the balance payment ``payment`` is the pre-order's: all of a payment of the
    balance alone; of one that paid cart orders with it (``cart_balance``), the balance due
    locked when that checkout was made."""
    if payment.payable_type == BALANCE_PAYABLE:
        return payment.amount_fen
    return preorder.balance_due_fen


def preorder_fully_paid(
    preorder: Preorder, *, balance: Payment | None, checkout: Checkout | None = None
) -> Order:
    """A fully paid pre-order (locked, ``fully_paid``) becomes an ordinary order of its
    shop, paid, in the caller's transaction (the balance payment's crediting; for a
    full-payment pre-order, ``balance`` None, its one payment's). Sets ``preorder.order``;
    the caller saves it.

    The order is made the way ``orders.lots`` makes an auction lot's: one checkout whose
    payment is the balance payment, one order with one line (the SKU at the locked
    pre-sale price, quantity 1), its history and audit rows; the shop fulfils it as any
    order (shipping or a venue pickup with its pickup code), receipt completes it and
    settles it. The pre-sale price includes shipping.

    Money. Nothing is credited again: the deposit and the balance each went into escrow
    when they were paid. The order says what that money is: ``items_fen`` the locked
    price, ``discount_fen`` the deposit's boost (credit − deposit, the seller's) plus the
    balance's coupon (``platform_discount_fen`` its platform share), so ``total_fen`` =
    deposit + balance paid = what escrow holds for it. ``prepaid_payment`` names the
    deposit's payment, ``promised_ship_by`` the campaign's promised ship date. On
    completion ``_complete`` releases the total less refunds to the seller less the
    commission; refunds of either payment that name the order are booked by
    ``order_refund_succeeded``.

    ``checkout``: the cart checkout whose one payment (``balance``) paid the balance with
    its orders (``cart_balance``); the order joins it rather than a checkout of its own,
    so its refunds come out of that payment, never beyond the balance's part of it.
    """
    campaign = preorder.campaign
    shop = Shop.objects.get(pk=campaign.shop_id)
    row = CampaignSku.objects.select_related("sku__product").get(pk=preorder.campaign_sku_id)
    now = clock.now()
    discount = (preorder.credit_fen - preorder.deposit_fen) + preorder.balance_discount_fen
    total = preorder.price_fen - discount
    # A full-payment pre-order (``balance`` None): its one payment is the checkout's.
    payment = balance if balance is not None else preorder.deposit_payment
    balance_paid = balance_part_fen(preorder, balance) if balance is not None else 0
    if total != preorder.deposit_fen + balance_paid:
        raise CountersOutOfStep(
            f"pre-order {preorder.public_id}: deposit + balance paid != price − discounts"
        )
    pickup = preorder.delivery == Delivery.PICKUP
    joined = checkout is not None
    if checkout is None:
        checkout = Checkout.objects.create(
            public_id=new_public_id("co"),
            buyer_id=preorder.buyer_id,
            status=CheckoutStatus.PAID,
            delivery=preorder.delivery,
            items_fen=preorder.price_fen,
            shipping_fen=0,
            discount_fen=discount,
            total_fen=total,
            payment=payment,
            created_at=now,
            expires_at=now,
        )
    order = Order(
        public_id=new_public_id("o"),
        checkout=checkout,
        buyer_id=preorder.buyer_id,
        shop=shop,
        status=OrderStatus.PAID,
        delivery=preorder.delivery,
        address={} if pickup else preorder.address,
        pickup_code=order_rules.new_pickup_code() if pickup else "",
        items_fen=preorder.price_fen,
        shipping_fen=0,
        discount_fen=discount,
        platform_discount_fen=preorder.balance_platform_discount_fen,
        total_fen=total,
        commission_bp=shop.commission_bp,
        created_at=now,
        paid_at=now,
        promised_ship_by=campaign.promised_ship_date,
        prepaid_payment_id=preorder.deposit_payment_id if balance is not None else None,
    )
    _orders_insert([order])
    # Both languages, as every order line keeps them (not the payer's language in the _zh one).
    order_line_build(
        order=order,
        sku=row.sku,
        unit_price_fen=preorder.price_fen,
        quantity=1,
        discount_fen=discount,
    ).save()
    money = {
        "preorder": preorder.public_id,
        "deposit_payment": preorder.deposit_payment.public_id,
        "balance_payment": balance.public_id if balance is not None else None,
        "deposit_fen": preorder.deposit_fen,
        "balance_paid_fen": balance_paid,
    }
    OrderEvent.objects.create(
        order=order, from_status="", to_status=OrderStatus.PAID, by=None, data=money, at=now
    )
    audit_record(
        actor=None,
        # A cart checkout it joined was recorded paid already, with its own orders.
        action="checkout.preorder_joined" if joined else "checkout.paid",
        target=checkout,
        to_state=checkout.status,
        data={"orders": [order.public_id], "total_fen": total, **money},
    )
    if balance is not None and preorder.balance_discount_fen:
        coupons_use(checkout_ref=_coupon_ref(balance))
    # Saved by the caller with its own change of the pre-order, in one UPDATE: a second
    # update of a row this transaction already updated makes PostgreSQL check every
    # foreign key of it again, taking a share lock on the deposit's payment, which a
    # cancellation locks first (a deadlock).
    preorder.order = order
    audit_record(
        actor=None,
        action="presale.preorder_ordered",
        target=preorder,
        to_state=preorder.status,
        data={"order": order.public_id, "promised_ship_by": str(order.promised_ship_by)},
    )
    return order


def balance_mark_paid(payment: Payment) -> Preorder:
    """The balance arrived (into escrow, as every payment): the pre-order is fully paid."""
    preorder = _balance_preorder_of(payment)
    if not _balance_payable(preorder):
        raise Conflict(_("这笔尾款已无需支付。"), code="balance_not_payable")
    now = clock.now()
    preorder.status = PreorderStatus.FULLY_PAID
    preorder.balance_paid_at = now
    preorder_fully_paid(preorder, balance=payment)
    preorder.save(update_fields=["status", "balance_paid_at", "order"])
    audit_record(
        actor=None,
        action="presale.balance_paid",
        target=preorder,
        from_state=PreorderStatus.DEPOSIT_PAID,
        to_state=PreorderStatus.FULLY_PAID,
        data={"payment": payment.public_id, "amount_fen": payment.amount_fen},
    )
    return preorder


def balance_payment_expired(payment: Payment) -> None:
    """A balance payment closed unpaid: a coupon it held goes back to the buyer; the buyer
    may make another while the window is open; the default sweeper closes the pre-order
    when it ends."""
    coupons_release(checkout_ref=_coupon_ref(payment))


def balance_refund_succeeded(refund: Refund) -> None:
    """A refund of a balance went through: one of the order the pre-order became (its
    seller's, or the pre-order's cancellation) is the order's to book; else out of escrow."""
    payment = refund.payment
    if (refund.refs or {}).get("order"):
        order_refund_succeeded(refund=refund)
        return
    refund_from_escrow(
        refund_ref=refund.public_id,
        gateway=payment.gateway,
        amount_fen=refund.amount_fen,
        refs={"payment": payment.public_id, "preorder": payment.payable_id},
    )


# --- default and cancellation ----------------------------------------------------------------


def _refund_rest(
    payment: Payment | None, *, reason: str, by: User | None, refs: dict | None = None
) -> Refund | None:
    """Refund what is left of a locked payment if it was paid (never more than that)."""
    if payment is None or payment.status != PaymentStatus.PAID:
        return None
    rest = rules.refund_cap(paid_fen=payment.amount_fen, refunded_fen=payment.refunded_fen)
    if rest <= 0:
        return None
    return refund_create(payment=payment, amount_fen=rest, reason=reason, refs=refs, by=by)


def _refund_balance_rest(
    preorder: Preorder,
    payment: Payment | None,
    *,
    reason: str,
    by: User | None,
    refs: dict | None = None,
) -> Refund | None:
    """Refund what is left of the pre-order's part of its locked, paid balance payment:
    all of a payment of the balance alone; of a cart checkout's payment that included it,
    only the balance's part less the refunds naming the pre-order's order (the rest of that
    payment is its cart orders')."""
    if payment is None or payment.payable_type == BALANCE_PAYABLE:
        return _refund_rest(payment, reason=reason, by=by, refs=refs)
    if payment.status != PaymentStatus.PAID or preorder.order_id is None:
        return None
    order_ref = Order.objects.values_list("public_id", flat=True).get(pk=preorder.order_id)
    refunded = sum(
        Refund.objects.filter(payment_id=payment.pk, refs__order=order_ref)
        .exclude(status=RefundStatus.FAILED)
        .values_list("amount_fen", flat=True)
    )
    rest = min(
        balance_part_fen(preorder, payment) - refunded,
        rules.refund_cap(paid_fen=payment.amount_fen, refunded_fen=payment.refunded_fen),
    )
    if rest <= 0:
        return None
    # Named the order always: the order's books take it, never escrow of the cart's money.
    return refund_create(
        payment=payment,
        amount_fen=rest,
        reason=reason,
        refs=(refs or {}) | {"order": order_ref},
        by=by,
    )


def _close_pending(payment: Payment | None, reason: str) -> None:
    if payment is not None and payment.status == PaymentStatus.PENDING:
        payment_close(payment=payment, reason=reason)


def _unit_release(campaign_sku_id: int) -> None:
    """The unit leaves the campaign: one taken and one of the quantity go together."""
    given = CampaignSku.objects.filter(pk=campaign_sku_id, taken__gte=1, quantity__gte=1).update(
        taken=F("taken") - 1, quantity=F("quantity") - 1
    )
    if given != 1:
        raise CountersOutOfStep(f"campaign SKU {campaign_sku_id}: no unit taken to release")


def _close(preorder: Preorder, to: str, *, from_states: tuple[str, ...], reason: str) -> bool:
    """Move the locked pre-order to ``to`` by a conditional update; True if this call did."""
    now = clock.now()
    moved = Preorder.objects.filter(pk=preorder.pk, status__in=from_states).update(
        status=to, closed_at=now, close_reason=reason[:256]
    )
    if moved != 1:
        return False
    before = preorder.status
    preorder.status, preorder.closed_at, preorder.close_reason = to, now, reason[:256]
    audit_record(
        actor=None,
        action=f"presale.preorder_{to}",
        target=preorder,
        from_state=before,
        to_state=to,
        reason=reason,
    )
    return True


@transaction.atomic
def preorder_default(*, preorder: Preorder) -> Preorder:
    """Close a pre-order whose balance was not paid by the window's end (the sweeper's step);
    idempotent. A 定金 is forfeited to the seller less commission (ledger: escrow → seller
    balance + platform commission); an advance payment is refunded in full. The unit goes
    back to the campaign, or leaves it when the campaign says so. A balance payment still
    pending is closed (money arriving for it later is refunded in full by payments)."""

    deposit, balance, preorder = _locked_all(preorder.pk)
    campaign = preorder.campaign
    if (
        preorder.status != PreorderStatus.DEPOSIT_PAID
        or campaign.balance_ends_at is None
        or clock.now() < campaign.balance_ends_at
    ):
        return preorder
    _close_pending(balance, "presale balance window ended")
    reason = _("尾款逾期未付")
    if not _close(
        preorder,
        PreorderStatus.DEFAULTED,
        from_states=(PreorderStatus.DEPOSIT_PAID,),
        reason=reason,
    ):
        return preorder
    if campaign.resell_defaulted:
        _unit_give_back(preorder.campaign_sku_id)
    else:
        _unit_release(preorder.campaign_sku_id)
    held = rules.refund_cap(paid_fen=deposit.amount_fen, refunded_fen=deposit.refunded_fen)
    outcome = rules.default_outcome(
        earnest=preorder.earnest, deposit_paid_fen=held, commission_bp=campaign.shop.commission_bp
    )
    if outcome.forfeit_fen > 0:
        escrow_forfeit_to_seller(
            forfeit_ref=preorder.public_id,
            shop_public_id=campaign.shop.public_id,
            amount_fen=outcome.forfeit_fen,
            commission_bp=campaign.shop.commission_bp,
            refs={"preorder": preorder.public_id, "payment": deposit.public_id},
        )
    if outcome.refund_fen > 0:
        refund_create(
            payment=deposit,
            amount_fen=outcome.refund_fen,
            reason=_("预售尾款逾期未付，预付款全额退回。"),
        )
    _notice(preorder, NoticeKind.DEFAULTED)
    return preorder


CANCELLABLE = (
    PreorderStatus.PENDING_DEPOSIT,
    PreorderStatus.DEPOSIT_PAID,
    PreorderStatus.FULLY_PAID,
)


def _cancel_locked(
    deposit: Payment | None, balance: Payment | None, preorder: Preorder, *, reason: str, by
) -> bool:
    """Cancel the locked pre-order: close what is unpaid, refund in full what is paid, give
    the unit back. True if this call cancelled it."""
    was = preorder.status
    if was not in CANCELLABLE:
        return False
    order = None
    if preorder.order_id is not None:
        # The order it became, locked after the pre-order (the lock order): cancelled only
        # while the seller has not shipped it or had it ready at the venue, so a pre-order
        # is never both refunded and shipped; after that, the order's refunds and
        # after-sales apply.
        order = Order.objects.select_for_update(of=("self",)).select_related("shop", "checkout")
        order = order.get(pk=preorder.order_id)
        if order.status != OrderStatus.PAID:
            return False
    if not _close(preorder, PreorderStatus.CANCELLED, from_states=CANCELLABLE, reason=reason):
        return False
    _unit_give_back(preorder.campaign_sku_id)
    # Closed after the pre-order left its state, so their handlers find nothing to do; money
    # arriving for them later is refunded in full by payments.
    _close_pending(deposit, "presale pre-order cancelled")
    _close_pending(balance, "presale pre-order cancelled")
    refund_reason = _("预售订单已取消，已付款项全额退回。")
    # Refunds of an order's money name the order: its books take them (``order_refund_
    # succeeded``), and once both are through the order is refunded.
    refs = {"order": order.public_id} if order is not None else None
    refunds = [
        _refund_rest(deposit, reason=refund_reason, by=by, refs=refs),
        _refund_balance_rest(preorder, balance, reason=refund_reason, by=by, refs=refs),
    ]
    if order is not None:
        order_record(
            order,
            before=order.status,
            by=by,
            reason=reason,
            data={
                "preorder": preorder.public_id,
                "refunds": [r.public_id for r in refunds if r is not None],
                "amount_fen": sum(r.amount_fen for r in refunds if r is not None),
            },
            action="order.refund_requested",
        )
    if was != PreorderStatus.PENDING_DEPOSIT:
        _notice(preorder, NoticeKind.CANCELLED)
    return True


@transaction.atomic
def preorder_cancel(*, preorder: Preorder, by: User, reason: str = "") -> Preorder:
    """Cancel a pre-order; everything the buyer paid is refunded in full, automatically.

    Who may: the campaign's seller, an operator, at any time before it closes; the buyer
    once its campaign's promised ship date has passed (``ship_date_not_missed`` before
    that). Refused for a closed pre-order (``preorder_closed``)."""
    _require_active_user(by)
    row = Preorder.objects.select_related("campaign", "campaign__shop").get(pk=preorder.pk)
    is_seller = row.campaign.shop.owner_id == by.pk
    is_operator = by.is_superuser or by.has_role(Role.OPERATOR)
    is_buyer = row.buyer_id == by.pk
    if not (is_seller or is_operator or is_buyer):
        raise NotFound(_("没有找到这个预售订单。"), code="preorder_not_found")
    if is_buyer and not (is_seller or is_operator):
        ship = row.campaign.promised_ship_date
        if (
            row.status != PreorderStatus.FULLY_PAID
            or ship is None
            or (rules.local_date(clock.now()) <= ship)
        ):
            raise Conflict(
                _("承诺发货日期过后仍未发货时，才能申请取消。"),
                code="ship_date_not_missed",
                details={"ship_on": ship.isoformat() if ship else None},
            )
    deposit, balance, preorder = _locked_all(preorder.pk)
    text = _text(reason, field="reason", max_length=REASON_MAX) or _("预售订单已取消")
    if not _cancel_locked(deposit, balance, preorder, reason=text, by=by):
        if preorder.status in CANCELLABLE:
            raise Conflict(
                _("卖家已发货或已备货待自提，不能取消预售订单；请通过订单申请售后。"),
                code="order_in_fulfilment",
                details={"order": preorder.order.public_id if preorder.order_id else None},
            )
        raise Conflict(
            _("这个预售订单已关闭。"), code="preorder_closed", details={"status": preorder.status}
        )
    return preorder


@transaction.atomic
def preorder_force_refund(*, preorder: Preorder, by: User, reason: str) -> Preorder:
    """An operator refunds a buyer in full whatever the campaign's terms: an open
    pre-order is cancelled with everything paid refunded (``preorder_cancel``); a
    defaulted one gets back what is left of its deposit (a forfeited 定金 then comes back
    from the seller's balance, less the commission's share, see ``deposit_refund_
    succeeded``). A pre-order that became an order the seller has shipped or settled (or
    whose cancellation's refund failed) is refunded what is left of that order through the
    order's refund (``orders.services.order_refund``: its books, both payments). Refused:
    nothing left to refund (``nothing_to_refund``)."""
    _require_operator(by)
    reason = _text(reason, field="reason", max_length=REASON_MAX, required=True)
    deposit, balance, locked = _locked_all(preorder.pk)
    if locked.order_id is not None:
        order = Order.objects.select_related("shop", "checkout").get(pk=locked.order_id)
        if locked.status not in CANCELLABLE or order.status != OrderStatus.PAID:
            # Its money is the order's: refunded through the order's books (both payments,
            # each never beyond its part), never straight out of escrow.
            return _force_refund_order(locked, order, by=by, reason=reason)
    if locked.status in CANCELLABLE:
        return preorder_cancel(preorder=locked, by=by, reason=reason)
    refunds = [
        _refund_rest(deposit, reason=reason, by=by),
        _refund_balance_rest(locked, balance, reason=reason, by=by),
    ]
    if not any(refunds):
        raise Conflict(
            _("这个预售订单没有可退的款项。"),
            code="nothing_to_refund",
            details={"status": locked.status},
        )
    audit_record(
        actor=by,
        action="presale.preorder_force_refunded",
        target=locked,
        to_state=locked.status,
        reason=reason,
        data={"refunds": [r.public_id for r in refunds if r is not None]},
    )
    return locked


def _force_refund_order(preorder: Preorder, order: Order, *, by: User, reason: str) -> Preorder:
    """Refund what is left of the order a pre-order became (shipped, settled, or its
    cancellation's refund failed) through ``orders.services.order_refund``."""
    left = order_refundable_fen(order)
    if left <= 0 or order.status not in order_rules.PAID_STATES:
        raise Conflict(
            _("这个预售订单没有可退的款项。"),
            code="nothing_to_refund",
            details={"status": preorder.status, "order": order.public_id},
        )
    refund = order_refund(order=order, amount_fen=left, reason=reason, by=by)
    audit_record(
        actor=by,
        action="presale.preorder_force_refunded",
        target=preorder,
        to_state=preorder.status,
        reason=reason,
        data={"order": order.public_id, "refund": refund.public_id, "amount_fen": left},
    )
    return preorder


def _cancel_rest(campaign_id: int, reason: str) -> int:
    done = 0
    ids = list(
        Preorder.objects.filter(campaign_id=campaign_id, status__in=CANCELLABLE)
        .filter(Q(order__isnull=True) | Q(order__status=OrderStatus.PAID))
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            deposit, balance, preorder = _locked_all(pk)
            done += _cancel_locked(deposit, balance, preorder, reason=reason, by=None)
    return done


def campaign_cancel(*, campaign: Campaign, by: User, reason: str) -> Campaign:
    """The seller (or an operator) cancels its approved campaign: it takes nothing more,
    and every pre-order of it is cancelled with everything paid refunded in full, each in
    its own transaction after the campaign's (its row lock is not held while pre-orders
    and units are locked: a buyer's pre-order holding a unit waits on it).
    ``campaign_cancelled_sweep`` finishes any that raced the cancellation or a crash."""
    _require_active_user(by)
    reason = _text(reason, field="reason", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        campaign = _campaign_locked(campaign)
        is_operator = by.is_superuser or by.has_role(Role.OPERATOR)
        if not is_operator:
            _require_own(campaign, by)
        if campaign.status != CampaignStatus.APPROVED:
            raise _not_in_state(campaign, CampaignStatus.CANCELLED)
        _move(campaign, CampaignStatus.CANCELLED, by=by, reason=reason, updated_at=clock.now())
    _cancel_rest(campaign.pk, reason)
    return campaign


def campaign_cancelled_sweep(*, campaign_id: int) -> int:
    """Cancel what is still open of a cancelled campaign (a pre-order made or paid as it was
    cancelled); idempotent."""
    status = Campaign.objects.values_list("status", flat=True).get(pk=campaign_id)
    if status != CampaignStatus.CANCELLED:
        return 0
    return _cancel_rest(campaign_id, _("预售活动已取消"))


# --- late shipping ------------------------------------------------------------------------------

LATE_MAIL_JOB = "presale.mail_late"


@transaction.atomic
def preorder_flag_late(*, preorder: Preorder) -> bool:
    """A fully paid pre-order whose order is still not shipped after its promised ship date
    (the sweeper's step): flagged once; the buyer is told that they may cancel it with
    everything refunded (``preorder_cancel``), the seller and the operators by email.
    True if this call flagged it."""
    _deposit, _balance, preorder = _locked_all(preorder.pk)
    if preorder.status != PreorderStatus.FULLY_PAID or preorder.late_flagged_at is not None:
        return False
    order = Order.objects.filter(pk=preorder.order_id).first()
    if (
        order is None
        or order.status != OrderStatus.PAID
        or order.promised_ship_by is None
        or rules.local_date(clock.now()) <= order.promised_ship_by
    ):
        return False
    preorder.late_flagged_at = clock.now()
    preorder.save(update_fields=["late_flagged_at"])
    _notice(preorder, NoticeKind.SHIP_LATE)
    enqueue(LATE_MAIL_JOB, {"preorder": preorder.public_id}, key=f"{LATE_MAIL_JOB}:{preorder.pk}")
    audit_record(
        actor=None,
        action="presale.ship_late",
        target=preorder,
        to_state=preorder.status,
        data={"order": order.public_id, "promised_ship_by": order.promised_ship_by.isoformat()},
    )
    return True


@job_handler(LATE_MAIL_JOB, max_attempts=5)
def mail_ship_late(payload: dict[str, Any]) -> None:
    """Email the shop's owner and the operators that a pre-order is late to ship."""
    preorder = (
        Preorder.objects.select_related("order", "campaign__shop__owner")
        .filter(public_id=payload["preorder"])
        .first()
    )
    if preorder is None or preorder.order is None:
        return
    owner = preorder.campaign.shop.owner
    operators = User.objects.filter(is_active=True, groups__name=Role.OPERATOR).exclude(email="")
    to = sorted({owner.email, *operators.values_list("email", flat=True)} - {""})
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("预售订单逾期未发货：%(order)s") % {"order": preorder.order.public_id}
        body = _(
            "店铺「%(shop)s」的预售订单 %(order)s（%(title)s）承诺在 %(date)s 前发货，"
            "至今仍未发货。买家现在可以申请取消并获得全额退款。"
        ) % {
            "shop": preorder.campaign.shop.name,
            "order": preorder.order.public_id,
            "title": preorder.campaign.title,
            "date": preorder.order.promised_ship_by.isoformat(),
        }
    send_mail(subject, body, None, to)


# --- the buyer's notices by email -------------------------------------------------------------


def notice_text(notice) -> tuple[str, str]:
    """The subject and body of a notice in the active language."""
    preorder = notice.preorder
    campaign = preorder.campaign
    title = campaign.title
    if notice.kind == NoticeKind.BALANCE_OPEN:
        subject = _("预售尾款已开始支付：%(title)s") % {"title": title}
        lines = [
            _("你预订的「%(title)s」已进入尾款阶段。") % {"title": title},
            _("应付尾款 %(amount)s，请在 %(deadline)s 前支付。")
            % {
                "amount": format_fen(preorder.balance_fen),
                "deadline": campaign.balance_ends_at.astimezone(rules.SHANGHAI).strftime(
                    "%Y-%m-%d %H:%M"
                ),
            },
            _("逾期未付尾款，定金不退。")
            if preorder.earnest
            else _("逾期未付尾款，预付款将全额退回。"),
        ]
    elif notice.kind == NoticeKind.DEFAULTED:
        subject = _("预售订单已关闭：%(title)s") % {"title": title}
        lines = [
            _("尾款支付已截止，你预订的「%(title)s」已关闭。") % {"title": title},
            _("按活动规则，定金不予退还。") if preorder.earnest else _("你的预付款将全额退回。"),
        ]
    elif notice.kind == NoticeKind.SHIP_LATE:
        subject = _("卖家未按承诺日期发货：%(title)s") % {"title": title}
        lines = [
            _("你预订的「%(title)s」已过承诺发货日期，卖家仍未发货。") % {"title": title},
            _("你可以在「我的预售」中申请取消，已付款项将全额原路退回。"),
        ]
    else:
        subject = _("预售订单已取消：%(title)s") % {"title": title}
        lines = [
            _("你预订的「%(title)s」已取消，已付款项将全额原路退回。") % {"title": title},
        ]
    return subject, "\n".join([_("你好，"), "", *lines])


@job_handler(NOTICE_MAIL_JOB, max_attempts=5)
def mail_preorder_notice(payload: dict[str, Any]) -> None:
    """Email the buyer a notice (Django's mail framework: the console or file backend in
    the demo)."""

    notice = (
        PreorderNotice.objects.select_related("buyer", "preorder__campaign")
        .filter(public_id=payload["notice"])
        .first()
    )
    if notice is None or not notice.buyer.email or not notice.buyer.is_active:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = notice_text(notice)
    send_mail(subject, body, None, [notice.buyer.email])
