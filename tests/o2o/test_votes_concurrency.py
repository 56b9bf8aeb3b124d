"""Real concurrent connections on PostgreSQL: one vote per visitor per category however
many of their votes race, and racing visitors each keep their own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.o2o import votes
from designmall.o2o.votes_models import Vote
from tests.concurrency import concurrently
from tests.o2o.votes_kit import category_of, checked_in_visitor, shown_exhibits

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 16


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(clock.now().replace(microsecond=0))


def test_twenty_racing_votes_of_one_visitor_in_a_category_leave_exactly_one(on_postgres):
    exhibits = shown_exhibits(4)
    category = category_of(*exhibits)
    visitor = checked_in_visitor()

    results = concurrently(
        [
            lambda e=exhibits[i % 4]: votes.vote_cast(
                category=category, voter=visitor, exhibit=e, visitor_id="phone"
            )
            for i in range(20)
        ],
        pool=CONNECTIONS,
    )

    assert [r for r in results if not isinstance(r, tuple)] == []
    assert sum(created for _vote, created in results) == 1
    assert Vote.objects.filter(category=category, voter=visitor).count() == 1
    final = Vote.objects.get(category=category, voter=visitor)
    assert final.exhibit_id in {e.pk for e in exhibits}
    assert not final.flagged  # one account on its own device


def test_racing_first_votes_of_different_visitors_are_all_kept(on_postgres):
    exhibits = shown_exhibits(2)
    category = category_of(*exhibits)
    joined = clock.now() - timedelta(days=30)
    visitors = [checked_in_visitor(date_joined=joined + timedelta(days=i)) for i in range(12)]

    results = concurrently(
        [
            lambda v=v, i=i: votes.vote_cast(
                category=category, voter=v, exhibit=exhibits[i % 2], visitor_id=f"phone-{i}"
            )
            for i, v in enumerate(visitors)
        ],
        pool=CONNECTIONS,
    )

    assert all(isinstance(r, tuple) and r[1] for r in results)
    assert Vote.objects.filter(category=category).count() == 12
    board = votes.leaderboard(category)
    assert sorted(r.standing.votes for r in board.ranked) == [6, 6]


def test_a_racing_burst_of_bulk_accounts_is_flagged_whole_once_the_sweeper_ran(on_postgres):
    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    burst = [checked_in_visitor() for _ in range(8)]  # created within the same minute

    results = concurrently(
        [lambda v=v: votes.vote_cast(category=category, voter=v, exhibit=chair) for v in burst],
        pool=CONNECTIONS,
    )

    assert all(isinstance(r, tuple) for r in results)
    votes.vote_flags_refresh(category=category)
    assert Vote.objects.filter(category=category, flag_bulk_accounts=True).count() == 8
    assert votes.leaderboard(category).ranked[0].standing.votes == 0
