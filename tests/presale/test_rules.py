"""The pre-sale rules, one behaviour each (the pure module; no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from designmall.presale.rules import (
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

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def deposit_terms(**changes) -> CampaignTerms:
    sku = changes.pop(
        "sku", SkuTerms(price_fen=100_000, deposit_fen=10_000, credit_fen=15_000, quantity=50)
    )
    fields = dict(
        kind=Kind.DEPOSIT,
        starts_at=T0,
        ends_at=T0 + timedelta(days=3),
        balance_starts_at=T0 + timedelta(days=4),
        balance_ends_at=T0 + timedelta(days=6),
        ship_days_after_end=30,
        per_buyer_limit=2,
        skus=(sku,),
    )
    fields.update(changes)
    return CampaignTerms(**fields)


def codes(terms: CampaignTerms) -> set[str]:
    return {problem.code for problem in campaign_problems(terms)}


def test_a_deposit_campaign_within_every_rule_has_no_problems():
    assert campaign_problems(deposit_terms()) == []


def test_a_full_payment_campaign_needs_no_deposit_and_no_balance_window():
    terms = CampaignTerms(
        kind=Kind.FULL,
        starts_at=T0,
        ends_at=T0 + timedelta(days=10),
        ship_on=date(2027, 3, 1),
        skus=(SkuTerms(price_fen=88_000, quantity=20),),
    )
    assert campaign_problems(terms) == []


def test_an_earnest_deposit_may_be_exactly_20_percent_of_the_price_but_not_a_fen_more():
    at_limit = SkuTerms(price_fen=100_000, deposit_fen=20_000, credit_fen=20_000, quantity=1)
    over = SkuTerms(price_fen=100_000, deposit_fen=20_001, credit_fen=20_001, quantity=1)
    assert codes(deposit_terms(sku=at_limit)) == set()
    problems = campaign_problems(deposit_terms(sku=over))
    assert [(p.code, p.field, p.params) for p in problems] == [
        ("deposit_above_earnest_limit", "skus.0.deposit_fen", (("max_fen", 20_000),))
    ]


def test_the_earnest_limit_rounds_down_to_the_fen():
    assert earnest_max_fen(99) == 19
    assert earnest_max_fen(100) == 20


def test_an_advance_payment_is_not_capped_at_20_percent():
    sku = SkuTerms(price_fen=100_000, deposit_fen=50_000, credit_fen=50_000, quantity=1)
    assert codes(deposit_terms(sku=sku, earnest=False)) == set()


def test_a_boost_never_credits_more_than_the_price_and_leaves_a_balance():
    above = SkuTerms(price_fen=10_000, deposit_fen=1_000, credit_fen=10_001, quantity=1)
    equal = SkuTerms(price_fen=10_000, deposit_fen=1_000, credit_fen=10_000, quantity=1)
    assert codes(deposit_terms(sku=above)) == {"credit_above_price"}
    assert codes(deposit_terms(sku=equal)) == {"balance_not_positive"}


def test_a_boost_never_credits_less_than_the_deposit():
    sku = SkuTerms(price_fen=10_000, deposit_fen=1_000, credit_fen=999, quantity=1)
    assert codes(deposit_terms(sku=sku)) == {"credit_below_deposit"}


def test_a_deposit_campaign_needs_a_deposit_and_a_full_payment_one_refuses_it():
    no_deposit = SkuTerms(price_fen=10_000, quantity=1)
    assert "deposit_invalid" in codes(deposit_terms(sku=no_deposit))
    full = deposit_terms(
        kind=Kind.FULL,
        balance_starts_at=None,
        balance_ends_at=None,
        sku=SkuTerms(price_fen=10_000, deposit_fen=1_000, credit_fen=1_000, quantity=1),
    )
    assert codes(full) == {"deposit_not_allowed"}


def test_the_balance_window_opens_after_the_deposit_window_closes():
    terms = deposit_terms(balance_starts_at=T0 + timedelta(days=2))
    assert codes(terms) == {"balance_before_deposit_end"}
    assert codes(deposit_terms(balance_starts_at=T0 + timedelta(days=3))) == set()


def test_windows_end_after_they_start():
    assert codes(deposit_terms(ends_at=T0)) >= {"window_order"}
    assert codes(deposit_terms(balance_ends_at=T0 + timedelta(days=4))) == {"window_order"}


def test_a_deposit_campaign_needs_a_balance_window_and_a_full_one_has_none():
    assert codes(deposit_terms(balance_starts_at=None, balance_ends_at=None)) == {
        "balance_window_missing"
    }
    full = deposit_terms(kind=Kind.FULL, sku=SkuTerms(price_fen=10_000, quantity=1))
    assert codes(full) == {"balance_window_not_allowed"}


def test_naive_datetimes_are_refused():
    assert "naive_datetime" in codes(deposit_terms(starts_at=T0.replace(tzinfo=None)))


def test_a_fixed_ship_date_comes_after_the_day_the_balance_window_ends():
    end_day = (T0 + timedelta(days=6)).astimezone(UTC).date()  # 10:00 Beijing, same date
    on_the_day = deposit_terms(ship_days_after_end=None, ship_on=end_day)
    next_day = deposit_terms(ship_days_after_end=None, ship_on=end_day + timedelta(days=1))
    assert codes(on_the_day) == {"ship_before_end"}
    assert codes(next_day) == set()


def test_the_ship_date_is_a_fixed_date_or_days_after_the_end_never_both_nor_neither():
    assert codes(deposit_terms(ship_days_after_end=None)) == {"ship_date_missing"}
    assert codes(deposit_terms(ship_on=date(2027, 1, 1))) == {"ship_date_ambiguous"}
    assert codes(deposit_terms(ship_days_after_end=0)) == {"ship_days_invalid"}
    assert codes(deposit_terms(ship_days_after_end=366)) == {"ship_days_invalid"}


def test_n_days_after_the_end_counts_from_the_beijing_date_of_the_last_window_end():
    # The balance window ends at 23:30 Beijing (15:30 UTC) on 26 November.
    end = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    terms = deposit_terms(balance_ends_at=end, ship_days_after_end=7)
    assert promised_ship_date(terms) == date(2026, 12, 3)
    late = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)  # 00:30 on the 27th in Beijing
    assert promised_ship_date(deposit_terms(balance_ends_at=late, ship_days_after_end=7)) == date(
        2026, 12, 4
    )


def test_caps_on_skus_quantities_and_the_per_buyer_limit():
    assert codes(deposit_terms(skus=())) == {"skus_invalid"}
    sku = SkuTerms(price_fen=100_000, deposit_fen=10_000, credit_fen=10_000, quantity=0)
    assert codes(deposit_terms(sku=sku)) == {"quantity_invalid"}
    assert codes(deposit_terms(per_buyer_limit=0)) == {"per_buyer_limit_invalid"}
    assert codes(deposit_terms(per_buyer_limit=100)) == {"per_buyer_limit_invalid"}


def test_the_balance_is_the_locked_price_less_the_boosted_credit():
    assert balance_fen(price_fen=100_000, credit_fen=15_000) == 85_000


def test_a_default_forfeits_an_earnest_to_the_seller_less_commission():
    outcome = default_outcome(earnest=True, deposit_paid_fen=10_000, commission_bp=800)
    assert (outcome.forfeit_fen, outcome.seller_fen, outcome.commission_fen) == (10_000, 9_200, 800)
    assert outcome.refund_fen == 0


def test_a_default_returns_an_advance_payment_in_full():
    outcome = default_outcome(earnest=False, deposit_paid_fen=10_000, commission_bp=800)
    assert (outcome.forfeit_fen, outcome.refund_fen) == (0, 10_000)


def test_a_refund_is_never_more_than_what_is_left_of_the_payment():
    assert refund_cap(paid_fen=10_000, refunded_fen=3_000) == 7_000
    with pytest.raises(ValueError):
        refund_cap(paid_fen=10_000, refunded_fen=10_001)
