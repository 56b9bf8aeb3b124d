import pytest
from hypothesis import given
from hypothesis import strategies as st

from designmall.core.money import MAX_FEN, Money


def test_formats_for_people_with_symbol_and_thousands():
    assert Money(129_900).format() == "¥1,299.00"


def test_formats_negative_amounts_with_leading_sign():
    assert Money(-5).format() == "-¥0.05"


def test_yuan_string_for_gateways_has_no_separators():
    assert Money(123_456_789).yuan_str() == "1234567.89"


@pytest.mark.parametrize(
    ("text", "fen"), [("1299", 129_900), ("1299.5", 129_950), ("0.01", 1), ("-3.20", -320)]
)
def test_parses_yuan_strings_exactly(text, fen):
    assert Money.from_yuan(text).fen == fen


@pytest.mark.parametrize("text", ["1.234", "abc", "", "1,299", "1e3", " . "])
def test_refuses_malformed_yuan_strings(text):
    with pytest.raises(ValueError):
        Money.from_yuan(text)


@pytest.mark.parametrize("bad", [1.5, "100", True, None])
def test_refuses_anything_but_int_fen(bad):
    with pytest.raises(TypeError):
        Money(bad)


def test_refuses_amounts_beyond_range():
    with pytest.raises(ValueError):
        Money(MAX_FEN + 1)


def test_floats_cannot_be_multiplied_in():
    with pytest.raises(TypeError):
        Money(100) * 1.1


def test_share_in_basis_points_rounds_half_up():
    assert Money(1_000).share_bp(800) == Money(80)
    assert Money(5).share_bp(1_000) == Money(1)  # 0.5 fen rounds up


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_yuan_string_round_trips(fen):
    assert Money.from_yuan(Money(fen).yuan_str()) == Money(fen)


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9))
def test_adding_and_subtracting_are_inverse(a, b):
    assert (Money(a) + Money(b)) - Money(b) == Money(a)
