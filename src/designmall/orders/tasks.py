"""The orders sweepers, run by ``designmall worker``.

Each is idempotent: every step re-checks its order or checkout under lock, so a
late, repeated or concurrent run changes nothing more, and time comes only from
the clock. A step that fails is logged and skipped (its savepoint rolled back),
so one bad row does not stop the rest.
"""

from __future__ import annotations

from datetime import timedelta

from designmall.core import clock
from designmall.core.tasks import periodic, sweep
from designmall.orders.aftersales import aftersales_auto_accept
from designmall.orders.checkout import idempotency_keys_delete_expired
from designmall.orders.models import AfterSalesRequest, Checkout, Order
from designmall.orders.selectors import (
    aftersales_to_auto_accept,
    checkouts_to_expire,
    orders_to_auto_confirm,
)
from designmall.orders.services import checkout_expire, order_auto_confirm


@periodic(every=timedelta(minutes=1), name="orders.checkouts_expire")
def checkouts_expire() -> int:
    """Expire unpaid checkouts whose stock holds ran out: their payments are closed and
    their stock goes back on sale."""
    return sweep(
        checkouts_to_expire(now=clock.now()),
        lambda pk: checkout_expire(checkout=Checkout.objects.get(pk=pk)),
        "expiring checkout",
    )


@periodic(every=timedelta(minutes=10), name="orders.auto_confirm")
def orders_auto_confirm() -> int:
    """Confirm receipt of orders shipped ``ORDER_AUTO_CONFIRM_DAYS`` ago (and so settle them)."""
    return sweep(
        orders_to_auto_confirm(now=clock.now()),
        lambda pk: order_auto_confirm(order=Order.objects.get(pk=pk)),
        "auto-confirming order",
    )


@periodic(every=timedelta(hours=1), name="orders.idempotency_keys_delete")
def idempotency_keys_delete() -> int:
    """Forget checkout Idempotency-Keys older than ``IDEMPOTENCY_KEY_HOURS``."""
    return idempotency_keys_delete_expired(now=clock.now())


@periodic(every=timedelta(minutes=10), name="orders.aftersales_auto_accept")
def aftersales_auto_accept_due() -> int:
    """Accept after-sales requests their sellers left unanswered
    ``AFTERSALES_SELLER_REPLY_DAYS`` (a refund only is then refunded)."""
    return sweep(
        aftersales_to_auto_accept(now=clock.now()),
        lambda pk: aftersales_auto_accept(request=AfterSalesRequest.objects.get(pk=pk)),
        "auto-accepting after-sales request",
    )
