"""The audience award: who may vote, one vote per visitor per category changeable until
voting closes, the flags raised as votes arrive, and the leaderboard without them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, PermissionDenied, ValidationFailed
from designmall.o2o import services, votes
from designmall.o2o.votes_models import Award, Vote
from tests.factories import make_category, make_product, make_user
from tests.o2o.test_booths import assign
from tests.o2o.votes_kit import category_of, checked_in_visitor, open_award, shown_exhibits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(clock.now().replace(microsecond=0))


def refused(code, **kw):
    with pytest.raises(Conflict) as caught:
        votes.vote_cast(**kw)
    assert caught.value.code == code
    assert caught.value.status == 409
    return caught.value


def test_a_checked_in_visitor_votes_once_per_category():
    chair, lamp, _bowl = shown_exhibits()
    category = category_of(chair, lamp)
    visitor = checked_in_visitor()
    vote, created = votes.vote_cast(category=category, voter=visitor, exhibit=chair)
    assert created and vote.exhibit == chair and vote.changes == 0
    again, created = votes.vote_cast(category=category, voter=visitor, exhibit=chair)
    assert not created and again.pk == vote.pk
    assert Vote.objects.filter(category=category, voter=visitor).count() == 1


def test_the_same_visitor_votes_in_each_category_of_the_award():
    chair, lamp, _ = shown_exhibits()
    award = open_award()
    furniture = category_of(chair, award=award)
    light = category_of(lamp, award=award, name_zh="灯具", name_en="Lighting")
    visitor = checked_in_visitor()
    votes.vote_cast(category=furniture, voter=visitor, exhibit=chair)
    votes.vote_cast(category=light, voter=visitor, exhibit=lamp)
    assert votes.votes_of(voter=visitor).count() == 2


def test_a_vote_is_changed_in_place_until_voting_closes():
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    visitor = checked_in_visitor()
    first, _ = votes.vote_cast(category=category, voter=visitor, exhibit=chair)
    clock.set_frozen(clock.now() + timedelta(hours=1))
    changed, created = votes.vote_cast(category=category, voter=visitor, exhibit=lamp)
    assert not created and changed.pk == first.pk
    assert (changed.exhibit, changed.changes) == (lamp, 1)
    assert changed.changed_at > changed.cast_at
    clock.set_frozen(category.award.closes_at)
    refused("voting_closed", category=category, voter=visitor, exhibit=chair)
    assert Vote.objects.get(pk=first.pk).exhibit == lamp


def test_a_vote_before_voting_opens_is_refused():
    (chair,) = shown_exhibits(1)
    category = category_of(chair, award=open_award(opens_in=timedelta(hours=1)))
    refused("voting_not_open", category=category, voter=checked_in_visitor(), exhibit=chair)


def test_a_visitor_whose_ticket_was_never_checked_in_cannot_vote():
    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    error = refused("not_checked_in", category=category, voter=make_user(), exhibit=chair)
    assert "检票入场" in error.message
    assert not Vote.objects.exists()


def test_an_exhibit_outside_the_category_cannot_be_voted_for():
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair)
    refused("exhibit_not_in_category", category=category, voter=checked_in_visitor(), exhibit=lamp)


def test_a_withdrawn_exhibit_no_longer_takes_votes():
    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    services.exhibit_remove(exhibit=chair, by=chair.booth.shop.owner)
    refused("exhibit_not_in_category", category=category, voter=checked_in_visitor(), exhibit=chair)


def test_product_exhibits_of_a_catalog_category_and_below_take_part():
    furniture = make_category()
    chairs = make_category(parent=furniture)
    booth = assign()
    stool = make_product(shop=booth.shop, category=chairs)
    vase = make_product(shop=booth.shop)
    owner = booth.shop.owner
    stool_item = services.exhibit_create(
        booth=booth, by=owner, kind="product", product=stool.public_id
    )
    vase_item = services.exhibit_create(
        booth=booth, by=owner, kind="product", product=vase.public_id
    )
    category = category_of(catalog=[furniture])
    assert list(votes.category_exhibits(category)) == [stool_item]
    visitor = checked_in_visitor()
    votes.vote_cast(category=category, voter=visitor, exhibit=stool_item)
    refused("exhibit_not_in_category", category=category, voter=visitor, exhibit=vase_item)


def test_two_accounts_voting_from_one_device_are_flagged_and_left_out_of_the_leaderboard():
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    honest = checked_in_visitor()
    votes.vote_cast(category=category, voter=honest, exhibit=lamp, visitor_id="phone-a")
    first = votes.vote_cast(
        category=category, voter=checked_in_visitor(), exhibit=chair, visitor_id="phone-b"
    )[0]
    assert not Vote.objects.get(pk=first.pk).flagged
    second = votes.vote_cast(
        category=category, voter=checked_in_visitor(), exhibit=chair, visitor_id="phone-b"
    )[0]
    assert Vote.objects.get(pk=first.pk).flag_same_device
    assert second.flag_same_device and not second.flag_bulk_accounts
    board = votes.leaderboard(category)
    assert [(r.standing.title, r.standing.votes, r.standing.flagged) for r in board.ranked] == [
        ("展品2", 1, 0),
        ("展品1", 0, 2),
    ]
    public = votes.leaderboard_public(category)
    assert [(row["title_en"], row["votes"]) for row in public] == [("Piece 2", 1), ("Piece 1", 0)]


def test_a_flag_is_lifted_when_the_other_account_moves_to_another_device():
    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    one, two = checked_in_visitor(), checked_in_visitor()
    votes.vote_cast(category=category, voter=one, exhibit=chair, visitor_id="shared")
    votes.vote_cast(category=category, voter=two, exhibit=chair, visitor_id="shared")
    assert Vote.objects.filter(flag_same_device=True).count() == 2
    votes.vote_cast(category=category, voter=two, exhibit=chair, visitor_id="own")
    assert Vote.objects.filter(flag_same_device=True).count() == 0


def test_a_burst_of_accounts_created_minutes_apart_voting_alike_is_flagged():
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    start = clock.now() - timedelta(days=3)
    burst = [checked_in_visitor(date_joined=start + timedelta(minutes=2 * i)) for i in range(5)]
    regulars = [checked_in_visitor(date_joined=start - timedelta(days=i + 1)) for i in range(3)]
    for voter in burst[:4]:
        votes.vote_cast(category=category, voter=voter, exhibit=chair)
    assert not Vote.objects.filter(flag_bulk_accounts=True).exists()  # four are not a burst
    votes.vote_cast(category=category, voter=burst[4], exhibit=chair)
    assert Vote.objects.filter(flag_bulk_accounts=True).count() == 5
    for voter in regulars:
        votes.vote_cast(category=category, voter=voter, exhibit=lamp)
    ranked = votes.leaderboard(category).ranked
    assert [(r.standing.title, r.standing.votes, r.standing.flagged) for r in ranked] == [
        ("展品2", 3, 0),
        ("展品1", 0, 5),
    ]
    votes.vote_cast(category=category, voter=burst[0], exhibit=lamp)  # the burst breaks up
    assert not Vote.objects.filter(flag_bulk_accounts=True).exists()


def test_refreshing_a_whole_category_agrees_with_the_flags_raised_vote_by_vote_twice_alike():
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    start = clock.now() - timedelta(days=2)
    for i in range(6):
        voter = checked_in_visitor(date_joined=start + timedelta(minutes=i))
        votes.vote_cast(
            category=category, voter=voter, exhibit=chair if i < 5 else lamp, visitor_id=f"d{i % 4}"
        )
    stored = list(Vote.objects.order_by("pk").values_list("flag_same_device", "flag_bulk_accounts"))
    Vote.objects.update(flag_same_device=False, flag_bulk_accounts=False)
    assert votes.vote_flags_refresh(category=category) > 0
    assert (
        list(Vote.objects.order_by("pk").values_list("flag_same_device", "flag_bulk_accounts"))
        == stored
    )
    assert votes.vote_flags_refresh(category=category) == 0


def test_the_public_leaderboard_is_cached_and_a_vote_clears_it(django_capture_on_commit_callbacks):
    chair, lamp, _ = shown_exhibits()
    category = category_of(chair, lamp)
    assert [row["votes"] for row in votes.leaderboard_public(category)] == [0, 0]
    with django_capture_on_commit_callbacks(execute=True):
        votes.vote_cast(category=category, voter=checked_in_visitor(), exhibit=lamp)
    top = votes.leaderboard_public(category)[0]
    assert (top["title_zh"], top["votes"]) == (
        "展品2",
        1,
    )


def test_only_operators_set_up_awards_and_the_window_must_make_sense():
    now = clock.now()
    with pytest.raises(PermissionDenied):
        votes.award_save(
            award=Award(name_zh="奖", opens_at=now, closes_at=now + timedelta(days=1)),
            by=make_user(),
        )
    with pytest.raises(ValidationFailed) as caught:
        open_award(opens_in=timedelta(days=1), closes_in=timedelta(days=1))
    assert caught.value.code == "invalid_window"


def test_the_worker_rechecks_the_flags_of_categories_still_taking_votes():
    from designmall.o2o.votes_tasks import vote_flags_refresh_open

    (chair,) = shown_exhibits(1)
    category = category_of(chair)
    for _ in range(2):
        votes.vote_cast(
            category=category, voter=checked_in_visitor(), exhibit=chair, visitor_id="p"
        )
    Vote.objects.update(flag_same_device=False)  # as if two racing votes each missed the other
    assert vote_flags_refresh_open() == 1
    assert Vote.objects.filter(flag_same_device=True).count() == 2
    assert votes.vote_flags_refresh(category=category) == 0
    clock.set_frozen(category.award.closes_at + timedelta(days=2))
    assert votes.categories_to_refresh() == []
