"""The design week as the home page presents it: its dates, theme and where we are in it.

The dates and theme come from settings (``DESIGN_WEEK_START`` as an ISO date,
``DESIGN_WEEK_DAYS``, ``DESIGN_WEEK_THEME_ZH`` / ``DESIGN_WEEK_THEME_EN``) so
each year's edition is configuration, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

from designmall.core import clock


@dataclass(frozen=True)
class DesignWeek:
    starts_on: date
    ends_on: date
    theme: str
    today: date

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def is_upcoming(self) -> bool:
        return self.today < self.starts_on

    @property
    def is_on(self) -> bool:
        return self.starts_on <= self.today <= self.ends_on

    @property
    def days_until(self) -> int:
        return (self.starts_on - self.today).days

    @property
    def day_number(self) -> int:
        """Which day of the week today is (1-based), while it is on."""
        return (self.today - self.starts_on).days + 1


def design_week() -> DesignWeek:
    starts_on = date.fromisoformat(settings.DESIGN_WEEK_START)
    days = settings.DESIGN_WEEK_DAYS
    if (get_language() or "").startswith("en"):
        theme = settings.DESIGN_WEEK_THEME_EN
    else:
        theme = settings.DESIGN_WEEK_THEME_ZH
    return DesignWeek(
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=days - 1),
        theme=theme,
        today=timezone.localtime(clock.now()).date(),
    )
