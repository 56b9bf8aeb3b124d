"""The pre-sale rules against a deliberately naive reference, over random campaigns.

The reference decides each rule the long way: the 20% earnest cap as an exact fraction
and by counting up fen by fen, the balance by taking the credit off the price one fen at
a time, windows by comparing every pair in the order the buyer lives through them, the
ship date by walking the calendar day by day in Beijing time, a refund series by paying
back one fen at a time while anything is left. For random campaigns (valid and broken),
the module's problem codes equal the reference's; for random amounts, its arithmetic
equals the reference's, and the buyer never pays more than the price.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from designmall.presale.rules import (
    MAX_PER_BUYER,
    MAX_QUANTITY,
    MAX_SHIP_DAYS,
    CampaignTerms,
    Kind,
    SkuTerms,
    balance_fen,
    campaign_problems,
    default_outcome,
    earnest_max_fen,
    promised_ship_date,
    refund_cap,
)

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
BEIJING = ZoneInfo("Asia/Shanghai")


# --- the reference ---------------------------------------------------------------------------


def ref_earnest_max(price: int) -> int:
    best = 0
    for deposit in range(price + 1):
        if Fraction(deposit, price) <= Fraction(1, 5):
            best = deposit
    return best


def ref_balance(price: int, credit: int) -> int:
    left = price
    for _ in range(credit):
        left -= 1
    return left


def ref_last_end(terms: CampaignTerms) -> datetime:
    return terms.balance_ends_at if terms.kind == Kind.DEPOSIT else terms.ends_at


def ref_end_date(moment: datetime) -> date:
    day = date(2026, 1, 1)
    while datetime(day.year, day.month, day.day, tzinfo=BEIJING) + timedelta(days=1) <= moment:
        day += timedelta(days=1)
    return day


def ref_codes(terms: CampaignTerms) -> set[str]:
    found: set[str] = set()
    for sku in terms.skus:
        if sku.price_fen < 1:
            found.add("price_invalid")
            continue
        if not 1 <= sku.quantity <= MAX_QUANTITY:
            found.add("quantity_invalid")
        if terms.kind == Kind.FULL:
            if sku.deposit_fen or sku.credit_fen:
                found.add("deposit_not_allowed")
            continue
        if sku.deposit_fen < 1:
            found.add("deposit_invalid")
            continue
        if terms.earnest and Fraction(sku.deposit_fen, sku.price_fen) > Fraction(1, 5):
            found.add("deposit_above_earnest_limit")
        if sku.credit_fen < sku.deposit_fen:
            found.add("credit_below_deposit")
        elif sku.credit_fen > sku.price_fen:
            found.add("credit_above_price")
        elif ref_balance(sku.price_fen, sku.credit_fen) < 1:
            found.add("balance_not_positive")
    if not 1 <= terms.per_buyer_limit <= MAX_PER_BUYER:
        found.add("per_buyer_limit_invalid")
    windows: set[str] = set()
    if not terms.starts_at < terms.ends_at:
        windows.add("window_order")
    if terms.kind == Kind.FULL:
        if terms.balance_starts_at or terms.balance_ends_at:
            windows.add("balance_window_not_allowed")
    elif terms.balance_starts_at is None or terms.balance_ends_at is None:
        windows.add("balance_window_missing")
    else:
        if not terms.balance_starts_at < terms.balance_ends_at:
            windows.add("window_order")
        if terms.balance_starts_at < terms.ends_at:
            windows.add("balance_before_deposit_end")
    found |= windows
    if terms.ship_on is None and terms.ship_days_after_end is None:
        found.add("ship_date_missing")
    elif terms.ship_on is not None and terms.ship_days_after_end is not None:
        found.add("ship_date_ambiguous")
    elif terms.ship_days_after_end is not None:
        if not 1 <= terms.ship_days_after_end <= MAX_SHIP_DAYS:
            found.add("ship_days_invalid")
    elif not windows and terms.ship_on <= ref_end_date(ref_last_end(terms)):
        found.add("ship_before_end")
    return found


# --- random campaigns ------------------------------------------------------------------------


@st.composite
def skus(draw, kind: Kind):
    price = draw(st.integers(-1, 300_000))
    if kind == Kind.FULL and draw(st.booleans()):
        return SkuTerms(price_fen=price, quantity=draw(st.integers(0, 200)))
    deposit = draw(st.integers(0, max(1, price // 3)) | st.just(max(0, price // 5)))
    credit = deposit + draw(st.integers(-2, max(1, price)) | st.just(max(0, price - deposit)))
    return SkuTerms(
        price_fen=price,
        deposit_fen=deposit,
        credit_fen=max(0, credit),
        quantity=draw(st.integers(0, MAX_QUANTITY + 1) | st.integers(1, 50)),
    )


@st.composite
def campaigns(draw):
    kind = draw(st.sampled_from(list(Kind)))
    hours = st.integers(0, 24 * 20)
    starts = T0 + timedelta(hours=draw(hours))
    ends = starts + timedelta(hours=draw(st.integers(-5, 24 * 5)))
    balance_starts = balance_ends = None
    if (kind == Kind.DEPOSIT) != draw(st.integers(0, 9).map(lambda n: n == 0)):
        balance_starts = ends + timedelta(hours=draw(st.integers(-5, 48)))
        balance_ends = balance_starts + timedelta(hours=draw(st.integers(-5, 24 * 5)))
    ship_on = ship_days = None
    choice = draw(st.integers(0, 9))
    if choice in (0, 1, 2, 3, 9):
        ship_on = T0.date() + timedelta(days=draw(st.integers(0, 40)))
    if choice in (4, 5, 6, 7, 9):
        ship_days = draw(st.integers(-1, MAX_SHIP_DAYS + 1))
    return CampaignTerms(
        kind=kind,
        starts_at=starts,
        ends_at=ends,
        balance_starts_at=balance_starts,
        balance_ends_at=balance_ends,
        ship_on=ship_on,
        ship_days_after_end=ship_days,
        per_buyer_limit=draw(st.integers(0, MAX_PER_BUYER + 1)),
        skus=tuple(draw(st.lists(skus(kind), min_size=1, max_size=3))),
        earnest=draw(st.booleans()),
    )


@settings(max_examples=400, deadline=None)
@given(campaigns())
def test_the_problems_found_equal_the_reference(terms):
    assert {p.code for p in campaign_problems(terms)} == ref_codes(terms)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20_000))
def test_the_earnest_limit_equals_counting_up_to_a_fifth_of_the_price(price):
    assert earnest_max_fen(price) == ref_earnest_max(price)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_valid_campaign_never_asks_more_than_the_price_and_always_leaves_a_balance(data):
    price = data.draw(st.integers(2, 50_000))
    deposit = data.draw(st.integers(1, max(1, price // 3)))
    credit = data.draw(st.integers(deposit, price))
    sku = SkuTerms(price_fen=price, deposit_fen=deposit, credit_fen=credit, quantity=1)
    terms = CampaignTerms(
        kind=Kind.DEPOSIT,
        starts_at=T0,
        ends_at=T0 + timedelta(days=1),
        balance_starts_at=T0 + timedelta(days=1),
        balance_ends_at=T0 + timedelta(days=2),
        ship_days_after_end=1,
        skus=(sku,),
    )
    valid = not campaign_problems(terms)
    balance = balance_fen(price_fen=price, credit_fen=credit)
    assert balance == ref_balance(price, credit)
    assert valid == (balance > 0 and Fraction(deposit, price) <= Fraction(1, 5))
    if valid:
        assert 0 < deposit + balance <= price


@settings(max_examples=200, deadline=None)
@given(campaigns())
def test_the_promised_ship_date_walks_the_calendar_from_the_last_window_end(terms):
    if (
        terms.ship_on is None
        and terms.ship_days_after_end is not None
        and (terms.kind == Kind.FULL or terms.balance_ends_at is not None)
    ):
        expected = ref_end_date(ref_last_end(terms)) + timedelta(days=terms.ship_days_after_end)
        assert promised_ship_date(terms) == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1_000_000), st.integers(0, 10_000), st.booleans())
def test_a_default_splits_the_deposit_without_losing_a_fen(deposit, commission_bp, earnest):
    outcome = default_outcome(
        earnest=earnest, deposit_paid_fen=deposit, commission_bp=commission_bp
    )
    assert outcome.forfeit_fen + outcome.refund_fen == deposit
    assert outcome.seller_fen + outcome.commission_fen == outcome.forfeit_fen
    assert outcome.forfeit_fen == (deposit if earnest else 0)
    assert 0 <= outcome.commission_fen <= outcome.forfeit_fen


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5_000), st.lists(st.integers(1, 3_000), max_size=8))
def test_a_series_of_refunds_capped_by_the_rule_never_exceeds_the_payment(paid, asks):
    refunded = 0
    ref_left = paid
    for ask in asks:
        granted = min(ask, refund_cap(paid_fen=paid, refunded_fen=refunded))
        ref_granted = 0
        while ref_granted < ask and ref_left > 0:  # one fen at a time while anything is left
            ref_granted += 1
            ref_left -= 1
        assert granted == ref_granted
        refunded += granted
    assert refunded <= paid
    assert refund_cap(paid_fen=paid, refunded_fen=refunded) == ref_left
