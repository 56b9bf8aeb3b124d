"""Commission arithmetic, checked over all amounts and rates."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from designmall.core.money import MAX_FEN
from designmall.ledger.rules import commission_back, split_commission

amounts = st.integers(min_value=1, max_value=MAX_FEN)
rates = st.integers(min_value=0, max_value=10_000)


@given(amounts, rates)
def test_seller_share_and_commission_add_up_to_the_amount(amount, bp):
    seller, commission = split_commission(amount, bp)

    assert seller + commission == amount
    assert 0 <= commission <= amount


@given(amounts, rates)
def test_commission_is_the_rate_rounded_half_up(amount, bp):
    _seller, commission = split_commission(amount, bp)

    # Half up: commission - amount*bp/10000 lies in (-1/2, 1/2].
    assert -5_000 < commission * 10_000 - amount * bp <= 5_000


@given(
    st.integers(min_value=1, max_value=10**9),
    rates,
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=8),
)
def test_partial_refunds_return_exactly_the_commission_share_of_the_total(released, bp, parts):
    _seller, commission = split_commission(released, bp)
    parts = [p for p in parts if p <= released]
    refunded, returned = 0, 0
    for part in parts:
        if refunded + part > released:
            break
        returned += commission_back(
            commission_fen=commission,
            released_fen=released,
            refunded_before_fen=refunded,
            refund_fen=part,
        )
        refunded += part

    assert 0 <= returned <= commission
    assert -released < returned * 2 * released - commission * refunded * 2 <= released


def test_a_full_refund_returns_all_of_the_commission():
    assert (
        commission_back(
            commission_fen=80, released_fen=1_000, refunded_before_fen=0, refund_fen=1_000
        )
        == 80
    )


def test_refunds_beyond_the_released_amount_are_refused():
    with pytest.raises(ValueError):
        commission_back(
            commission_fen=80, released_fen=1_000, refunded_before_fen=900, refund_fen=101
        )
