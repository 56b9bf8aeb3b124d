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
from designmall.presale.selectors import (
    cancelled_campaigns_with_open_preorders,
    preorders_late_to_flag,
    preorders_to_default,
    preorders_to_expire,
    preorders_to_notify,
)
from designmall.presale.services import (
    campaign_cancelled_sweep,
    preorder_balance_notify,
    preorder_default,
    preorder_expire,
    preorder_flag_late,
)


@periodic(every=timedelta(minutes=1), name="presale.deposit_holds_expire")
def deposit_holds_expire() -> int:
    """Pre-orders whose deposit was not paid in time expire; their units go back."""
    return sweep(
        preorders_to_expire(now=clock.now()),
        lambda pk: preorder_expire(preorder=Preorder.objects.get(pk=pk)),
        "expiring pre-order",
    )


@periodic(every=timedelta(minutes=1), name="presale.balance_notices")
def balance_notices() -> int:
    """Buyers with a paid deposit are told, once, that their balance window is open."""
    return sweep(
        preorders_to_notify(now=clock.now()),
        lambda pk: preorder_balance_notify(preorder=Preorder(pk=pk)),
        "telling the buyer of pre-order",
    )


@periodic(every=timedelta(minutes=1), name="presale.balance_defaults")
def balance_defaults() -> int:
    """Pre-orders whose balance was not paid by the window's end close: a 定金 is forfeited,
    an advance payment refunded, the unit back to the campaign or released."""
    return sweep(
        preorders_to_default(now=clock.now()),
        lambda pk: preorder_default(preorder=Preorder(pk=pk)),
        "closing defaulted pre-order",
    )


@periodic(every=timedelta(minutes=5), name="presale.cancelled_campaigns")
def cancelled_campaigns() -> int:
    """Pre-orders of cancelled campaigns that raced the cancellation are cancelled too."""
    return sweep(
        cancelled_campaigns_with_open_preorders(),
        lambda pk: campaign_cancelled_sweep(campaign_id=pk),
        "cancelling what is left of campaign",
    )


@periodic(every=timedelta(minutes=10), name="presale.ship_late")
def ship_late() -> int:
    """Fully paid pre-orders still not shipped after their promised date are flagged to the
    seller and the operators; the buyer is told they may cancel with a full refund."""
    return sweep(
        preorders_late_to_flag(now=clock.now()),
        lambda pk: preorder_flag_late(preorder=Preorder(pk=pk)),
        "flagging late pre-order",
    )
