"""Real concurrent connections on PostgreSQL: a route's rewards are granted once per
visitor however many of their last stamps arrive at once."""

from __future__ import annotations

import pytest

from designmall.events.models import Reservation, Session
from designmall.o2o.passport import StampResult
from designmall.o2o.passport_models import Passport, RewardGrant, Stamp
from designmall.promotions.models import Coupon
from tests.concurrency import concurrently
from tests.factories import make_session, make_user
from tests.promotions.conftest import make_platform_coupon

from .passport_kit import coupon, gift, make_booth, make_route, seat, stamp, token_now

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 8


def test_the_last_stamps_arriving_at_once_grant_each_reward_exactly_once(on_postgres):
    booths = [make_booth() for _ in range(5)]
    template = make_platform_coupon(total_quantity=50)
    lecture = make_session(capacity=20)
    make_route(booths=booths, needed=3, rewards=[coupon(template), seat(lecture), gift()])
    visitor = make_user()
    stamp(visitor, booths[0])
    stamp(visitor, booths[1])
    tokens = {b.pk: token_now(b) for b in booths[2:]}

    results = concurrently(
        [lambda b=b: stamp(visitor, b, tokens[b.pk]) for b in booths[2:] for _ in range(4)],
        pool=CONNECTIONS,
    )

    assert [r for r in results if not isinstance(r, StampResult)] == []
    assert sum(r.new for r in results) == 3
    assert sum(len(r.grants) for r in results) == 3
    assert sum(bool(r.completed and r.grants) for r in results) == 1
    assert Stamp.objects.filter(passport__user=visitor).count() == 5
    assert RewardGrant.objects.filter(passport__user=visitor, status="granted").count() == 3
    assert Coupon.objects.filter(buyer=visitor).count() == 1
    assert Reservation.objects.filter(user=visitor, session=lecture).count() == 1
    assert Session.objects.get(pk=lecture.pk).confirmed == 1


def test_a_new_visitors_first_stamps_at_once_make_one_passport(on_postgres):
    booths = [make_booth() for _ in range(4)]
    make_route(booths=booths, needed=1, rewards=[gift()])
    visitor = make_user()
    tokens = {b.pk: token_now(b) for b in booths}

    results = concurrently(
        [lambda b=b: stamp(visitor, b, tokens[b.pk]) for b in booths for _ in range(2)],
        pool=CONNECTIONS,
    )

    assert [r for r in results if not isinstance(r, StampResult)] == []
    assert Passport.objects.filter(user=visitor).count() == 1
    assert Stamp.objects.filter(passport__user=visitor).count() == 4
    assert RewardGrant.objects.filter(passport__user=visitor).count() == 1
