"""The design week's dates: which days it runs, and which of its days today is.

A real deployment fixes them with ``DESIGN_WEEK_START`` (an ISO date) and
``DESIGN_WEEK_DAYS``. Without ``DESIGN_WEEK_START`` the dates are the stored
``DesignWeek`` row: the demo seed writes it, placing the week around the day the
data is built (``DAYS_BEFORE_TODAY`` days have passed, today is live, the rest
are to come), so the web server, the worker and every later start agree on it.
With neither, the week is placed the same way on first use and stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from designmall.core import clock
from designmall.events.models import DesignWeek

# Where the demo puts today in its week: after two days, so there is a past to look back on.
DAYS_BEFORE_TODAY = 2
_ROW = 1  # the one stored row's primary key


@dataclass(frozen=True)
class WeekDates:
    starts_on: date
    days: int
    configured: bool = False  # fixed by DESIGN_WEEK_START rather than stored

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(days=self.days - 1)

    @property
    def dates(self) -> list[date]:
        return [self.starts_on + timedelta(days=n) for n in range(self.days)]

    def day_number(self, today: date) -> int:
        """Which day of the week ``today`` is, 1-based (0 or less before it, more than
        ``days`` after it)."""
        return (today - self.starts_on).days + 1

    def has_ended(self, today: date) -> bool:
        return today > self.ends_on


def local_today(now: datetime | None = None) -> date:
    """The show's date (in ``TIME_ZONE``) at ``now`` (the clock's by default)."""
    return timezone.localtime(now or clock.now()).date()


def _configured() -> WeekDates | None:
    start = (settings.DESIGN_WEEK_START or "").strip()
    if not start:
        return None
    return WeekDates(date.fromisoformat(start), settings.DESIGN_WEEK_DAYS, configured=True)


def week_stored() -> WeekDates | None:
    row = DesignWeek.objects.filter(pk=_ROW).first()
    return WeekDates(row.starts_on, row.days) if row else None


def week_dates() -> WeekDates:
    """The design week's dates: configured, else stored, else placed around today now."""
    configured = _configured()
    if configured is not None:
        return configured
    stored = week_stored()
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            return week_place()
    except IntegrityError:  # another process placed it first
        return week_stored() or week_dates()


def week_place(*, now: datetime | None = None, days: int | None = None) -> WeekDates:
    """Store the week so that the day of ``now`` (the clock's by default) is its day
    ``DAYS_BEFORE_TODAY + 1``; ``days`` long (``DESIGN_WEEK_DAYS`` by default). Replaces
    any stored week. ``DESIGN_WEEK_START``, when set, still wins in ``week_dates``."""
    now = now or clock.now()
    days = days or settings.DESIGN_WEEK_DAYS
    starts_on = local_today(now) - timedelta(days=min(DAYS_BEFORE_TODAY, days - 1))
    DesignWeek.objects.update_or_create(
        pk=_ROW, defaults={"starts_on": starts_on, "days": days, "placed_at": now}
    )
    return WeekDates(starts_on, days)
