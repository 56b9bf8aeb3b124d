"""The rotating booth code and route progress, as pure rules."""

from __future__ import annotations

from designmall.o2o.passport_rules import (
    STEP_SECONDS,
    Verdict,
    booth_code_at,
    route_progress,
    seconds_left,
    stamps_needed,
    step_at,
    token_check,
    token_make,
    token_read,
)

SECRET = b"s" * 32
NOW = 1_800_000_000.0  # a moment; its step below
STEP = step_at(NOW)


def check(token, *, booth="booth00001", now_step=STEP, used=()):
    return token_check(SECRET, booth=booth, token=token, now_step=now_step, used_steps=used)


def test_the_current_steps_code_stamps():
    assert check(token_make(SECRET, "booth00001", STEP)).verdict == Verdict.OK


def test_the_previous_steps_code_still_stamps():
    reading = check(token_make(SECRET, "booth00001", STEP - 1))
    assert reading.verdict == Verdict.OK and reading.step == STEP - 1


def test_a_code_two_steps_old_has_expired():
    assert check(token_make(SECRET, "booth00001", STEP - 2)).verdict == Verdict.EXPIRED


def test_a_photo_of_a_code_from_an_hour_ago_has_expired():
    old = STEP - 3600 // STEP_SECONDS
    assert check(token_make(SECRET, "booth00001", old)).verdict == Verdict.EXPIRED


def test_another_booths_code_does_not_stamp_this_booth():
    assert check(token_make(SECRET, "booth00002", STEP)).verdict == Verdict.BAD_CODE


def test_a_code_signed_with_another_secret_does_not_stamp():
    assert check(token_make(b"x" * 32, "booth00001", STEP)).verdict == Verdict.BAD_CODE


def test_a_code_of_a_future_step_does_not_stamp():
    assert check(token_make(SECRET, "booth00001", STEP + 1)).verdict == Verdict.BAD_CODE


def test_a_code_used_once_is_a_replay():
    token = token_make(SECRET, "booth00001", STEP)
    assert check(token, used=[STEP]).verdict == Verdict.REPLAYED


def test_garbage_is_malformed():
    for raw in ["", None, "abc", "12-", "-abcdefgh", "x1-abcdefgh", "1-abcdefg!", "1-2-3"]:
        assert check(raw).verdict == Verdict.MALFORMED, raw


def test_a_typed_code_reads_case_blind_with_look_alikes():
    code = booth_code_at(SECRET, "booth00001", STEP)
    assert token_read(f" {STEP}-{code.upper()} ") == (STEP, code)
    if "0" in code:
        assert token_read(f"{STEP}-{code.replace('0', 'O')}") == (STEP, code)


def test_steps_are_thirty_seconds():
    assert step_at(NOW + STEP_SECONDS) == STEP + 1
    assert 1 <= seconds_left(NOW) <= STEP_SECONDS


def test_codes_differ_by_booth_and_step():
    codes = {booth_code_at(SECRET, b, s) for b in ("a", "b") for s in range(STEP, STEP + 50)}
    assert len(codes) == 100


def test_a_route_needs_all_its_places_unless_told_fewer():
    assert stamps_needed(places=5, needed=None) == 5
    assert stamps_needed(places=5, needed=3) == 3
    assert stamps_needed(places=5, needed=9) == 5


def test_route_progress_counts_the_routes_places_stamped():
    progress = route_progress(
        booths=[1, 2, 3], events=[7], needed=3, stamped_booths=[1, 9], stamped_events=[7]
    )
    assert (progress.have, progress.needed, progress.complete) == (2, 3, False)
    done = route_progress(
        booths=[1, 2, 3], events=[7], needed=3, stamped_booths=[1, 2], stamped_events=[7]
    )
    assert done.complete
