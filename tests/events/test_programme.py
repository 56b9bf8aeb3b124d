"""The programme: scheduling sessions (checked, counters untouched), timed entry for
exhibitions, publishing, and the reads the pages and the API list it with."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from designmall.core import clock
from designmall.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from designmall.events.models import EventStatus, Session
from designmall.events.programme import (
    event_publish,
    hall_capacity_check,
    session_create,
    session_update,
    sessions_create_timed_entry,
)
from designmall.events.selectors import (
    booking_state,
    event_on_programme,
    events_published,
    programme_days,
    programme_sessions,
    seats_left_by_session,
    session_on_programme,
    session_seats,
)
from designmall.events.services import reservation_create
from tests.events.conftest import seats
from tests.factories import make_designer, make_event, make_hall, make_session, make_user

pytestmark = pytest.mark.django_db


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(2026, 11, day, hour, minute))


def fields(hall, **changes):
    values = {
        "hall": hall,
        "starts_at": local(21, 19),
        "ends_at": local(21, 21),
        "capacity": 120,
        "price_fen": 0,
        "reservation_opens_at": local(6, 10),
        "reservation_closes_at": local(21, 19),
        "per_user_limit": 2,
        "cancel_until": local(20, 19),
    }
    return {**values, **changes}


@pytest.fixture
def hall():
    return make_hall(capacity=200)


def test_a_session_is_scheduled_with_empty_counters(hall):
    session = session_create(event=make_event(), by=None, **fields(hall))
    assert (session.confirmed, session.held, session.status) == (0, 0, "scheduled")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": local(21, 19)}, "ends_at"),
        ({"capacity": 201}, "capacity"),
        ({"capacity": 0}, "capacity"),
        ({"price_fen": -1}, "price_fen"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"per_user_limit": 21}, "per_user_limit"),
        ({"reservation_closes_at": local(6, 10)}, "reservation_closes_at"),
        ({"reservation_closes_at": local(21, 22)}, "reservation_closes_at"),
        ({"cancel_until": local(21, 19, 30)}, "cancel_until"),
    ],
)
def test_a_session_that_cannot_be_held_is_refused_naming_the_field(hall, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        session_create(event=make_event(), by=None, **fields(hall, **changes))
    assert refused.value.details["field"] == field
    assert not Session.objects.exists()


def test_two_sessions_cannot_share_a_hall_at_the_same_time(hall):
    first = session_create(event=make_event(), by=None, **fields(hall))
    with pytest.raises(ValidationFailed) as refused:
        session_create(
            event=make_event(),
            by=None,
            **fields(hall, starts_at=local(21, 20), ends_at=local(21, 22)),
        )
    assert refused.value.details["clash"] == first.public_id
    # Back to back is fine.
    session_create(
        event=make_event(), by=None, **fields(hall, starts_at=local(21, 21), ends_at=local(21, 23))
    )


def test_changing_a_session_leaves_its_counters_alone(hall):
    session = make_session(hall=hall, capacity=10)
    reservation_create(session=session, user=make_user(), seats=3)
    stale = Session.objects.get(pk=session.pk)  # read before the next reservation
    reservation_create(session=session, user=make_user(), seats=2)

    session_update(session=stale, by=None, per_user_limit=3, price_fen=0)

    assert seats(session) == (5, 0)
    assert session.per_user_limit == 3


def test_the_capacity_never_goes_below_the_seats_taken(hall):
    session = make_session(hall=hall, capacity=10)
    reservation_create(session=session, user=make_user(), seats=4)
    with pytest.raises(Conflict) as refused:
        session_update(session=session, by=None, capacity=3)
    assert refused.value.code == "capacity_below_taken"
    assert session_update(session=session, by=None, capacity=4).capacity == 4


def test_a_cancelled_session_cannot_be_changed(hall):
    session = make_session(hall=hall, status="cancelled")
    with pytest.raises(InvalidTransition):
        session_update(session=session, by=None, capacity=20)


def test_a_hall_cannot_shrink_below_its_sessions(hall):
    make_session(hall=hall, capacity=150)
    with pytest.raises(ValidationFailed):
        hall_capacity_check(hall=hall, capacity=149)
    hall_capacity_check(hall=hall, capacity=150)


def test_an_exhibition_gets_one_entry_session_per_hour_for_each_day(hall):
    exhibition = make_event(kind="exhibition")
    made = sessions_create_timed_entry(
        event=exhibition,
        hall=hall,
        first_day=date(2026, 11, 20),
        days=10,
        opens=time(10),
        closes=time(18),
        capacity=80,
        price_fen=4_000,
        reservation_opens_at=local(6, 10),
        by=None,
    )
    assert len(made) == 80
    first = made[0]
    assert timezone.localtime(first.starts_at) == local(20, 10)
    assert first.ends_at - first.starts_at == timedelta(hours=1)
    assert first.reservation_closes_at == first.ends_at
    assert first.cancel_until == first.starts_at - timedelta(hours=2)
    assert {s.capacity for s in made} == {80}


def test_only_exhibitions_have_timed_entry(hall):
    with pytest.raises(ValidationFailed) as refused:
        sessions_create_timed_entry(
            event=make_event(kind="lecture"),
            hall=hall,
            first_day=date(2026, 11, 20),
            days=1,
            opens=time(10),
            closes=time(18),
            capacity=80,
            reservation_opens_at=local(6, 10),
            by=None,
        )
    assert refused.value.code == "not_an_exhibition"


def test_publishing_puts_a_draft_on_the_programme():
    event = make_event(status="draft")
    session = make_session(event=event)
    with pytest.raises(NotFound):
        session_on_programme(public_id=session.public_id)
    assert event_publish(event=event, by=None).status == EventStatus.PUBLISHED
    assert session_on_programme(public_id=session.public_id) == session
    with pytest.raises(InvalidTransition):
        event_publish(event=event, by=None)


def test_the_programme_filters_by_day_venue_kind_and_price():
    clock.set_frozen(local(10, 12))
    lecture_hall, show_hall = make_hall(), make_hall()
    lecture = make_event(kind="lecture")
    show = make_event(kind="show")
    a = make_session(event=lecture, hall=lecture_hall, starts_at=local(20, 14))
    b = make_session(event=show, hall=show_hall, starts_at=local(20, 19), price_fen=18_000)
    c = make_session(event=lecture, hall=lecture_hall, starts_at=local(21, 14))
    make_session(event=make_event(status="draft"), hall=show_hall, starts_at=local(21, 19))

    assert list(programme_sessions()) == [a, b, c]
    assert list(programme_sessions(day=date(2026, 11, 20))) == [a, b]
    assert list(programme_sessions(venue=show_hall.venue.public_id)) == [b]
    assert list(programme_sessions(kind="lecture")) == [a, c]
    assert list(programme_sessions(free=False)) == [b]
    assert list(programme_sessions(event=lecture.public_id, free=True)) == [a, c]
    assert list(events_published(day=date(2026, 11, 21))) == [lecture]
    assert [e.sessions_n for e in events_published(kind="lecture")] == [2]


def test_an_event_shows_its_speakers():
    speaker = make_designer(name_en="Lin Xiaohe")
    event = make_event(speakers=[speaker])
    assert list(event_on_programme(public_id=event.public_id).speakers.all()) == [speaker]
    with pytest.raises(NotFound):
        event_on_programme(public_id=make_event(status="draft").public_id)


def test_seats_left_are_read_live():
    session = make_session(capacity=5)
    stale = Session.objects.get(pk=session.pk)
    reservation_create(session=session, user=make_user(), seats=2)

    live = session_seats(session=stale)
    assert (live.capacity, live.confirmed, live.held, live.left) == (5, 2, 0, 3)
    assert live.booking == "open"
    assert seats_left_by_session([session.pk]) == {session.pk: 3}
    reservation_create(session=session, user=make_user(), seats=3)
    assert session_seats(session=session).booking == "full"
    clock.set_frozen(session.reservation_closes_at)
    assert booking_state(session=Session.objects.select_related("event").get(pk=session.pk)) == (
        "closed"
    )


def test_the_programme_days_are_the_design_week():
    days = programme_days()
    assert (days[0], days[-1], len(days)) == (date(2026, 11, 20), date(2026, 11, 29), 10)
