"""The audience award's pure rules: the voting window, why a vote is refused, the flags and
the ranking. Each flag rule is also checked against a brute-force reading of its text."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from designmall.o2o import votes_rules as rules
from designmall.o2o.votes_rules import Ballot, Standing

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def ballot(ref, *, exhibit="a", joined=0, device="", voter=None):
    return Ballot(ref, voter if voter is not None else ref, exhibit, T0 + joined * MIN, device)


def test_voting_is_open_from_its_opening_to_just_before_it_closes():
    opens, closes = T0, T0 + timedelta(days=3)
    state = lambda now: rules.voting_state(now=now, opens_at=opens, closes_at=closes)  # noqa: E731
    assert state(opens - MIN) == "scheduled"
    assert state(opens) == "open"
    assert state(closes - timedelta(microseconds=1)) == "open"
    assert state(closes) == "closed"


def test_a_vote_is_refused_for_the_first_reason_in_order():
    refusal = rules.vote_refusal
    assert refusal(state="open", checked_in=True, in_category=True) is None
    assert refusal(state="closed", checked_in=False, in_category=False) == "voting_closed"
    assert refusal(state="scheduled", checked_in=True, in_category=True) == "voting_not_open"
    assert refusal(state="open", checked_in=False, in_category=False) == "not_checked_in"
    assert refusal(state="open", checked_in=True, in_category=False) == "exhibit_not_in_category"


def test_two_accounts_voting_from_one_device_are_both_flagged():
    ballots = [
        ballot(1, device="phone-1"),
        ballot(2, device="phone-1"),
        ballot(3, device="phone-2"),
        ballot(4, device=""),
        ballot(5, device=""),  # no device id: never grouped
    ]
    assert rules.same_device(ballots) == {1, 2}


def test_one_account_on_one_device_is_not_flagged_however_often_it_appears():
    assert (
        rules.same_device([ballot(1, voter=7, device="d"), ballot(2, voter=7, device="d")]) == set()
    )


def test_five_accounts_created_within_ten_minutes_voting_alike_are_flagged():
    burst = [ballot(i, joined=2 * i) for i in range(5)]  # 0, 2, 4, 6, 8 minutes
    assert rules.bulk_accounts(burst) == {0, 1, 2, 3, 4}


def test_four_accounts_in_a_burst_or_five_spread_out_or_voting_apart_are_not_flagged():
    assert rules.bulk_accounts([ballot(i, joined=i) for i in range(4)]) == set()
    assert rules.bulk_accounts([ballot(i, joined=3 * i) for i in range(5)]) == set()  # 12 min
    apart = [ballot(i, joined=i, exhibit="a" if i % 2 else "b") for i in range(8)]
    assert rules.bulk_accounts(apart) == set()


def test_the_burst_window_includes_its_ends_and_flags_only_the_burst():
    votes = [ballot(i, joined=m) for i, m in enumerate([0, 2.5, 5, 7.5, 10, 30, 400])]
    assert rules.bulk_accounts(votes) == {0, 1, 2, 3, 4}


def _bulk_by_the_text(ballots, window=rules.BULK_WINDOW, n=rules.BULK_MIN_ACCOUNTS):
    flagged = set()
    for b in ballots:
        same = [o for o in ballots if o.exhibit == b.exhibit]
        for start in (o.joined_at for o in same):  # a window starting at some creation time
            inside = [o for o in same if start <= o.joined_at <= start + window]
            if b in inside and len({o.voter for o in inside}) >= n:
                flagged.add(b.ref)
    return flagged


def test_the_burst_rule_matches_its_text_on_random_votes():
    rng = random.Random(14)
    for _ in range(300):
        ballots = [
            ballot(i, exhibit=rng.choice("ab"), joined=rng.randint(0, 40))
            for i in range(rng.randint(0, 14))
        ]
        assert rules.bulk_accounts(ballots) == _bulk_by_the_text(ballots)


def test_the_device_rule_matches_its_text_on_random_votes():
    rng = random.Random(6)
    for _ in range(300):
        ballots = [
            ballot(i, voter=rng.randint(1, 5), device=rng.choice(["", "x", "y"]))
            for i in range(rng.randint(0, 9))
        ]
        expected = {
            b.ref
            for b in ballots
            if b.device and len({o.voter for o in ballots if o.device == b.device}) >= 2
        }
        assert rules.same_device(ballots) == expected


def test_the_rules_are_local_so_evaluating_around_a_vote_agrees_with_the_whole():
    rng = random.Random(3)
    window = rules.BULK_WINDOW
    for _ in range(100):
        ballots = [ballot(i, joined=rng.randint(0, 60)) for i in range(rng.randint(1, 16))]
        whole = rules.bulk_accounts(ballots)
        pivot = rng.choice(ballots)
        nearby = [b for b in ballots if abs(b.joined_at - pivot.joined_at) <= 2 * window]
        local = rules.bulk_accounts(nearby)
        for b in ballots:
            if abs(b.joined_at - pivot.joined_at) <= window:
                assert (b.ref in local) == (b.ref in whole)


def test_the_leaderboard_ranks_by_counted_votes_with_ties_sharing_a_rank():
    standings = [
        Standing("c", "Chair", votes=3, flagged=9),
        Standing("a", "Lamp", votes=5, flagged=0),
        Standing("b", "Bowl", votes=3, flagged=0),
        Standing("d", "Desk", votes=0, flagged=0),
    ]
    ranked = rules.rank(standings)
    assert [(r.rank, r.standing.exhibit) for r in ranked] == [
        (1, "a"),
        (2, "b"),
        (2, "c"),
        (4, "d"),
    ]
    assert ranked[2].standing.all_votes == 12
    assert list(itertools.chain(rules.rank([]))) == []
