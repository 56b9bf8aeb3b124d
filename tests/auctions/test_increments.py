"""Increment tables: bands, the grid, rounding, validation and storage."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designmall.auctions.increments import (
    DEFAULT,
    Band,
    BandStartsNotIncreasing,
    BandValueInvalid,
    BelowStartPrice,
    FirstBandNotAtZero,
    IncrementTable,
    IncrementTableEmpty,
    IncrementTableError,
    StepNotPositive,
)


def yuan(amount: int) -> int:
    return amount * 100


# -- the default table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price_yuan", "increment_yuan"),
    [
        (0, 50),
        (999, 50),
        (1_000, 100),
        (4_999, 100),
        (5_000, 500),
        (19_999, 500),
        (20_000, 1_000),
        (99_999, 1_000),
        (100_000, 5_000),
        (10_000_000, 5_000),
    ],
)
def test_the_default_table_has_the_design_week_bands(price_yuan, increment_yuan):
    assert DEFAULT.increment_at(yuan(price_yuan)) == yuan(increment_yuan)


def test_a_band_starts_at_its_lower_bound_inclusive():
    assert DEFAULT.increment_at(yuan(1_000) - 1) == yuan(50)
    assert DEFAULT.increment_at(yuan(1_000)) == yuan(100)


def test_the_next_valid_bid_is_the_price_plus_one_increment_on_an_aligned_table():
    assert DEFAULT.next_valid(yuan(100), yuan(100)) == yuan(150)
    assert DEFAULT.next_valid(yuan(950), yuan(100)) == yuan(1_000)
    assert DEFAULT.next_valid(yuan(1_000), yuan(100)) == yuan(1_100)
    assert DEFAULT.next_valid(yuan(4_900), yuan(100)) == yuan(5_000)
    assert DEFAULT.next_valid(yuan(5_000), yuan(100)) == yuan(5_500)


# -- the grid ---------------------------------------------------------------------------


def test_with_a_round_start_the_grid_is_multiples_of_the_band_step():
    start = yuan(100)

    assert DEFAULT.is_on_grid(yuan(150), start)
    assert not DEFAULT.is_on_grid(yuan(175), start)
    assert DEFAULT.is_on_grid(yuan(1_100), start)
    assert not DEFAULT.is_on_grid(yuan(1_050), start)
    assert DEFAULT.is_on_grid(yuan(25_000), start)
    assert not DEFAULT.is_on_grid(yuan(25_500), start)


def test_nothing_below_the_start_price_is_on_the_grid():
    assert not DEFAULT.is_on_grid(yuan(50), yuan(100))
    assert DEFAULT.is_on_grid(yuan(100), yuan(100))


def test_in_the_start_band_the_grid_counts_from_an_odd_start_price():
    start = yuan(1_234)

    assert DEFAULT.is_on_grid(yuan(1_234), start)
    assert DEFAULT.is_on_grid(yuan(1_334), start)
    assert DEFAULT.is_on_grid(yuan(4_934), start)
    assert not DEFAULT.is_on_grid(yuan(1_300), start)
    assert not DEFAULT.is_on_grid(yuan(1_400), start)


def test_above_the_start_band_the_grid_counts_from_the_band_start_again():
    start = yuan(1_234)

    assert DEFAULT.is_on_grid(yuan(5_000), start)
    assert DEFAULT.is_on_grid(yuan(5_500), start)
    assert not DEFAULT.is_on_grid(yuan(5_034), start)


def test_crossing_into_the_next_band_from_an_odd_start_rounds_up_to_that_band_grid():
    # 4,934 + 100 = 5,034 is off the 500-yuan grid of the next band: the next bid is 5,500.
    assert DEFAULT.next_valid(yuan(4_934), yuan(1_234)) == yuan(5_500)


def test_a_band_start_off_the_lower_grid_is_still_at_least_one_increment_away():
    table = IncrementTable.from_bands([(0, 50), (1_030, 100)])

    assert table.next_valid(1_000, 100) == 1_130  # 1,050 rounds up to the 1,030 + k·100 grid
    assert table.next_valid(950, 100) == 1_000
    assert table.round_up_to_grid(1_001, 100) == 1_030  # past 1,000 the band start comes next


def test_the_next_valid_bid_over_an_off_grid_price_rounds_up_to_the_grid():
    # A price raised to a reserve of 1,030 yuan: 1,030 + 100 = 1,130, rounded up to 1,200.
    assert DEFAULT.next_valid(yuan(1_030), yuan(100)) == yuan(1_200)


def test_rounding_down_and_up_to_the_grid():
    start = yuan(100)

    assert DEFAULT.round_down_to_grid(yuan(1_099), start) == yuan(1_000)
    assert DEFAULT.round_down_to_grid(yuan(1_100), start) == yuan(1_100)
    assert DEFAULT.round_up_to_grid(yuan(1_001), start) == yuan(1_100)
    assert DEFAULT.round_up_to_grid(yuan(999), start) == yuan(1_000)
    assert DEFAULT.round_up_to_grid(yuan(20), start) == start
    assert DEFAULT.round_down_to_grid(yuan(1_234 + 60), yuan(1_234)) == yuan(1_234 + 0)


def test_rounding_down_below_the_start_price_is_an_error():
    with pytest.raises(BelowStartPrice):
        DEFAULT.round_down_to_grid(yuan(99), yuan(100))


def test_negative_amounts_are_an_error():
    with pytest.raises(ValueError):
        DEFAULT.increment_at(-1)


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bands", "error", "band"),
    [
        ([], IncrementTableEmpty, None),
        ([(100, 50)], FirstBandNotAtZero, 0),
        ([(0, 50), (1_000, 100), (1_000, 500)], BandStartsNotIncreasing, 2),
        ([(0, 50), (1_000, 100), (900, 500)], BandStartsNotIncreasing, 2),
        ([(0, 0)], StepNotPositive, 0),
        ([(0, 50), (1_000, -100)], StepNotPositive, 1),
        ([(0, 50.0)], BandValueInvalid, 0),
        ([(0, True)], BandValueInvalid, 0),
        ([("0", 50)], BandValueInvalid, 0),
        ([(-1, 50)], BandValueInvalid, 0),
        ([(0, 10**16)], BandValueInvalid, 0),
        ([(0, 50, 1)], BandValueInvalid, 0),
        ([5], BandValueInvalid, 0),
    ],
)
def test_operator_input_is_validated_with_a_specific_error(bands, error, band):
    with pytest.raises(error) as caught:
        IncrementTable.from_bands(bands)

    assert isinstance(caught.value, IncrementTableError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.band == band
    assert caught.value.code.startswith("increment_")
    assert str(caught.value) == caught.value.message


def test_error_messages_say_what_is_wrong():
    with pytest.raises(BandStartsNotIncreasing, match="band 2 starts at 0 fen"):
        IncrementTable.from_bands([(0, 50), (0, 100)])
    with pytest.raises(FirstBandNotAtZero, match="must start at 0"):
        IncrementTable.from_bands([(10, 50)])


def test_a_table_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT.bands = ()  # type: ignore[misc]


def test_tables_compare_and_hash_by_value_so_a_lot_override_is_just_another_table():
    override = IncrementTable.from_bands([(0, 1_000)])
    same = IncrementTable((Band(0, 1_000),))

    assert override == same
    assert hash(override) == hash(same)
    assert override != DEFAULT


# -- storage ----------------------------------------------------------------------------


def test_a_table_round_trips_through_json():
    data = json.loads(json.dumps(DEFAULT.to_data()))

    assert data[0] == {"from_fen": 0, "step_fen": 5_000}
    assert IncrementTable.from_data(data) == DEFAULT


@pytest.mark.parametrize(
    "data",
    [
        {"from_fen": 0, "step_fen": 50},
        [{"from_fen": 0}],
        [{"from_fen": 0, "step_fen": 50, "note": "x"}],
        [[0, 50]],
        None,
    ],
)
def test_malformed_stored_data_is_refused(data):
    with pytest.raises(BandValueInvalid):
        IncrementTable.from_data(data)


def test_stored_data_is_validated_like_operator_input():
    with pytest.raises(StepNotPositive):
        IncrementTable.from_data([{"from_fen": 0, "step_fen": 0}])


# -- against brute force ----------------------------------------------------------------


@st.composite
def tables(draw):
    starts = draw(st.lists(st.integers(1, 400), max_size=3, unique=True))
    bands = [(start, draw(st.integers(1, 60))) for start in [0, *sorted(starts)]]
    return IncrementTable.from_bands(bands)


def brute_grid(table: IncrementTable, start: int, limit: int) -> list[int]:
    """Every grid amount up to ``limit``, by walking each band from its anchor."""
    grid = set()
    bands = table.bands
    for index, band in enumerate(bands):
        end = bands[index + 1].from_fen if index + 1 < len(bands) else limit + 1
        if end <= start:
            continue
        anchor = start if band.from_fen <= start else band.from_fen
        grid.update(range(anchor, min(end, limit + 1), band.step_fen))
    return sorted(grid)


def brute_step(table: IncrementTable, amount: int) -> int:
    return [band.step_fen for band in table.bands if band.from_fen <= amount][-1]


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(1, 300), st.integers(0, 900))
def test_grid_and_rounding_agree_with_an_enumerated_grid(table, start, amount):
    grid = brute_grid(table, start, 2_000)

    assert table.is_on_grid(amount, start) == (amount in grid)
    assert table.round_up_to_grid(amount, start) == min(g for g in grid if g >= amount)
    if amount >= start:
        assert table.round_down_to_grid(amount, start) == max(g for g in grid if g <= amount)
    assert table.increment_at(amount) == brute_step(table, amount)
    assert table.next_valid(amount, start) == min(
        g for g in grid if g >= amount + brute_step(table, amount)
    )


@settings(max_examples=100, deadline=None)
@given(tables())
def test_every_table_round_trips_through_its_stored_form(table):
    assert IncrementTable.from_data(json.loads(json.dumps(table.to_data()))) == table
