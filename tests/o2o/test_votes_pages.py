"""The audience award's pages: the awards, a category with its live leaderboard and the
exhibits to vote for, voting and changing by form post, refusals said on the page, voting
from an exhibit's page; the device id recorded with the vote."""

from __future__ import annotations

import pytest

from designmall.core import clock
from designmall.o2o.votes_models import Vote
from tests.factories import PASSWORD, make_user
from tests.o2o.votes_kit import category_of, checked_in_visitor, shown_exhibits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(clock.now().replace(microsecond=0))


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return user


def test_a_checked_in_visitor_votes_then_changes_on_the_category_page(client):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    visitor = login(client, checked_in_visitor())
    url = f"/o/awards/{category.public_id}/"
    page = client.get(url).content.decode()
    assert "家具" in page and "data-board" in page and f'value="{chair.public_id}"' in page
    assert client.cookies.get("dm_vid")  # the device id the vote will record
    response = client.post(f"{url}vote/", {"exhibit": chair.public_id}, follow=True)
    assert "投票成功" in response.content.decode()
    vote = Vote.objects.get(voter=visitor)
    assert vote.exhibit == chair and vote.visitor_id
    page = client.get(url).content.decode()
    assert f'data-my-vote="{chair.public_id}"' in page and "得票 1" in page
    changed = client.post(f"{url}vote/", {"exhibit": lamp.public_id}, follow=True)
    assert "已改投" in changed.content.decode()
    assert Vote.objects.get(voter=visitor).exhibit == lamp


def test_a_visitor_not_checked_in_is_told_why_and_nothing_is_recorded(client):
    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    login(client, make_user())
    url = f"/o/awards/{category.public_id}/"
    assert "只有在设计周现场检票入场" in client.get(url).content.decode()
    response = client.post(f"{url}vote/", {"exhibit": chair.public_id}, follow=True)
    assert "只有在设计周现场检票入场的观众才能投票" in response.content.decode()
    assert not Vote.objects.exists()


def test_after_voting_closes_the_page_shows_the_result_and_takes_no_vote(client):
    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    login(client, checked_in_visitor())
    clock.set_frozen(category.award.closes_at)
    page = client.get(f"/o/awards/{category.public_id}/").content.decode()
    assert "投票已截止" in page and "投给它" not in page
    response = client.post(
        f"/o/awards/{category.public_id}/vote/", {"exhibit": chair.public_id}, follow=True
    )
    assert "投票已经截止" in response.content.decode()
    assert not Vote.objects.exists()


def test_voting_asks_a_visitor_not_logged_in_to_log_in(client):
    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    response = client.post(f"/o/awards/{category.public_id}/vote/", {"exhibit": chair.public_id})
    assert response.status_code == 302 and "next=" in response["Location"]


def test_an_exhibit_page_offers_a_vote_in_its_open_categories(client):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair)
    visitor = login(client, checked_in_visitor())
    page = client.get(f"/o/e/{chair.code}/").content.decode()
    assert f'data-vote-category="{category.public_id}"' in page
    assert "data-vote-category" not in client.get(f"/o/e/{lamp.code}/").content.decode()
    client.post(
        f"/o/awards/{category.public_id}/vote/",
        {"exhibit": chair.public_id, "next": f"/o/awards/{category.public_id}/"},
    )
    assert Vote.objects.get(voter=visitor).exhibit == chair


def test_the_awards_page_lists_the_categories_and_my_votes_in_both_languages(client, settings):
    chair, _lamp, _ = shown_exhibits()
    category = category_of(chair)
    visitor = login(client, checked_in_visitor())
    client.post(f"/o/awards/{category.public_id}/vote/", {"exhibit": chair.public_id})
    page = client.get("/o/awards/").content.decode()
    assert "设计周人气奖" in page and "我投给了：展品1" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/o/awards/").content.decode()
    assert "Design Week Audience Award" in english and "My vote: Piece 1" in english
    assert Vote.objects.filter(voter=visitor).count() == 1


def test_the_category_page_in_english_has_no_chinese_of_ours(client, settings):
    import re

    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    login(client, checked_in_visitor())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(f"/o/awards/{category.public_id}/vote/", {"exhibit": chair.public_id})
    for url in (
        f"/o/awards/{category.public_id}/",
        "/o/awards/",
        "/o/favourites/",
        f"/o/e/{chair.code}/",
    ):
        html = client.get(url).content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        main = re.sub(r"data-voter[^>]*", "", main)
        assert not re.search(r"[\u4e00-\u9fff]", main), (
            url,
            re.findall(r".{30}[\u4e00-\u9fff]+.{10}", main),
        )
