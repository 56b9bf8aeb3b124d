"""Bidder deposits: paid through payments, held in escrow, then released, applied or
forfeited.

A lot may ask for a deposit (``Lot.deposit_fen``); a sale may offer one deposit for all
its lots (``AuctionSale.deposit_fen``). Either is paid through payments as the payable
type ``auction_deposit`` (``payables``); the money waits in escrow like any payment.

- **Released** (refunded in full through ``payments.refund_create``, booked out of escrow
  when the refund succeeds) once nothing needs it: a lot deposit when its lot is settled
  (at once, in the settling transaction), a sale deposit when every lot of its sale is;
  the sweeper (``tasks``) catches any left over, e.g. one paid as its lot closed, and
  makes a failed release again.
- **Credited** to the lot its holder won (``credited_lot``, set when the lot is settled),
  so it counts toward the price: the winner's checkout asks only for the rest, and once it
  is paid the deposit is **applied** (its money stays in escrow as part of the order's
  total, released to the seller with the order).
- **Forfeited** when the winner does not pay in time: escrow → ``platform:forfeits``.

Lock order: the deposit's payment, then the deposit (payments lock the payment before
calling our handlers); a lot, when needed, before both.

Whether a lot still takes deposits is its clock-derived state (``snapshot.lot_ended``),
not its settled status: ``deposit_create`` decides it under the lot's lock. The payable's
handlers run with the payment already locked, so they read the lot without locking it
(locking it after the payment would invert the lock order with settling); a deposit
paid just as its lot ended is released by the sweeper, and a deposit never changes a
lot's winner or price.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.auctions.models import (
    AuctionSale,
    Deposit,
    DepositStatus,
    Lot,
    LotStatus,
)
from designmall.auctions.services import lot_locked
from designmall.auctions.snapshot import lot_ended
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.core.ids import new_public_id
from designmall.ledger.accounts import ESCROW, PLATFORM_FORFEITS
from designmall.ledger.services import ledger_post, refund_from_escrow
from designmall.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from designmall.payments.services import payment_create, refund_create

PAYABLE_TYPE = "auction_deposit"
LEDGER_FORFEIT = "deposit_forfeited"
# The storefront's page of a lot, when it has one.
LOT_VIEW = "storefront:auction_lot"
SALE_VIEW = "storefront:auction_sale"


# --- where a deposit may still be paid ------------------------------------------------------


def _lot_takes_bids(lot: Lot, now: datetime) -> bool:
    return not lot_ended(lot, now)


def _sale_takes_bids(sale_id: int, now: datetime) -> bool:
    """Whether a lot of the sale has not ended (``lot_ended`` as a query)."""
    return Lot.objects.filter(
        sale_id=sale_id, status=LotStatus.ACTIVE, outcome="", ends_at__gt=now
    ).exists()


def _target_takes_bids(deposit: Deposit, now: datetime) -> bool:
    if deposit.lot_id is not None:
        return _lot_takes_bids(Lot.objects.get(pk=deposit.lot_id), now)
    return _sale_takes_bids(deposit.sale_id, now)


def _held_elsewhere(deposit: Deposit) -> bool:
    """Whether its holder already has a paid deposit for the same lot or sale."""
    target = Q(lot_id=deposit.lot_id) if deposit.lot_id else Q(sale_id=deposit.sale_id)
    return (
        Deposit.objects.filter(target, bidder_id=deposit.bidder_id, status=DepositStatus.PAID)
        .exclude(pk=deposit.pk)
        .exists()
    )


# --- paying one -----------------------------------------------------------------------------


@transaction.atomic
def deposit_create(
    *, bidder: User, lot: Lot | None = None, sale: AuctionSale | None = None
) -> Deposit:
    """A pending deposit by ``bidder`` for ``lot`` (its ``deposit_fen``) or for ``sale``
    (its ``deposit_fen``, covering each of its lots that asks for no more), with a pending
    payment to pay at the cashier.

    A pending one whose payment can still be paid is returned again. Refused: not both or
    neither target (``ValidationFailed``); one not published (``NotFound``); a lot or
    sale that asks for no deposit
    (``deposit_not_required``), no longer takes bids (``bidding_closed``), or for which
    the bidder holds a deposit already (``deposit_already_paid``) (``Conflict``); the
    seller of the lot (``PermissionDenied`` ``own_lot``).
    """
    if bidder is None or not getattr(bidder, "is_authenticated", False) or not bidder.is_active:
        raise NotAuthenticated(_("请先登录。"), code="not_authenticated")
    if (lot is None) == (sale is None):
        raise ValidationFailed(_("请选择一件拍品或一个专场。"), code="deposit_target_invalid")
    now = clock.now()
    if lot is not None:
        lot, now = lot_locked(lot.pk)  # whether it still takes bids, decided under its lock
        if not lot.sale.is_published:
            raise NotFound(_("没有找到这件拍品。"), code="lot_not_found")
        if lot.shop.owner_id == bidder.pk:
            raise PermissionDenied(_("卖家不能对自己店铺的拍品出价。"), code="own_lot")
        amount, takes_bids = lot.deposit_fen, _lot_takes_bids(lot, now)
        subject = _("竞拍保证金 · %(title)s") % {"title": lot.title}
    else:
        sale = AuctionSale.objects.get(pk=sale.pk)
        if not sale.is_published:
            raise NotFound(_("没有找到这个拍卖专场。"), code="sale_not_found")
        amount = sale.deposit_fen
        takes_bids = _sale_takes_bids(sale.pk, now)
        subject = _("专场竞拍保证金 · %(title)s") % {"title": sale.title}
    if amount <= 0:
        raise Conflict(_("无需缴纳保证金。"), code="deposit_not_required")
    if not takes_bids:
        raise Conflict(_("拍卖已结束，无需再缴纳保证金。"), code="bidding_closed")
    mine = Deposit.objects.filter(bidder=bidder, lot=lot, sale=sale)
    if mine.filter(status=DepositStatus.PAID).exists():
        raise Conflict(_("您已缴纳保证金。"), code="deposit_already_paid")
    pending = (
        mine.filter(
            status=DepositStatus.PENDING,
            payment__status=PaymentStatus.PENDING,
            payment__expires_at__gt=now,
        )
        .select_related("payment")
        .order_by("-id")
        .first()
    )
    if pending is not None:
        return pending
    public_id = new_public_id("dep")
    payment = payment_create(
        buyer=bidder,
        amount_fen=amount,
        subject=subject,
        payable_type=PAYABLE_TYPE,
        payable_id=public_id,
    )
    deposit = Deposit.objects.create(
        public_id=public_id,
        bidder=bidder,
        lot=lot,
        sale=sale,
        amount_fen=amount,
        payment=payment,
        created_at=now,
    )
    audit_record(
        actor=bidder,
        action="deposit.created",
        target=deposit,
        to_state=deposit.status,
        data={"amount_fen": amount, "payment": payment.public_id},
    )
    return deposit


# --- the payable's handlers (payments calls them with the payment locked) ------------------


def _deposit_of(payment: Payment) -> Deposit | None:
    return (
        Deposit.objects.select_for_update()
        .filter(public_id=payment.payable_id, payment_id=payment.pk)
        .first()
    )


def _payable(deposit: Deposit | None) -> bool:
    return (
        deposit is not None
        and deposit.status == DepositStatus.PENDING
        and _target_takes_bids(deposit, clock.now())
        and not _held_elsewhere(deposit)
    )


def deposit_is_payable(payment: Payment) -> bool:
    """Still pending, its lot or sale still taking bids, none held for it already."""
    return _payable(_deposit_of(payment))


def deposit_mark_paid(payment: Payment) -> Deposit:
    deposit = _deposit_of(payment)
    if not _payable(deposit):
        raise Conflict(_("这笔保证金已无需缴纳。"), code="deposit_not_payable")
    deposit.status = DepositStatus.PAID
    deposit.paid_at = clock.now()
    deposit.save(update_fields=["status", "paid_at"])
    audit_record(
        actor=None,
        action="deposit.paid",
        target=deposit,
        from_state=DepositStatus.PENDING,
        to_state=DepositStatus.PAID,
        data={"payment": payment.public_id},
    )
    return deposit


def deposit_payment_expired(payment: Payment) -> None:
    deposit = _deposit_of(payment)
    if deposit is None or deposit.status != DepositStatus.PENDING:
        return
    deposit.status = DepositStatus.EXPIRED
    deposit.closed_at = clock.now()
    deposit.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=None,
        action="deposit.expired",
        target=deposit,
        from_state=DepositStatus.PENDING,
        to_state=DepositStatus.EXPIRED,
    )


def deposit_refund_succeeded(refund: Refund) -> None:
    """A refund of a deposit went through: out of escrow (a deposit is never released to a
    seller before it is applied, and an applied one is refunded only for its excess). The
    release refund makes the deposit released."""
    ref = (refund.refs or {}).get("deposit")
    if not ref:
        raise LookupError(f"refund {refund.public_id} names no deposit")
    deposit = Deposit.objects.select_for_update().get(public_id=ref)
    refund_from_escrow(
        refund_ref=refund.public_id,
        gateway=refund.payment.gateway,
        amount_fen=refund.amount_fen,
        refs={"deposit": deposit.public_id, "payment": refund.payment.public_id},
    )
    if deposit.release_refund_id == refund.pk and deposit.status == DepositStatus.RELEASING:
        deposit.status = DepositStatus.RELEASED
        deposit.closed_at = clock.now()
        deposit.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=None,
        action="deposit.refunded",
        target=deposit,
        to_state=deposit.status,
        data={"refund": refund.public_id, "amount_fen": refund.amount_fen},
    )


def deposit_return_url(payment: Payment) -> str:
    deposit = Deposit.objects.filter(public_id=payment.payable_id).select_related("lot", "sale")
    deposit = deposit.first()
    try:
        if deposit is not None and deposit.lot is not None:
            return reverse(LOT_VIEW, kwargs={"public_id": deposit.lot.public_id})
        if deposit is not None and deposit.sale is not None:
            return reverse(SALE_VIEW, kwargs={"public_id": deposit.sale.public_id})
    except NoReverseMatch:
        pass
    return "/"


# --- settling (in the caller's transaction) ------------------------------------------------


def deposit_locked(deposit_id: int) -> Deposit:
    """The deposit, locked after its payment (the lock order)."""
    payment_id = Deposit.objects.filter(pk=deposit_id).values_list("payment_id", flat=True).get()
    Payment.objects.select_for_update().filter(pk=payment_id).values_list("pk", flat=True).get()
    return Deposit.objects.select_for_update().get(pk=deposit_id)


def release_due(deposit: Deposit) -> bool:
    """Whether nothing needs the held ``deposit`` any more: it was credited to no lot won,
    and its lot, or every lot of its sale, is settled."""
    if deposit.status != DepositStatus.PAID or deposit.credited_lot_id is not None:
        return False
    if deposit.lot_id is not None:
        return Lot.objects.filter(pk=deposit.lot_id).exclude(status=LotStatus.ACTIVE).exists()
    return not Lot.objects.filter(sale_id=deposit.sale_id, status=LotStatus.ACTIVE).exists()


def deposit_release(deposit: Deposit, *, reason: str) -> Deposit:
    """Refund the held, locked ``deposit`` in full (what was not applied): it is
    ``releasing`` until the refund succeeds."""
    refund = refund_create(
        payment=Payment.objects.get(pk=deposit.payment_id),
        amount_fen=deposit.amount_fen - deposit.applied_fen,
        reason=reason,
        refs={"deposit": deposit.public_id},
    )
    deposit.status = DepositStatus.RELEASING
    deposit.release_refund = refund
    deposit.save(update_fields=["status", "release_refund"])
    audit_record(
        actor=None,
        action="deposit.released",
        target=deposit,
        from_state=DepositStatus.PAID,
        to_state=DepositStatus.RELEASING,
        reason=reason,
        data={"refund": refund.public_id},
    )
    return deposit


def deposits_release_for_lot(lot: Lot) -> int:
    """Release the held deposits nothing needs now that ``lot`` is settled: its own (the
    winner's is credited to it and kept), and its sale's if this was the sale's last open
    lot."""
    ids = list(
        Deposit.objects.filter(status=DepositStatus.PAID, credited_lot__isnull=True)
        .filter(Q(lot=lot) | Q(sale_id=lot.sale_id))
        .order_by("id")
        .values_list("id", flat=True)
    )
    released = 0
    for deposit_id in ids:
        deposit = deposit_locked(deposit_id)
        if release_due(deposit):
            deposit_release(deposit, reason=_("拍卖结束，退还竞拍保证金"))
            released += 1
    return released


def deposit_credit_to(lot: Lot, *, winner_id: int) -> Deposit | None:
    """Credit the winner's held deposit to ``lot`` (the lot's own, else the sale's if not
    yet credited to another lot won); returns it, locked, or None."""
    held = Deposit.objects.filter(bidder_id=winner_id, status=DepositStatus.PAID).order_by("id")
    own = held.filter(lot=lot).values_list("id", flat=True)
    of_sale = held.filter(sale_id=lot.sale_id, credited_lot__isnull=True).values_list(
        "id", flat=True
    )
    for deposit_id in [*own, *of_sale]:
        deposit = deposit_locked(deposit_id)
        if deposit.status == DepositStatus.PAID and deposit.credited_lot_id in (None, lot.pk):
            deposit.credited_lot = lot
            deposit.save(update_fields=["credited_lot"])
            return deposit
    return None


def deposit_apply(deposit: Deposit, *, lot: Lot, credit_fen: int) -> Deposit:
    """The locked deposit counted ``credit_fen`` toward ``lot``'s price, now paid: it is
    applied; anything of it beyond the credit goes back to its holder."""
    deposit.status = DepositStatus.APPLIED
    deposit.applied_fen = credit_fen
    deposit.closed_at = clock.now()
    deposit.save(update_fields=["status", "applied_fen", "closed_at"])
    audit_record(
        actor=None,
        action="deposit.applied",
        target=deposit,
        from_state=DepositStatus.PAID,
        to_state=DepositStatus.APPLIED,
        data={"lot": lot.public_id, "applied_fen": credit_fen},
    )
    excess = deposit.amount_fen - credit_fen
    if excess > 0:
        refund_create(
            payment=Payment.objects.get(pk=deposit.payment_id),
            amount_fen=excess,
            reason=_("保证金超出成交价的部分退还"),
            refs={"deposit": deposit.public_id},
        )
    return deposit


def deposit_forfeit(deposit: Deposit, *, lot: Lot) -> Deposit:
    """The winner of ``lot`` did not pay in time: their locked, held deposit is forfeited,
    its money moving from escrow to the platform's forfeit revenue."""
    amount = deposit.amount_fen
    ledger_post(
        key=f"forfeit:{deposit.public_id}",
        kind=LEDGER_FORFEIT,
        postings=[(ESCROW, amount), (PLATFORM_FORFEITS, -amount)],
        memo=f"拍品 {lot.public_id} 得标者逾期未付款",
        refs={"deposit": deposit.public_id, "lot": lot.public_id, "payment": _pay_id(deposit)},
    )
    deposit.status = DepositStatus.FORFEITED
    deposit.closed_at = clock.now()
    deposit.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=None,
        action="deposit.forfeited",
        target=deposit,
        from_state=DepositStatus.PAID,
        to_state=DepositStatus.FORFEITED,
        data={"lot": lot.public_id, "amount_fen": amount},
    )
    return deposit


def _pay_id(deposit: Deposit) -> str:
    return Payment.objects.filter(pk=deposit.payment_id).values_list("public_id", flat=True).get()


# --- the sweeper's step ---------------------------------------------------------------------


@transaction.atomic
def deposit_settle(*, deposit: Deposit) -> Deposit:
    """Make permanent what is due for one deposit; idempotent. A release whose refund
    failed is made again; a held deposit nothing needs is released."""
    deposit = deposit_locked(deposit.pk)
    if deposit.status == DepositStatus.RELEASING and deposit.release_refund_id:
        status = Refund.objects.filter(pk=deposit.release_refund_id).values_list(
            "status", flat=True
        )
        if status.get() == RefundStatus.FAILED:
            deposit.status = DepositStatus.PAID
            deposit.release_refund = None
            deposit.save(update_fields=["status", "release_refund"])
    if release_due(deposit):
        deposit_release(deposit, reason=_("拍卖结束，退还竞拍保证金"))
    return deposit
