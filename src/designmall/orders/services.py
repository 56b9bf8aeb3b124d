"""Order services: what happens to an order after checkout.

Each is one transaction that moves an order along ``rules.TRANSITIONS`` and
records the step twice: an ``OrderEvent`` (the order's history, shown to buyer
and seller) and an audit row. Whoever acts is checked against the order: a
buyer acts on their own orders, a seller on their shops' orders; anyone else
gets 404, as if the order did not exist.

Locks are taken in one order everywhere: the checkout's payment, then the
checkout, then its orders (the order payments lock in before calling our
handlers), so a buyer cancelling, a payment arriving and the expiry sweeper
queue behind each other instead of deadlocking.

Money: a completed order's total less its refunds leaves escrow for the seller's
balance less the commission (``escrow_release_to_seller``); a refund comes out of
escrow before that (``refund_from_escrow``) and out of the seller's balance after
it (``refund_from_seller``, the platform giving back its share of commission).
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.core.money import format_fen
from designmall.inventory.services import holds_commit, holds_release
from designmall.ledger.rules import commission_back, split_commission
from designmall.ledger.services import (
    escrow_release_to_seller,
    platform_coupon_subsidy,
    refund_from_escrow,
    refund_from_seller,
)
from designmall.orders import idempotency, rules
from designmall.orders.models import (
    Checkout,
    CheckoutStatus,
    IdempotencyScope,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from designmall.orders.selectors import can_verify_pickups
from designmall.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from designmall.payments.services import payment_close, refund_create
from designmall.promotions.coupon_math import refund_share
from designmall.promotions.services import coupons_release, coupons_use

REASON_MAX = 500


def _not_found() -> NotFound:
    return NotFound(_("没有找到这个订单。"), code="order_not_found")


def _reason(reason: str, *, required: bool = False) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("原因最多 %(n)s 个字。") % {"n": REASON_MAX}, code="reason_too_long"
        )
    if required and not reason:
        raise ValidationFailed(_("请填写原因。"), code="reason_required")
    return reason


def _is_operator(user: User | None) -> bool:
    return bool(user and (user.is_superuser or user.has_role(Role.OPERATOR)))


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("shop", "checkout").get(pk=order.pk)


def _as_buyer(order: Order, by: User) -> Order:
    if order.buyer_id != by.pk:
        raise _not_found()
    return order


def _as_seller(order: Order, by: User) -> Order:
    if order.shop.owner_id != by.pk:
        raise _not_found()
    return order


def _record(
    order: Order,
    *,
    before: str,
    by: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    action: str = "",
) -> None:
    """The history row and the audit row of a step of ``order`` (``before`` -> now)."""
    OrderEvent.objects.create(
        order=order,
        from_status=before,
        to_status=order.status,
        by=by if getattr(by, "pk", None) else None,
        reason=reason,
        data=data or {},
        at=clock.now(),
    )
    audit_record(
        actor=by,
        action=action or f"order.{order.status}",
        target=order,
        from_state=before,
        to_state=order.status,
        reason=reason,
        data=data,
    )


def _move(
    order: Order,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> Order:
    """Move the locked ``order`` to ``to`` if the table allows it, set ``fields``, record it."""
    before = order.status
    if not rules.can_transition(before, to, delivery=order.delivery):
        raise InvalidTransition(
            _("订单当前状态为「%(status)s」，不能执行此操作。")
            % {"status": order.get_status_display()},
            details={"from": before, "to": to},
        )
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", *fields])
    _record(order, before=before, by=by, reason=reason, data=data)
    return order


# --- checkout-wide steps (before payment) --------------------------------------------------


def checkout_close(*, checkout: Checkout, to: str, by: User | None, reason: str) -> Checkout:
    """End an unpaid checkout (locked by the caller, after its payment): it and its
    pending orders become ``to`` (cancelled or expired) and its stock goes back on
    sale. Called in the transaction of the cancellation or of the payment's close."""
    now = clock.now()
    before = checkout.status
    checkout.status = to
    checkout.closed_at = now
    checkout.save(update_fields=["status", "closed_at"])
    orders = list(
        Order.objects.select_for_update()
        .filter(checkout=checkout, status=OrderStatus.PENDING_PAYMENT)
        .order_by("pk")
    )
    for order in orders:
        _move(order, to, by=by, reason=reason, closed_at=now)
    holds_release(owner_ref=checkout.owner_ref)
    if checkout.discount_fen:
        # Its coupons go back to the buyer (expired ones stay spent), exactly once: a
        # conditional update from ``locked`` for this checkout.
        coupons_release(checkout_ref=checkout.public_id)
    audit_record(
        actor=by,
        action=f"checkout.{to}",
        target=checkout,
        from_state=before,
        to_state=to,
        reason=reason,
    )
    return checkout


def _checkout_locked(checkout_id: int) -> tuple[Payment, Checkout]:
    """The checkout's payment, then the checkout, locked in that order."""
    payment_id = Checkout.objects.filter(pk=checkout_id).values_list("payment_id", flat=True).get()
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return payment, Checkout.objects.select_for_update().get(pk=checkout_id)


@transaction.atomic
def checkout_cancel(*, checkout: Checkout, by: User, reason: str = "") -> Checkout:
    """The buyer cancels their unpaid checkout: every order of it is cancelled, the
    stock goes back on sale and the payment is closed (a payment that still
    arrives is refunded in full by payments). Others' checkouts are 404; a paid,
    expired or cancelled one is ``InvalidTransition``."""
    if checkout.buyer_id != by.pk:
        raise NotFound(_("没有找到这个结算单。"), code="checkout_not_found")
    reason = _reason(reason)
    payment, checkout = _checkout_locked(checkout.pk)
    if checkout.status != CheckoutStatus.PENDING_PAYMENT:
        raise InvalidTransition(
            _("订单已支付或已关闭，不能取消。"),
            details={"from": checkout.status, "to": CheckoutStatus.CANCELLED},
        )
    checkout_close(
        checkout=checkout, to=CheckoutStatus.CANCELLED, by=by, reason=reason or _("买家取消")
    )
    # The checkout is closed first, so the payable's expiry handler finds nothing to do.
    payment_close(payment=payment, reason="cancelled")
    return checkout


def order_cancel(*, order: Order, by: User, reason: str = "") -> Order:
    """The buyer cancels their unpaid order.

    The orders of one checkout share one payment for their total, which cannot be
    paid in part, so cancelling one order of a multi-shop checkout before payment
    cancels the whole checkout: all its orders (``checkout_cancel``). Once paid,
    an order is not cancelled but refunded by the seller (``order_refund``).
    """
    _as_buyer(order, by)
    checkout_cancel(checkout=order.checkout, by=by, reason=reason)
    return Order.objects.get(pk=order.pk)


@transaction.atomic
def checkout_expire(*, checkout: Checkout) -> Checkout:
    """End an unpaid checkout whose stock hold ran out (the sweeper's step); idempotent.

    Its pending payment is closed through payments (``payment_close``), which calls
    the payable's ``checkout_expired`` once. If the payment is no longer pending
    (money that came too late was credited and is being refunded by payments), the
    checkout is expired here. A checkout paid, cancelled or expired already, or
    whose hold has not run out, is left as it is.
    """
    payment, checkout = _checkout_locked(checkout.pk)
    if checkout.status != CheckoutStatus.PENDING_PAYMENT or clock.now() < checkout.expires_at:
        return checkout
    if payment.status == PaymentStatus.PENDING:
        payment_close(payment=payment, reason="stock hold expired")
        checkout.refresh_from_db()
        return checkout
    return checkout_close(
        checkout=checkout, to=CheckoutStatus.EXPIRED, by=None, reason=_("超时未支付")
    )


def checkout_mark_paid(*, checkout: Checkout, payment: Payment) -> Checkout:
    """The checkout's payment arrived (payments' ``on_paid``, in its transaction, with
    the payment, the checkout and its orders locked): its orders are paid and its held
    stock is sold. If the stock is no longer held in full, ``Conflict``
    ``stock_not_held``: nothing changes and payments refunds the money."""
    ordered = OrderLine.objects.filter(order__checkout=checkout).aggregate(n=Sum("quantity"))["n"]
    if holds_commit(owner_ref=checkout.owner_ref) != ordered:
        raise Conflict(_("库存保留已失效。"), code="stock_not_held")
    now = clock.now()
    checkout.status = CheckoutStatus.PAID
    checkout.save(update_fields=["status"])
    if checkout.discount_fen:
        coupons_use(checkout_ref=checkout.public_id)
    orders = Order.objects.select_related("shop", "checkout").filter(
        checkout=checkout, status=OrderStatus.PENDING_PAYMENT
    )
    for order in orders.order_by("pk"):
        _move(order, OrderStatus.PAID, by=None, data={"payment": payment.public_id}, paid_at=now)
    audit_record(
        actor=None,
        action="checkout.paid",
        target=checkout,
        from_state=CheckoutStatus.PENDING_PAYMENT,
        to_state=CheckoutStatus.PAID,
        data={"payment": payment.public_id},
    )
    return checkout


# --- fulfilment ----------------------------------------------------------------------------


def _order_payment_ids(order: Order) -> list[int]:
    payments = [order.checkout.payment_id]
    if order.prepaid_payment_id is not None:  # a pre-sale's deposit, refunded with the order
        payments.append(order.prepaid_payment_id)
    return payments


def _refunds_committed_fen(order: Order, payment_id: int | None = None) -> int:
    """Refunds of the order done or under way (a failed refund gives its part back), of
    all its payments or of ``payment_id``'s alone."""
    payments = [payment_id] if payment_id is not None else _order_payment_ids(order)
    total = (
        Refund.objects.filter(payment_id__in=payments, refs__order=order.public_id)
        .exclude(status=RefundStatus.FAILED)
        .aggregate(total=Sum("amount_fen"))["total"]
    )
    return int(total or 0)


def order_refundable_fen(order: Order) -> int:
    """What of the order may still be refunded: its total less its refunds done or under way."""
    return rules.refundable_fen(
        total_fen=order.total_fen, committed_fen=_refunds_committed_fen(order)
    )


def order_payment_parts(order: Order) -> list[tuple[int, int]]:
    """``(payment id, fen)``: what of each payment is this order's, in the order refunds
    take from them. One payment may pay several orders (a checkout's shops, or cart orders
    with a pre-order's balance), and a pre-sale's order is paid by two (its balance, or the
    payment that included it, then its deposit, ``prepaid_payment``), so a refund of the
    order never takes more from a payment than the order had of it."""
    if order.prepaid_payment_id is None:
        return [(order.checkout.payment_id, order.total_fen)]
    prepaid_fen = Payment.objects.values_list("amount_fen", flat=True).get(
        pk=order.prepaid_payment_id
    )
    return [
        (order.checkout.payment_id, order.total_fen - prepaid_fen),
        (order.prepaid_payment_id, prepaid_fen),
    ]


def _refuse_if_refunding_all(order: Order) -> None:
    if _refunds_committed_fen(order) >= order.total_fen:
        raise Conflict(_("订单正在全额退款，不能再履约。"), code="order_refunding")


@transaction.atomic
def order_ship(*, order: Order, by: User, carrier: str, tracking_number: str) -> Order:
    """The seller ships a paid order for address delivery, with the carrier (a code of
    ``rules.CARRIERS``) and its tracking number. Other shops' orders are 404."""
    order = _as_seller(_locked(order), by)
    carrier = (carrier or "").strip().upper() if isinstance(carrier, str) else ""
    if carrier not in rules.CARRIERS:
        raise ValidationFailed(
            _("请选择快递公司。"),
            code="invalid_carrier",
            details={"carriers": list(rules.CARRIERS)},
        )
    number = rules.normalize_tracking_number(tracking_number)
    if not number:
        raise ValidationFailed(
            _("运单号应为 8 至 30 位字母或数字。"), code="invalid_tracking_number"
        )
    if order.status == OrderStatus.PAID:
        _refuse_if_refunding_all(order)
    return _move(
        order,
        OrderStatus.SHIPPED,
        by=by,
        data={"carrier": carrier, "tracking_number": number},
        carrier=carrier,
        tracking_number=number,
        shipped_at=clock.now(),
    )


@transaction.atomic
def order_ready_for_pickup(*, order: Order, by: User) -> Order:
    """The seller has a paid pickup order ready at the venue. Others' orders are 404."""
    order = _as_seller(_locked(order), by)
    if order.status == OrderStatus.PAID:
        _refuse_if_refunding_all(order)
    return _move(order, OrderStatus.READY_FOR_PICKUP, by=by, ready_at=clock.now())


@transaction.atomic
def order_pickup_confirm(*, order: Order, code: str, by: User) -> Order:
    """The buyer collected the order at the venue, proven by its pickup code (scanned or
    typed; a wrong code is refused, ``wrong_pickup_code``). By the shop's seller, venue
    staff or an operator; the order is then complete and the seller paid."""
    order = _locked(order)
    if not can_verify_pickups(by):
        _as_seller(order, by)
    typed = rules.normalize_pickup_code(code)
    if not typed or not hmac.compare_digest(typed, order.pickup_code):
        raise ValidationFailed(_("自提码不正确。"), code="wrong_pickup_code")
    _move(order, OrderStatus.PICKED_UP, by=by, received_at=clock.now())
    return _complete(order, by=by)


@transaction.atomic
def order_handed_over(*, order: Order, by: User, data: dict[str, Any] | None = None) -> Order:
    """The last units of a paid pickup order were handed over at its booth (o2o's 核销,
    which checks who may): it is picked up (through ready for pickup when still paid). It
    is settled by ``order_pickup_settle`` once no reversal can undo the handover."""
    order = _locked(order)
    if order.status == OrderStatus.PAID:
        _refuse_if_refunding_all(order)
        _move(order, OrderStatus.READY_FOR_PICKUP, by=by, ready_at=clock.now())
    return _move(order, OrderStatus.PICKED_UP, by=by, data=data, received_at=clock.now())


@transaction.atomic
def order_handing_over(*, order: Order, by: User) -> Order:
    """Some units of a paid pickup order were handed over at its booth (o2o's 核销): its
    goods are at the booth, so it is ready for pickup (the rest later). Already ready:
    left as it is."""
    order = _locked(order)
    if order.status != OrderStatus.PAID:
        return order
    _refuse_if_refunding_all(order)
    return _move(order, OrderStatus.READY_FOR_PICKUP, by=by, ready_at=clock.now())


@transaction.atomic
def order_handover_reversed(*, order: Order, by: User, reason: str = "") -> Order:
    """A handover that picked the order up was reversed (冲正) before settlement: the order
    is waiting for pickup again."""
    order = _locked(order)
    return _move(order, OrderStatus.READY_FOR_PICKUP, by=by, reason=reason, received_at=None)


@transaction.atomic
def order_pickup_settle(*, order: Order, reason: str = "") -> Order:
    """A picked-up order whose handover can no longer be reversed is complete and the
    seller paid, as a received order is (``_complete``). Anything else is left as it is."""
    order = _locked(order)
    if order.status != OrderStatus.PICKED_UP:
        return order
    return _complete(order, by=None, reason=reason)


def _confirm_receipt(order: Order, *, by: User | None, reason: str = "") -> Order:
    _move(order, OrderStatus.RECEIVED, by=by, reason=reason, received_at=clock.now())
    return _complete(order, by=by, reason=reason)


@transaction.atomic
def order_confirm_receipt(*, order: Order, by: User) -> Order:
    """The buyer confirms that their shipped order arrived; it is then complete and the
    seller paid. Others' orders are 404."""
    order = _as_buyer(_locked(order), by)
    return _confirm_receipt(order, by=by)


@transaction.atomic
def order_auto_confirm(*, order: Order) -> Order:
    """Receipt of an order shipped ``ORDER_AUTO_CONFIRM_DAYS`` ago counts as confirmed.
    Anything else (not shipped any more, or not that long ago) is left as it is."""
    order = _locked(order)
    due = clock.now() - timedelta(days=settings.ORDER_AUTO_CONFIRM_DAYS)
    if order.status != OrderStatus.SHIPPED or order.shipped_at is None or order.shipped_at > due:
        return order
    return _confirm_receipt(
        order,
        by=None,
        reason=_("发货 %(days)s 天后自动确认收货") % {"days": settings.ORDER_AUTO_CONFIRM_DAYS},
    )


def _complete(order: Order, *, by: User | None, reason: str = "") -> Order:
    """Received or picked up -> completed: the order's total less its refunds leaves
    escrow for the seller's balance, less the commission at the order's rate."""
    amount = order.total_fen - order.refunded_fen
    seller_fen, commission_fen = split_commission(amount, order.commission_bp)
    escrow_release_to_seller(
        order_ref=order.public_id,
        shop_public_id=order.shop.public_id,
        amount_fen=amount,
        commission_bp=order.commission_bp,
        refs={"checkout": order.checkout.public_id},
        by=by,
    )
    if order.platform_discount_fen:
        # The platform coupon's share is the platform's expense: the seller is made whole,
        # in proportion to what of the order was not refunded.
        subsidy = order.platform_discount_fen * amount // order.total_fen
        if subsidy > 0:
            platform_coupon_subsidy(
                order_ref=order.public_id,
                shop_public_id=order.shop.public_id,
                amount_fen=subsidy,
                refs={"checkout": order.checkout.public_id},
                by=by,
            )
    return _move(
        order,
        OrderStatus.COMPLETED,
        by=by,
        reason=reason,
        data={"released_fen": amount, "seller_fen": seller_fen, "commission_fen": commission_fen},
        released_fen=amount,
        commission_fen=commission_fen,
        completed_at=clock.now(),
    )


# --- refunds -------------------------------------------------------------------------------


def order_refund(
    *,
    order: Order,
    amount_fen: int,
    reason: str,
    by: User,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    line: OrderLine | None = None,
    units: int | None = None,
) -> Refund:
    """The seller (or an operator) refunds ``amount_fen`` of a paid order to the buyer,
    at any point after payment, in part or in full.

    Refused beyond the order's total less its refunds done or under way
    (``ValidationFailed`` ``refund_exceeds_paid``). The refund is made by
    payments (``refund_create``); when it succeeds, ``order_refund_succeeded``
    books it and a fully refunded order becomes ``refunded``. Others' orders are
    404; the buyer is ``PermissionDenied``.

    With ``idempotency_key`` (an API client's Idempotency-Key, a web form's one-time
    token): the first result under ``by``'s key, the refund or the error, is the answer
    to the same request again (the same ``request_fingerprint``; default: a hash of the
    order and the arguments), never a second refund; the refund returned says whether it
    was made now (``replayed`` False) or before (True). The same key with another
    request is ``Conflict`` ``idempotency_key_reused``.

    With ``line`` and ``units`` (a partial refund of some units of one line): also refused
    beyond what those units really cost after the line's share of the coupons (分摊), by
    ``coupon_math.refund_share`` over the units of the line refunded before
    (``refund_exceeds_line``), so refunding every unit gives back the line's paid amount,
    never more. With ``line`` alone (``units`` None, an after-sales request's agreed
    amount): refused beyond the line's paid amount less its refunds. Either way the refund
    names the line, so later refunds of it count it.
    """
    if idempotency_key is None:
        return _order_refund(
            order=order, amount_fen=amount_fen, reason=reason, by=by, line=line, units=units
        )
    fingerprint = request_fingerprint or idempotency.fingerprint_of(
        order=order.public_id,
        amount_fen=amount_fen,
        reason=reason,
        **({"line": line.pk, "units": units} if line is not None else {}),
    )
    return idempotency.idempotent(
        user=by,
        scope=IdempotencyScope.REFUND,
        key=idempotency_key,
        fingerprint=fingerprint,
        make=lambda: _order_refund(
            order=order, amount_fen=amount_fen, reason=reason, by=by, line=line, units=units
        ),
    )


def _line_refunded(order: Order, line: OrderLine) -> tuple[int, int]:
    """Units and fen of ``line`` refunded or being refunded (a failed refund gives them
    back): ``(units, fen)``."""
    rows = (
        Refund.objects.filter(payment_id__in=_order_payment_ids(order), refs__order=order.public_id)
        .exclude(status=RefundStatus.FAILED)
        .values_list("refs", "amount_fen")
    )
    mine = [(refs, fen) for refs, fen in rows if refs.get("line") == str(line.pk)]
    return sum(int(r.get("units", 0)) for r, _f in mine), sum(f for _r, f in mine)


def line_refundable(order: Order, line: OrderLine) -> tuple[int, int]:
    """What of ``line`` may still be refunded: ``(units, fen)``, the fen being what the
    line really cost after its share of the coupons (``paid_fen``) less its refunds."""
    units, fen = _line_refunded(order, line)
    return line.quantity - units, max(0, line.paid_fen - fen)


def _line_refund_cap(order: Order, line: OrderLine, units: Any) -> int:
    """The most a refund of ``units`` more units of ``line`` may give back (``units`` None:
    a refund of the line not counted in units, e.g. an after-sales request's agreed
    amount): never beyond what the line really cost, less what was refunded of it."""
    if line.order_id != order.pk:
        raise _not_found()
    before, refunded_fen = _line_refunded(order, line)
    left_fen = max(0, line.paid_fen - refunded_fen)
    if units is None:
        return left_fen
    if not rules.is_quantity(units) or before + units > line.quantity:
        raise ValidationFailed(
            _("退款件数超过可退件数（最多还可退 %(n)d 件）。") % {"n": line.quantity - before},
            code="invalid_units",
            details={"units": repr(units)[:20], "refundable_units": line.quantity - before},
        )
    share = refund_share(paid_fen=line.paid_fen, quantity=line.quantity, before=before, units=units)
    return min(share, left_fen)


@transaction.atomic
def _order_refund(
    *,
    order: Order,
    amount_fen: int,
    reason: str,
    by: User,
    line: OrderLine | None = None,
    units: int | None = None,
) -> Refund:
    if not _is_operator(by):
        if order.buyer_id == by.pk and order.shop.owner_id != by.pk:
            raise PermissionDenied(_("退款由卖家或平台发起。"), code="seller_only")
        _as_seller(order, by)
    reason = _reason(reason, required=True)
    # A pre-sale's deposit payment first, as the pre-sale locks its payments.
    if order.prepaid_payment_id is not None:
        Payment.objects.select_for_update().values_list("pk").get(pk=order.prepaid_payment_id)
    Payment.objects.select_for_update().values_list("pk").get(pk=order.checkout.payment_id)
    order = _locked(order)
    if order.status not in rules.PAID_STATES:
        raise InvalidTransition(
            _("订单当前状态为「%(status)s」，不能退款。") % {"status": order.get_status_display()},
            code="order_not_refundable",
            details={"from": order.status},
        )
    if not rules.is_quantity(amount_fen):
        raise ValidationFailed(
            _("退款金额必须大于零。"), code="invalid_amount", details={"amount_fen": amount_fen}
        )
    refundable = rules.refundable_fen(
        total_fen=order.total_fen, committed_fen=_refunds_committed_fen(order)
    )
    if amount_fen > refundable:
        raise ValidationFailed(
            _("退款金额超过订单可退金额。"),
            code="refund_exceeds_paid",
            details={"amount_fen": amount_fen, "refundable_fen": refundable},
        )
    refs = {"order": order.public_id}
    if line is not None:
        line_cap = _line_refund_cap(order, line, units)
        if amount_fen > line_cap:
            raise ValidationFailed(
                _("退款金额超过该商品分摊优惠后的实付金额，最多可退 %(amount)s。")
                % {"amount": format_fen(line_cap)},
                code="refund_exceeds_line",
                details={"amount_fen": amount_fen, "refundable_fen": line_cap},
            )
        refs |= {"line": str(line.pk), **({"units": str(units)} if units is not None else {})}
    refunds = order_refund_split(order, amount_fen=amount_fen, reason=reason, refs=refs, by=by)
    _record(
        order,
        before=order.status,
        by=by,
        reason=reason,
        data={
            "refund": refunds[0].public_id,
            "amount_fen": amount_fen,
            **({"refunds": [r.public_id for r in refunds]} if len(refunds) > 1 else {}),
        },
        action="order.refund_requested",
    )
    return refunds[0]


def order_refund_split(
    order: Order, *, amount_fen: int, reason: str, refs: dict, by: User | None
) -> list[Refund]:
    """Refund ``amount_fen`` of the locked ``order`` (its payments locked, the amount
    within what is left of it) from its payments in turn (``order_payment_parts``), each
    never beyond the order's part of it less the order's refunds of it."""
    refunds = []
    left = amount_fen
    for payment_id, part_fen in order_payment_parts(order):
        take = min(left, part_fen - _refunds_committed_fen(order, payment_id))
        if take <= 0:
            continue
        payment = Payment.objects.get(pk=payment_id)
        refunds.append(
            refund_create(payment=payment, amount_fen=take, reason=reason, refs=refs, by=by)
        )
        left -= take
    if left > 0 or not refunds:
        raise ValidationFailed(
            _("退款金额超过订单可退金额。"),
            code="refund_exceeds_paid",
            details={"amount_fen": amount_fen, "refundable_fen": amount_fen - left},
        )
    return refunds


def order_refund_succeeded(*, refund: Refund) -> Order:
    """Book a refund of an order that went through (payments' ``on_refunded``, in its
    transaction): out of escrow if the order was not yet settled, else out of the
    seller's balance with the commission's share given back. Fully refunded, the
    order becomes ``refunded``."""
    order_ref = (refund.refs or {}).get("order")
    if not order_ref:
        raise LookupError(f"refund {refund.public_id} names no order; refund through order_refund")
    order = (
        Order.objects.select_for_update()
        .select_related("shop", "checkout")
        .get(public_id=order_ref)
    )
    gateway = refund.payment.gateway
    refs = {"order": order.public_id, "checkout": order.checkout.public_id}
    if order.completed_at is None:
        refund_from_escrow(
            refund_ref=refund.public_id, gateway=gateway, amount_fen=refund.amount_fen, refs=refs
        )
    else:
        refunded_since_release = order.refunded_fen - (order.total_fen - order.released_fen)
        refund_from_seller(
            refund_ref=refund.public_id,
            shop_public_id=order.shop.public_id,
            gateway=gateway,
            amount_fen=refund.amount_fen,
            commission_back_fen=commission_back(
                commission_fen=order.commission_fen,
                released_fen=order.released_fen,
                refunded_before_fen=refunded_since_release,
                refund_fen=refund.amount_fen,
            ),
            refs=refs,
        )
    order.refunded_fen += refund.amount_fen
    data = {"refund": refund.public_id, "amount_fen": refund.amount_fen}
    by = refund.requested_by
    if order.refunded_fen < order.total_fen:
        order.save(update_fields=["refunded_fen"])
        _record(
            order,
            before=order.status,
            by=by,
            reason=refund.reason,
            data=data,
            action="order.refunded_in_part",
        )
        return order
    return _move(
        order,
        OrderStatus.REFUNDED,
        by=by,
        reason=refund.reason,
        data=data,
        refunded_fen=order.refunded_fen,
        closed_at=clock.now(),
    )
