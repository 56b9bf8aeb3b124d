"""Orders for auction lots: the checkout of a lot won (by its winner, or by the runner-up
on a second-chance offer).

A lot is sold once, at the price the auction decided, so its checkout skips the cart,
the catalog's prices and the stock: one ``Checkout`` with one ``Order`` for the lot's shop
and one ``OrderLine`` (quantity 1 at that price) naming a SKU the auction keeps for the
lot (inactive, never on sale). Shipping follows the usual rule; a venue pickup gets its
pickup code. The seller fulfils it in the seller center like any order.

Money. The bidder's deposit is already in escrow, so the payment asks only for the rest:
``total − deposit_credit_fen``. Once that is paid the escrow holds the order's whole total
(deposit + balance), and completion releases the total to the seller less the commission,
exactly as for any order (``services._complete``). A refund goes through the checkout's
payment, so at most the balance can be refunded through ``order_refund``
(payments refuses more with ``refund_exceeds_paid``); the deposit part stays with the
order.

The payment is of the auction's payable type (given by the caller), not orders'
``"checkout"``: there is no stock hold to commit, and the auction must hear of the payment
in its own transaction. Its handlers use ``lot_checkout_locked``, ``lot_checkout_mark_paid``
and ``lot_checkout_expire`` below, and orders' ``order_refund_succeeded`` for refunds.
Orders' own expiry sweeper and the buyer's cancellation work on these checkouts as on any.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.catalog.models import Shop, Sku
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import ValidationFailed
from designmall.core.ids import new_public_id
from designmall.orders import rules
from designmall.orders.checkout import (
    _as_prefetched,
    _clean_delivery,
    _orders_insert,
    clean_address,
    order_line_build,
)
from designmall.orders.models import (
    Checkout,
    CheckoutStatus,
    Order,
    OrderEvent,
    OrderStatus,
)
from designmall.orders.services import _move, checkout_close
from designmall.payments.models import Payment
from designmall.payments.services import payment_create


def _is_fen(value: Any, *, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def checkout_for_lot(
    *,
    buyer: User,
    shop: Shop,
    sku: Sku,
    title: str,
    title_en: str = "",
    price_fen: int,
    deposit_credit_fen: int,
    delivery: str,
    address: dict | None,
    payable_type: str,
    pay_by: datetime,
) -> Checkout:
    """A pending checkout of one lot at ``price_fen`` for ``buyer``, in the caller's
    transaction: one order of ``shop`` with one line (``sku``, ``title`` and its English
    ``title_en``), shipping by the usual rule for ``delivery`` (``"address"`` with
    ``address``, or ``"pickup"``), and one pending payment of ``payable_type`` for the total
    less ``deposit_credit_fen``.

    The checkout expires with its payment, and never after ``pay_by`` (the end of the
    buyer's window to pay). ``ValidationFailed`` for a bad delivery or address
    (``invalid_delivery``, ``invalid_address``) or amounts that do not fit
    (``invalid_amount``: the credit must leave something to pay).
    """
    delivery = _clean_delivery(delivery)
    address = clean_address(address) if delivery == rules.Delivery.ADDRESS else {}
    if not _is_fen(price_fen, low=1) or not _is_fen(deposit_credit_fen, low=0):
        raise ValidationFailed(_("成交金额无效。"), code="invalid_amount")
    if deposit_credit_fen >= price_fen:
        raise ValidationFailed(_("保证金抵扣不能达到成交价。"), code="invalid_amount")
    shipping_fen = rules.shipping_fee_fen(
        delivery=delivery,
        items_fen=price_fen,
        fee_fen=settings.ORDER_SHIPPING_FEE_FEN,
        free_from_fen=settings.ORDER_FREE_SHIPPING_FROM_FEN,
    )
    total_fen = price_fen + shipping_fen
    due_fen = total_fen - deposit_credit_fen
    now = clock.now()
    public_id = new_public_id("co")
    payment = payment_create(
        buyer=buyer,
        amount_fen=due_fen,
        subject=title,
        payable_type=payable_type,
        payable_id=public_id,
    )
    checkout = Checkout.objects.create(
        public_id=public_id,
        buyer=buyer,
        delivery=delivery,
        items_fen=price_fen,
        shipping_fen=shipping_fen,
        total_fen=total_fen,
        payment=payment,
        created_at=now,
        expires_at=min(payment.expires_at, pay_by),
    )
    order = Order(
        public_id=new_public_id("o"),
        checkout=checkout,
        buyer=buyer,
        shop=shop,
        delivery=delivery,
        address=address,
        pickup_code=rules.new_pickup_code() if delivery == rules.Delivery.PICKUP else "",
        items_fen=price_fen,
        shipping_fen=shipping_fen,
        total_fen=total_fen,
        commission_bp=shop.commission_bp,
        created_at=now,
    )
    _orders_insert([order])
    line = order_line_build(
        order=order,
        sku=sku,
        unit_price_fen=price_fen,
        quantity=1,
        title_zh=title,
        title_en=title_en,
    )
    line.save()
    money = {"deposit_credit_fen": deposit_credit_fen, "payment_fen": due_fen}
    OrderEvent.objects.create(
        order=order, to_status=OrderStatus.PENDING_PAYMENT, by=buyer, data=money, at=now
    )
    audit_record(
        actor=buyer,
        action="checkout.created",
        target=checkout,
        to_state=checkout.status,
        data={
            "orders": [order.public_id],
            "total_fen": total_fen,
            "payment": payment.public_id,
            **money,
        },
    )
    # As written, so that showing the checkout reads nothing again.
    _as_prefetched(order, "lines", [line])
    _as_prefetched(checkout, "orders", [order])
    return checkout


def lot_checkout_locked(payment: Payment) -> Checkout | None:
    """The payment's checkout and its order, locked (payments locked the payment first)."""
    checkout = (
        Checkout.objects.select_for_update()
        .filter(public_id=payment.payable_id, payment_id=payment.pk)
        .first()
    )
    if checkout is not None:
        list(
            Order.objects.select_for_update()
            .filter(checkout=checkout)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return checkout


def lot_checkout_mark_paid(*, checkout: Checkout, payment: Payment) -> Checkout:
    """The lot's checkout (locked, pending) is paid: it and its order are, with history."""
    checkout.status = CheckoutStatus.PAID
    checkout.save(update_fields=["status"])
    orders = Order.objects.select_related("shop", "checkout").filter(
        checkout=checkout, status=OrderStatus.PENDING_PAYMENT
    )
    now = clock.now()
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


def lot_checkout_expire(*, checkout: Checkout, reason: str) -> Checkout:
    """The lot's checkout (locked) expires if it is still pending; else nothing."""
    if checkout.status != CheckoutStatus.PENDING_PAYMENT:
        return checkout
    return checkout_close(checkout=checkout, to=CheckoutStatus.EXPIRED, by=None, reason=reason)
