"""The audience award's plain rules, without Django: when voting is open, who may vote,
which votes are flagged for the operator, and how the leaderboard ranks.

Voting. A category's voting is open from the award's ``opens_at`` (included) to its
``closes_at`` (excluded). A vote is refused, in this order, when voting has not opened
(``voting_not_open``), has closed (``voting_closed``), the visitor's ticket was never
checked in at the show (``not_checked_in``), or the exhibit is not in the category
(``exhibit_not_in_category``). One vote per visitor per category; voting again while open
changes it.

Flags. Both rules look at one category's votes at a time; a flagged vote stays a vote (the
operator sees it and both counts) but is left out of the public leaderboard.

- ``same_device``: votes from ``SAME_DEVICE_MIN_ACCOUNTS`` (2) or more different accounts
  on one device (the same first-party ``dm_vid`` cookie id) in one category: one phone
  casting ballots for several accounts is the cheapest way to stuff a ballot box. Votes
  with no device id (an app's API call) are never grouped.
- ``bulk_accounts``: ``BULK_MIN_ACCOUNTS`` (5) or more accounts created within
  ``BULK_WINDOW`` (10 minutes) of each other that voted for the same exhibit in the
  category: every vote of such a burst is flagged. Real visitors register over days and
  spread their votes; a script registering accounts to push one piece does neither.
  Precisely: a vote is flagged when some span of ``BULK_WINDOW`` (ends included) holds its
  account's creation time and those of at least ``BULK_MIN_ACCOUNTS`` accounts voting for
  the same exhibit.

Both rules are local: a vote's ``same_device`` flag depends only on the votes sharing its
device, its ``bulk_accounts`` flag only on the votes for its exhibit from accounts created
within ``BULK_WINDOW`` of its own (so a change can be re-evaluated around it: the votes
within one window of it, looking at those within two).

Leaderboard. Exhibits by votes counted (flagged left out), most first, ties sharing a rank
(1, 2, 2, 4) and listed by title.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

SAME_DEVICE_MIN_ACCOUNTS = 2
BULK_MIN_ACCOUNTS = 5
BULK_WINDOW = timedelta(minutes=10)

SCHEDULED, OPEN, CLOSED = "scheduled", "open", "closed"


def voting_state(*, now: datetime, opens_at: datetime, closes_at: datetime) -> str:
    """``scheduled`` before ``opens_at``, ``open`` until ``closes_at`` (excluded), then
    ``closed``."""
    if now < opens_at:
        return SCHEDULED
    return OPEN if now < closes_at else CLOSED


def vote_refusal(*, state: str, checked_in: bool, in_category: bool) -> str | None:
    """Why a vote is refused (the first reason, as the module says), or None."""
    if state == SCHEDULED:
        return "voting_not_open"
    if state == CLOSED:
        return "voting_closed"
    if not checked_in:
        return "not_checked_in"
    if not in_category:
        return "exhibit_not_in_category"
    return None


@dataclass(frozen=True)
class Ballot:
    """A vote as the flag rules see it."""

    ref: Hashable
    voter: Hashable
    exhibit: Hashable
    joined_at: datetime  # when the voter's account was created
    device: str  # the first-party cookie id, "" when unknown


def same_device(
    ballots: Iterable[Ballot], *, min_accounts: int = SAME_DEVICE_MIN_ACCOUNTS
) -> set[Hashable]:
    """The refs of the ballots cast from a device ``min_accounts`` or more accounts voted
    from."""
    by_device: dict[str, list[Ballot]] = defaultdict(list)
    for ballot in ballots:
        if ballot.device:
            by_device[ballot.device].append(ballot)
    return {
        b.ref
        for group in by_device.values()
        if len({b.voter for b in group}) >= min_accounts
        for b in group
    }


def bulk_accounts(
    ballots: Iterable[Ballot],
    *,
    window: timedelta = BULK_WINDOW,
    min_accounts: int = BULK_MIN_ACCOUNTS,
) -> set[Hashable]:
    """The refs of the ballots in a burst: ``min_accounts`` or more accounts created within
    ``window`` that voted for the same exhibit."""
    by_exhibit: dict[Hashable, list[Ballot]] = defaultdict(list)
    for ballot in ballots:
        by_exhibit[ballot.exhibit].append(ballot)
    flagged: set[Hashable] = set()
    for group in by_exhibit.values():
        group.sort(key=lambda b: b.joined_at)
        end = 0
        for start, first in enumerate(group):
            end = max(end, start)
            while end + 1 < len(group) and group[end + 1].joined_at - first.joined_at <= window:
                end += 1
            span = group[start : end + 1]
            if len({b.voter for b in span}) >= min_accounts:
                flagged.update(b.ref for b in span)
    return flagged


@dataclass(frozen=True)
class Standing:
    exhibit: Hashable
    title: str
    votes: int  # counted: flagged votes left out
    flagged: int

    @property
    def all_votes(self) -> int:
        return self.votes + self.flagged


@dataclass(frozen=True)
class Ranked:
    rank: int
    standing: Standing


def rank(standings: Iterable[Standing]) -> list[Ranked]:
    """Most counted votes first, ties share a rank (1, 2, 2, 4), then by title."""
    ordered = sorted(standings, key=lambda s: (-s.votes, s.title, str(s.exhibit)))
    ranked: list[Ranked] = []
    for i, standing in enumerate(ordered):
        same = ranked and ranked[-1].standing.votes == standing.votes
        ranked.append(Ranked(ranked[-1].rank if same else i + 1, standing))
    return ranked
