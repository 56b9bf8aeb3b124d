"""After the hammer: settling a closed lot, the winner's checkout, defaults, second chances.

Time decides, the sweepers (``tasks``) make it permanent, and each step is idempotent and
safe on several workers (it re-checks its rows under lock and the clock):

- ``lot_finalize``: once the clock has passed the lot's end (or a buy-now closed it), the
  engine's ``close`` gives the outcome. Sold: the lot awaits its winner's payment until
  ``closed_at + AUCTION_WINNER_PAYMENT_HOURS``, and the winner's held deposit is credited
  to it; unsold: nothing more. Either way the other bidders' deposits are released.
- ``lot_checkout_create``: the winner (or the runner-up with a second-chance offer) checks
  out through orders (``orders.lots``): one order for the lot's shop at the price, paid
  less the credited deposit, settled to the seller with the usual escrow and commission.
  Paying it (``payables``) makes the lot paid and the deposit applied.
- ``lot_payment_overdue``: the window passed unpaid: the winner's deposit is forfeited
  and the lot offered to the runner-up at their own maximum (if it reaches the reserve)
  for ``AUCTION_SECOND_CHANCE_HOURS``, or the lot is unsold.
- ``second_chance_decline`` / ``second_chance_lapse``: the offer is declined or runs out:
  unsold.

Times are derived, not taken from the sweeper's run: the payment window runs from the
lot's end, the offer's from the end of the payment window, so a late sweeper changes
nothing. Lock order as everywhere in auctions: a payment, a checkout and its order, the
lot, a deposit's payment, the deposit; checkouts are closed through orders (each in its
own transaction, payment first) before the lot is locked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.auctions import deposits, engine
from designmall.auctions.models import (
    CheckoutKind,
    Deposit,
    DepositStatus,
    Lot,
    LotCheckout,
    LotStatus,
    OfferStatus,
    SecondChanceOffer,
    SettlementNote,
)
from designmall.auctions.selectors import deposit_credit_fen
from designmall.auctions.services import lock_lot, publish_lot
from designmall.auctions.snapshot import lot_state, snapshot_set
from designmall.catalog.models import Category, Product, ProductStatus, Sku
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied
from designmall.orders import lots as order_lots
from designmall.orders.models import Checkout, CheckoutStatus
from designmall.orders.services import checkout_cancel, checkout_expire, order_refund_succeeded
from designmall.payments.models import Payment, Refund

PAYABLE_TYPE = "auction_checkout"
RETURN_VIEW = "storefront:checkout_done"


def _payment_window() -> timedelta:
    return timedelta(hours=settings.AUCTION_WINNER_PAYMENT_HOURS)


def _offer_window() -> timedelta:
    return timedelta(hours=settings.AUCTION_SECOND_CHANCE_HOURS)


def _save(lot: Lot, fields: list[str], *, events: list[str]) -> Lot:
    lot.version += 1
    lot.save(update_fields=[*dict.fromkeys([*fields, "version"])])
    publish_lot(lot, events=events)
    return lot


# --- settling a closed lot ------------------------------------------------------------------


@transaction.atomic
def lot_finalize(*, lot: Lot) -> Lot:
    """Settle ``lot`` if the clock (or a buy-now) has closed it; idempotent.

    Sold (a leader, reserve met): ``awaiting_payment`` until ``closed_at`` plus the payment
    window, the winner's held deposit credited to it. Otherwise ``unsold``. The other
    deposits nothing needs any more are released. An active lot still running, or one
    settled already, is returned as it is.
    """
    lot = lock_lot(lot.pk)
    if lot.status != LotStatus.ACTIVE:
        return lot
    now = clock.now()
    closed, _events = engine.close(lot_state(lot), now)
    if not closed.closed:
        return lot
    outcome = closed.outcome
    fields = [*snapshot_set(lot, closed), "status", "finalized_at"]
    lot.finalized_at = now
    credited = None
    if outcome.sold:
        lot.status = LotStatus.AWAITING_PAYMENT
        lot.payment_due_at = outcome.closed_at + _payment_window()
        fields.append("payment_due_at")
        credited = deposits.deposit_credit_to(lot, winner_id=outcome.winner_id)
    else:
        lot.status = LotStatus.UNSOLD
    _save(lot, fields, events=["lot_closed"])
    released = deposits.deposits_release_for_lot(lot)
    audit_record(
        actor=None,
        action="lot.closed",
        target=lot,
        from_state=LotStatus.ACTIVE,
        to_state=lot.status,
        reason=outcome.reason.value,
        data={
            "price_fen": outcome.price_fen,
            "winner": outcome.winner_id,
            "closed_at": outcome.closed_at.isoformat(),
            "credited_deposit": credited.public_id if credited else None,
            "deposits_released": released,
        },
    )
    return lot


# --- the buyer's checkout -------------------------------------------------------------------


def _category_for(lot: Lot) -> Category:
    """The category of the catalog record made for a lot that has no product: the shop's
    latest product's, else the first top category."""
    category_id = (
        Product.objects.filter(shop_id=lot.shop_id)
        .order_by("-id")
        .values_list("category_id", flat=True)
        .first()
    )
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    category = category or Category.objects.filter(parent=None).order_by("position", "id").first()
    if category is None:
        raise Conflict(_("商品目录还没有分类，无法为拍品下单。"), code="no_category")
    return category


def lot_sku(lot: Lot) -> Sku:
    """The SKU the order line of ``lot`` (locked) names: made on first use, inactive (never
    on sale), on the lot's product or, without one, on a delisted catalog record of the
    work in the seller's shop."""
    if lot.sku_id is not None:
        return Sku.objects.get(pk=lot.sku_id)
    product = lot.product if lot.product_id and lot.product.shop_id == lot.shop_id else None
    now = clock.now()
    if product is None:
        product = Product.objects.create(
            shop_id=lot.shop_id,
            designer_id=lot.designer_id,
            category=_category_for(lot),
            title_zh=lot.title_zh[:120],
            title_en=lot.title_en[:120],
            description_zh=lot.description_zh,
            description_en=lot.description_en,
            status=ProductStatus.DELISTED,
            moderation_note=f"拍品 {lot.public_id} 的成交记录（不在售）",
            created_at=now,
            updated_at=now,
        )
    sku = Sku.objects.create(
        product=product,
        code=f"LOT-{lot.public_id}"[:40],
        attributes={"拍品": f"{lot.sale.title_zh} · {lot.number}"},
        price_fen=lot.start_price_fen,
        is_active=False,
    )
    lot.sku = sku
    lot.save(update_fields=["sku"])
    return sku


def _terms(lot: Lot, by: User, now: datetime) -> tuple[str, int, datetime, Deposit | None]:
    """What ``by`` may buy ``lot`` (locked, settled) at: (kind, price, pay by, deposit)."""
    if lot.status == LotStatus.AWAITING_PAYMENT:
        if lot.winner_id != by.pk:
            raise PermissionDenied(_("只有得标者可以为这件拍品付款。"), code="not_winner")
        if now >= lot.payment_due_at:
            raise Conflict(_("付款期限已过。"), code="payment_window_closed")
        deposit = (
            Deposit.objects.filter(credited_lot=lot, bidder=by, status=DepositStatus.PAID)
            .order_by("id")
            .first()
        )
        return CheckoutKind.WINNER, lot.hammer_fen, lot.payment_due_at, deposit
    if lot.status == LotStatus.SECOND_CHANCE:
        offer = SecondChanceOffer.objects.get(lot=lot)
        if offer.bidder_id != by.pk:
            raise PermissionDenied(_("只有得标者可以为这件拍品付款。"), code="not_winner")
        if offer.status != OfferStatus.OPEN or now >= offer.expires_at:
            raise Conflict(_("优先购买机会已结束。"), code="offer_closed")
        return CheckoutKind.SECOND_CHANCE, offer.amount_fen, offer.expires_at, None
    if lot.status == LotStatus.PAID:
        raise Conflict(_("这件拍品已付款。"), code="lot_paid")
    if lot.status == LotStatus.UNSOLD:
        raise Conflict(_("这件拍品已流拍。"), code="lot_unsold")
    raise Conflict(_("拍卖尚未结束。"), code="lot_not_closed")


def _pending(lot: Lot, now: datetime) -> list[LotCheckout]:
    return list(
        LotCheckout.objects.filter(
            lot=lot, checkout__status=CheckoutStatus.PENDING_PAYMENT
        ).select_related("checkout")
    )


def lot_checkout_create(
    *, lot: Lot, by: User, delivery: str, address: dict | None = None
) -> Checkout:
    """The checkout of a lot won, for its winner (within the payment window) or for the
    runner-up holding an open second-chance offer: an order at the price (plus shipping
    for ``delivery`` ``"address"`` with ``address``, or ``"pickup"``), its payment asking
    for that less the credited deposit. While a checkout of the buyer's can still be paid
    it is returned again (cancel it through orders to choose another delivery).

    Refused: ``NotAuthenticated``; anyone else (``PermissionDenied`` ``not_winner``); the
    window over (``Conflict`` ``payment_window_closed``, ``offer_closed``); a lot still
    running, paid or unsold (``lot_not_closed``, ``lot_paid``, ``lot_unsold``); bad
    delivery or address (``ValidationFailed`` from orders).
    """
    if by is None or not getattr(by, "is_authenticated", False) or not by.is_active:
        raise NotAuthenticated(_("请先登录。"), code="not_authenticated")
    lot_finalize(lot=lot)  # what the clock decided, made permanent first
    with transaction.atomic():
        lot = lock_lot(lot.pk)
        now = clock.now()
        kind, price_fen, pay_by, deposit = _terms(lot, by, now)
        for pending in _pending(lot, now):
            if pending.buyer_id == by.pk and now < pending.checkout.expires_at:
                return pending.checkout
        credit = deposit_credit_fen(deposit, price_fen)
        checkout = order_lots.checkout_for_lot(
            buyer=by,
            shop=lot.shop,
            sku=lot_sku(lot),
            title=lot.title_zh,
            title_en=lot.title_en,
            price_fen=price_fen,
            deposit_credit_fen=credit,
            delivery=delivery,
            address=address,
            payable_type=PAYABLE_TYPE,
            pay_by=pay_by,
        )
        LotCheckout.objects.create(
            lot=lot,
            checkout=checkout,
            buyer=by,
            kind=kind,
            price_fen=price_fen,
            deposit=deposit,
            deposit_credit_fen=credit,
            created_at=now,
        )
        audit_record(
            actor=by,
            action="lot.checkout",
            target=lot,
            data={
                "checkout": checkout.public_id,
                "kind": kind,
                "price_fen": price_fen,
                "deposit_credit_fen": credit,
            },
        )
        return checkout


def _close_pending_checkouts(lot: Lot, *, cancel_by: User | None = None) -> None:
    """Close the lot's pending checkouts through orders, each in its own transaction (the
    payment locked first): expired (once their time is up), or cancelled by their buyer."""
    for pending in _pending(lot, clock.now()):
        if cancel_by is not None and pending.buyer_id == cancel_by.pk:
            checkout_cancel(checkout=pending.checkout, by=cancel_by, reason=_("放弃购买拍品"))
        else:
            checkout_expire(checkout=pending.checkout)


def _still_pending(lot: Lot) -> bool:
    return LotCheckout.objects.filter(
        lot=lot, checkout__status=CheckoutStatus.PENDING_PAYMENT
    ).exists()


# --- defaults and second chances ------------------------------------------------------------


def lot_payment_overdue(*, lot: Lot) -> Lot:
    """The winner did not pay within the window; idempotent (a lot not awaiting payment,
    or whose window is not over, is left as it is).

    Their open checkouts are closed, their credited deposit is forfeited, and the lot is
    offered to the runner-up at their own maximum (when it reaches the reserve) until the
    end of the window plus ``AUCTION_SECOND_CHANCE_HOURS``; without one the lot is unsold.
    """
    if lot.status == LotStatus.AWAITING_PAYMENT:
        _close_pending_checkouts(lot)
    with transaction.atomic():
        lot = lock_lot(lot.pk)
        now = clock.now()
        if lot.status != LotStatus.AWAITING_PAYMENT or now < lot.payment_due_at:
            return lot
        if _still_pending(lot):
            raise Conflict(_("仍有未关闭的付款，稍后再试。"), code="checkout_pending")
        forfeited = None
        credited = (
            Deposit.objects.filter(credited_lot=lot, status=DepositStatus.PAID)
            .values_list("id", flat=True)
            .first()
        )
        if credited is not None:
            deposit = deposits.deposit_locked(credited)
            if deposit.status == DepositStatus.PAID:
                forfeited = deposits.deposit_forfeit(deposit, lot=lot)
        runner, runner_max = lot.runner_up_id, lot.runner_up_max_fen
        reserve = lot.reserve_fen
        offer = None
        if runner is not None and (reserve is None or runner_max >= reserve):
            offer = SecondChanceOffer.objects.create(
                lot=lot,
                bidder_id=runner,
                amount_fen=runner_max,
                offered_at=lot.payment_due_at,
                expires_at=lot.payment_due_at + _offer_window(),
            )
            lot.status = LotStatus.SECOND_CHANCE
        else:
            lot.status = LotStatus.UNSOLD
        lot.settlement_note = SettlementNote.WINNER_DEFAULTED
        _save(lot, ["status", "settlement_note"], events=["winner_defaulted"])
        audit_record(
            actor=None,
            action="lot.winner_defaulted",
            target=lot,
            from_state=LotStatus.AWAITING_PAYMENT,
            to_state=lot.status,
            data={
                "deposit_forfeited": forfeited.public_id if forfeited else None,
                "second_chance": offer.public_id if offer else None,
            },
        )
        return lot


def _offer_end(offer: SecondChanceOffer, to: str, note: str, *, by: User | None) -> Lot:
    lot = lock_lot(offer.lot_id)
    offer = SecondChanceOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != OfferStatus.OPEN or lot.status != LotStatus.SECOND_CHANCE:
        return lot
    if _still_pending(lot):
        raise Conflict(_("仍有未关闭的付款，稍后再试。"), code="checkout_pending")
    offer.status = to
    offer.closed_at = clock.now()
    offer.save(update_fields=["status", "closed_at"])
    lot.status = LotStatus.UNSOLD
    lot.settlement_note = note
    _save(lot, ["status", "settlement_note"], events=["second_chance_ended"])
    audit_record(
        actor=by,
        action=f"second_chance.{to}",
        target=offer,
        from_state=OfferStatus.OPEN,
        to_state=to,
        data={"lot": lot.public_id},
    )
    return lot


def second_chance_decline(*, offer: SecondChanceOffer, by: User) -> SecondChanceOffer:
    """The runner-up declines their offer: it ends and the lot is unsold. Others' offers
    are 404; an offer no longer open is ``Conflict`` ``offer_closed``."""
    if by is None or offer.bidder_id != by.pk:
        raise NotFound(_("没有找到这个优先购买机会。"), code="offer_not_found")
    if offer.status != OfferStatus.OPEN:
        raise Conflict(_("优先购买机会已结束。"), code="offer_closed")
    _close_pending_checkouts(offer.lot, cancel_by=by)
    with transaction.atomic():
        _offer_end(offer, OfferStatus.DECLINED, SettlementNote.SECOND_CHANCE_DECLINED, by=by)
    offer.refresh_from_db()
    return offer


def second_chance_lapse(*, offer: SecondChanceOffer) -> SecondChanceOffer:
    """An offer that ran out unpaid lapses and the lot is unsold; idempotent."""
    offer = SecondChanceOffer.objects.select_related("lot").get(pk=offer.pk)
    if offer.status != OfferStatus.OPEN or clock.now() < offer.expires_at:
        return offer
    _close_pending_checkouts(offer.lot)
    with transaction.atomic():
        _offer_end(offer, OfferStatus.LAPSED, SettlementNote.SECOND_CHANCE_LAPSED, by=None)
    offer.refresh_from_db()
    return offer


# --- the checkout's payable handlers (payments locked the payment) --------------------------


def _of_payment(payment: Payment) -> tuple[Checkout, LotCheckout, Lot] | None:
    checkout = order_lots.lot_checkout_locked(payment)
    if checkout is None:
        return None
    lot_checkout = LotCheckout.objects.get(checkout=checkout)
    return checkout, lot_checkout, lock_lot(lot_checkout.lot_id)


def _may_pay(checkout: Checkout, lot_checkout: LotCheckout, lot: Lot) -> bool:
    now = clock.now()
    if checkout.status != CheckoutStatus.PENDING_PAYMENT or now >= checkout.expires_at:
        return False
    if lot_checkout.kind == CheckoutKind.WINNER:
        return (
            lot.status == LotStatus.AWAITING_PAYMENT
            and lot.winner_id == lot_checkout.buyer_id
            and now < lot.payment_due_at
        )
    offer = SecondChanceOffer.objects.select_for_update().filter(lot=lot).first()
    return (
        lot.status == LotStatus.SECOND_CHANCE
        and offer is not None
        and offer.status == OfferStatus.OPEN
        and offer.bidder_id == lot_checkout.buyer_id
        and now < offer.expires_at
    )


def lot_checkout_is_payable(payment: Payment) -> bool:
    found = _of_payment(payment)
    return found is not None and _may_pay(*found)


def lot_checkout_paid(payment: Payment) -> None:
    """The lot's checkout is paid: its order is paid (the seller fulfils it), the lot is
    paid, the credited deposit applied, a second-chance offer accepted."""
    found = _of_payment(payment)
    if found is None or not _may_pay(*found):
        raise Conflict(_("这笔拍品付款已失效。"), code="lot_checkout_closed")
    checkout, lot_checkout, lot = found
    order_lots.lot_checkout_mark_paid(checkout=checkout, payment=payment)
    now = clock.now()
    before = lot.status
    if lot_checkout.kind == CheckoutKind.SECOND_CHANCE:
        SecondChanceOffer.objects.filter(lot=lot).update(status=OfferStatus.ACCEPTED, closed_at=now)
    if lot_checkout.deposit_id is not None:
        deposit = deposits.deposit_locked(lot_checkout.deposit_id)
        if deposit.status != DepositStatus.PAID:
            raise Conflict(_("保证金状态已变化。"), code="deposit_not_held")
        deposits.deposit_apply(deposit, lot=lot, credit_fen=lot_checkout.deposit_credit_fen)
    lot.status = LotStatus.PAID
    lot.buyer_id = lot_checkout.buyer_id
    lot.sold_fen = lot_checkout.price_fen
    lot.paid_at = now
    _save(lot, ["status", "buyer", "sold_fen", "paid_at"], events=["lot_paid"])
    audit_record(
        actor=None,
        action="lot.paid",
        target=lot,
        from_state=before,
        to_state=LotStatus.PAID,
        data={"checkout": checkout.public_id, "payment": payment.public_id},
    )


def lot_checkout_expired(payment: Payment) -> None:
    checkout = order_lots.lot_checkout_locked(payment)
    if checkout is not None:
        order_lots.lot_checkout_expire(checkout=checkout, reason=_("超时未支付"))


def lot_checkout_refunded(refund: Refund) -> None:
    order_refund_succeeded(refund=refund)


def lot_checkout_return_url(payment: Payment) -> str:
    try:
        return reverse(RETURN_VIEW, kwargs={"public_id": payment.payable_id})
    except NoReverseMatch:
        return "/"
