"""A pre-order's balance paid together with cart items: one checkout, one payment.

A cart checkout is already one payment for several orders (one per shop, payable type
``"checkout"``). A buyer whose pre-order is in its balance window may add its balance to
that payment: the checkout is made as ever (``orders.checkout.checkout_create``) with a
``CheckoutExtra`` whose payment is of the payable type ``presale.checkout`` (its
``payable_id`` the checkout's public id, as a checkout's) and asks for the cart's total
plus each balance due. The pre-order's ``balance_payment`` is that payment, so every
pre-sale path that locks a pre-order's payments locks it first (payments' lock order),
and a pre-order has one balance payment at a time.

The balance is computed here only: the pre-order's locked price − its boosted credit (no
coupon on it in a cart checkout: the cart's coupons are the cart's); it is refused as when
paid alone (``deposit_unpaid``, ``balance_not_open``, ``balance_closed``,
``balance_already_paid``, ``preorder_closed``: 409) and when another checkout holds it
(``balance_in_checkout``). A pending payment of the balance alone is replaced (closed).

The payable's handlers compose the checkout's and the balance's, in payments'
transaction with the payment locked, then the checkout and its orders, then the
pre-orders:

- payable: the checkout still pending and held by the clock, and every pre-order still
  waiting for its balance with its window open by the clock; else payments refunds it all;
- paid: the cart orders are paid and their stock sold, each pre-order is fully paid and
  becomes an order of its shop in the same checkout (``preorder_fully_paid``); all or none;
- expired (closed unpaid, or the checkout cancelled): the checkout expires and its stock
  goes back; the pre-orders keep their paid deposit and may be paid again while their
  window is open;
- refunded: a refund names its order (a cart order's, or the pre-order's order's, never
  beyond the balance's part: ``orders.services.order_payment_parts``) and the order books it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.orders.checkout import CheckoutExtra, checkout_create
from designmall.orders.models import Checkout
from designmall.orders.payables import (
    checkout_expired,
    checkout_is_payable,
    checkout_paid,
    checkout_return_url,
)
from designmall.payments import payables
from designmall.payments.models import Payment, PaymentStatus, Refund
from designmall.presale import services
from designmall.presale.models import Preorder, PreorderStatus

CART_BALANCE_PAYABLE = "presale.checkout"
MAX_PREORDERS = 10


def _clean_preorder_ids(preorders: Any) -> list[str]:
    if not isinstance(preorders, list | tuple) or not 1 <= len(preorders) <= MAX_PREORDERS:
        raise ValidationFailed(
            _("请选择 1 到 %(n)d 个预售订单的尾款。") % {"n": MAX_PREORDERS},
            code="invalid_preorders",
        )
    if not all(isinstance(ref, str) and 0 < len(ref) <= 64 for ref in preorders):
        raise ValidationFailed(_("预售订单编号不正确。"), code="invalid_preorders")
    return sorted(set(preorders))


class _Balances:
    """The ``CheckoutExtra`` of the buyer's pre-orders ``refs`` (see the module)."""

    def __init__(self, buyer: User, refs: list[str], delivery: str, address: Any):
        self.buyer, self.refs = buyer, refs
        self.delivery, self.address = delivery, address
        self.locked: list[Preorder] = []

    def prepare(self, checkout_ref: str) -> tuple[int, datetime | None]:
        self.locked = []  # written again after a pickup code collided: all of it again
        ids = dict(
            Preorder.objects.filter(buyer_id=self.buyer.pk, public_id__in=self.refs).values_list(
                "public_id", "pk"
            )
        )
        missing = [ref for ref in self.refs if ref not in ids]
        if missing:
            raise NotFound(
                _("没有找到这个预售订单。"),
                code="preorder_not_found",
                details={"preorders": missing},
            )
        delivery, address = services._clean_delivery_choice(self.delivery, self.address)
        now = clock.now()
        total, pay_by = 0, None
        for pk in sorted(ids.values()):
            _deposit, balance, preorder = services._locked_all(pk)
            refusal = services._balance_refusal(preorder, now)
            if refusal is not None:
                refusal.details = {**(refusal.details or {}), "preorder": preorder.public_id}
                raise refusal
            if balance is not None and balance.status == PaymentStatus.PENDING:
                services.refuse_if_in_checkout(balance)
                # A payment of the balance alone gives way (its coupon goes back).
                services.payment_close(payment=balance, reason="presale balance paid with cart")
            preorder.delivery, preorder.address = delivery, address
            preorder.balance_discount_fen = preorder.balance_platform_discount_fen = 0
            total += preorder.balance_due_fen
            ends = preorder.campaign.balance_ends_at
            pay_by = ends if pay_by is None else min(pay_by, ends)
            self.locked.append(preorder)
        return total, min(pay_by, now + timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES))

    def attach(self, payment: Payment) -> None:
        for preorder in self.locked:
            preorder.balance_payment = payment
            preorder.save(
                update_fields=[
                    "balance_payment",
                    "delivery",
                    "address",
                    "balance_discount_fen",
                    "balance_platform_discount_fen",
                ]
            )
            audit_record(
                actor=self.buyer,
                action="presale.balance_payment_created",
                target=preorder,
                to_state=preorder.status,
                data={
                    "payment": payment.public_id,
                    "checkout": payment.payable_id,
                    "amount_fen": preorder.balance_due_fen,
                },
            )


def checkout_with_balances_create(
    *,
    buyer: User,
    preorders: list[str],
    delivery: str,
    address: dict | None = None,
    **checkout: Any,
) -> Checkout:
    """``orders.checkout.checkout_create`` (its arguments in ``checkout``) whose one payment
    also pays the balance of the buyer's ``preorders`` (public ids): see the module. The
    pre-orders' order is delivered as the checkout's (``delivery``, ``address``)."""
    services._require_active_user(buyer)
    refs = _clean_preorder_ids(preorders)
    extra = CheckoutExtra(
        payable_type=CART_BALANCE_PAYABLE,
        fingerprint=",".join(refs),
        prepare=lambda ref: balances.prepare(ref),
        attach=lambda payment: balances.attach(payment),
    )
    balances = _Balances(buyer, refs, delivery, address)
    return checkout_create(buyer=buyer, delivery=delivery, address=address, extra=extra, **checkout)


# --- the payable's handlers ------------------------------------------------------------------


def _preorders_of(payment: Payment) -> list[Preorder]:
    """The pre-orders whose balance this payment pays, locked (after the checkout)."""
    return list(
        Preorder.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(balance_payment_id=payment.pk)
        .order_by("pk")
    )


def cart_balance_is_payable(payment: Payment) -> bool:
    if not checkout_is_payable(payment):
        return False
    preorders = _preorders_of(payment)
    return bool(preorders) and all(services._balance_payable(p) for p in preorders)


def cart_balance_paid(payment: Payment) -> None:
    checkout_paid(payment)
    checkout = Checkout.objects.get(public_id=payment.payable_id, payment_id=payment.pk)
    preorders = _preorders_of(payment)
    if not preorders:
        raise Conflict(_("这笔尾款已无需支付。"), code="balance_not_payable")
    now = clock.now()
    for preorder in preorders:
        if not services._balance_payable(preorder):
            raise Conflict(_("这笔尾款已无需支付。"), code="balance_not_payable")
        preorder.status = PreorderStatus.FULLY_PAID
        preorder.balance_paid_at = now
        services.preorder_fully_paid(preorder, balance=payment, checkout=checkout)
        preorder.save(update_fields=["status", "balance_paid_at", "order"])
        audit_record(
            actor=None,
            action="presale.balance_paid",
            target=preorder,
            from_state=PreorderStatus.DEPOSIT_PAID,
            to_state=PreorderStatus.FULLY_PAID,
            data={
                "payment": payment.public_id,
                "checkout": checkout.public_id,
                "amount_fen": services.balance_part_fen(preorder, payment),
            },
        )


def cart_balance_expired(payment: Payment) -> None:
    checkout_expired(payment)
    services.balance_payment_expired(payment)  # no coupon of the balance's here: a no-op
    for preorder in _preorders_of(payment):
        audit_record(
            actor=None,
            action="presale.balance_payment_closed",
            target=preorder,
            to_state=preorder.status,
            data={"payment": payment.public_id, "checkout": payment.payable_id},
        )


def cart_balance_refunded(refund: Refund) -> None:
    services.balance_refund_succeeded(refund)


def register() -> None:
    payables.register(
        CART_BALANCE_PAYABLE,
        is_payable=cart_balance_is_payable,
        on_paid=cart_balance_paid,
        on_refunded=cart_balance_refunded,
        on_expired=cart_balance_expired,
        return_url=checkout_return_url,
    )
