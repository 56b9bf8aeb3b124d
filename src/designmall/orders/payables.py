"""A checkout as a payable: the handlers payments calls, registered in
``OrdersConfig.ready()`` as the payable type ``"checkout"`` (the payment's
``payable_id`` is the checkout's public id).

Payments calls them in its own transactions, after locking the payment (see
``payments.payables``):

- ``checkout_is_payable``: still pending, and its stock hold not run out by the
  clock (so a late sweeper changes nothing), checked with the checkout and its
  orders locked; if not, payments refunds the money in full itself;
- ``checkout_paid``: its orders are paid and its held stock is sold;
- ``checkout_expired``: its orders expire and its stock goes back on sale;
- ``checkout_refunded``: a refund of one of its orders went through;
- ``checkout_return_url``: where the cashier sends the buyer back (the checkout's page).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.orders.checkout import PAYABLE_TYPE
from designmall.orders.models import Checkout, CheckoutStatus, Order
from designmall.orders.services import checkout_close, checkout_mark_paid, order_refund_succeeded
from designmall.payments import payables
from designmall.payments.models import Payment, Refund


def _checkout_of(payment: Payment) -> Checkout | None:
    """The payment's checkout and its orders, locked (the payment is locked already)."""
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


def checkout_is_payable(payment: Payment) -> bool:
    checkout = _checkout_of(payment)
    return (
        checkout is not None
        and checkout.status == CheckoutStatus.PENDING_PAYMENT
        and clock.now() < checkout.expires_at
    )


def checkout_paid(payment: Payment) -> None:
    checkout = _checkout_of(payment)
    if checkout is None or checkout.status != CheckoutStatus.PENDING_PAYMENT:
        raise Conflict(_("结算单已关闭。"), code="checkout_closed")
    checkout_mark_paid(checkout=checkout, payment=payment)


def checkout_expired(payment: Payment) -> None:
    checkout = _checkout_of(payment)
    if checkout is None or checkout.status != CheckoutStatus.PENDING_PAYMENT:
        return  # cancelled by the buyer first: nothing is left to expire
    checkout_close(checkout=checkout, to=CheckoutStatus.EXPIRED, by=None, reason=_("超时未支付"))


def checkout_refunded(refund: Refund) -> None:
    order_refund_succeeded(refund=refund)


def checkout_return_url(payment: Payment) -> str:
    return reverse("storefront:checkout_done", kwargs={"public_id": payment.payable_id})


def register() -> None:
    payables.register(
        PAYABLE_TYPE,
        is_payable=checkout_is_payable,
        on_paid=checkout_paid,
        on_refunded=checkout_refunded,
        on_expired=checkout_expired,
        return_url=checkout_return_url,
    )
