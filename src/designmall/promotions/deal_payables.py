"""A deal order's checkout as a payable (type ``"deal"``), registered in
``PromotionsConfig.ready()``. Payments calls these in its transactions with the payment
locked; the checkout and its order are locked next (``lot_checkout_locked``), then the
deal when a unit goes back (``deals.ticket_release``).

- paid: the checkout and its order are paid, the ticket too, and the unit is sold out of
  the deal's hold (else ``Conflict``: payments refunds the money);
- expired (also after the buyer cancelled: the checkout is closed first): the checkout
  expires if still pending, and the unit goes back (to the deal, or to stock after it);
- refunded: the orders' own booking (``order_refund_succeeded``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.orders.lots import lot_checkout_expire, lot_checkout_locked, lot_checkout_mark_paid
from designmall.orders.models import CheckoutStatus
from designmall.orders.services import order_refund_succeeded
from designmall.payments import payables
from designmall.payments.models import Payment, Refund
from designmall.promotions.deals import PAYABLE_TYPE, ticket_mark_paid, ticket_release


def deal_is_payable(payment: Payment) -> bool:
    checkout = lot_checkout_locked(payment)
    return (
        checkout is not None
        and checkout.status == CheckoutStatus.PENDING_PAYMENT
        and clock.now() < checkout.expires_at
    )


def deal_paid(payment: Payment) -> None:
    checkout = lot_checkout_locked(payment)
    if checkout is None or checkout.status != CheckoutStatus.PENDING_PAYMENT:
        raise Conflict(_("结算单已关闭。"), code="checkout_closed")
    ticket_mark_paid(checkout=checkout)
    lot_checkout_mark_paid(checkout=checkout, payment=payment)


def deal_expired(payment: Payment) -> None:
    checkout = lot_checkout_locked(payment)
    if checkout is None:
        return
    lot_checkout_expire(checkout=checkout, reason=_("超时未支付"))
    ticket_release(checkout=checkout)


def deal_refunded(refund: Refund) -> None:
    order_refund_succeeded(refund=refund)


def deal_return_url(payment: Payment) -> str:
    return reverse("storefront:checkout_done", kwargs={"public_id": payment.payable_id})


def register() -> None:
    payables.register(
        PAYABLE_TYPE,
        is_payable=deal_is_payable,
        on_paid=deal_paid,
        on_refunded=deal_refunded,
        on_expired=deal_expired,
        return_url=deal_return_url,
    )
