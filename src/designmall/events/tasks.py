"""The events sweepers and the notification job, run by ``designmall worker``.

Each sweeper step is a conditional transition that re-checks its row under lock
and the clock, so a late, repeated or concurrent run (two workers) changes
nothing more. A step that fails is logged and skipped, so one bad row does not
stop the rest.
"""

from __future__ import annotations

from datetime import timedelta

from designmall.core import clock
from designmall.core.jobs import job_handler
from designmall.core.tasks import periodic, sweep
from designmall.events.models import Reservation, Session, WaitlistEntry
from designmall.events.selectors import (
    offers_to_lapse,
    reservations_to_expire,
    reservations_to_release,
    sessions_cancel_unfinished,
)
from designmall.events.services import (
    NOTIFY_JOB,
    notifications_write,
    reservation_expire,
    reservation_revenue_release,
    session_cancel_finish,
    waitlist_offer_lapse,
)


@periodic(every=timedelta(minutes=1), name="events.holds_expire")
def holds_expire() -> int:
    """Expire unpaid reservations whose hold ran out: their payments are closed and their
    seats go to the waiting list first."""
    return sweep(
        reservations_to_expire(now=clock.now()),
        lambda pk: reservation_expire(reservation=Reservation.objects.get(pk=pk)),
        "expiring reservation",
    )


@periodic(every=timedelta(minutes=1), name="events.offers_lapse")
def offers_lapse() -> int:
    """Lapse waiting-list offers that ran out unclaimed; their seats go to the next in line."""
    return sweep(
        offers_to_lapse(now=clock.now()),
        lambda pk: waitlist_offer_lapse(entry=WaitlistEntry.objects.get(pk=pk)),
        "lapsing offer",
    )


@periodic(every=timedelta(minutes=5), name="events.cancellations_finish")
def cancellations_finish() -> int:
    """Finish cancelling sessions whose cancellation was interrupted."""
    return sweep(
        sessions_cancel_unfinished(),
        lambda pk: session_cancel_finish(session=Session.objects.get(pk=pk)),
        "finishing the cancellation of session",
    )


@periodic(every=timedelta(minutes=10), name="events.revenue_release")
def revenue_release() -> int:
    """Recognise the ticket money of sessions that are over as revenue."""
    return sweep(
        reservations_to_release(now=clock.now()),
        lambda pk: reservation_revenue_release(reservation=Reservation.objects.get(pk=pk)),
        "releasing the revenue of reservation",
    )


@job_handler(NOTIFY_JOB, max_attempts=8)
def notify_job(payload: dict) -> None:
    notifications_write(payload)
