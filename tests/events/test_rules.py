"""The pure event rules: transitions, the refund rule, booking states, timed-entry slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from designmall.events import rules
from designmall.events.rules import Booking

T = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("pending_payment", "confirmed", True),
        ("pending_payment", "expired", True),
        ("pending_payment", "cancelled", True),
        ("confirmed", "cancelled", True),
        ("confirmed", "expired", False),
        ("cancelled", "confirmed", False),
        ("expired", "confirmed", False),
        ("confirmed", "nonsense", False),
    ],
)
def test_reservations_move_only_along_the_table(current, target, allowed):
    assert rules.can_transition(rules.RESERVATION_TRANSITIONS, current, target) is allowed


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("waiting", "offered", True),
        ("offered", "claimed", True),
        ("offered", "lapsed", True),
        ("waiting", "lapsed", False),
        ("waiting", "claimed", False),
        ("claimed", "offered", False),
        ("lapsed", "offered", False),
    ],
)
def test_waiting_list_entries_move_only_along_the_table(current, target, allowed):
    assert rules.can_transition(rules.WAITLIST_TRANSITIONS, current, target) is allowed


def test_a_visitor_is_refunded_in_full_strictly_before_the_deadline_and_not_after():
    deadline = T
    assert (
        rules.refund_fen(
            paid_fen=8_800, now=T - timedelta(seconds=1), cancel_until=deadline, by_operator=False
        )
        == 8_800
    )
    assert rules.refund_fen(paid_fen=8_800, now=T, cancel_until=deadline, by_operator=False) == 0


def test_an_operator_cancellation_always_refunds_in_full():
    assert (
        rules.refund_fen(
            paid_fen=8_800, now=T + timedelta(days=3), cancel_until=T, by_operator=True
        )
        == 8_800
    )


def test_nothing_is_refunded_of_a_free_reservation():
    assert rules.refund_fen(paid_fen=0, now=T, cancel_until=T, by_operator=True) == 0


@pytest.mark.parametrize(
    ("now", "cancelled", "left", "state"),
    [
        (T - timedelta(days=2), False, 10, Booking.NOT_OPEN),
        (T - timedelta(days=1), False, 10, Booking.OPEN),
        (T - timedelta(hours=1), False, 0, Booking.FULL),
        (T, False, 10, Booking.CLOSED),
        (T - timedelta(hours=1), True, 10, Booking.CANCELLED),
    ],
)
def test_what_a_visitor_can_do_follows_the_window_and_the_seats(now, cancelled, left, state):
    assert (
        rules.booking_state(
            now=now,
            opens_at=T - timedelta(days=1),
            closes_at=T,
            cancelled=cancelled,
            seats_left=left,
        )
        == state
    )


def test_an_exhibition_open_ten_to_six_has_eight_hourly_slots_a_day():
    slots = rules.timed_entry_slots(
        first_day=date(2026, 11, 20),
        days=10,
        opens=time(10),
        closes=time(18),
        slot_minutes=60,
        tz=SHANGHAI,
    )
    assert len(slots) == 80
    first_start, first_end = slots[0]
    assert first_start == datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
    assert first_end - first_start == timedelta(hours=1)
    assert slots[-1][1] == datetime(2026, 11, 29, 18, tzinfo=SHANGHAI)
    assert all(a[1] <= b[0] for a, b in pairwise(slots))


def test_a_slot_that_would_run_past_closing_is_left_out():
    slots = rules.timed_entry_slots(
        first_day=date(2026, 11, 20),
        days=1,
        opens=time(10),
        closes=time(11, 30),
        slot_minutes=60,
        tz=SHANGHAI,
    )
    assert len(slots) == 1


def test_nonsense_opening_hours_are_refused():
    with pytest.raises(ValueError):
        rules.timed_entry_slots(
            first_day=date(2026, 11, 20),
            days=1,
            opens=time(18),
            closes=time(10),
            slot_minutes=60,
            tz=SHANGHAI,
        )
