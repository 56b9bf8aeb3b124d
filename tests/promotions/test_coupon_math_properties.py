"""The coupon arithmetic against brute force, over random carts and coupons.

The best combination is compared with an exhaustive search over every combination the
rules allow (at most one platform coupon, at most one shop coupon per shop); every outcome
keeps its invariants: parts sum exactly to each discount, no part negative or above what
its line could give, every order at least ¥0.01, no coupon above its nominal discount and
none cut unless the one-fen-per-order floor forces it; apportioning gives every line at
least its rounded-down share; refund shares of all units sum to what the line cost.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from designmall.promotions.coupon_math import (
    Coupon,
    CouponKind,
    CouponRefused,
    Issuer,
    Line,
    Scope,
    ScopeKind,
    apply,
    apportion,
    best,
    covered,
    nominal_discount,
    refund_share,
)

SHOPS = ["s1", "s2", "s3"]
PRODUCTS = ["p1", "p2", "p3", "p4", "p5"]
CATEGORIES = ["c1", "c2", "c3"]

amounts = st.one_of(st.integers(1, 300), st.integers(1, 50_000))


@st.composite
def carts(draw) -> list[Line]:
    n = draw(st.integers(1, 6))
    return [
        Line(
            key=f"l{i}",
            shop=draw(st.sampled_from(SHOPS)),
            product=draw(st.sampled_from(PRODUCTS)),
            amount_fen=draw(amounts),
            categories=draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2)),
        )
        for i in range(n)
    ]


@st.composite
def scopes(draw, *, shop=None) -> Scope:
    kinds = [ScopeKind.ALL, ScopeKind.SHOP, ScopeKind.CATEGORIES, ScopeKind.PRODUCTS]
    kind = draw(st.sampled_from(kinds))
    if kind == ScopeKind.SHOP:
        return Scope(kind, shop=shop or draw(st.sampled_from(SHOPS)))
    if kind == ScopeKind.CATEGORIES:
        return Scope(kind, categories=draw(st.frozensets(st.sampled_from(CATEGORIES), min_size=1)))
    if kind == ScopeKind.PRODUCTS:
        return Scope(kind, products=draw(st.frozensets(st.sampled_from(PRODUCTS), min_size=1)))
    return Scope()


@st.composite
def coupons(draw, ident: str) -> Coupon:
    issuer = draw(st.sampled_from([Issuer.PLATFORM, Issuer.SHOP]))
    shop = draw(st.sampled_from(SHOPS)) if issuer == Issuer.SHOP else None
    kind = draw(st.sampled_from(list(CouponKind)))
    scope = draw(scopes(shop=shop))
    if kind == CouponKind.SPEND_OFF:
        threshold = draw(st.integers(2, 60_000))
        off = draw(st.integers(1, threshold - 1))
        return Coupon(
            ident, issuer, kind, threshold_fen=threshold, off_fen=off, shop=shop, scope=scope
        )
    threshold = draw(st.one_of(st.just(0), st.integers(0, 60_000)))
    if kind == CouponKind.AMOUNT_OFF:
        off = draw(amounts)
        return Coupon(
            ident, issuer, kind, threshold_fen=threshold, off_fen=off, shop=shop, scope=scope
        )
    percent = draw(st.integers(1, 99))
    cap = draw(amounts)
    return Coupon(
        ident,
        issuer,
        kind,
        threshold_fen=threshold,
        percent=percent,
        cap_fen=cap,
        shop=shop,
        scope=scope,
    )


@st.composite
def wallets(draw) -> list[Coupon]:
    n = draw(st.integers(0, 6))
    return [draw(coupons(f"c{i}")) for i in range(n)]


def allowed(combination) -> bool:
    platform = [c for c in combination if c.issuer == Issuer.PLATFORM]
    shops = [c.shop for c in combination if c.issuer == Issuer.SHOP]
    return len(platform) <= 1 and len(shops) == len(set(shops))


def brute_force_best(wallet, lines) -> int:
    top = 0
    for size in range(len(wallet) + 1):
        for combination in itertools.combinations(wallet, size):
            if not allowed(combination):
                continue
            try:
                top = max(top, apply(list(combination), lines).discount_fen)
            except CouponRefused:
                continue
    return top


def check_invariants(outcome, lines) -> None:
    remaining = {line.key: line.amount_fen for line in lines}
    for applied in outcome.applied:
        assert sum(applied.parts.values()) == applied.discount_fen
        assert 0 <= applied.discount_fen <= applied.nominal_fen
        for key, part in applied.parts.items():
            assert 0 <= part <= remaining[key]
            remaining[key] -= part
        assert set(applied.parts) == {line.key for line in covered(applied.coupon, lines)}
    assert outcome.line_totals() == remaining
    assert all(total >= 0 for total in remaining.values())
    assert all(total >= 1 for total in outcome.order_totals().values())
    assert (
        sum(outcome.line_totals().values())
        == sum(line.amount_fen for line in lines) - outcome.discount_fen
    )


@settings(max_examples=400, deadline=None)
@given(wallet=wallets(), lines=carts())
def test_best_saves_as_much_as_an_exhaustive_search(wallet, lines):
    outcome = best(wallet, lines)

    assert outcome.discount_fen == brute_force_best(wallet, lines)
    assert allowed([a.coupon for a in outcome.applied])
    check_invariants(outcome, lines)


@settings(max_examples=400, deadline=None)
@given(wallet=wallets(), lines=carts())
def test_any_allowed_combination_keeps_every_invariant(wallet, lines):
    for size in range(min(len(wallet), 3) + 1):
        for combination in itertools.combinations(wallet, size):
            if not allowed(combination):
                continue
            try:
                outcome = apply(list(combination), lines)
            except CouponRefused:
                continue
            check_invariants(outcome, lines)


@settings(max_examples=300, deadline=None)
@given(coupon=coupons("c"), lines=carts())
def test_a_single_coupon_gets_its_nominal_discount_unless_the_order_floor_cuts_it(coupon, lines):
    mine = covered(coupon, lines)
    base = sum(line.amount_fen for line in mine)
    try:
        outcome = apply([coupon], lines)
    except CouponRefused:
        assert not mine or base < coupon.threshold_fen
        return
    assert mine and base >= coupon.threshold_fen  # the threshold is on the pre-discount amount
    nominal = nominal_discount(coupon, base)
    if coupon.kind == CouponKind.PERCENT_OFF:
        assert nominal == min(base * coupon.percent // 100, coupon.cap_fen)
    elif coupon.kind == CouponKind.SPEND_OFF:
        assert nominal == coupon.off_fen
    else:
        assert nominal == min(coupon.off_fen, base)
    dearest = {}
    for line in lines:
        if line.shop not in dearest or line.amount_fen > dearest[line.shop].amount_fen:
            dearest[line.shop] = line
    room = base - sum(1 for line in dearest.values() if line in mine)
    assert outcome.discount_fen == min(nominal, room)


@settings(max_examples=500, deadline=None)
@given(
    weights=st.lists(st.integers(0, 100_000), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
    data=st.data(),
)
def test_apportioned_parts_sum_exactly_none_negative_none_above_its_line(weights, data):
    discount = data.draw(st.integers(0, sum(weights)))

    parts = apportion(discount, weights)

    assert sum(parts) == discount
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert discount * weight // total <= part <= weight
    # The remainder goes on the last line, and further back only where it does not fit.
    extra = [p - discount * w // total for p, w in zip(parts, weights, strict=True)]
    for i, more in enumerate(extra):
        if more:
            assert all(parts[j] == weights[j] for j in range(i + 1, len(parts)))


@settings(max_examples=300, deadline=None)
@given(
    paid=st.integers(0, 1_000_000),
    quantity=st.integers(1, 12),
    data=st.data(),
)
def test_refund_shares_of_all_units_give_back_exactly_what_the_line_cost(paid, quantity, data):
    cuts = sorted(
        data.draw(st.lists(st.integers(1, quantity - 1), max_size=4)) if quantity > 1 else []
    )
    steps = [b - a for a, b in zip([0, *cuts], [*cuts, quantity], strict=True)]
    refunded, before = 0, 0
    for units in steps:
        share = refund_share(paid_fen=paid, quantity=quantity, before=before, units=units)
        assert 0 <= share <= paid - refunded
        assert share * quantity // max(units, 1) <= paid + quantity  # about its share
        refunded += share
        before += units
    assert refunded == paid
