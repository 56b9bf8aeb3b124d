"""The pre-sale's payables: what payments calls, registered in ``PresaleConfig.ready()``.

- ``presale.deposit`` (``payable_id``: the pre-order's public id): payable while the
  pre-order waits for its deposit, its hold running by the clock and its campaign live;
  paid → ``deposit_paid`` (the money waits in escrow); expired (closed unpaid) → the
  pre-order expires and its unit goes back to the campaign, once; refunded → booked by the
  order when the refund names it, else out of escrow (or out of the seller's balance for a
  forfeited one). A full-payment pre-order's one payment is of this type too: paid, the
  pre-order is fully paid and becomes an order at once.
- ``presale.balance`` (``payable_id``: the pre-order's public id): payable while the
  pre-order's deposit is paid, its balance window open by the clock and its campaign live;
  paid → ``fully_paid`` (in escrow, like the deposit) and an ordinary paid order of its
  shop (``services.preorder_fully_paid``); expired → a coupon it held goes back (another
  payment may be made while the window is open); refunded → booked by the order when the
  refund names it, else out of escrow.

- ``presale.checkout``: a cart checkout whose one payment also pays pre-orders' balances
  (``cart_balance``).

Payments calls them in its own transactions with the payment locked; each handler locks
the pre-order next (see the lock order in ``services``).
"""

from __future__ import annotations

from django.urls import reverse

from designmall.payments import payables
from designmall.presale import cart_balance, services


def preorder_return_url(payment) -> str:
    """Where the cashier sends the buyer back: "我的预售"."""
    return reverse("storefront:my_presales")


def register() -> None:
    cart_balance.register()
    payables.register(
        services.DEPOSIT_PAYABLE,
        is_payable=services.deposit_is_payable,
        on_paid=services.deposit_mark_paid,
        on_refunded=services.deposit_refund_succeeded,
        on_expired=services.deposit_payment_expired,
        return_url=preorder_return_url,
    )
    payables.register(
        services.BALANCE_PAYABLE,
        is_payable=services.balance_is_payable,
        on_paid=services.balance_mark_paid,
        on_refunded=services.balance_refund_succeeded,
        on_expired=services.balance_payment_expired,
        return_url=preorder_return_url,
    )
