"""The auction sweepers, run by ``designmall worker``.

Each step re-checks its lot, offer or deposit under lock and against the clock, so a late,
repeated or concurrent run (two workers) changes nothing more. A step that fails is
logged and skipped (its transaction rolled back), so one bad row does not stop the rest.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from designmall.auctions import simulation
from designmall.auctions.deposits import deposit_settle
from designmall.auctions.models import Deposit, Lot, SecondChanceOffer
from designmall.auctions.selectors import (
    deposits_to_settle,
    lots_payment_overdue,
    lots_to_finalize,
    offers_to_lapse,
)
from designmall.auctions.settlement import lot_finalize, lot_payment_overdue, second_chance_lapse
from designmall.core import clock
from designmall.core.tasks import periodic, sweep


@periodic(every=timedelta(seconds=15), name="auctions.lots_close")
def lots_close() -> int:
    """Settle lots the clock (or a buy-now) has closed: sold lots await their winner's
    payment, the other bidders' deposits are released."""
    return sweep(
        lots_to_finalize(now=clock.now()),
        lambda pk: lot_finalize(lot=Lot.objects.get(pk=pk)),
        "closing lot",
    )


@periodic(every=timedelta(minutes=1), name="auctions.payments_overdue")
def payments_overdue() -> int:
    """Winners who did not pay in time forfeit their deposit; the runner-up gets a second
    chance, or the lot is unsold."""
    return sweep(
        lots_payment_overdue(now=clock.now()),
        lambda pk: lot_payment_overdue(lot=Lot.objects.get(pk=pk)),
        "defaulting the winner of lot",
    )


@periodic(every=timedelta(minutes=1), name="auctions.offers_lapse")
def offers_lapse() -> int:
    """Second-chance offers that ran out unpaid lapse: the lot is unsold."""
    return sweep(
        offers_to_lapse(now=clock.now()),
        lambda pk: second_chance_lapse(offer=SecondChanceOffer.objects.get(pk=pk)),
        "lapsing second-chance offer",
    )


@periodic(every=timedelta(minutes=2), name="auctions.deposits_settle")
def deposits_settle() -> int:
    """Release held deposits nothing needs any more; make failed releases again."""
    return sweep(
        deposits_to_settle(),
        lambda pk: deposit_settle(deposit=Deposit.objects.get(pk=pk)),
        "settling deposit",
    )


@periodic(every=timedelta(seconds=20), name="auctions.simulated_bidders")
def simulated_bidders() -> int:
    """In the demo only (``DEMO_SIMULATED_BIDDERS``): the demo bidders bid now and then on
    live lots, so a visitor sees the auction move."""
    if not settings.DEMO_SIMULATED_BIDDERS:
        return 0
    return simulation.simulated_bids_place()
