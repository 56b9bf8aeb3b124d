"""The demo's audience award: open now with three categories over the show's exhibits,
votes only from visitors checked in, both flag patterns there for the operator, and the
buyer demo account checked in and free to vote."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from designmall.core import clock
from designmall.demo.programme import BUYER_EMAIL
from designmall.events.models import CheckIn
from designmall.o2o import votes
from designmall.o2o.favourites_models import Favourite
from designmall.o2o.votes_models import Award, Vote

from .conftest import TEST_SEED

pytestmark = pytest.mark.django_db


def test_the_demo_award_is_open_with_votes_flags_and_a_buyer_who_can_vote():
    clock.set_frozen(datetime(2026, 12, 5, 11, 48, tzinfo=ZoneInfo("Asia/Shanghai")))
    call_command("seed", products=300, seed=TEST_SEED, verbosity=0)
    (award,) = Award.objects.all()
    assert votes.award_state(award) == "open"
    categories = list(award.categories.all())
    assert len(categories) == 3
    for category in categories:
        taking_part = set(votes.category_exhibits(category).values_list("pk", flat=True))
        assert len(taking_part) >= 2
        assert set(category.votes.values_list("exhibit_id", flat=True)) <= taking_part
    all_votes = Vote.objects.select_related("voter")
    assert all_votes.count() >= 30
    voters = set(all_votes.values_list("voter_id", flat=True))
    assert voters <= set(CheckIn.objects.values_list("ticket__user_id", flat=True))
    assert all_votes.filter(flag_same_device=True).exists()
    assert all_votes.filter(flag_bulk_accounts=True).exists()
    assert all_votes.exclude(votes.FLAGGED).count() > all_votes.filter(votes.FLAGGED).count()
    for category in categories:  # the flags as the live rules would set them
        assert votes.vote_flags_refresh(category=category) == 0
    buyer = all_votes.model.voter.field.related_model.objects.get(email=BUYER_EMAIL)
    assert votes.voter_checked_in(buyer)
    assert not Vote.objects.filter(voter=buyer).exists()
    assert Favourite.objects.filter(user=buyer).count() >= 2
