"""The passport's sweeper: a ticket that entered gets its holder's stamp for the event even
when the call check-in makes after its commit was lost (a crash between the two). Each
step is idempotent (one stamp per event per visitor), so two workers change nothing."""

from __future__ import annotations

from datetime import timedelta

from designmall.core import clock
from designmall.core.tasks import periodic, sweep
from designmall.o2o.passport import checkin_stamp, checkin_stamps_missing

LOOK_BACK = timedelta(days=2)


@periodic(every=timedelta(minutes=5), name="o2o.passport_checkin_stamps")
def passport_checkin_stamps() -> int:
    """Stamp the passports of recent entries that have no stamp for their event."""
    return sweep(
        checkin_stamps_missing(since=clock.now() - LOOK_BACK), checkin_stamp, "stamping entry"
    )
