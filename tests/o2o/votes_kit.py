"""Builders for the audience award's tests: visitors checked in at a door, an open award
with a category, exhibits to vote for."""

from __future__ import annotations

from datetime import timedelta

from designmall.core import clock
from designmall.o2o import services, votes
from designmall.o2o.votes_models import Award, AwardCategory
from tests.events.checkin_kit import at_the_door, make_list, make_staff, payload, scan, tickets_of
from tests.factories import make_operator, make_session, make_user
from tests.o2o.test_booths import assign


def check_in(user) -> None:
    """``user`` gets a ticket and enters through a door (the clock is put back after)."""
    before = clock.now()
    session = make_session(starts_at=before + timedelta(minutes=30))
    (ticket,) = tickets_of(session, user=user)
    staff = make_staff()
    door = make_list(session, staff=[staff])
    at_the_door(session)
    assert scan(door, staff, payload(ticket)).outcome == "accepted"
    clock.set_frozen(before)


def checked_in_visitor(**fields):
    user = make_user(**fields)
    check_in(user)
    return user


def shown_exhibits(n: int = 3, booth=None):
    booth = booth or assign()
    return [
        services.exhibit_create(
            booth=booth,
            by=booth.shop.owner,
            kind="shown",
            title_zh=f"展品{i}",
            title_en=f"Piece {i}",
        )
        for i in range(1, n + 1)
    ]


def open_award(*, opens_in=timedelta(days=-1), closes_in=timedelta(days=2), by=None) -> Award:
    now = clock.now()
    return votes.award_save(
        award=Award(
            name_zh="设计周人气奖",
            name_en="Design Week Audience Award",
            opens_at=now + opens_in,
            closes_at=now + closes_in,
        ),
        by=by or make_operator(),
    )


def category_of(*exhibits, award=None, name_zh="家具", name_en="Furniture", catalog=()):
    operator = make_operator()
    category = votes.award_category_save(
        category=AwardCategory(
            award=award or open_award(by=operator), name_zh=name_zh, name_en=name_en
        ),
        by=operator,
    )
    category.exhibits.set(exhibits)
    category.catalog_categories.set(catalog)
    return category
