"""The back office's audience award: an operator sets up an award with a category, sees
the leaderboard with flagged votes beside the counted ones, and lists flagged votes with
their reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.o2o import votes
from designmall.o2o.votes_models import Award
from tests.factories import make_user
from tests.o2o.votes_kit import category_of, checked_in_visitor, shown_exhibits

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office(client):
    client.force_login(make_user(role=None, is_staff=True, is_superuser=True))
    return client


def _inline(prefix="categories", **fields):
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    data.update({f"{prefix}-0-{k}": v for k, v in fields.items()})
    return data


def test_an_operator_sets_up_an_award_with_a_category_of_exhibits(back_office):
    chair, lamp, _ = shown_exhibits()
    now = clock.now()
    response = back_office.post(
        reverse("admin:o2o_award_add"),
        {
            "name_zh": "设计周人气奖",
            "name_en": "Audience Award",
            "opens_at_0": now.strftime("%Y-%m-%d"),
            "opens_at_1": "00:00:00",
            "closes_at_0": (now + timedelta(days=3)).strftime("%Y-%m-%d"),
            "closes_at_1": "00:00:00",
            "is_published": "on",
            **_inline(
                name_zh="家具", name_en="Furniture", position="0", exhibits=[chair.pk, lamp.pk]
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    award = Award.objects.get()
    (category,) = award.categories.all()
    assert set(category.exhibits.all()) == {chair, lamp}
    assert [e.action for e in audit_trail(award)] == ["award.created"]


def test_a_window_closing_before_it_opens_is_refused_on_the_form(back_office):
    now = clock.now()
    response = back_office.post(
        reverse("admin:o2o_award_add"),
        {
            "name_zh": "奖",
            "opens_at_0": now.strftime("%Y-%m-%d"),
            "opens_at_1": "10:00:00",
            "closes_at_0": now.strftime("%Y-%m-%d"),
            "closes_at_1": "09:00:00",
            **_inline(),
        },
    )
    assert response.status_code == 200
    assert "投票截止时间须晚于开始时间" in response.content.decode()
    assert not Award.objects.exists()


def test_the_operator_sees_both_counts_and_the_flagged_votes_with_their_reasons(back_office):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    for _ in range(2):
        votes.vote_cast(
            category=category, voter=checked_in_visitor(), exhibit=chair, visitor_id="one"
        )
    votes.vote_cast(category=category, voter=checked_in_visitor(), exhibit=lamp, visitor_id="own")
    page = back_office.get(
        reverse("admin:o2o_awardcategory_change", args=[category.pk])
    ).content.decode()
    assert "<td>展品1</td><td>0</td><td>2</td><td>2</td>" in page
    assert "<td>展品2</td><td>1</td><td>0</td><td>1</td>" in page
    flagged = back_office.get(reverse("admin:o2o_vote_changelist") + "?flag=any").content.decode()
    assert flagged.count("同一设备多账号</td>") == 2
    for url in (
        reverse("admin:o2o_award_changelist"),
        reverse("admin:o2o_award_change", args=[category.award.pk]),
        reverse("admin:o2o_awardcategory_changelist"),
        reverse("admin:o2o_vote_changelist"),
    ):
        assert back_office.get(url).status_code == 200
