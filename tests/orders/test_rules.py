"""The pure order rules: the state machine table, shipping fees, limits, pickup codes."""

from __future__ import annotations

import itertools

import pytest

from designmall.orders import rules
from designmall.orders.rules import Delivery, Status

S = Status
BOTH = {Delivery.ADDRESS, Delivery.PICKUP}
ADDRESS_ONLY = {Delivery.ADDRESS}
PICKUP_ONLY = {Delivery.PICKUP}

# Written out edge by edge, independently of rules.TRANSITIONS: every allowed move,
# with the deliveries it is allowed for. Everything else must be refused.
ALLOWED = {
    (S.PENDING_PAYMENT, S.PAID): BOTH,
    (S.PENDING_PAYMENT, S.CANCELLED): BOTH,
    (S.PENDING_PAYMENT, S.EXPIRED): BOTH,
    (S.PAID, S.SHIPPED): ADDRESS_ONLY,
    (S.SHIPPED, S.RECEIVED): ADDRESS_ONLY,
    (S.RECEIVED, S.COMPLETED): ADDRESS_ONLY,
    (S.PAID, S.READY_FOR_PICKUP): PICKUP_ONLY,
    (S.READY_FOR_PICKUP, S.PICKED_UP): PICKUP_ONLY,
    (S.PICKED_UP, S.COMPLETED): PICKUP_ONLY,
    (S.PICKED_UP, S.READY_FOR_PICKUP): PICKUP_ONLY,
    (S.PAID, S.REFUNDED): BOTH,
    (S.SHIPPED, S.REFUNDED): ADDRESS_ONLY,
    (S.RECEIVED, S.REFUNDED): ADDRESS_ONLY,
    (S.READY_FOR_PICKUP, S.REFUNDED): PICKUP_ONLY,
    (S.PICKED_UP, S.REFUNDED): PICKUP_ONLY,
    (S.COMPLETED, S.REFUNDED): BOTH,
}


@pytest.mark.parametrize(
    ("current", "target", "delivery"), list(itertools.product(Status, Status, Delivery))
)
def test_the_transition_table_allows_exactly_the_listed_moves(current, target, delivery):
    expected = delivery in ALLOWED.get((current, target), set())
    assert rules.can_transition(current, target, delivery=delivery) is expected


def test_cancelled_expired_and_refunded_orders_are_final():
    assert {S.CANCELLED, S.EXPIRED, S.REFUNDED} == rules.FINAL_STATES


@pytest.mark.parametrize(("current", "target"), [("paid", "nonsense"), ("nonsense", "paid")])
def test_unknown_states_never_transition(current, target):
    assert not rules.can_transition(current, target, delivery="address")


def test_an_unknown_delivery_never_transitions():
    assert not rules.can_transition("pending_payment", "paid", delivery="drone")


@pytest.mark.parametrize(
    ("delivery", "items_fen", "fee"),
    [
        ("address", 100, 1_500),
        ("address", 29_899, 1_500),
        ("address", 29_900, 0),
        ("address", 1_000_000, 0),
        ("pickup", 100, 0),
    ],
)
def test_shipping_is_charged_per_shop_order_below_the_free_shipping_line(delivery, items_fen, fee):
    assert (
        rules.shipping_fee_fen(
            delivery=delivery, items_fen=items_fen, fee_fen=1_500, free_from_fen=29_900
        )
        == fee
    )


LIMITS = {"max_per_sku": 20, "max_lines": 3, "max_total": 30}


@pytest.mark.parametrize(
    ("quantities", "code"),
    [
        ({"a": 20, "b": 10}, None),
        ({"a": 21}, "quantity_over_limit"),
        ({"a": 1, "b": 1, "c": 1, "d": 1}, "too_many_lines"),
        ({"a": 20, "b": 11}, "order_quantity_over_limit"),
    ],
)
def test_quantity_limits(quantities, code):
    problem = rules.limits_problem(quantities, **LIMITS)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize("value", [0, -1, 1.0, "1", True, None])
def test_only_whole_positive_numbers_are_quantities(value):
    assert not rules.is_quantity(value)


def test_refundable_is_the_total_less_what_is_committed():
    assert rules.refundable_fen(total_fen=10_000, committed_fen=2_500) == 7_500
    assert rules.refundable_fen(total_fen=10_000, committed_fen=10_000) == 0


def test_pickup_codes_are_random_and_readable():
    codes = {rules.new_pickup_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(rules.normalize_pickup_code(code) == code for code in codes)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("abcd-efgh", "ABCDEFGH"),
        (" AB CD EF GH ", "ABCDEFGH"),
        ("oi1L-2345", "0111" + "2345"),
        ("ABCDEFG", ""),
        ("ABCDEFGHJ", ""),
        ("ABCD#FGH", ""),
        (None, ""),
    ],
)
def test_typed_pickup_codes_are_forgiving_about_case_dashes_and_lookalikes(typed, stored):
    assert rules.normalize_pickup_code(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("sf 1234 5678 9012", "SF123456789012"), ("1234567", ""), ("ABC_12345678", "ABC12345678")],
)
def test_tracking_numbers(typed, stored):
    assert rules.normalize_tracking_number(typed) == stored
