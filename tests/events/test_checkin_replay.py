"""The rule of a ticket's history (``checkin.replay``), pure: an entry is accepted when the
ticket never entered, or is outside on a re-entry list; an exit while it is inside."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from designmall.events.checkin import Presence, Step, Verdict, replay

IN, OUT = "entry", "exit"


def steps(*spec: tuple[str, bool]) -> list[Step]:
    return [Step(n, direction, reentry) for n, (direction, reentry) in enumerate(spec, 1)]


def test_the_first_entry_is_accepted_and_a_second_names_it():
    verdicts, presence = replay(steps((IN, False), (IN, False)))
    assert verdicts == {1: Verdict("accepted"), 2: Verdict("already_checked_in", 1)}
    assert presence == Presence(first_entry=1, last=1, inside=True, entries=1, exits=0)


def test_out_and_back_in_on_a_reentry_list():
    verdicts, presence = replay(steps((IN, True), (OUT, True), (IN, True)))
    assert [v.outcome for v in verdicts.values()] == ["accepted"] * 3
    assert presence == Presence(first_entry=1, last=3, inside=True, entries=2, exits=1)


def test_out_and_not_back_without_reentry():
    verdicts, presence = replay(steps((IN, False), (OUT, False), (IN, False)))
    assert verdicts[3] == Verdict("already_checked_in", 1)
    assert presence.inside is False and presence.exits == 1


def test_an_exit_before_any_entry_is_refused_and_changes_nothing():
    verdicts, presence = replay(steps((OUT, True), (IN, True)))
    assert verdicts[1] == Verdict("not_inside", None)
    assert verdicts[2] == Verdict("accepted")
    assert presence.first_entry == 2


def test_a_second_exit_names_the_first():
    verdicts, _presence = replay(steps((IN, True), (OUT, True), (OUT, True)))
    assert verdicts[3] == Verdict("not_inside", 2)


def test_no_steps_no_entry():
    assert replay([]) == ({}, Presence(None, None, False, 0, 0))


histories = st.lists(st.tuples(st.sampled_from([IN, OUT]), st.booleans()), max_size=30)


@given(histories)
def test_accepted_steps_alternate_starting_with_an_entry(spec):
    history = steps(*spec)
    verdicts, presence = replay(history)
    accepted = [s for s in history if verdicts[s.ref].outcome == "accepted"]
    assert [s.direction for s in accepted] == [IN, OUT] * (len(accepted) // 2) + [IN] * (
        len(accepted) % 2
    )
    entries = sum(s.direction == IN for s in accepted)
    assert (presence.entries, presence.exits) == (entries, len(accepted) - entries)
    assert presence.inside == (len(accepted) % 2 == 1)
    assert presence.last == (accepted[-1].ref if accepted else None)


@given(histories)
def test_the_first_entry_step_is_the_check_in(spec):
    history = steps(*spec)
    _verdicts, presence = replay(history)
    first = next((s.ref for s in history if s.direction == IN), None)
    assert presence.first_entry == first


@given(histories)
def test_without_reentry_a_ticket_enters_once(spec):
    history = [Step(s.ref, s.direction, False) for s in steps(*spec)]
    verdicts, _presence = replay(history)
    entered = [s for s in history if s.direction == IN and verdicts[s.ref].outcome == "accepted"]
    assert len(entered) == min(1, sum(s.direction == IN for s in history))


@given(histories)
def test_each_refusal_names_an_earlier_accepted_step_of_the_same_kind(spec):
    history = steps(*spec)
    verdicts, _presence = replay(history)
    position = {s.ref: n for n, s in enumerate(history)}
    for step in history:
        verdict = verdicts[step.ref]
        if verdict.outcome == "already_checked_in":
            winner = history[position[verdict.winner]]
            assert winner.direction == IN and verdicts[winner.ref].outcome == "accepted"
            assert position[winner.ref] < position[step.ref]
        elif verdict.outcome == "not_inside" and verdict.winner is not None:
            winner = history[position[verdict.winner]]
            assert winner.direction == OUT and verdicts[winner.ref].outcome == "accepted"
            assert position[winner.ref] < position[step.ref]


@given(histories)
def test_refused_steps_change_nothing(spec):
    history = steps(*spec)
    verdicts, presence = replay(history)
    kept = [s for s in history if verdicts[s.ref].outcome == "accepted"]
    again, presence_again = replay(kept)
    assert all(v.outcome == "accepted" for v in again.values())
    assert presence_again == presence
