"""At the show: the audience award (人气奖) and favourites (收藏).

Public: ``GET /o2o/awards`` (published awards, their categories and voting state),
``GET /o2o/awards/categories/{public_id}`` (the exhibits taking part) and its
``/leaderboard`` (votes counted, flagged votes left out; cached for a few seconds, poll it).
Visitors: ``PUT /o2o/awards/categories/{public_id}/vote`` votes or changes the vote (one
per visitor per category, so repeating it is harmless: no ``Idempotency-Key`` needed;
201 for a first vote, 200 for a change), refused with 409 ``voting_not_open``,
``voting_closed``, ``not_checked_in`` (no ticket of theirs was checked in at a door) or
``exhibit_not_in_category``; ``GET /o2o/my-votes``. Operators:
``GET /operator/awards/categories/{public_id}/leaderboard`` with the flagged counts.
Favourites: ``GET /o2o/favourites``, ``PUT`` and ``DELETE /o2o/favourites/{exhibit id}``
(both idempotent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from designmall.api.auth import AUTHENTICATED, OPERATOR
from designmall.api.errors import with_errors
from designmall.api.schemas import Input, Page, PageQuery, PublicId, ShopRef, page_out, shop_ref
from designmall.api.v1.o2o import ExhibitRefOut, exhibit_ref_out
from designmall.core.errors import NotFound
from designmall.core.money import format_fen
from designmall.o2o import favourites, selectors, votes
from designmall.o2o.models import Exhibit
from designmall.o2o.votes_models import Award, AwardCategory, Vote

router = Router(tags=["o2o"])
visitor_router = Router(tags=["o2o"], auth=AUTHENTICATED)
operator_router = Router(tags=["o2o"], auth=OPERATOR)

StateValue = Literal["scheduled", "open", "closed"]


class CategoryRefOut(Schema):
    public_id: str
    name_zh: str
    name_en: str


class AwardOut(Schema):
    public_id: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    opens_at: datetime
    closes_at: datetime
    state: StateValue = Field(description="Voting: scheduled, open or closed, by the clock.")
    categories: list[CategoryRefOut]


class CategoryOut(CategoryRefOut):
    award: str = Field(description="The award's public id.")
    state: StateValue
    opens_at: datetime
    closes_at: datetime
    exhibits: list[ExhibitRefOut] = Field(description="The exhibits taking part.")


class StandingOut(Schema):
    rank: int = Field(description="Ties share a rank (1, 2, 2, 4).")
    exhibit: str
    code: str
    title_zh: str
    title_en: str
    shop_zh: str
    shop_en: str
    votes: int = Field(description="Votes counted: flagged votes are left out.")


class LeaderboardOut(Schema):
    category: CategoryRefOut
    state: StateValue
    standings: list[StandingOut]


class OperatorStandingOut(StandingOut):
    flagged: int = Field(description="Votes flagged (one device, bulk-created accounts).")
    all_votes: int


class OperatorLeaderboardOut(Schema):
    category: CategoryRefOut
    state: StateValue
    standings: list[OperatorStandingOut]


class VoteIn(Input):
    exhibit: PublicId = Field(description="The public id of the exhibit voted for.")


class VoteOut(Schema):
    category: CategoryRefOut
    award: str
    exhibit: ExhibitRefOut
    cast_at: datetime
    changed_at: datetime
    changes: int = Field(description="How often the vote moved to another exhibit.")
    changeable: bool = Field(description="Whether voting is still open.")


class FavouriteOut(Schema):
    exhibit: ExhibitRefOut
    shop: ShopRef
    shown: bool = Field(description="False once the exhibit is no longer shown.")
    price_fen: int | None = Field(description="The product's from-price or the lot's price.")
    price_display: str | None
    available: int | None = Field(description="Units buyable now (a product).")
    buyable: bool
    added_at: datetime


def category_ref(category: AwardCategory) -> dict[str, Any]:
    return {
        "public_id": category.public_id,
        "name_zh": category.name_zh,
        "name_en": category.name_en,
    }


def award_out(award: Award) -> dict[str, Any]:
    return {
        "public_id": award.public_id,
        "name_zh": award.name_zh,
        "name_en": award.name_en,
        "description_zh": award.description_zh,
        "description_en": award.description_en,
        "opens_at": award.opens_at,
        "closes_at": award.closes_at,
        "state": votes.award_state(award),
        "categories": [category_ref(c) for c in award.categories.all()],
    }


def vote_out(vote: Vote) -> dict[str, Any]:
    return {
        "category": category_ref(vote.category),
        "award": vote.category.award.public_id,
        "exhibit": exhibit_ref_out(vote.exhibit),
        "cast_at": vote.cast_at,
        "changed_at": vote.changed_at,
        "changes": vote.changes,
        "changeable": votes.category_state(vote.category) == "open",
    }


def _category(public_id: str) -> AwardCategory:
    return votes.category_by_public_id(public_id)


def _exhibit(public_id: str) -> Exhibit:
    found = Exhibit.objects.select_related("product", "lot").filter(public_id=public_id).first()
    if found is None:
        raise NotFound(_("没有找到这个展品。"), code="exhibit_not_found")
    return found


def _device(request: HttpRequest) -> str:
    """The browser's first-party device id when the call comes with its cookies."""
    return request.get_signed_cookie(settings.O2O_VISITOR_COOKIE, default="", salt="o2o.visitor")


# --- the award ------------------------------------------------------------------------------


@router.get("/o2o/awards", response=with_errors({200: list[AwardOut]}))
def awards(request: HttpRequest):
    """Published awards, the latest first, with their categories and voting state."""
    return [award_out(a) for a in votes.awards_visible()[:50]]


@router.get("/o2o/awards/categories/{pid:public_id}", response=with_errors({200: CategoryOut}, 404))
def award_category(request: HttpRequest, public_id: str):
    """A category and the exhibits taking part in it."""
    category = _category(public_id)
    award = category.award
    return {
        **category_ref(category),
        "award": award.public_id,
        "state": votes.category_state(category),
        "opens_at": award.opens_at,
        "closes_at": award.closes_at,
        "exhibits": [exhibit_ref_out(e) for e in votes.category_exhibits(category)[:500]],
    }


@router.get(
    "/o2o/awards/categories/{pid:public_id}/leaderboard",
    url_name="o2o_award_leaderboard",
    response=with_errors({200: LeaderboardOut}, 404),
)
def award_leaderboard(request: HttpRequest, public_id: str):
    """The live leaderboard: exhibits by votes counted (flagged votes left out), ties
    sharing a rank. At most a few seconds old: poll it every 10 seconds or so."""
    category = _category(public_id)
    return {
        "category": category_ref(category),
        "state": votes.category_state(category),
        "standings": votes.leaderboard_public(category),
    }


@visitor_router.put(
    "/o2o/awards/categories/{pid:public_id}/vote",
    response=with_errors({200: VoteOut, 201: VoteOut}, 400, 401, 404, 409, 422),
)
def award_vote(request: HttpRequest, public_id: str, payload: VoteIn):
    """Vote for an exhibit in the category, or change the vote while voting is open (201
    for the first vote, 200 after). 409 ``voting_not_open``, ``voting_closed``,
    ``not_checked_in`` or ``exhibit_not_in_category``."""
    category = _category(public_id)
    vote, created = votes.vote_cast(
        category=category,
        voter=request.auth,
        exhibit=_exhibit(payload.exhibit),
        visitor_id=_device(request),
    )
    vote = votes.votes_of(voter=request.auth).get(pk=vote.pk)
    return Status(201 if created else 200, vote_out(vote))


@visitor_router.get("/o2o/my-votes", response=with_errors({200: list[VoteOut]}, 401))
def my_votes(request: HttpRequest):
    """The caller's votes, one per category voted in."""
    return [vote_out(v) for v in votes.votes_of(voter=request.auth).order_by("-changed_at")[:200]]


@operator_router.get(
    "/operator/awards/categories/{pid:public_id}/leaderboard",
    response=with_errors({200: OperatorLeaderboardOut}, 401, 403, 404),
)
def operator_award_leaderboard(request: HttpRequest, public_id: str):
    """The leaderboard as the operator sees it: counted, flagged and all votes, fresh."""
    found = AwardCategory.objects.select_related("award").filter(public_id=public_id).first()
    if found is None:
        raise NotFound(_("没有找到这个评选类别。"), code="award_category_not_found")
    board = votes.leaderboard(found)
    standings = []
    for ranked in board.ranked:
        exhibit = board.exhibits[ranked.standing.exhibit]
        standings.append(
            {
                "rank": ranked.rank,
                "exhibit": exhibit.public_id,
                "code": exhibit.code,
                "title_zh": exhibit.title_zh_shown,
                "title_en": exhibit.title_en_shown,
                "shop_zh": exhibit.booth.shop.name_zh,
                "shop_en": exhibit.booth.shop.name_en,
                "votes": ranked.standing.votes,
                "flagged": ranked.standing.flagged,
                "all_votes": ranked.standing.all_votes,
            }
        )
    return {"category": category_ref(found), "state": board.state, "standings": standings}


# --- favourites -----------------------------------------------------------------------------


def favourite_out(row: favourites.FavouriteRow) -> dict[str, Any]:
    price = row.price_fen
    return {
        "exhibit": exhibit_ref_out(row.exhibit),
        "shop": shop_ref(row.exhibit.booth.shop),
        "shown": row.shown,
        "price_fen": price,
        "price_display": format_fen(price) if price is not None else None,
        "available": row.available,
        "buyable": row.buyable,
        "added_at": row.favourite.created_at,
    }


@visitor_router.get("/o2o/favourites", response=with_errors({200: Page[FavouriteOut]}, 401, 422))
def favourite_list(request: HttpRequest, query: Query[PageQuery]):
    """The caller's favourite exhibits, the latest first, with price and stock now."""
    page = page_out(favourites.favourites_of(user=request.auth), query, lambda f: f)
    # Price and stock for the whole page at once (three queries, not three per row).
    page["items"] = [favourite_out(row) for row in favourites.favourite_rows(page["items"])]
    return page


@visitor_router.put(
    "/o2o/favourites/{pid:public_id}",
    response=with_errors({200: FavouriteOut, 201: FavouriteOut}, 401, 404),
)
def favourite_add(request: HttpRequest, public_id: str):
    """Keep an exhibit (one shown now) among the caller's favourites: 201 when new, 200
    when it was kept already."""
    exhibit = selectors.exhibit_by_public_id(public_id)
    favourite, created = favourites.favourite_add(user=request.auth, exhibit=exhibit)
    row = favourites.favourite_rows(
        list(favourites.favourites_of(user=request.auth).filter(pk=favourite.pk))
    )[0]
    return Status(201 if created else 200, favourite_out(row))


@visitor_router.delete(
    "/o2o/favourites/{pid:public_id}", response=with_errors({204: None}, 401, 404)
)
def favourite_remove(request: HttpRequest, public_id: str):
    """Drop an exhibit from the caller's favourites (204 whether it was there or not)."""
    favourites.favourite_remove(user=request.auth, exhibit=_exhibit(public_id))
    return HttpResponse(status=204)
