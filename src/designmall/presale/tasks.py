"""The pre-sale sweepers, run by ``designmall worker``.

Each step re-checks its pre-order under lock and against the clock, so a late, repeated
or concurrent run (two workers) changes nothing more. A step that fails is logged and
skipped (its transaction rolled back), so one bad row does not stop the rest.
"""

from __future__ import annotations

from datetime import timedelta

from designmall.core import clock
from designmall.core.tasks import periodic, sweep
from designmall.presale.models import Preorder
from designmall.presale.selectors import preorders_to_expire
from designmall.presale.services import preorder_expire


@periodic(every=timedelta(minutes=1), name="presale.deposit_holds_expire")
def deposit_holds_expire() -> int:
    """Pre-orders whose deposit was not paid in time expire; their units go back."""
    return sweep(
        preorders_to_expire(now=clock.now()),
        lambda pk: preorder_expire(preorder=Preorder.objects.get(pk=pk)),
        "expiring pre-order",
    )
