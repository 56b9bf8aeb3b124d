"""What payments pay for: each selling domain registers its payable types here.

A payment names its payable by ``payable_type`` and ``payable_id`` (for an
order checkout: ``"checkout"`` and the checkout's public id, so one payment
covers every order of that checkout). Payments never import the domains; they
call the handlers registered here, in the domain's ``AppConfig.ready()``::

    payables.register(
        "checkout",
        is_payable=checkout_is_payable,   # (payment) -> bool
        on_paid=checkout_paid,            # (payment)
        on_refunded=checkout_refunded,    # (refund)
        on_expired=checkout_expired,      # (payment)
        return_url=checkout_url,          # optional: (payment) -> str, for the buyer
    )

The contract:

- ``is_payable`` and ``on_paid`` run in the crediting transaction, after the
  payment row is locked (lock order: payment, then the payable's rows): lock
  what you check. If ``is_payable`` says no (the holds expired, the order was
  cancelled), the payment is recorded as paid and refunded in full by payments
  itself, ledger included; ``on_paid`` is not called. If ``on_paid`` raises,
  nothing is credited and the gateway retries the notification.
- ``on_refunded`` is called once, in the transaction that records the success
  of a refund the domain asked for (``refund_create``); the domain posts its own
  ledger entries then (it knows whether the money was already released to a
  seller). Automatic refunds are payments' own and are not announced.
- ``on_expired`` is called once, in the transaction that closes an unpaid
  payment whose time ran out (``payment_close``).
- Handlers never call the network; they may raise ``DomainError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from designmall.payments.models import Payment, Refund


@dataclass(frozen=True)
class Payable:
    payable_type: str
    is_payable: Callable[[Payment], bool]
    on_paid: Callable[[Payment], object]
    on_refunded: Callable[[Refund], object]
    on_expired: Callable[[Payment], object]
    return_url: Callable[[Payment], str] | None = None


REGISTRY: dict[str, Payable] = {}


def register(
    payable_type: str,
    *,
    is_payable: Callable[[Payment], bool],
    on_paid: Callable[[Payment], object],
    on_refunded: Callable[[Refund], object],
    on_expired: Callable[[Payment], object],
    return_url: Callable[[Payment], str] | None = None,
) -> Payable:
    if not payable_type or len(payable_type) > 40:
        raise ValueError(f"payable type must be 1-40 characters: {payable_type!r}")
    payable = Payable(payable_type, is_payable, on_paid, on_refunded, on_expired, return_url)
    REGISTRY[payable_type] = payable
    return payable


def payable_for(payable_type: str) -> Payable:
    try:
        return REGISTRY[payable_type]
    except KeyError:
        raise LookupError(f"no payable type {payable_type!r} is registered") from None
