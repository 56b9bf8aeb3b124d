"""The coupon sweeper, run by ``designmall worker``.

Expiry is already derived from ``valid_until`` and the clock wherever a coupon is read;
the sweep only makes it permanent, with one conditional update, so a late, repeated or
concurrent run (two workers) changes nothing more.
"""

from __future__ import annotations

from datetime import timedelta

from designmall.core import clock
from designmall.core.tasks import periodic, sweep
from designmall.promotions.deals import deal_reconcile, deal_settle, deals_running, deals_to_settle
from designmall.promotions.models import Deal
from designmall.promotions.services import coupons_expire


@periodic(every=timedelta(minutes=10), name="promotions.coupons_expire")
def coupons_expire_task() -> int:
    return coupons_expire()


@periodic(every=timedelta(minutes=1), name="promotions.deals_settle")
def deals_settle_task() -> int:
    """Ended or cancelled deals: the units no buyer holds go back to stock, once."""
    return sweep(
        deals_to_settle(now=clock.now()),
        lambda pk: deal_settle(deal=Deal.objects.get(pk=pk)),
        "settling deal",
    )


@periodic(every=timedelta(minutes=1), name="promotions.deals_reconcile")
def deals_reconcile_task() -> int:
    """Running deals: Redis compared with the database (rebuilt when empty)."""
    return sweep(
        deals_running(now=clock.now()),
        lambda pk: deal_reconcile(deal=Deal.objects.get(pk=pk)),
        "reconciling deal",
    )
