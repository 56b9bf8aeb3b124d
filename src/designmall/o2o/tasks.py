"""The show's sweeper, run by ``designmall worker``: every new order gets its attribution
(offline from a booth, or online) stored once. Each step is idempotent and decided at the
order's own time, so a late or repeated run (two workers) changes nothing."""

from __future__ import annotations

from datetime import timedelta

from designmall.core.tasks import periodic, sweep
from designmall.o2o.redemption import redeemable_settle, settle_due_ids
from designmall.o2o.selectors import orders_to_attribute
from designmall.o2o.services import order_attribute
from designmall.orders.models import Order


@periodic(every=timedelta(minutes=1), name="o2o.orders_attribute")
def orders_attribute() -> int:
    """Store where each order not yet attributed came from."""
    return sweep(
        orders_to_attribute(),
        lambda pk: order_attribute(order=Order.objects.select_related("buyer", "shop").get(pk=pk)),
        "attributing order",
    )


@periodic(every=timedelta(minutes=1), name="o2o.booth_pickups_settle")
def booth_pickups_settle() -> int:
    """Settle booth pickups handed over in full once no reversal can undo them."""
    return sweep(
        settle_due_ids(),
        lambda pk: redeemable_settle(redeemable_id=pk),
        "settling booth pickup",
    )


# The passport's and the award's sweepers.
from designmall.o2o import passport_tasks, votes_tasks  # noqa: E402, F401
