"""The show's plain rules, without Django: a booth's opening hours and its texts.

A booth is open on each day from ``opens_on`` to ``closes_on`` (both included), from
``opens_at`` to ``closes_at`` local time (the closing minute excluded). Booth numbers are
kept as the operator types them, upper-cased, spaces removed ("a 12" is "A12"), 1 to 20
characters of letters, digits and ``-``.

Attribution (``last_touch``): an order of a shop is attributed to the latest scan of one
of that shop's booths in the window before it (default 7 days, ``O2O_ATTRIBUTION_DAYS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

BOOTH_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
STORY_MAX_ZH = 500
STORY_MAX_EN = 1000


def booth_number_clean(raw: object) -> str | None:
    """The booth number as stored, or None when it cannot be one."""
    number = "".join(str(raw or "").split()).upper()
    return number if BOOTH_NUMBER_RE.match(number) else None


def hours_valid(*, opens_on: date, closes_on: date, opens_at: time, closes_at: time) -> bool:
    return closes_on >= opens_on and closes_at > opens_at


def booth_open(
    *, local: datetime, opens_on: date, closes_on: date, opens_at: time, closes_at: time
) -> bool:
    """Whether a booth with these hours is open at the local time ``local``."""
    moment = local.time().replace(tzinfo=None)
    return opens_on <= local.date() <= closes_on and opens_at <= moment < closes_at


_CODE_TYPOS = str.maketrans({"o": "0", "i": "1", "l": "1"})


def short_code_clean(raw: object) -> str:
    """A short code as typed (any case, Crockford's look-alikes O, I, L read as 0, 1, 1)."""
    return "".join(str(raw or "").split()).lower().translate(_CODE_TYPOS)[:16]


@dataclass(frozen=True)
class Touch:
    """A scan as attribution sees it."""

    ref: int
    at: datetime
    shop: int  # the scanned booth's shop
    booth: int
    exhibit: int | None


def last_touch(
    touches: Iterable[Touch], *, shop: int, ordered_at: datetime, window: timedelta
) -> Touch | None:
    """The scan an order of ``shop`` placed at ``ordered_at`` is attributed to: the latest
    scan of one of that shop's booths at or before the order and no longer than ``window``
    before it (last touch); None when there is none (an online sale)."""
    found = [t for t in touches if t.shop == shop and ordered_at - window <= t.at <= ordered_at]
    return max(found, key=lambda t: (t.at, t.ref), default=None)
