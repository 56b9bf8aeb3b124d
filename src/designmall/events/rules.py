"""Event rules. Pure: no Django, no database.

A reservation moves only along the edges of ``TRANSITIONS``::

    pending_payment -> confirmed      (paid; free sessions start confirmed)
    pending_payment -> expired        (its hold or its payment ran out)
    pending_payment -> cancelled      (the visitor, or the session was cancelled)
    confirmed       -> cancelled      (the visitor, or the session was cancelled)

A waiting-list entry::

    waiting -> offered -> claimed     (seats were held for it, then taken)
    waiting | offered  -> left        (the visitor left, or declined the offer)
    offered            -> lapsed      (the offer ran out unclaimed)
    waiting | offered  -> cancelled   (the session was cancelled)

Also here: the refund rule, what a visitor can do with a session now
(``booking_state``), and the hourly slots of an exhibition's timed entry.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum


class Reservation(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Waitlist(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CLAIMED = "claimed"
    LEFT = "left"
    LAPSED = "lapsed"
    CANCELLED = "cancelled"


R, W = Reservation, Waitlist
RESERVATION_TRANSITIONS: dict[Reservation, frozenset[Reservation]] = {
    R.PENDING_PAYMENT: frozenset({R.CONFIRMED, R.EXPIRED, R.CANCELLED}),
    R.CONFIRMED: frozenset({R.CANCELLED}),
    R.CANCELLED: frozenset(),
    R.EXPIRED: frozenset(),
}
WAITLIST_TRANSITIONS: dict[Waitlist, frozenset[Waitlist]] = {
    W.WAITING: frozenset({W.OFFERED, W.LEFT, W.CANCELLED}),
    W.OFFERED: frozenset({W.CLAIMED, W.LEFT, W.LAPSED, W.CANCELLED}),
    W.CLAIMED: frozenset(),
    W.LEFT: frozenset(),
    W.LAPSED: frozenset(),
    W.CANCELLED: frozenset(),
}
# Reservations that take seats (held while pending, confirmed once confirmed).
ACTIVE_RESERVATIONS = frozenset({R.PENDING_PAYMENT, R.CONFIRMED})
# Entries still in the queue: one per visitor and session.
OPEN_WAITLIST = frozenset({W.WAITING, W.OFFERED})


def can_transition(table: dict, current: str, target: str) -> bool:
    """Whether ``table`` (one of the two above) has the edge ``current`` -> ``target``."""
    for status in table:
        if status == current:
            return target in table[status]
    return False


# --- seats and refunds --------------------------------------------------------------------


def is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def seats_left(*, capacity: int, confirmed: int, held: int) -> int:
    return max(capacity - confirmed - held, 0)


def refund_fen(*, paid_fen: int, now: datetime, cancel_until: datetime, by_operator: bool) -> int:
    """What a cancelled reservation gets back of the ``paid_fen`` it paid.

    An operator's cancellation (the session is called off) always refunds in full; a
    visitor's refunds in full strictly before the session's ``cancel_until`` and
    nothing from then on.
    """
    if paid_fen <= 0:
        return 0
    if by_operator or now < cancel_until:
        return paid_fen
    return 0


class Booking(StrEnum):
    """What a visitor can do with a session at a moment."""

    NOT_OPEN = "not_open"  # reservations open later
    OPEN = "open"  # seats can be reserved
    FULL = "full"  # no seat left: the waiting list is open
    CLOSED = "closed"  # reservations have closed
    CANCELLED = "cancelled"  # the session (or its event) was called off


def booking_state(
    *,
    now: datetime,
    opens_at: datetime,
    closes_at: datetime,
    cancelled: bool,
    seats_left: int,
) -> Booking:
    if cancelled:
        return Booking.CANCELLED
    if now < opens_at:
        return Booking.NOT_OPEN
    if now >= closes_at:
        return Booking.CLOSED
    return Booking.OPEN if seats_left > 0 else Booking.FULL


# --- timed entry --------------------------------------------------------------------------


def timed_entry_slots(
    *,
    first_day: date,
    days: int,
    opens: time,
    closes: time,
    slot_minutes: int,
    tz: tzinfo,
) -> list[tuple[datetime, datetime]]:
    """The entry slots of an exhibition: ``slot_minutes`` long, back to back from ``opens``
    to ``closes`` (local wall time in ``tz``) on each of ``days`` days from ``first_day``.

    A last slot that would end after ``closes`` is left out.
    """
    if days < 1 or slot_minutes < 1:
        raise ValueError("days and slot minutes must be positive")
    if closes <= opens:
        raise ValueError("closing time must be after opening time")
    step = timedelta(minutes=slot_minutes)
    slots = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        start = datetime.combine(day, opens)
        end_of_day = datetime.combine(day, closes)
        while start + step <= end_of_day:
            slots.append((_aware(start, tz), _aware(start + step, tz)))
            start += step
    return slots


def _aware(naive: datetime, tz: tzinfo) -> datetime:
    localize = getattr(tz, "localize", None)  # pytz zones need it; zoneinfo does not
    return localize(naive) if localize else naive.replace(tzinfo=tz)
