"""The rule of a ticket's history, pure: which of its scans let it in or out (``replay``).

See the package's text for how the history is kept; this module has no database access.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from designmall.events.models import (
    ScanDirection,
    ScanOutcome,
)

# --- the rule of a ticket's history (pure) -----------------------------------------------


@dataclass(frozen=True)
class Step:
    """One scan of a ticket that a door acted on, as ``replay`` sees it."""

    ref: int  # the scan's key
    direction: str  # "entry" or "exit"
    allow_reentry: bool  # of the scan's list


@dataclass(frozen=True)
class Verdict:
    outcome: str
    # For a refused step: the accepted step that stands in its way (the entry that let the
    # ticket in, or the exit that let it out); None when there is none.
    winner: int | None = None


@dataclass(frozen=True)
class Presence:
    first_entry: int | None  # the accepted entry that counts as the check-in
    last: int | None  # the latest accepted step
    inside: bool
    entries: int
    exits: int


def replay(steps: Sequence[Step]) -> tuple[dict[int, Verdict], Presence]:
    """The verdict of each step of a ticket's history, in the order they happened, and
    where the ticket is after them. Pure: no Django, no database.

    An entry is accepted when the ticket never entered, or when it is outside and the
    entry's list allows re-entry; an exit is accepted while the ticket is inside.
    """
    verdicts: dict[int, Verdict] = {}
    first = last = last_entry = last_exit = None
    inside = False
    entries = exits = 0
    for step in steps:
        if step.direction == ScanDirection.ENTRY:
            if first is None or (not inside and step.allow_reentry):
                verdicts[step.ref] = Verdict(ScanOutcome.ACCEPTED)
                first = step.ref if first is None else first
                last = last_entry = step.ref
                inside = True
                entries += 1
            else:
                verdicts[step.ref] = Verdict(ScanOutcome.ALREADY_CHECKED_IN, last_entry)
        elif inside:
            verdicts[step.ref] = Verdict(ScanOutcome.ACCEPTED)
            last = last_exit = step.ref
            inside = False
            exits += 1
        else:
            verdicts[step.ref] = Verdict(ScanOutcome.NOT_INSIDE, last_exit)
    return verdicts, Presence(first, last, inside, entries, exits)
