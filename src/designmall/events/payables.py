"""A reservation as a payable: the handlers payments calls, registered in
``EventsConfig.ready()`` as the payable type ``"reservation"`` (the payment's
``payable_id`` is the reservation's public id).

Payments calls them in its own transactions, after locking the payment (see
``payments.payables``); each locks the reservation next, as every events path does:

- ``is_payable``: still pending, its hold not run out by the clock (so a late
  sweeper changes nothing) and its session not cancelled; if not, payments refunds
  the money in full itself;
- ``on_paid``: the held seats are confirmed and the tickets issued;
- ``on_expired``: the payment closed unpaid, the reservation expires and its seats
  go to the waiting list first;
- ``on_refunded``: a refund of the reservation went through (ledger entries);
- ``return_url``: where the cashier sends the visitor back.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from designmall.events.services import (
    PAYABLE_TYPE,
    reservation_is_payable,
    reservation_mark_paid,
    reservation_payment_expired,
    reservation_refund_succeeded,
)
from designmall.payments import payables
from designmall.payments.models import Payment

# The storefront's page of one reservation, when it has one.
RETURN_VIEW = "storefront:reservation"


def reservation_return_url(payment: Payment) -> str:
    try:
        return reverse(RETURN_VIEW, kwargs={"public_id": payment.payable_id})
    except NoReverseMatch:
        return "/"


def register() -> None:
    payables.register(
        PAYABLE_TYPE,
        is_payable=reservation_is_payable,
        on_paid=reservation_mark_paid,
        on_refunded=reservation_refund_succeeded,
        on_expired=reservation_payment_expired,
        return_url=reservation_return_url,
    )
