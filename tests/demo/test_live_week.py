"""Whatever day the demo data is built, its design week is running: two days past, today
live (sessions later today open for reservation, the buyer's ticket for one about to
start), the rest to come, an auction on; the dates are stored so every process agrees,
``DESIGN_WEEK_START`` still fixes them for a real show, and a demo started after its week
ended says so and how to rebuild."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from designmall.auctions.selectors import lots_listed
from designmall.core import clock
from designmall.demo.management.commands.demo import startup_banner
from designmall.demo.programme import BUYER_EMAIL, FULL_SHOW_ZH, NEWSELLER_EMAIL
from designmall.demo.week import FRESH_COMMAND, REBUILD_COMMAND, sqlite_files, week_over_notice
from designmall.events import rules
from designmall.events.models import DesignWeek, Reservation, Session, Ticket
from designmall.events.selectors import booking_state, programme_days
from designmall.events.signing import ticket_validity
from designmall.events.week import WeekDates, local_today, week_dates
from designmall.storefront.week import design_week

from .conftest import TEST_SEED

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRODUCTS = 60
BUILT_AT = [
    datetime(2026, 12, 5, 11, 48, tzinfo=SHANGHAI),  # late morning
    datetime(2027, 3, 14, 21, 40, tzinfo=SHANGHAI),  # evening: the exhibitions stay open late
    datetime(2028, 2, 29, 7, 5, tzinfo=SHANGHAI),  # early morning, on a leap day
]


def _build(at: datetime) -> None:
    clock.set_frozen(at)
    call_command("seed", products=PRODUCTS, seed=TEST_SEED, verbosity=0)


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


@pytest.mark.parametrize("built_at", BUILT_AT, ids=lambda at: f"{at:%Y-%m-%d %H:%M}")
def test_a_demo_built_on_any_day_runs_its_week_with_that_day_live(built_at):
    _build(built_at)
    today = built_at.date()
    sessions = list(Session.objects.select_related("event"))

    assert programme_days()[2] == today
    assert len(programme_days()) == 10
    week = design_week()
    assert (week.is_on, week.day_number) == (True, 3)
    past = [s for s in sessions if _day(s.starts_at) < today]
    assert past
    assert {booking_state(session=s) for s in past} == {rules.Booking.CLOSED}
    later_today = [s for s in sessions if _day(s.starts_at) == today and s.starts_at > built_at]
    assert any(booking_state(session=s) == rules.Booking.OPEN for s in later_today)
    to_come = [s for s in sessions if _day(s.starts_at) > today]
    assert {booking_state(session=s) for s in to_come} <= {rules.Booking.OPEN, rules.Booking.FULL}
    assert rules.Booking.OPEN in {booking_state(session=s) for s in to_come}


@pytest.mark.parametrize("built_at", BUILT_AT[:2], ids=lambda at: f"{at:%H:%M}")
def test_the_buyer_holds_a_ticket_for_a_session_about_to_start_and_others(built_at):
    _build(built_at)
    tickets = list(Ticket.objects.filter(user__email=BUYER_EMAIL).select_related("session"))
    soon = [t for t in tickets if t.session.starts_at > built_at]
    first = min(soon, key=lambda t: t.session.starts_at)
    valid_from, _until = ticket_validity(first.session)
    assert valid_from <= built_at + timedelta(hours=1)  # its doors open within the hour
    assert any(t.session.ends_at < built_at for t in tickets)  # one of a past day
    assert any(_day(t.session.starts_at) > built_at.date() for t in tickets)


def test_the_full_show_the_new_seller_can_give_up_is_still_to_come():
    _build(BUILT_AT[1])
    mine = Reservation.objects.get(
        session__event__title_zh=FULL_SHOW_ZH, user__email=NEWSELLER_EMAIL
    )
    assert mine.session.cancel_until > clock.now()


@pytest.mark.parametrize("built_at", BUILT_AT, ids=lambda at: f"{at:%Y-%m-%d}")
def test_the_auction_sale_is_running_whenever_the_demo_is_built(built_at):
    _build(built_at)
    assert lots_listed(which="live", now=built_at).count() >= 10
    assert lots_listed(which="upcoming", now=built_at).exists()


def test_the_week_is_stored_so_every_process_and_later_day_agrees():
    _build(BUILT_AT[0])
    stored = DesignWeek.objects.get()
    assert stored.starts_on == date(2026, 12, 3)

    clock.set_frozen(BUILT_AT[0] + timedelta(days=4))  # another process, days later
    assert week_dates().starts_on == date(2026, 12, 3)
    assert design_week().day_number == 7


def test_design_week_start_still_fixes_the_dates_of_a_real_show(settings):
    settings.DESIGN_WEEK_START = "2027-05-01"
    _build(BUILT_AT[0])

    assert programme_days() == [date(2027, 5, day) for day in range(1, 11)]
    days = {_day(at) for at in Session.objects.values_list("starts_at", flat=True)}
    assert days == set(programme_days())


def test_the_startup_banner_says_which_day_of_the_week_it_is():
    week = WeekDates(date(2026, 12, 3), 10)
    banner = startup_banner("http://127.0.0.1:8000/", week=week, today=date(2026, 12, 5))
    assert "设计周第 3 天 / day 3 of 10" in banner
    assert "2026-12-03 – 2026-12-12" in banner
    assert REBUILD_COMMAND not in banner


def test_a_demo_started_after_its_week_ended_says_so_and_how_to_rebuild():
    _build(BUILT_AT[0])
    clock.set_frozen(BUILT_AT[0] + timedelta(days=12))

    notice = week_over_notice(week_dates(), local_today())
    banner = startup_banner("http://127.0.0.1:8000/", week=week_dates(), today=local_today())
    assert "2026-12-12" in notice
    assert "designmall seed --reset" in notice
    assert notice in banner
    assert "the design week is over" in banner


def test_rebuilding_a_week_that_ended_places_it_around_the_new_day():
    _build(BUILT_AT[0])
    later = BUILT_AT[0] + timedelta(days=30)
    clock.set_frozen(later)
    call_command("seed", products=PRODUCTS, seed=TEST_SEED, reset=True, verbosity=0)

    assert week_over_notice(week_dates(), local_today()) is None
    assert programme_days()[2] == later.date()


def test_on_sqlite_the_notice_offers_to_start_again_from_an_empty_database(settings):
    notice = week_over_notice(WeekDates(date(2026, 11, 20), 10), date(2026, 12, 5))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert FRESH_COMMAND in notice
    assert REBUILD_COMMAND in notice


def test_starting_afresh_deletes_only_an_sqlite_file_and_its_log():
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/var/designmall.sqlite3"}
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "designmall"}
    memory = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

    assert [str(p) for p in sqlite_files(sqlite)] == [
        "/srv/var/designmall.sqlite3",
        "/srv/var/designmall.sqlite3-wal",
        "/srv/var/designmall.sqlite3-shm",
    ]
    assert sqlite_files(postgres) == sqlite_files(memory) == []
