"""Stamps: a booth's rotating code scanned at the booth, and event check-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.o2o import passport
from designmall.o2o.passport_models import Passport, Stamp, StampSource
from tests.events.checkin_kit import at_the_door, make_list, make_staff, payload, scan, tickets_of
from tests.factories import make_session, make_user

from .passport_kit import make_booth, stamp, token_now, token_steps_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.set_frozen(timezone.now().replace(microsecond=0))
    yield
    clock.reset()


def test_a_passport_is_made_on_first_use_and_kept():
    user = make_user()
    first = passport.passport_of(user)
    assert passport.passport_of(user) == first
    assert Passport.objects.filter(user=user).count() == 1


def test_the_code_the_booths_tablet_shows_stamps_the_booth():
    user, booth = make_user(), make_booth()
    result = stamp(user, booth)
    assert result.new
    assert result.stamp.booth == booth and result.stamp.source == StampSource.BOOTH
    assert Stamp.objects.filter(passport__user=user).count() == 1


def test_the_tablet_url_carries_the_booth_and_its_code():
    booth = make_booth()
    shown = passport.booth_code_now(booth)
    assert shown.url.endswith(f"/o/p/{booth.code}/{shown.token}/")
    assert 1 <= shown.seconds_left <= 30


def test_the_previous_30_second_code_still_stamps():
    user, booth = make_user(), make_booth()
    assert stamp(user, booth, token_steps_ago(booth, 1)).new


def test_an_expired_code_does_not_stamp():
    user, booth = make_user(), make_booth()
    token = token_now(booth)
    clock.set_frozen(clock.now() + timedelta(seconds=61))
    with pytest.raises(Conflict) as refused:
        stamp(user, booth, token)
    assert refused.value.code == "stamp_code_expired"
    assert not Stamp.objects.exists()


def test_a_photo_of_a_printed_code_from_yesterday_does_not_stamp():
    user, booth = make_user(), make_booth()
    with pytest.raises(Conflict) as refused:
        stamp(user, booth, token_steps_ago(booth, 2880))
    assert refused.value.code == "stamp_code_expired"


def test_another_booths_code_does_not_stamp_this_booth():
    user, booth, other = make_user(), make_booth(), make_booth()
    with pytest.raises(Conflict) as refused:
        passport.booth_stamp(user=user, booth_code=booth.code, token=token_now(other))
    assert refused.value.code == "stamp_code_wrong"
    assert not Stamp.objects.exists()


def test_a_replayed_code_gives_no_second_stamp():
    user, booth = make_user(), make_booth()
    token = token_now(booth)
    assert stamp(user, booth, token).new
    again = stamp(user, booth, token)
    assert not again.new
    assert Stamp.objects.filter(passport__user=user).count() == 1


def test_a_booth_stamps_a_visitor_once_whatever_code_they_scan_later():
    user, booth = make_user(), make_booth()
    stamp(user, booth)
    clock.set_frozen(clock.now() + timedelta(minutes=5))
    assert not stamp(user, booth).new
    assert Stamp.objects.filter(passport__user=user).count() == 1


def test_many_visitors_at_the_booth_share_the_code_on_the_tablet():
    booth = make_booth()
    token = token_now(booth)
    assert all(stamp(make_user(), booth, token).new for _ in range(3))


def test_a_malformed_code_is_refused_as_input():
    with pytest.raises(ValidationFailed):
        stamp(make_user(), make_booth(), "not-a-code")


def test_a_visitor_not_logged_in_is_asked_to_log_in():
    from django.contrib.auth.models import AnonymousUser

    booth = make_booth()
    with pytest.raises(PermissionDenied):
        passport.booth_stamp(user=AnonymousUser(), booth_code=booth.code, token=token_now(booth))


def test_a_withdrawn_booth_does_not_stamp():
    booth = make_booth()
    token = token_now(booth)
    booth.status = "withdrawn"
    booth.save(update_fields=["status"])
    with pytest.raises(NotFound):
        stamp(make_user(), booth, token)


def test_a_code_seen_before_logging_in_stamps_after_login_within_ten_minutes():
    user, booth = make_user(), make_booth()
    token, seen = token_now(booth), clock.now()
    clock.set_frozen(seen + timedelta(minutes=4))
    result = passport.booth_stamp(user=user, booth_code=booth.code, token=token, seen_at=seen)
    assert result.new


def test_a_code_seen_long_before_logging_in_has_expired():
    user, booth = make_user(), make_booth()
    token, seen = token_now(booth), clock.now()
    clock.set_frozen(seen + timedelta(minutes=11))
    with pytest.raises(Conflict):
        passport.booth_stamp(user=user, booth_code=booth.code, token=token, seen_at=seen)


# --- event check-ins ---------------------------------------------------------------------------


def enter(ticket, session):
    staff = make_staff()
    door = make_list(session, staff=[staff])
    at_the_door(session)
    return scan(door, staff, payload(ticket))


def test_a_ticket_checked_in_stamps_its_holders_passport(django_capture_on_commit_callbacks):
    visitor, session = make_user(), make_session()
    (ticket,) = tickets_of(session, user=visitor)
    with django_capture_on_commit_callbacks(execute=True):
        assert enter(ticket, session).ok
    (found,) = Stamp.objects.filter(passport__user=visitor)
    assert found.source == StampSource.CHECKIN
    assert found.event == session.event and found.ticket == ticket


def test_a_second_ticket_of_the_same_event_does_not_stamp_twice(
    django_capture_on_commit_callbacks,
):
    visitor, session = make_user(), make_session()
    first, second = tickets_of(session, 2, user=visitor)
    with django_capture_on_commit_callbacks(execute=True):
        enter(first, session)
        enter(second, session)
    assert Stamp.objects.filter(passport__user=visitor).count() == 1


def test_a_refused_entry_does_not_stamp(django_capture_on_commit_callbacks):
    visitor, session = make_user(), make_session()
    (ticket,) = tickets_of(session, user=visitor)
    with django_capture_on_commit_callbacks(execute=True):
        enter(ticket, session)
    Stamp.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert not enter(ticket, session).ok  # already checked in: no new first entry
    assert not Stamp.objects.exists()


def test_the_sweeper_stamps_an_entry_whose_hook_was_lost():
    from designmall.o2o.passport_tasks import passport_checkin_stamps

    visitor, session = make_user(), make_session()
    (ticket,) = tickets_of(session, user=visitor)
    enter(ticket, session)  # the after-commit call never runs here
    assert not Stamp.objects.exists()
    assert passport_checkin_stamps() == 1
    assert passport_checkin_stamps() == 0
    assert Stamp.objects.get(passport__user=visitor).event == session.event


def test_a_failing_stamp_never_undoes_the_entry(django_capture_on_commit_callbacks, monkeypatch):
    from designmall.events.checkin import entered

    def broken(ticket_id):
        raise RuntimeError("the passport is down")

    monkeypatch.setattr(entered, "ENTRY_HANDLERS", [broken, passport.checkin_stamp])
    visitor, session = make_user(), make_session()
    (ticket,) = tickets_of(session, user=visitor)
    with django_capture_on_commit_callbacks(execute=True):
        assert enter(ticket, session).ok
    assert Stamp.objects.filter(passport__user=visitor).count() == 1  # the next one ran
