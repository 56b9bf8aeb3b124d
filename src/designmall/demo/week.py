"""What ``designmall demo`` says about the design week: which of its days today is, and,
when the demo data was built for a week that is over, that it is and how to rebuild it.

Plain bilingual terminal text, like the rest of the startup banner.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings

from designmall.events.week import DAYS_BEFORE_TODAY, WeekDates

REBUILD_COMMAND = ".venv/bin/designmall seed --reset"


def week_line(week: WeekDates, today: date) -> str:
    """One line: "设计周第 3 天 / day 3 of 10 (12-03 – 12-12)", or before or after it."""
    span = f"{week.starts_on:%Y-%m-%d} – {week.ends_on:%Y-%m-%d}"
    day = week.day_number(today)
    if day < 1:
        return f"设计周 {1 - day} 天后开幕 / the design week opens in {1 - day} day(s) ({span})"
    if day > week.days:
        return f"设计周已结束 / the design week is over ({span})"
    return f"设计周第 {day} 天 / day {day} of {week.days} ({span})"


def week_over_notice(week: WeekDates, today: date) -> str | None:
    """What to tell someone starting the demo after its week ended; ``None`` while it is
    on or to come."""
    if not week.has_ended(today):
        return None
    ended = f"{week.ends_on:%Y-%m-%d}"
    if week.configured:
        return (
            f"设计周已于 {ended} 结束（日期由 DESIGN_WEEK_START={week.starts_on} 固定）。\n"
            f"The design week ended on {ended} (DESIGN_WEEK_START={week.starts_on} fixes its "
            "dates): unset DESIGN_WEEK_START to have the demo week placed around today, "
            f"then rebuild the demo data: {REBUILD_COMMAND}"
        )
    lines = [
        f"演示设计周已于 {ended} 结束：场次都已过去，无法预约和检票。",
        f"  重建演示数据，让设计周从今天起第 {DAYS_BEFORE_TODAY + 1} 天进行：{REBUILD_COMMAND}",
        f"The demo design week ended on {ended}: every session is over, nothing can be "
        "reserved or checked in.",
        f"  Rebuild the demo data around today (today becomes day {DAYS_BEFORE_TODAY + 1}): "
        f"{REBUILD_COMMAND}, then make demo again.",
    ]
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        lines.append(
            "  若因已有订单而无法清空 / if it refuses because orders point at the catalog, "
            f"start from an empty database: rm {database['NAME']}"
        )
    return "\n".join(lines)
