"""The coupon sweeper, run by ``designmall worker``.

Expiry is already derived from ``valid_until`` and the clock wherever a coupon is read;
the sweep only makes it permanent, with one conditional update, so a late, repeated or
concurrent run (two workers) changes nothing more.
"""

from __future__ import annotations

from datetime import timedelta

from designmall.core.tasks import periodic
from designmall.promotions.services import coupons_expire


@periodic(every=timedelta(minutes=10), name="promotions.coupons_expire")
def coupons_expire_task() -> int:
    return coupons_expire()
