"""What ``designmall demo`` says about the design week: which of its days today is, and,
when the demo data was built for a week that is over, that it is and how to rebuild it.

Plain bilingual terminal text, like the rest of the startup banner.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings

from designmall.events.week import DAYS_BEFORE_TODAY, WeekDates

REBUILD_COMMAND = ".venv/bin/designmall seed --reset"
FRESH_COMMAND = "make demo-fresh"  # designmall demo --fresh


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
    day = DAYS_BEFORE_TODAY + 1
    lines = [
        f"演示设计周已于 {ended} 结束：场次都已过去，无法预约和检票。",
        f"The demo design week ended on {ended}: every session is over, nothing can be "
        "reserved or checked in.",
        f"以今天为设计周第 {day} 天重建演示数据 / rebuild the demo data around today "
        f"(today becomes day {day}):",
    ]
    if sqlite_files(settings.DATABASES["default"]):
        lines.append(f"  {FRESH_COMMAND}   从空数据库重新开始 / start again from an empty database")
    lines.append(
        f"  {REBUILD_COMMAND}   保留数据库；已有订单或付款时会拒绝 / keeps the "
        "database; refused once orders or payments exist"
    )
    return "\n".join(lines)


def sqlite_files(database: dict) -> list[Path]:
    """The files of ``database`` when it is an SQLite file (with its write-ahead log),
    which starting the demo afresh deletes; empty for any other database."""
    name = str(database.get("NAME") or "")
    if not database["ENGINE"].endswith("sqlite3") or not name or name.startswith(":memory:"):
        return []
    if name.startswith("file:"):
        return []
    return [Path(name + suffix) for suffix in ("", "-wal", "-shm")]
