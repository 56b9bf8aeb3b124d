"""The design week as the home page presents it: its dates, theme and where we are in it.

The dates are ``events.week``'s (``DESIGN_WEEK_START`` and ``DESIGN_WEEK_DAYS``
when set, else the week the demo data was built around); the theme comes from
settings (``DESIGN_WEEK_THEME_ZH`` / ``DESIGN_WEEK_THEME_EN``), so each year's
edition is configuration, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from designmall.core.bilingual import pick
from designmall.events.week import local_today, week_dates


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
    dates = week_dates()
    theme = pick(settings.DESIGN_WEEK_THEME_ZH, settings.DESIGN_WEEK_THEME_EN)
    return DesignWeek(
        starts_on=dates.starts_on,
        ends_on=dates.ends_on,
        theme=theme,
        today=local_today(),
    )
