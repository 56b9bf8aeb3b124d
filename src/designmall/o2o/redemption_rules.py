"""核销 rules, pure (no Django): what a redemption may take, serials, the reversal window,
and when a visitor may pick up at a booth.

A redemption asks for units of a redeemable's items: ``{item id: units}``, or a number of
units taken from the items in their order (``allocate``). It may take at most what is left
of each item (quantity less redeemed); asking for more is refused as a whole, never cut
down: the staff hand over what the answer says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

SERIAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$")
DEVICE_MAX = 64
MAX_UNITS = 10_000


def serial_clean(raw: object) -> str:
    """A redemption serial as stored ("" when it cannot be one): 8-64 letters, digits and
    ``_ . : -``, starting with a letter or digit, case kept (devices make their own)."""
    text = raw.strip() if isinstance(raw, str) else ""
    return text if SERIAL_RE.match(text) else ""


def device_clean(raw: object) -> str:
    """A device's name as recorded: printable, one line, at most ``DEVICE_MAX`` long."""
    text = " ".join(str(raw or "").split())
    return "".join(c for c in text if c.isprintable())[:DEVICE_MAX]


def is_units(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_UNITS


def allocate(remaining: Mapping[int, int], units: int) -> dict[int, int] | None:
    """``units`` taken from the items in their order (``remaining``: item -> units left,
    in order); None when fewer than ``units`` are left."""
    if not is_units(units) or sum(remaining.values()) < units:
        return None
    taken: dict[int, int] = {}
    for item, left in remaining.items():
        if units == 0:
            break
        take = min(left, units)
        if take:
            taken[item] = take
            units -= take
    return taken


def problem(remaining: Mapping[int, int], wanted: Mapping[int, int]) -> str | None:
    """Why ``wanted`` (item -> units) cannot be redeemed from ``remaining``, as a code, or
    None: ``nothing_to_redeem`` (asks for nothing), ``invalid_quantity``, ``unknown_item``
    (not this redeemable's), ``over_redemption`` (more than is left of an item)."""
    if not wanted:
        return "nothing_to_redeem"
    if not all(is_units(units) for units in wanted.values()):
        return "invalid_quantity"
    if any(item not in remaining for item in wanted):
        return "unknown_item"
    for item, units in wanted.items():
        if units > remaining[item]:
            return "over_redemption"
    return None


def fully_redeemed(remaining: Mapping[int, int]) -> bool:
    return all(left == 0 for left in remaining.values())


def reversal_open(*, redeemed_at: datetime, now: datetime, window: timedelta) -> bool:
    """A redemption may be reversed until ``window`` after it (the end excluded)."""
    return now < redeemed_at + window


def settle_due(*, last_redeemed_at: datetime, now: datetime, window: timedelta) -> bool:
    """A fully redeemed order is settled once its last redemption can no longer be reversed."""
    return not reversal_open(redeemed_at=last_redeemed_at, now=now, window=window)


def pickup_possible_today(
    *, local: datetime, opens_on: date, closes_on: date, opens_at: time, closes_at: time
) -> bool:
    """Whether a booth with these days and hours can still hand something over today
    (local time): today is one of its days and it has not closed for the day."""
    return opens_on <= local.date() <= closes_on and local.time().replace(tzinfo=None) < closes_at


def came_from_booth_today(*, scan_days: set[date], today: date) -> bool:
    """A visitor came from a booth today when one of their scans of it was today."""
    return today in scan_days
