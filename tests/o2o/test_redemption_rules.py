"""The pure 核销 rules, against a brute-force model: a redemption takes at most what is
left of each item, units are taken from the items in order, serials and the window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from designmall.o2o import redemption_rules as rules

LEFT = st.dictionaries(st.integers(1, 6), st.integers(0, 5), min_size=1, max_size=5)


@given(LEFT, st.integers(-2, 40))
def test_allocate_takes_exactly_the_units_in_item_order_or_nothing(left, units):
    taken = rules.allocate(left, units)
    if units < 1 or units > sum(left.values()):
        assert taken is None
        return
    assert sum(taken.values()) == units
    assert all(0 < n <= left[item] for item, n in taken.items())
    # In order: every item before the last one taken from is taken in full.
    order = list(left)
    last = max(order.index(item) for item in taken)
    assert all(taken.get(item, 0) == left[item] for item in order[:last])


@given(LEFT, st.dictionaries(st.integers(0, 8), st.integers(-1, 8), max_size=5))
def test_a_request_is_refused_exactly_when_the_brute_force_model_says_so(left, wanted):
    def model() -> str | None:
        if not wanted:
            return "nothing_to_redeem"
        if any(n < 1 for n in wanted.values()):
            return "invalid_quantity"
        if any(item not in left for item in wanted):
            return "unknown_item"
        if any(n > left[item] for item, n in wanted.items()):
            return "over_redemption"
        return None

    assert rules.problem(left, wanted) == model()


def test_serials_are_8_to_64_safe_characters():
    assert rules.serial_clean("  POS-1:2024.0001 ") == "POS-1:2024.0001"
    for bad in ("short", "-starts-with-dash", "has space 123", "x" * 65, None, 12345678):
        assert rules.serial_clean(bad) == ""


def test_the_reversal_window_excludes_its_end():
    at = datetime(2026, 12, 5, 12, 0)
    window = timedelta(minutes=30)
    assert rules.reversal_open(
        redeemed_at=at, now=at + timedelta(minutes=29, seconds=59), window=window
    )
    assert not rules.reversal_open(redeemed_at=at, now=at + window, window=window)
    assert rules.settle_due(last_redeemed_at=at, now=at + window, window=window)


def test_pickup_is_possible_on_the_booths_days_until_it_closes():
    hours = {
        "opens_on": date(2026, 12, 1),
        "closes_on": date(2026, 12, 7),
        "opens_at": time(10),
        "closes_at": time(18),
    }
    assert rules.pickup_possible_today(local=datetime(2026, 12, 5, 9, 0), **hours)
    assert not rules.pickup_possible_today(local=datetime(2026, 12, 5, 18, 0), **hours)
    assert not rules.pickup_possible_today(local=datetime(2026, 12, 8, 12, 0), **hours)
