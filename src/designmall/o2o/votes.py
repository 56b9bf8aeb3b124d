"""The audience award (人气奖): operators define awards and categories, visitors checked in
at the show vote, everyone sees the leaderboard. The rules are ``votes_rules``; this module
reads and writes them, each change one transaction.

Voting (``vote_cast``). Refused with ``Conflict`` (409) and the rule's code when voting is
not open, the visitor's ticket was never checked in at a door (``events.CheckIn``), or the
exhibit is not in the category. One vote per visitor per category, kept by a unique
constraint: the visitor's row is locked and changed in place; when two first votes race,
the loser of the insert finds the winner's row and changes it. The device id (the
``dm_vid`` cookie) is recorded with each vote.

Flags. After a vote, ``votes_rules``' flags are re-evaluated around it (its device's votes,
and the votes for its old and new exhibit from accounts created near its voter's), so a
burst is flagged as it happens; ``vote_flags_refresh`` re-evaluates a whole category (the
worker does so for open categories: concurrent votes may each miss the other).

Operators. Only operators create and change awards (``PermissionDenied`` otherwise); the
window must close after it opens (``ValidationFailed`` ``invalid_window``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.catalog.models import Category
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.events.models import CheckIn
from designmall.o2o import votes_rules as rules
from designmall.o2o.models import BoothStatus, Exhibit
from designmall.o2o.services import is_operator
from designmall.o2o.votes_models import Award, AwardCategory, Vote

LEADERBOARD_SECONDS = 5  # how stale the public leaderboard may be (phones poll it)
FLAGGED = Q(flag_same_device=True) | Q(flag_bulk_accounts=True)


def _refusals() -> dict[str, str]:
    return {
        "voting_not_open": _("投票还没有开始。"),
        "voting_closed": _("投票已经截止，不能再投票或改票。"),
        "not_checked_in": _("只有在设计周现场检票入场的观众才能投票。"),
        "exhibit_not_in_category": _("这件展品不在这个类别的评选范围内。"),
    }


# --- reads ------------------------------------------------------------------------------------


def award_state(award: Award, *, now: datetime | None = None) -> str:
    """``scheduled``, ``open`` or ``closed`` by the clock (``votes_rules.voting_state``)."""
    return rules.voting_state(
        now=now or clock.now(), opens_at=award.opens_at, closes_at=award.closes_at
    )


def category_state(category: AwardCategory, *, now: datetime | None = None) -> str:
    return award_state(category.award, now=now)


def awards_visible() -> QuerySet[Award]:
    """Published awards, the latest first, with their categories."""
    return Award.objects.filter(is_published=True).prefetch_related("categories")


def category_by_public_id(public_id: str) -> AwardCategory:
    found = (
        AwardCategory.objects.select_related("award")
        .filter(public_id=public_id, award__is_published=True)
        .first()
    )
    if found is None:
        raise NotFound(_("没有找到这个评选类别。"), code="award_category_not_found")
    return found


def _category_ids_below(roots: list[int]) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for cid, parent_id in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(cid)
    ids, frontier = [], list(roots)
    while frontier:
        current = frontier.pop()
        ids.append(current)
        frontier.extend(children.get(current, []))
    return ids


def category_exhibits(category: AwardCategory) -> QuerySet[Exhibit]:
    """The exhibits taking part: listed by hand, or a product in one of the category's
    catalog categories (or below); shown now (active, at an active booth of an approved
    shop)."""
    roots = list(category.catalog_categories.values_list("pk", flat=True))
    taking_part = Q(award_categories=category)
    if roots:
        taking_part |= Q(product__category_id__in=_category_ids_below(roots))
    return (
        Exhibit.objects.filter(
            taking_part,
            is_active=True,
            booth__status=BoothStatus.ACTIVE,
            booth__shop__status="approved",
        )
        .distinct()
        .select_related("product", "lot", "booth__shop", "booth__venue")
        .order_by("booth__venue_id", "booth__number", "position", "id")
    )


def open_categories_of(exhibit: Exhibit) -> list[AwardCategory]:
    """The categories taking votes now that ``exhibit`` (one shown now) takes part in, for
    its page: a few queries whatever the number of categories."""
    now = clock.now()
    open_now = list(
        AwardCategory.objects.filter(
            award__is_published=True, award__opens_at__lte=now, award__closes_at__gt=now
        )
        .select_related("award")
        .prefetch_related("catalog_categories")
        .order_by("award_id", "position", "id")
    )
    if not open_now:
        return []
    listed = set(
        AwardCategory.exhibits.through.objects.filter(
            exhibit_id=exhibit.pk, awardcategory_id__in=[c.pk for c in open_now]
        ).values_list("awardcategory_id", flat=True)
    )
    product_category = exhibit.product.category_id if exhibit.product_id else None
    found = []
    for category in open_now:
        roots = [c.pk for c in category.catalog_categories.all()]
        if category.pk in listed or (
            product_category and roots and product_category in _category_ids_below(roots)
        ):
            found.append(category)
    return found


def voter_checked_in(user: User | None) -> bool:
    """Whether one of the visitor's tickets was checked in at a door of the show."""
    if not getattr(user, "pk", None):
        return False
    return CheckIn.objects.filter(ticket__user=user).exists()


def votes_of(*, voter: User) -> QuerySet[Vote]:
    return Vote.objects.filter(voter=voter).select_related(
        "category__award", "exhibit__product", "exhibit__lot", "exhibit__booth__shop"
    )


@dataclass(frozen=True)
class Board:
    category: AwardCategory
    state: str
    ranked: list[rules.Ranked]
    exhibits: dict[int, Exhibit]

    @property
    def counted(self) -> int:
        return sum(r.standing.votes for r in self.ranked)

    @property
    def flagged(self) -> int:
        return sum(r.standing.flagged for r in self.ranked)


def leaderboard(category: AwardCategory) -> Board:
    """The category's exhibits ranked by votes counted (flagged left out), with the
    flagged count of each for the operator. Votes for an exhibit since withdrawn still
    count and still show."""
    exhibits = {e.pk: e for e in category_exhibits(category)}
    counts = {
        row["exhibit"]: row
        for row in Vote.objects.filter(category=category)
        .values("exhibit")
        .annotate(all=Count("id"), flagged=Count("id", filter=FLAGGED))
    }
    missing = set(counts) - set(exhibits)
    if missing:
        exhibits.update(
            (e.pk, e)
            for e in Exhibit.objects.filter(pk__in=missing).select_related(
                "product", "lot", "booth__shop", "booth__venue"
            )
        )
    standings = [
        rules.Standing(
            exhibit=pk,
            title=exhibit.shown_title,
            votes=counts.get(pk, {}).get("all", 0) - counts.get(pk, {}).get("flagged", 0),
            flagged=counts.get(pk, {}).get("flagged", 0),
        )
        for pk, exhibit in exhibits.items()
    ]
    return Board(category, category_state(category), rules.rank(standings), exhibits)


def _board_key(category_id: int) -> str:
    return f"o2o:award-board:{category_id}"


def leaderboard_public(category: AwardCategory) -> list[dict]:
    """The public leaderboard as plain rows (for the page's JSON and the API), cached for a
        few seconds: every phone at the show polls it. A vote clears it. Both languages' texts
    are in each row."""
    key = _board_key(category.pk)
    rows = cache.get(key)
    if rows is None:
        board = leaderboard(category)
        rows = [
            {
                "rank": r.rank,
                "exhibit": board.exhibits[r.standing.exhibit],
                "votes": r.standing.votes,
            }
            for r in board.ranked
        ]
        rows = [
            {
                "rank": row["rank"],
                "exhibit": row["exhibit"].public_id,
                "code": row["exhibit"].code,
                "title_zh": row["exhibit"].title_zh_shown,
                "title_en": row["exhibit"].title_en_shown,
                "shop_zh": row["exhibit"].booth.shop.name_zh,
                "shop_en": row["exhibit"].booth.shop.name_en,
                "votes": row["votes"],
            }
            for row in rows
        ]
        cache.set(key, rows, LEADERBOARD_SECONDS)
    return rows


def _board_forget(category_id: int) -> None:
    cache.delete(_board_key(category_id))


# --- voting -----------------------------------------------------------------------------------


@transaction.atomic
def vote_cast(
    *, category: AwardCategory, voter: User, exhibit: Exhibit, visitor_id: str = ""
) -> tuple[Vote, bool]:
    """``voter`` votes for ``exhibit`` in ``category`` (see the module's text); returns the
    vote and whether it is the voter's first in the category."""
    category = AwardCategory.objects.select_related("award").get(pk=category.pk)
    refusal = rules.vote_refusal(
        state=category_state(category),
        checked_in=voter_checked_in(voter),
        in_category=category_exhibits(category).filter(pk=exhibit.pk).exists(),
    )
    if refusal:
        raise Conflict(_refusals()[refusal], code=refusal)
    now = clock.now()
    device = (visitor_id or "")[:40]
    vote = Vote.objects.select_for_update().filter(category=category, voter=voter).first()
    created = False
    if vote is None:
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    category=category,
                    voter=voter,
                    exhibit=exhibit,
                    visitor_id=device,
                    cast_at=now,
                    changed_at=now,
                )
                created = True
        except IntegrityError:  # a first vote of the same visitor, committed a moment ago
            vote = Vote.objects.select_for_update().get(category=category, voter=voter)
    before = (vote.exhibit_id, vote.visitor_id)
    if not created and before != (exhibit.pk, device):
        vote.changes += vote.exhibit_id != exhibit.pk
        vote.exhibit, vote.visitor_id, vote.changed_at = exhibit, device, now
        vote.save(update_fields=["exhibit", "visitor_id", "changed_at", "changes"])
    if created or before != (exhibit.pk, device):
        _flags_refresh_around(vote, old_exhibit=before[0], old_device=before[1])
        # Now and once committed: a poll between the two may cache the board before it.
        _board_forget(category.pk)
        transaction.on_commit(lambda: _board_forget(category.pk))
    vote.refresh_from_db()
    return vote, created


def _ballots(votes: QuerySet[Vote]) -> list[rules.Ballot]:
    return [
        rules.Ballot(pk, voter, exhibit, joined, device)
        for pk, voter, exhibit, joined, device in votes.values_list(
            "pk", "voter_id", "exhibit_id", "voter__date_joined", "visitor_id"
        )
    ]


def _flags_apply(field: str, ballots: list[rules.Ballot], flagged: set, among: set) -> None:
    """Set ``field`` on the votes in ``among`` to whether ``flagged`` holds them."""
    on = [b.ref for b in ballots if b.ref in among and b.ref in flagged]
    off = [b.ref for b in ballots if b.ref in among and b.ref not in flagged]
    if on:
        Vote.objects.filter(pk__in=on, **{field: False}).update(**{field: True})
    if off:
        Vote.objects.filter(pk__in=off, **{field: True}).update(**{field: False})


def _flags_refresh_around(vote: Vote, *, old_exhibit: int, old_device: str) -> None:
    """Re-evaluate the flags a change of ``vote`` can touch (the rules are local)."""
    category_votes = Vote.objects.filter(category_id=vote.category_id)
    for device in {vote.visitor_id, old_device} - {""}:
        ballots = _ballots(category_votes.filter(visitor_id=device))
        _flags_apply(
            "flag_same_device", ballots, rules.same_device(ballots), {b.ref for b in ballots}
        )
    if not vote.visitor_id:
        Vote.objects.filter(pk=vote.pk).update(flag_same_device=False)
    joined = vote.voter.date_joined
    window = rules.BULK_WINDOW
    for exhibit_id in {vote.exhibit_id, old_exhibit}:
        ballots = _ballots(
            category_votes.filter(
                exhibit_id=exhibit_id,
                voter__date_joined__gte=joined - 2 * window,
                voter__date_joined__lte=joined + 2 * window,
            )
        )
        near = {b.ref for b in ballots if abs(b.joined_at - joined) <= window}
        _flags_apply("flag_bulk_accounts", ballots, rules.bulk_accounts(ballots), near)


def vote_flags_refresh(*, category: AwardCategory) -> int:
    """Re-evaluate every vote's flags in ``category``; returns how many changed. Idempotent."""
    ballots = _ballots(Vote.objects.filter(category=category))
    everyone = {b.ref for b in ballots}
    flagged = Vote.objects.filter(category=category).filter(FLAGGED)
    before = set(flagged.values_list("pk", flat=True))
    with transaction.atomic():
        _flags_apply("flag_same_device", ballots, rules.same_device(ballots), everyone)
        _flags_apply("flag_bulk_accounts", ballots, rules.bulk_accounts(ballots), everyone)
    after = set(flagged.values_list("pk", flat=True))
    if before != after:
        _board_forget(category.pk)
    return len(before ^ after)


def categories_to_refresh(*, now: datetime | None = None) -> list[int]:
    """Categories whose votes may still change or just did: open, or closed within a day."""
    now = now or clock.now()
    return list(
        AwardCategory.objects.filter(
            award__opens_at__lte=now, award__closes_at__gte=now - timedelta(days=1)
        ).values_list("pk", flat=True)
    )


# --- the operator's awards --------------------------------------------------------------------


def _require_operator(user: User | None) -> None:
    if not is_operator(user):
        raise PermissionDenied(_("只有运营人员可以设置人气奖。"), code="operator_only")


def award_check(*, opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        raise ValidationFailed(
            _("投票截止时间须晚于开始时间。"),
            code="invalid_window",
            details={"field": "closes_at"},
        )


@transaction.atomic
def award_save(*, award: Award, by: User) -> Award:
    """Create or change an award (its names, description, window, publication)."""
    _require_operator(by)
    award_check(opens_at=award.opens_at, closes_at=award.closes_at)
    now = clock.now()
    created = award.pk is None
    if created:
        award.created_at = now
    award.updated_at = now
    award.save()
    audit_record(actor=by, action="award.created" if created else "award.changed", target=award)
    return award


@transaction.atomic
def award_category_save(*, category: AwardCategory, by: User) -> AwardCategory:
    """Create or change a category (its names and place; the exhibits taking part are the
    form's many-to-many fields, saved after it)."""
    _require_operator(by)
    created = category.pk is None
    category.save()
    audit_record(
        actor=by,
        action="award_category.created" if created else "award_category.changed",
        target=category,
    )
    transaction.on_commit(lambda: _board_forget(category.pk))
    return category
