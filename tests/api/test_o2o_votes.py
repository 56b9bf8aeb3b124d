"""The show's API for the audience award and favourites: vote and change (201, then 200),
refusals in the one error shape (409 with the rule's code), my votes, the leaderboards
public and the operator's, and favourites listed, added and removed."""

from __future__ import annotations

import pytest

from designmall.core import clock
from tests.api.conftest import assert_error
from tests.factories import make_user
from tests.o2o.votes_kit import category_of, checked_in_visitor, shown_exhibits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(clock.now().replace(microsecond=0))


def test_a_checked_in_visitor_votes_changes_and_sees_their_votes(api_as, anon):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    api = api_as(checked_in_visitor())
    path = f"/o2o/awards/categories/{category.public_id}/vote"
    first = api.send("put", path, {"exhibit": chair.public_id})
    assert first.status_code == 201, first.content
    assert first.json()["exhibit"]["public_id"] == chair.public_id and first.json()["changeable"]
    again = api.send("put", path, {"exhibit": lamp.public_id})
    assert again.status_code == 200 and again.json()["changes"] == 1
    mine = api.get("/o2o/my-votes").json()
    assert [(v["category"]["public_id"], v["exhibit"]["public_id"]) for v in mine] == [
        (category.public_id, lamp.public_id)
    ]
    board = anon.get(f"/o2o/awards/categories/{category.public_id}/leaderboard").json()
    assert board["state"] == "open"
    assert [(s["rank"], s["title_en"], s["votes"]) for s in board["standings"]] == [
        (1, "Piece 2", 1),
        (2, "Piece 1", 0),
    ]


def test_refusals_are_409_in_the_one_error_shape(api_as, anon):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair)
    path = f"/o2o/awards/categories/{category.public_id}/vote"
    assert_error(
        api_as(make_user()).send("put", path, {"exhibit": chair.public_id}), 409, "not_checked_in"
    )
    voter = api_as(checked_in_visitor())
    assert_error(
        voter.send("put", path, {"exhibit": lamp.public_id}), 409, "exhibit_not_in_category"
    )
    clock.set_frozen(category.award.closes_at)
    assert_error(voter.send("put", path, {"exhibit": chair.public_id}), 409, "voting_closed")
    assert_error(anon.send("put", path, {"exhibit": chair.public_id}), 401, "not_authenticated")
    assert_error(
        voter.send("put", path, {"exhibit": "exh_0000000000000000"}), 404, "exhibit_not_found"
    )


def test_the_awards_and_a_category_list_what_takes_part(anon):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    awards = anon.get("/o2o/awards").json()
    assert awards[0]["state"] == "open"
    assert awards[0]["categories"] == [
        {"public_id": category.public_id, "name_zh": "家具", "name_en": "Furniture"}
    ]
    found = anon.get(f"/o2o/awards/categories/{category.public_id}").json()
    assert {e["public_id"] for e in found["exhibits"]} == {chair.public_id, lamp.public_id}


def test_the_operator_leaderboard_shows_flagged_votes_the_public_one_leaves_out(
    api_as, operator, anon
):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    from designmall.o2o import votes

    for _ in range(2):
        votes.vote_cast(
            category=category, voter=checked_in_visitor(), exhibit=chair, visitor_id="one-phone"
        )
    votes.vote_cast(category=category, voter=checked_in_visitor(), exhibit=lamp, visitor_id="own")
    path = f"/awards/categories/{category.public_id}/leaderboard"
    operator_view = api_as(operator).get(f"/operator{path}").json()["standings"]
    assert [(s["title_en"], s["votes"], s["flagged"], s["all_votes"]) for s in operator_view] == [
        ("Piece 2", 1, 0, 1),
        ("Piece 1", 0, 2, 2),
    ]
    public = anon.get(f"/o2o{path}").json()["standings"]
    assert [(s["title_en"], s["votes"]) for s in public] == [("Piece 2", 1), ("Piece 1", 0)]
    assert "flagged" not in public[0]
    assert_error(api_as(make_user()).get(f"/operator{path}"), 403, "role_required")


def test_favourites_are_added_listed_and_removed(api_as, anon):
    chair, lamp, _ = shown_exhibits()
    api = api_as(make_user())
    assert api.send("put", f"/o2o/favourites/{chair.public_id}").status_code == 201
    assert api.send("put", f"/o2o/favourites/{chair.public_id}").status_code == 200
    assert api.send("put", f"/o2o/favourites/{lamp.public_id}").status_code == 201
    listed = api.get("/o2o/favourites").json()
    assert {f["exhibit"]["public_id"] for f in listed["items"]} == {chair.public_id, lamp.public_id}
    assert all(f["shown"] for f in listed["items"])
    assert api.delete(f"/o2o/favourites/{chair.public_id}").status_code == 204
    assert api.delete(f"/o2o/favourites/{chair.public_id}").status_code == 204
    assert [f["exhibit"]["public_id"] for f in api.get("/o2o/favourites").json()["items"]] == [
        lamp.public_id
    ]
    assert_error(api.send("put", "/o2o/favourites/exh_0000000000000000"), 404, "exhibit_not_found")
    assert_error(anon.get("/o2o/favourites"), 401, "not_authenticated")
