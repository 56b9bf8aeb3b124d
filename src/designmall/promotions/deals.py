"""Flash deals (限时秒杀): an operator sets units of one SKU aside at a deal price for a
window; buyers take one unit per order, at most ``per_buyer_limit`` each.

Units. Scheduling takes the deal's quantity out of the SKU's available stock into an
inventory hold owned by the deal (``inventory.services.holds_take``: one conditional
update, so ordinary sales can never eat it). A paid deal order sells its unit out of that
hold; an unpaid one that is cancelled or expires (after ``DEAL_HOLD_MINUTES``) gives its
unit back to the deal while it runs, and to ordinary stock after it ended. Once the deal
ended (or was cancelled), ``deal_settle`` puts the units no buyer holds back on sale,
exactly once (a conditional ``settled_at``, under the deal's lock).

Orders. A deal order is an ordinary order of the deal's shop, at the deal price, one unit:
``orders.lots.checkout_for_lot`` writes it (payment, checkout, order, line, history), with
the payable type ``"deal"`` (``promotions.deal_payables``), so paying, refunds, escrow,
the ledger and after-sales are the orders' own.

Admission. With Redis (``DEAL_REDIS_URL``) a unit is admitted by one Lua script
(``deal_admission``) and the order and its ``DealTicket`` are inserted without touching a
shared row; sold out is answered from Redis. The API and the deal page buy with
``deal_grab``: on the Redis path the buyer is answered at admission (a ticket, 排队中: "you
got one, your order is being written") and the order is written right behind the answer
by this process's writer thread (``deal_writer``); the admission and its request are kept
in Redis until the order is in the database, and the reconciler writes any order a crash
left unwritten (or, when the order is refused, puts the unit back on sale). The buyer polls
the ticket (``deal_ticket_state``) until its order exists. Without Redis (the embedded
tier) the deal's row takes the unit with one conditional update (``taken < quantity``),
held until the commit. Either way the ticket's unique live slot and buyer sequence number
are the last guard.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.catalog.models import ProductStatus, ShopStatus, Sku
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.inventory.models import HoldStatus
from designmall.inventory.services import hold_open_quantity, hold_part_close, holds_take
from designmall.orders import idempotency
from designmall.orders.checkout import _clean_delivery, clean_address
from designmall.orders.lots import checkout_for_lot
from designmall.orders.models import Checkout, IdempotencyScope
from designmall.promotions import deal_admission
from designmall.promotions.models import (
    LIVE_TICKET,
    Deal,
    DealStatus,
    DealTicket,
    TicketStatus,
)

log = logging.getLogger(__name__)

PAYABLE_TYPE = "deal"
MAX_PER_BUYER_LIMIT = 10
MAX_DEAL_QUANTITY = 100_000
TITLE_MAX = 120

_DEALS = Deal._meta.db_table
# The database path's admission: one conditional update of the deal's row.
_TAKE = (
    f"UPDATE {_DEALS} SET taken = taken + 1 WHERE id = %s AND status = %s"
    " AND starts_at <= %s AND ends_at > %s AND taken < quantity RETURNING taken"
)
_GIVE = f"UPDATE {_DEALS} SET taken = taken - 1 WHERE id = %s AND taken > 0"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_operator(user: User | None) -> User:
    if not (user and user.is_active and (user.is_superuser or user.has_role(Role.OPERATOR))):
        raise PermissionDenied(_("只有平台运营可以安排秒杀。"), code="operator_only")
    return user


def _not_found() -> NotFound:
    return NotFound(_("没有找到这个秒杀。"), code="deal_not_found")


# --- phases ---------------------------------------------------------------------------------


def phase(deal: Deal, *, now: datetime | None = None, units_left: int | None = None) -> str:
    """``upcoming`` (即将开抢), ``live``, ``sold_out`` (已抢光), ``ended`` or ``cancelled``."""
    now = now or clock.now()
    if deal.status == DealStatus.CANCELLED:
        return "cancelled"
    if now >= deal.ends_at:
        return "ended"
    if now < deal.starts_at:
        return "upcoming"
    left = units_left if units_left is not None else deal_units_left(deal)
    return "live" if left > 0 else "sold_out"


def deal_units_left(deal: Deal) -> int:
    """Units still to be taken: Redis's free slots when it runs the deal, else the
    deal's counter."""
    if deal_admission.enabled() and deal.settled_at is None:
        try:
            left = deal_admission.store().units_left(deal.public_id)
        except deal_admission.AdmissionUnavailable:
            left = None
        if left is not None:
            return left
        if deal.status == DealStatus.SCHEDULED and deal.ends_at > clock.now():
            try:
                _load(deal)
                left = deal_admission.store().units_left(deal.public_id)
                if left is not None:
                    return left
            except deal_admission.AdmissionUnavailable:
                pass
        return deal.quantity - DealTicket.objects.filter(LIVE_TICKET, deal=deal).count()
    quantity, taken = Deal.objects.filter(pk=deal.pk).values_list("quantity", "taken").get()
    return quantity - taken


# --- scheduling -------------------------------------------------------------------------------


def _clean_text(value: Any, *, field: str, required: bool) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if (required and not text) or len(text) > TITLE_MAX:
        raise ValidationFailed(
            _("标题须为 1 至 %(n)d 个字符。") % {"n": TITLE_MAX},
            code="invalid_title",
            details={"field": field},
        )
    return text


def _check_values(
    *, price_fen: Any, quantity: Any, per_buyer_limit: Any, starts_at: Any, ends_at: Any
) -> None:
    def refuse(field: str, message: str) -> ValidationFailed:
        return ValidationFailed(message, code="invalid_deal", details={"field": field})

    if not _is_int(price_fen) or price_fen <= 0:
        raise refuse("price_fen", _("秒杀价须为正整数（分）。"))
    if not _is_int(quantity) or not 0 < quantity <= MAX_DEAL_QUANTITY:
        raise refuse(
            "quantity", _("秒杀数量须为 1 至 %(n)d 之间的整数。") % {"n": MAX_DEAL_QUANTITY}
        )
    if not _is_int(per_buyer_limit) or not 0 < per_buyer_limit <= MAX_PER_BUYER_LIMIT:
        raise refuse(
            "per_buyer_limit",
            _("每人限购须为 1 至 %(n)d 件。") % {"n": MAX_PER_BUYER_LIMIT},
        )
    if not isinstance(starts_at, datetime) or not isinstance(ends_at, datetime):
        raise refuse("starts_at", _("请填写开始和结束时间。"))
    if ends_at <= starts_at:
        raise refuse("ends_at", _("结束时间须晚于开始时间。"))
    if ends_at <= clock.now():
        raise refuse("ends_at", _("结束时间须晚于现在。"))


@transaction.atomic
def deal_schedule(
    *,
    by: User,
    sku: Sku,
    price_fen: int,
    quantity: int,
    starts_at: datetime,
    ends_at: datetime,
    per_buyer_limit: int = 1,
    title_zh: str = "",
    title_en: str = "",
) -> Deal:
    """An operator schedules a deal: ``quantity`` units of ``sku`` at ``price_fen`` from
    ``starts_at`` to ``ends_at``, at most ``per_buyer_limit`` per buyer (one unit per
    order). The units leave the SKU's available stock now (``Conflict`` ``out_of_stock``
    when there are not that many). The title defaults to the product's."""
    _require_operator(by)
    return deal_schedule_unchecked(
        by=by,
        sku=sku,
        price_fen=price_fen,
        quantity=quantity,
        starts_at=starts_at,
        ends_at=ends_at,
        per_buyer_limit=per_buyer_limit,
        title_zh=title_zh,
        title_en=title_en,
    )


@transaction.atomic
def deal_schedule_unchecked(
    *,
    by: User | None,
    sku: Sku,
    price_fen: int,
    quantity: int,
    starts_at: datetime,
    ends_at: datetime,
    per_buyer_limit: int = 1,
    title_zh: str = "",
    title_en: str = "",
) -> Deal:
    """``deal_schedule`` without the operator check (the demo's and the benchmark's
    seeding; ``by`` may be None)."""
    _check_values(
        price_fen=price_fen,
        quantity=quantity,
        per_buyer_limit=per_buyer_limit,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    sku = Sku.objects.select_related("product__shop").filter(pk=getattr(sku, "pk", None)).first()
    if sku is None:
        raise NotFound(_("没有找到这个 SKU。"), code="sku_not_found")
    product = sku.product
    if (
        not sku.is_active
        or product.status != ProductStatus.LIVE
        or product.shop.status != ShopStatus.APPROVED
    ):
        raise Conflict(_("这个商品当前不在售，不能安排秒杀。"), code="sku_not_on_sale")
    if price_fen >= sku.price_fen:
        raise ValidationFailed(
            _("秒杀价须低于原价。"),
            code="invalid_deal",
            details={"field": "price_fen", "list_price_fen": sku.price_fen},
        )
    deal = Deal.objects.create(
        sku=sku,
        shop=product.shop,
        title_zh=_clean_text(title_zh or product.title_zh, field="title_zh", required=True),
        title_en=_clean_text(title_en or product.title_en, field="title_en", required=False),
        price_fen=price_fen,
        list_price_fen=sku.price_fen,
        quantity=quantity,
        per_buyer_limit=per_buyer_limit,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=by,
        created_at=clock.now(),
    )
    holds_take(
        lines=[(sku.pk, quantity)], owner_ref=deal.owner_ref, expires_at=ends_at + timedelta(days=1)
    )
    audit_record(
        actor=by,
        action="deal.scheduled",
        target=deal,
        to_state=deal.status,
        data={
            "sku": sku.public_id,
            "price_fen": price_fen,
            "quantity": quantity,
            "per_buyer_limit": per_buyer_limit,
        },
    )
    if deal_admission.enabled():
        transaction.on_commit(lambda: _load_quietly(deal), robust=True)
    return deal


def deal_cancel(*, deal: Deal, by: User, reason: str = "") -> Deal:
    """An operator cancels a deal: no one is admitted any more; orders already placed stay
    (paid ones are fulfilled, unpaid ones may still be paid within their hold) and the
    units no one holds go back to ordinary stock (``deal_settle``)."""
    _require_operator(by)
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        if deal.status == DealStatus.CANCELLED or deal.settled_at is not None:
            raise InvalidTransition(
                _("秒杀已结束或已取消。"),
                details={"from": deal.status, "to": DealStatus.CANCELLED},
            )
        deal.status = DealStatus.CANCELLED
        deal.cancelled_at = clock.now()
        deal.save(update_fields=["status", "cancelled_at"])
        audit_record(
            actor=by,
            action="deal.cancelled",
            target=deal,
            from_state=DealStatus.SCHEDULED,
            to_state=DealStatus.CANCELLED,
            reason=" ".join((reason or "").split())[:500],
        )
    if deal_admission.enabled():
        try:
            deal_admission.store().set_state(deal.public_id, status=DealStatus.CANCELLED)
        except deal_admission.AdmissionUnavailable:
            log.warning("deal %s cancelled while Redis is unavailable", deal.public_id)
    deal_settle(deal=deal)
    deal.refresh_from_db()
    return deal


# --- Redis: load, rebuild, reconcile ---------------------------------------------------------


def _live_tickets(deal: Deal) -> list[tuple[int, int, int]]:
    """(slot, buyer id, seq) of the deal's live tickets."""
    return list(
        DealTicket.objects.filter(LIVE_TICKET, deal=deal).values_list("slot", "buyer_id", "seq")
    )


def _masks(live: list[tuple[int, int, int]]) -> dict[int, int]:
    masks: dict[int, int] = {}
    for _slot, buyer_id, seq in live:
        masks[buyer_id] = masks.get(buyer_id, 0) | (1 << (seq - 1))
    return masks


def _load(deal: Deal) -> bool:
    """Put the deal into Redis from the database (nothing if it is there already)."""
    live = _live_tickets(deal)
    taken = {slot for slot, _b, _s in live}
    return deal_admission.store().load(
        deal.public_id,
        starts_ms=_ms(deal.starts_at),
        ends_ms=_ms(deal.ends_at),
        limit=deal.per_buyer_limit,
        status=deal.status,
        quantity=deal.quantity,
        free=[slot for slot in range(1, deal.quantity + 1) if slot not in taken],
        masks=_masks(live),
    )


def _load_quietly(deal: Deal) -> None:
    try:
        _load(deal)
    except deal_admission.AdmissionUnavailable:
        log.warning("deal %s not loaded into Redis (unavailable); loaded on first use", deal)


def _void(deal: Deal, token: str, buyer_id: int | None = None) -> bool:
    """Write a void ticket under ``token``: True if it was free (the order was never
    written: now it never will be), False if a ticket holds it already. With the buyer,
    so that the buyer's ticket reads "failed" (``deal_ticket_state``)."""
    try:
        with transaction.atomic():
            DealTicket.objects.create(
                deal=deal,
                token=token,
                buyer_id=buyer_id,
                status=TicketStatus.VOID,
                created_at=clock.now(),
            )
        return True
    except IntegrityError:
        return False


def deal_reconcile(*, deal: Deal, grace_seconds: int | None = None) -> dict[str, int]:
    """Compare Redis with the database for one deal and make them agree (idempotent).

    - Redis empty (a restart): the deal is loaded again from the live tickets.
    - An admission older than ``grace_seconds`` (default ``DEAL_ADMISSION_GRACE_SECONDS``)
      whose order is not in the database: written from its kept request when it has one
      (the buyer was answered "you got one"), else (or when the order is refused) voided,
      its unit back on sale; one whose order is there is confirmed.
    - A slot neither free, nor admitted, nor in a live ticket (lost between a database
      commit and Redis) goes back on sale; a free slot that a live ticket holds is taken
      out; the buyers' counts follow the live tickets.
    - The deal's ``taken`` counter is set from the live tickets.
    """
    report = {
        "loaded": 0,
        "written": 0,
        "voided": 0,
        "confirmed": 0,
        "restored": 0,
        "removed": 0,
    }
    if deal_admission.enabled() and deal.settled_at is None:
        redis = deal_admission.store()
        if not redis.is_loaded(deal.public_id):
            if deal.status == DealStatus.SCHEDULED:
                report["loaded"] = int(_load(deal))
        else:
            grace = (
                settings.DEAL_ADMISSION_GRACE_SECONDS if grace_seconds is None else grace_seconds
            )
            due_ms = _ms(clock.now()) - grace * 1000
            free, admitted = redis.snapshot(deal.public_id)
            for entry in admitted:
                if entry.at_ms > due_ms:
                    continue
                found = redis.admitted(deal.public_id, entry.token)
                if found is None:  # confirmed or given back since the snapshot
                    continue
                report[_finish_admission(deal, entry, found[1])] += 1
            free, admitted = redis.snapshot(deal.public_id)
            live = _live_tickets(deal)
            live_slots = {slot for slot, _b, _s in live}
            in_flight = {entry.slot for entry in admitted}
            candidates = [
                slot
                for slot in range(1, deal.quantity + 1)
                if slot not in free and slot not in in_flight and slot not in live_slots
            ]
            report["restored"], report["removed"] = redis.repair(
                deal.public_id,
                quantity=deal.quantity,
                candidates=candidates,
                live=sorted(live_slots & free),
                masks=_masks(live),
            )
        live_count = DealTicket.objects.filter(LIVE_TICKET, deal=deal).count()
        Deal.objects.filter(pk=deal.pk).update(taken=live_count)
    return report


# --- buying -----------------------------------------------------------------------------------


def _refusal(outcome: str, deal: Deal) -> DomainError:
    if outcome == "sold_out":
        return Conflict(
            _("已抢光。"), code="deal_sold_out", details={"deal": deal.public_id, "units_left": 0}
        )
    if outcome == "limit":
        return Conflict(
            _("每人限购 %(n)d 件，你已抢到。") % {"n": deal.per_buyer_limit},
            code="deal_limit_reached",
            details={"deal": deal.public_id, "per_buyer_limit": deal.per_buyer_limit},
        )
    if outcome == "not_started":
        return Conflict(
            _("秒杀尚未开始。"),
            code="deal_not_started",
            details={"deal": deal.public_id, "starts_at": deal.starts_at.isoformat()},
        )
    if outcome == "busy":
        return Conflict(
            _("抢购人数过多，请重试。"), code="deal_busy", details={"deal": deal.public_id}
        )
    return Conflict(_("秒杀已结束。"), code="deal_ended", details={"deal": deal.public_id})


# On the Redis path a buy reads the deal from this process's memory (for a few seconds):
# a refused buyer then costs the database nothing for it. What may change meanwhile (a
# cancellation, the end) is in Redis's state, which admission checks.
_KEPT_SECONDS = 5.0
_kept: dict[str, tuple[float, Deal]] = {}


def _deal_for_buying(public_id: Any) -> Deal:
    if not isinstance(public_id, str):
        raise _not_found()
    redis = deal_admission.enabled()
    if redis:
        found = _kept.get(public_id)
        if found is not None and found[0] > time.monotonic():
            return found[1]
    deal = Deal.objects.select_related("sku", "shop").filter(public_id=public_id).first()
    if deal is None:
        raise _not_found()
    if redis:
        if len(_kept) > 1000:
            _kept.clear()
        _kept[public_id] = (time.monotonic() + _KEPT_SECONDS, deal)
    return deal


def _write_order(
    *,
    deal: Deal,
    buyer: User,
    delivery: str,
    address: dict,
    token: str,
    slot: int,
    seq: int,
    admitted_at: datetime | None = None,
) -> Checkout:
    """The order and the ticket, in the caller's transaction."""
    now = clock.now()
    checkout = checkout_for_lot(
        buyer=buyer,
        shop=deal.shop,
        sku=deal.sku,
        title=deal.title_zh,
        title_en=deal.title_en,
        price_fen=deal.price_fen,
        deposit_credit_fen=0,
        delivery=delivery,
        address=address,
        payable_type=PAYABLE_TYPE,
        pay_by=now + timedelta(minutes=settings.DEAL_HOLD_MINUTES),
    )
    DealTicket.objects.create(
        deal=deal,
        buyer=buyer,
        token=token,
        slot=slot,
        seq=seq,
        checkout=checkout,
        created_at=now,
        admitted_at=admitted_at or now,
    )
    return checkout


def _lowest_free(used: set[int], limit: int) -> int | None:
    return next((n for n in range(1, limit + 1) if n not in used), None)


def _buy_in_database(*, deal: Deal, buyer: User, delivery: str, address: dict) -> Checkout:
    """The database path: the deal's row takes the unit (one conditional update) and
    stays locked until the commit; slot and buyer sequence are chosen under that lock."""
    now = clock.now()
    if deal.taken >= deal.quantity and deal.starts_at <= now < deal.ends_at:
        raise _refusal("sold_out", deal)  # read without a lock: no transaction for most
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_TAKE, [deal.pk, DealStatus.SCHEDULED, now, now])
            taken = cursor.fetchone()
        if taken is None:
            current = Deal.objects.get(pk=deal.pk)
            outcome = phase(current, now=now, units_left=current.quantity - current.taken)
            raise _refusal({"live": "busy", "upcoming": "not_started"}.get(outcome, outcome), deal)
        live = _live_tickets(deal)
        seq = _lowest_free({s for _slot, b, s in live if b == buyer.pk}, deal.per_buyer_limit)
        if seq is None:
            raise _refusal("limit", deal)
        slot = _lowest_free({slot for slot, _b, _s in live}, deal.quantity)
        if slot is None:  # the counter and the tickets disagree: the tickets win
            raise _refusal("sold_out", deal)
        return _write_order(
            deal=deal,
            buyer=buyer,
            delivery=delivery,
            address=address,
            token=uuid.uuid4().hex,
            slot=slot,
            seq=seq,
        )


class _Admitted:
    """The Redis admission of one buy, given back unless its order committed."""

    def __init__(self, buyer_id: int) -> None:
        self.buyer_id = buyer_id
        self.admission: deal_admission.Admission | None = None
        self.checkout: Checkout | None = None


def _buy_in_redis(
    *, deal: Deal, buyer: User, delivery: str, address: dict, state: _Admitted, caller: str
) -> Checkout:
    redis = deal_admission.store()
    token = uuid.uuid4().hex
    admission = redis.admit(
        deal.public_id, buyer_id=buyer.pk, token=token, now_ms=_ms(clock.now()), caller=caller
    )
    if admission.outcome == "missing":
        deal = Deal.objects.select_related("sku", "shop").get(pk=deal.pk)  # fresh, not kept
        _kept.pop(deal.public_id, None)
        if deal.status == DealStatus.SCHEDULED and deal.settled_at is None:
            _load(deal)
            admission = redis.admit(
                deal.public_id,
                buyer_id=buyer.pk,
                token=token,
                now_ms=_ms(clock.now()),
                caller=caller,
            )
        else:
            admission = deal_admission.Admission("ended")
    if admission.outcome != "ok":
        raise _refusal(admission.outcome, deal)
    state.admission = admission
    with transaction.atomic():
        checkout = _write_order(
            deal=deal,
            buyer=buyer,
            delivery=delivery,
            address=address,
            token=token,
            slot=admission.slot,
            seq=admission.seq,
        )
    state.checkout = checkout
    return checkout


def _settle_admission(deal: Deal, state: _Admitted, result: Checkout | None) -> None:
    """After the buy: confirm the admission if its order committed, else give it back."""
    admission = state.admission
    if admission is None:
        return
    redis = deal_admission.store()
    # Called once the order's transaction committed (after the commit, or on it), or
    # without a result when it did not.
    committed = state.checkout is not None and result is not None and result.pk == state.checkout.pk
    if committed:
        redis.confirm(deal.public_id, admission.token)
        return
    written = DealTicket.objects.filter(token=admission.token).exists()
    if written:  # committed after all (or voided by the reconciler): nothing to give
        redis.confirm(deal.public_id, admission.token)
        return
    # Not written: give the unit back, unless its slot is live in someone else's ticket.
    slot_taken = DealTicket.objects.filter(LIVE_TICKET, deal=deal, slot=admission.slot).exists()
    redis.give_back(
        deal.public_id,
        buyer_id=state.buyer_id,
        slot=None if slot_taken else admission.slot,
        seq=admission.seq,
        token=admission.token,
    )


def deal_buy(
    *,
    buyer: User,
    deal: str,
    delivery: str,
    address: dict | None = None,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    caller: str = "",
) -> Checkout:
    """``buyer`` takes one unit of the deal (its public id): a pending checkout of one
    order of the deal's shop at the deal price, to be paid within ``DEAL_HOLD_MINUTES``.

    Refused (``Conflict``): ``deal_not_started``, ``deal_sold_out``, ``deal_ended`` (also
    cancelled), ``deal_limit_reached`` (the buyer holds ``per_buyer_limit`` units in unpaid
    or paid orders), ``deal_busy`` (a race lost on the database path: try again); an
    unknown deal is ``NotFound`` ``deal_not_found``; delivery and address as at checkout.
    With ``idempotency_key``: as ``checkout_create`` (the same key and request answers the
    first result again). ``caller``: an opaque reference of the request's credentials,
    remembered with an admission in Redis so that the API's sold-out answer given before
    Django (``api.deal_front``) never keeps that caller from its replay.
    """
    if not buyer or not buyer.is_active:
        raise PermissionDenied(_("账号不可用。"), code="account_inactive")
    delivery = _clean_delivery(delivery)
    address = clean_address(address) if delivery == "address" else {}
    found = _deal_for_buying(deal)

    def make() -> Checkout:
        return _buy(deal=found, buyer=buyer, delivery=delivery, address=address, caller=caller)

    if idempotency_key is None:
        return make()
    fingerprint = request_fingerprint or idempotency.fingerprint_of(
        deal=found.public_id, delivery=delivery, address=address
    )
    key = idempotency.clean_key(idempotency_key)
    first = idempotency.recorded(user=buyer, scope=IdempotencyScope.CHECKOUT, key=key)
    if first is not None:
        return idempotency.replay(first, fingerprint)
    if _sold_out_in_redis(found):
        # Answered from Redis and not recorded under the key: most buyers of a rush come
        # after the last unit, and a retry may yet find one that came back.
        raise _refusal("sold_out", found)
    return idempotency.idempotent(
        user=buyer,
        scope=IdempotencyScope.CHECKOUT,
        key=idempotency_key,
        fingerprint=fingerprint,
        make=make,
        looked_up=True,
    )


def _sold_out_in_redis(deal: Deal) -> bool:
    if not deal_admission.enabled():
        return False
    try:
        return deal_admission.store().units_left(deal.public_id) == 0
    except deal_admission.AdmissionUnavailable:
        return False


def _buy(*, deal: Deal, buyer: User, delivery: str, address: dict, caller: str = "") -> Checkout:
    if not deal_admission.enabled():
        return _buy_in_database(deal=deal, buyer=buyer, delivery=delivery, address=address)
    state = _Admitted(buyer.pk)
    if transaction.get_connection().in_atomic_block:
        # Inside the caller's transaction (an Idempotency-Key's): confirmed or given back
        # when it ends, the reconciler covering a crash in between.
        checkout = _buy_in_redis(
            deal=deal,
            buyer=buyer,
            delivery=delivery,
            address=address,
            state=state,
            caller=caller,
        )
        transaction.on_commit(lambda: _settle_quietly(deal, state, checkout), robust=True)
        return checkout
    result = None
    try:
        result = _buy_in_redis(
            deal=deal,
            buyer=buyer,
            delivery=delivery,
            address=address,
            state=state,
            caller=caller,
        )
        return result
    finally:
        _settle_quietly(deal, state, result)


def _settle_quietly(deal: Deal, state: _Admitted, result: Checkout | None) -> None:
    try:
        _settle_admission(deal, state, result)
    except Exception:  # the reconciler sees to it
        log.exception("deal %s: admission left to the reconciler", deal.public_id)


# --- answered at admission, the order written behind it ------------------------------------


@dataclass(frozen=True)
class Grab:
    """The answer to a buy, and what its ticket shows later: ``queued`` (admitted, the
    order being written), ``ordered`` (``checkout`` holds it) or ``failed`` (the order was
    refused when written: the unit went back on sale)."""

    deal: str
    ticket: str
    status: str
    checkout: Checkout | None = None


def _grab_of(deal: Deal, checkout: Checkout) -> Grab:
    token = DealTicket.objects.filter(checkout=checkout).values_list("token", flat=True).first()
    return Grab(deal=deal.public_id, ticket=token or "", status="ordered", checkout=checkout)


def _idempotency_key_reused() -> Conflict:
    return Conflict(
        _("这个 Idempotency-Key 已用于另一个不同的请求。"), code="idempotency_key_reused"
    )


def deal_grab(
    *,
    buyer: User,
    deal: str,
    delivery: str,
    address: dict | None = None,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    caller: str = "",
) -> Grab:
    """``buyer`` presses "buy": refused as ``deal_buy``, else answered with a ticket.

    On the Redis path the answer comes at admission, ``queued``: the unit is the buyer's
    (Redis admitted it, with the request kept beside it) and the order is written right
    after by this process's writer (``deal_writer``), or by the reconciler after a crash;
    ``deal_ticket_state`` tells when it exists. With ``idempotency_key`` the key is kept
    with the admission in Redis: the same key answers the same ticket (its state now),
    another request under it is ``idempotency_key_reused``; a refusal is not kept. On the
    database path the order is written in the request (``deal_buy``): ``ordered``."""
    if not deal_admission.enabled():
        checkout = deal_buy(
            buyer=buyer,
            deal=deal,
            delivery=delivery,
            address=address,
            idempotency_key=idempotency_key,
            request_fingerprint=request_fingerprint,
            caller=caller,
        )
        return _grab_of(_deal_for_buying(deal), checkout)
    if not buyer or not buyer.is_active:
        raise PermissionDenied(_("账号不可用。"), code="account_inactive")
    delivery = _clean_delivery(delivery)
    address = clean_address(address) if delivery == "address" else {}
    found = _deal_for_buying(deal)
    key = fingerprint = ""
    if idempotency_key is not None:
        key = idempotency.clean_key(idempotency_key)
        fingerprint = request_fingerprint or idempotency.fingerprint_of(
            deal=found.public_id, delivery=delivery, address=address
        )
    redis = deal_admission.store()
    token = uuid.uuid4().hex

    def admit() -> deal_admission.Admission:
        return redis.admit(
            found.public_id,
            buyer_id=buyer.pk,
            token=token,
            now_ms=_ms(clock.now()),
            caller=caller,
            request={"delivery": delivery, "address": address},
            key=key,
            fingerprint=fingerprint,
        )

    admission = admit()
    if admission.outcome == "missing":
        found = _reload_into_redis(found)
        admission = admit() if found is not None else deal_admission.Admission("ended")
        found = found or _deal_for_buying(deal)
    if admission.outcome == "again":
        if admission.fingerprint != fingerprint:
            raise _idempotency_key_reused()
        return deal_ticket_state(buyer=buyer, deal=found.public_id, ticket=admission.token)
    if admission.outcome != "ok":
        raise _refusal(admission.outcome, found)
    from designmall.promotions import deal_writer

    deal_writer.submit(found, token)
    return Grab(deal=found.public_id, ticket=token, status="queued")


def _reload_into_redis(deal: Deal) -> Deal | None:
    """The deal's keys are missing from Redis (a restart): loaded again from the
    database while it runs; None when it does not run any more."""
    fresh = Deal.objects.select_related("sku", "shop").get(pk=deal.pk)
    _kept.pop(fresh.public_id, None)
    if fresh.status != DealStatus.SCHEDULED or fresh.settled_at is not None:
        return None
    _load(fresh)
    return fresh


def deal_write_admission(*, deal: Deal, token: str) -> bool:
    """Write the order of one admission answered before it (``deal_grab``), once: the
    writer's step. False when there was nothing to write (written or given back already,
    or an admission of ``deal_buy``, which writes its own) or the order was refused (its
    unit then went back on sale)."""
    found = deal_admission.store().admitted(deal.public_id, token)
    if found is None or found[1] is None:
        return False
    entry, request = found
    return _finish_admission(deal, entry, request) == "written"


def deal_write_queued(*, deal: Deal) -> int:
    """Write every order still queued for the deal (an admission with its request and no
    order): what the writer threads do one by one, done here at once (the tests', the
    benchmark's and an operator's catch-up). Returns how many were written."""
    _free, admitted = deal_admission.store().snapshot(deal.public_id)
    written = 0
    for entry in admitted:
        written += deal_write_admission(deal=deal, token=entry.token)
    return written


def _finish_admission(deal: Deal, entry: deal_admission.Admitted, request: dict | None) -> str:
    """An admission whose order may not be written: ``written`` (now), ``confirmed``
    (it was already), or ``voided`` (without a request to write it from, or refused: its
    token is void and the unit back on sale)."""
    redis = deal_admission.store()
    if request is not None:
        buyer = User.objects.filter(pk=entry.buyer_id, is_active=True).first()
        try:
            if buyer is None:
                raise PermissionDenied(_("账号不可用。"), code="account_inactive")
            with transaction.atomic():
                _write_order(
                    deal=deal,
                    buyer=buyer,
                    delivery=request.get("delivery", ""),
                    address=request.get("address") or {},
                    token=entry.token,
                    slot=entry.slot,
                    seq=entry.seq,
                    admitted_at=datetime.fromtimestamp(entry.at_ms / 1000, tz=UTC),
                )
        except IntegrityError:
            pass  # its token is taken (written, or voided), or the slot: decided below
        except DomainError as refused:
            log.warning("deal %s: order of %s refused: %s", deal.public_id, entry.token, refused)
        else:
            redis.confirm(deal.public_id, entry.token)
            return "written"
    if not _void(deal, entry.token, buyer_id=entry.buyer_id):
        redis.confirm(deal.public_id, entry.token)
        return "confirmed"
    slot_taken = DealTicket.objects.filter(LIVE_TICKET, deal=deal, slot=entry.slot).exists()
    redis.give_back(
        deal.public_id,
        buyer_id=entry.buyer_id,
        slot=None if slot_taken else entry.slot,
        seq=entry.seq,
        token=entry.token,
    )
    return "voided"


def deal_ticket_state(*, buyer: User, deal: str, ticket: Any) -> Grab:
    """What ``buyer``'s ticket of the deal shows now: ``queued``, ``ordered`` (with its
    checkout) or ``failed``. ``NotFound`` ``deal_ticket_not_found`` for a ticket that is
    not the buyer's (or not known)."""
    found = _deal_for_buying(deal)
    if isinstance(ticket, str) and 0 < len(ticket) <= 40:
        for _attempt in range(2):  # the order may commit between the two reads
            row = (
                DealTicket.objects.filter(deal=found, token=ticket, buyer=buyer)
                .only("checkout_id")
                .first()
            )
            if row is not None:
                checkout = Checkout.objects.filter(pk=row.checkout_id).first()
                status = "ordered" if checkout is not None else "failed"
                return Grab(found.public_id, ticket, status, checkout)
            if not deal_admission.enabled():
                break
            try:
                admitted = deal_admission.store().admitted(found.public_id, ticket)
            except deal_admission.AdmissionUnavailable:
                admitted = None
            if admitted is not None and admitted[0].buyer_id == buyer.pk:
                return Grab(found.public_id, ticket, "queued")
    raise NotFound(_("没有找到这个秒杀名额。"), code="deal_ticket_not_found")


# --- after the order ---------------------------------------------------------------------------


def ticket_of(checkout: Checkout) -> DealTicket | None:
    return DealTicket.objects.select_related("deal").filter(checkout=checkout).first()


def ticket_mark_paid(*, checkout: Checkout) -> None:
    """The deal order's payment arrived (in payments' transaction): its ticket is paid and
    its unit sold out of the deal's hold. ``Conflict`` when it is not held any more."""
    ticket = ticket_of(checkout)
    if ticket is None:
        raise Conflict(_("秒杀名额已失效。"), code="deal_ticket_missing")
    changed = DealTicket.objects.filter(pk=ticket.pk, status=TicketStatus.PENDING).update(
        status=TicketStatus.PAID, closed_at=clock.now()
    )
    if changed != 1 or not hold_part_close(
        owner_ref=ticket.deal.owner_ref, quantity=1, to=HoldStatus.SOLD
    ):
        raise Conflict(_("秒杀名额已失效。"), code="deal_ticket_released")


def ticket_release(*, checkout: Checkout) -> bool:
    """The deal order was cancelled or expired unpaid: its unit goes back to the deal
    while it runs, or to ordinary stock once it is settled; exactly once (a conditional
    update of the ticket, under the deal's lock, which settling takes too)."""
    ticket = ticket_of(checkout)
    if ticket is None:
        return False
    deal = Deal.objects.select_for_update().get(pk=ticket.deal_id)
    changed = DealTicket.objects.filter(pk=ticket.pk, status=TicketStatus.PENDING).update(
        status=TicketStatus.RELEASED, closed_at=clock.now()
    )
    if not changed:
        return False
    if deal.settled_at is not None:
        hold_part_close(owner_ref=deal.owner_ref, quantity=1, to=HoldStatus.RELEASED)
        return True
    with connection.cursor() as cursor:
        cursor.execute(_GIVE, [deal.pk])
    if deal_admission.enabled():
        buyer_id, slot, seq = ticket.buyer_id, ticket.slot, ticket.seq

        def give_back() -> None:
            try:
                deal_admission.store().give_back(
                    deal.public_id, buyer_id=buyer_id, slot=slot, seq=seq
                )
            except deal_admission.AdmissionUnavailable:
                log.warning("deal %s: unit %s left to the reconciler", deal.public_id, slot)

        transaction.on_commit(give_back, robust=True)
    return True


# --- settling ----------------------------------------------------------------------------------


def deal_settle(*, deal: Deal) -> bool:
    """After the deal's end (or its cancellation): the units no buyer holds go back to
    ordinary stock, exactly once. Unpaid orders keep their units until they are paid or
    expire (``ticket_release`` then puts them back on sale). On the Redis path every
    admission whose order is not in the database is voided first; while Redis cannot be
    asked, settling waits until ``DEAL_ADMISSION_GRACE_SECONDS`` after the end. Returns
    whether this call settled it."""
    now = clock.now()
    if deal.settled_at is not None:
        return False
    if deal.status != DealStatus.CANCELLED and now < deal.ends_at:
        return False
    if deal_admission.enabled():
        try:
            deal_reconcile(deal=deal, grace_seconds=0)
        except deal_admission.AdmissionUnavailable:
            if now < deal.ends_at + timedelta(seconds=settings.DEAL_ADMISSION_GRACE_SECONDS):
                return False
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        if deal.settled_at is not None:
            return False
        pending = DealTicket.objects.filter(deal=deal, status=TicketStatus.PENDING).count()
        open_units = hold_open_quantity(owner_ref=deal.owner_ref)
        back = open_units - pending
        if back > 0:
            hold_part_close(owner_ref=deal.owner_ref, quantity=back, to=HoldStatus.RELEASED)
        live = DealTicket.objects.filter(LIVE_TICKET, deal=deal).count()
        Deal.objects.filter(pk=deal.pk).update(settled_at=now, taken=live)
        audit_record(
            actor=None,
            action="deal.settled",
            target=deal,
            data={"returned_to_stock": max(back, 0), "pending": pending, "live": live},
        )
    if deal_admission.enabled():
        public_id = deal.public_id
        with contextlib.suppress(deal_admission.AdmissionUnavailable):
            deal_admission.store().drop(public_id)
    return True


def deals_to_settle(*, now: datetime) -> list[int]:
    return list(
        Deal.objects.filter(settled_at__isnull=True)
        .filter(Q(ends_at__lte=now) | Q(status=DealStatus.CANCELLED))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def deals_running(*, now: datetime) -> list[int]:
    return list(
        Deal.objects.filter(
            settled_at__isnull=True, status=DealStatus.SCHEDULED, ends_at__gt=now
        ).values_list("pk", flat=True)
    )


def deal_stats(deal: Deal) -> dict[str, int]:
    """Tickets by status (for the back office and the benchmark's proof)."""
    rows = DealTicket.objects.filter(deal=deal).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


# --- reading ------------------------------------------------------------------------------------


def deals_current(*, now: datetime | None = None, limit: int = 50) -> list[Deal]:
    """Deals running or still to come (not cancelled), soonest first."""
    now = now or clock.now()
    return list(
        Deal.objects.select_related("sku__product", "shop")
        .filter(status=DealStatus.SCHEDULED, ends_at__gt=now)
        .order_by("starts_at", "id")[:limit]
    )


def deal_by_public_id(public_id: str) -> Deal:
    deal = (
        Deal.objects.select_related("sku__product", "shop").filter(public_id=public_id).first()
        if isinstance(public_id, str)
        else None
    )
    if deal is None:
        raise _not_found()
    return deal


def deal_for_product(product_id: int, *, now: datetime | None = None) -> Deal | None:
    """The product's deal to show on its page: running, or the next one to start."""
    now = now or clock.now()
    return (
        Deal.objects.select_related("sku", "shop")
        .filter(sku__product_id=product_id, status=DealStatus.SCHEDULED, ends_at__gt=now)
        .order_by("starts_at", "id")
        .first()
    )


def deal_live_state(deal: Deal, *, now: datetime | None = None) -> dict[str, Any]:
    """What the deal page polls: its phase, units left and the times (server's clock)."""
    now = now or clock.now()
    left = deal_units_left(deal) if deal.settled_at is None else 0
    left = max(0, min(left, deal.quantity))
    return {
        "phase": phase(deal, now=now, units_left=left),
        "units_left": left,
        "quantity": deal.quantity,
        "starts_at": deal.starts_at,
        "ends_at": deal.ends_at,
        "server_time": now,
    }
