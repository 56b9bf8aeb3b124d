"""A visitor reaches only their own reservations, waiting-list entries and messages;
anyone else's are 404, exactly as if they did not exist."""

from __future__ import annotations

import pytest

from designmall.core.errors import NotFound
from designmall.events.selectors import (
    notifications_for_user,
    reservation_for_user,
    reservations_for_user,
    waitlist_entries_for_user,
    waitlist_entry_for_session,
    waitlist_entry_for_user,
)
from designmall.events.services import (
    notification_mark_read,
    reservation_cancel,
    reservation_create,
    session_cancel,
    waitlist_join,
)
from tests.events.conftest import run_jobs
from tests.factories import make_operator, make_session, make_user

pytestmark = pytest.mark.django_db


def test_reservations_are_their_visitors_own():
    mine, theirs = make_user(), make_user()
    session = make_session()
    kept = reservation_create(session=session, user=mine, seats=1)
    other = reservation_create(session=session, user=theirs, seats=1)

    assert list(reservations_for_user(user=mine)) == [kept]
    assert reservation_for_user(user=mine, public_id=kept.public_id) == kept
    with pytest.raises(NotFound):
        reservation_for_user(user=mine, public_id=other.public_id)


def test_waiting_list_entries_are_their_visitors_own():
    session = make_session(capacity=1)
    reservation_create(session=session, user=make_user(), seats=1)
    mine, theirs = make_user(), make_user()
    entry = waitlist_join(session=session, user=mine, seats=1)
    other = waitlist_join(session=session, user=theirs, seats=1)

    assert list(waitlist_entries_for_user(user=mine)) == [entry]
    assert waitlist_entry_for_session(user=mine, session=session) == entry
    with pytest.raises(NotFound):
        waitlist_entry_for_user(user=mine, public_id=other.public_id)


def test_messages_are_read_by_their_visitors_only():
    holder = make_user()
    session = make_session()
    reservation_create(session=session, user=holder, seats=1)
    session_cancel(session=session, by=make_operator(), reason="取消")
    run_jobs()
    message = notifications_for_user(user=holder).get()

    with pytest.raises(NotFound):
        notification_mark_read(notification=message, user=make_user())
    assert notifications_for_user(user=holder, unread_only=True).count() == 1
    notification_mark_read(notification=message, user=holder)
    assert notifications_for_user(user=holder, unread_only=True).count() == 0


def test_a_visitor_filters_their_reservations_by_status_and_time():
    visitor = make_user()
    reservation = reservation_create(session=make_session(), user=visitor, seats=1)
    reservation_cancel(reservation=reservation, by=visitor)
    assert list(reservations_for_user(user=visitor, status="cancelled")) == [reservation]
    assert list(reservations_for_user(user=visitor, upcoming=True)) == [reservation]
    assert list(reservations_for_user(user=visitor, upcoming=False)) == []
