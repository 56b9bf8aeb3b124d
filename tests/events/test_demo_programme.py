"""The demo design week's programme: several venues, 60+ events by seeded designers, 500+
sessions over the ten days, free and priced, some nearly full and one show full; its
counters agree with its reservations, and the same seed plans the same programme."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.db.models import Count, F
from django.utils import timezone

from designmall.demo.generator import build_plan
from designmall.demo.programme import FULL_SHOW_ZH, NEWSELLER_EMAIL, plan_programme
from designmall.events.models import Event, EventKind, Hall, Reservation, Session, Venue
from designmall.events.selectors import programme_days, session_verify
from tests.demo.conftest import (  # noqa: F401  (fixtures: one small seeded week)
    _demo_test_setup,
    demo_media,
    seeded,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


@pytest.fixture(autouse=True)
def _the_stored_week(settings):
    """The demo's week is the one stored when it was seeded, not a configured one."""
    settings.DESIGN_WEEK_START = ""


def test_there_are_several_venues_with_their_halls():
    assert Venue.objects.count() >= 4
    assert Hall.objects.count() >= 12
    assert not Venue.objects.annotate(n=Count("halls")).filter(n=0).exists()


def test_there_are_at_least_60_events_of_every_kind_with_speakers():
    assert Event.objects.filter(status="published").count() >= 60
    kinds = dict(Event.objects.values_list("kind").annotate(n=Count("id")))
    assert set(kinds) == set(EventKind.values)
    assert kinds["exhibition"] >= 4
    assert not Event.objects.annotate(n=Count("speakers")).filter(n=0).exists()
    event = Event.objects.filter(kind="lecture", title_en__contains="a talk by").first()
    assert event.speakers.get().name_en in event.title_en
    assert all(e.title_zh and e.title_en and e.description_en for e in Event.objects.all())


def test_every_cover_is_a_picture_in_storage():
    covers = set(Event.objects.values_list("cover", flat=True))
    assert all(default_storage.exists(name) for name in covers)


def test_at_least_500_sessions_fill_each_of_the_ten_days():
    assert Session.objects.count() >= 500
    days = {
        timezone.localtime(s).date() for s in Session.objects.values_list("starts_at", flat=True)
    }
    assert sorted(days) == programme_days()


def test_exhibitions_have_hourly_timed_entry_every_day():
    exhibition = Event.objects.filter(kind="exhibition").first()
    sessions = list(exhibition.sessions.order_by("starts_at"))
    per_day = Counter(timezone.localtime(s.starts_at).date() for s in sessions)
    assert sorted(per_day) == programme_days()
    assert min(per_day.values()) == 8  # 10:00 to 18:00; later on the day of seeding
    assert {s.ends_at - s.starts_at for s in sessions} == {timedelta(hours=1)}


def test_sessions_are_free_and_priced_and_within_their_halls():
    assert Session.objects.filter(price_fen=0).count() > 100
    assert Session.objects.filter(price_fen__gt=0).count() > 100
    assert not Session.objects.filter(capacity__gt=F("hall__capacity")).exists()
    for hall in Hall.objects.all():
        times = list(hall.sessions.order_by("starts_at").values_list("starts_at", "ends_at"))
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(times))


def test_some_sessions_are_nearly_full_and_the_counters_match_the_reservations():
    nearly = Session.objects.annotate(left=F("capacity") - F("confirmed")).filter(
        left__gte=1, left__lte=3, confirmed__gt=0
    )
    assert nearly.count() >= 10
    assert session_verify() == []


def test_one_show_is_full_and_a_demo_account_holds_two_of_its_seats():
    show = Session.objects.get(event__title_zh=FULL_SHOW_ZH)
    assert show.confirmed == show.capacity
    mine = Reservation.objects.get(session=show, user__email=NEWSELLER_EMAIL)
    assert (mine.seats, mine.status, mine.tickets.count()) == (2, "confirmed", 2)


def test_reservations_open_two_weeks_before_the_week():
    first_day = programme_days()[0]
    opens = Session.objects.order_by("reservation_opens_at").first().reservation_opens_at
    assert timezone.localtime(opens).date() == first_day - timedelta(days=14)


def test_the_same_seed_plans_the_same_programme_and_another_seed_another():
    designers = build_plan(seed=7, products=1).designers

    def planned(seed):
        return plan_programme(
            seed=seed, designers=designers, visitors=300, first_day=date(2026, 11, 20), days=10
        )

    assert planned(7) == planned(7)
    assert planned(7) != planned(8)
