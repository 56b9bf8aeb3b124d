"""The events back office: operators schedule sessions through the programme services
(never writing the seat counters), see seats confirmed/held/left, cancel a session with a
reason, and read reservations, waiting lists and tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.money import Money
from designmall.events.models import (
    EventKey,
    ReservationStatus,
    Session,
    SessionStatus,
    Venue,
)
from designmall.events.selectors import event_public_key
from designmall.events.services import reservation_create
from tests.events.conftest import fresh, seats
from tests.factories import make_event, make_hall, make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = make_user(role=Role.OPERATOR)
    client.force_login(user)
    return user


def split(moment) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


def session_form(session_fields: dict) -> dict:
    data = {}
    for name, value in session_fields.items():
        if hasattr(value, "tzinfo"):
            for part, text in split(value).items():
                data[f"{name}_{part}"] = text
        elif name.endswith("_fen") and isinstance(value, int):
            data[name] = Money(value).yuan_str()  # the back office takes yuan
        else:
            data[name] = getattr(value, "pk", value)
    return data


@pytest.mark.parametrize(
    "model", ["venue", "hall", "event", "session", "reservation", "waitlistentry", "ticket"]
)
def test_the_lists_open_for_operators(client, operator, model):
    session = make_session()
    reservation_create(session=session, user=make_user(), seats=1)
    page = client.get(reverse(f"admin:events_{model}_changelist"), {"q": session.public_id})
    assert page.status_code == 200


def test_the_session_list_shows_seats_confirmed_held_and_left(client, operator):
    session = make_session(capacity=9, price_fen=100)
    reservation_create(session=session, user=make_user(), seats=2)
    page = client.get(reverse("admin:events_session_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert '<td class="field-held">2</td>' in text
    assert '<td class="field-seats_left_display">7</td>' in text


def test_an_operator_schedules_a_session_in_the_back_office(client, operator):
    event, hall = make_event(), make_hall(capacity=100)
    starts = clock.now() + timedelta(days=5)
    data = session_form(
        {
            "event": event,
            "hall": hall,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
            "capacity": 80,
            "price_fen": 3_000,
            "reservation_opens_at": clock.now(),
            "reservation_closes_at": starts,
            "per_user_limit": 2,
            "cancel_until": starts - timedelta(days=1),
        }
    )
    response = client.post(reverse("admin:events_session_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    session = Session.objects.get()
    assert (session.capacity, session.confirmed, session.held) == (80, 0, 0)
    assert session.price_fen == 3_000  # typed as 30.00 yuan


def test_a_session_over_the_halls_capacity_is_refused_on_the_form(client, operator):
    event, hall = make_event(), make_hall(capacity=50)
    starts = clock.now() + timedelta(days=5)
    data = session_form(
        {
            "event": event,
            "hall": hall,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
            "capacity": 80,
            "price_fen": 0,
            "reservation_opens_at": clock.now(),
            "reservation_closes_at": starts,
            "per_user_limit": 2,
            "cancel_until": starts,
        }
    )
    response = client.post(reverse("admin:events_session_add"), data)
    assert response.status_code == 200
    assert "展厅容量 50" in response.content.decode()
    assert not Session.objects.exists()


def test_saving_a_session_form_never_writes_the_counters(client, operator):
    session = make_session(capacity=10)
    url = reverse("admin:events_session_change", args=[session.pk])
    assert client.get(url).status_code == 200
    reservation_create(session=session, user=make_user(), seats=3)  # after the form was read
    data = session_form(
        {
            name: getattr(session, name)
            for name in (
                "hall",
                "starts_at",
                "ends_at",
                "reservation_opens_at",
                "reservation_closes_at",
                "cancel_until",
            )
        }
    )
    data.update(capacity=12, price_fen=0, per_user_limit=4)

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert fresh(session).capacity == 12
    assert seats(session) == (3, 0)


def test_an_operator_cancels_a_session_with_a_reason(client, operator):
    session = make_session()
    reservation = reservation_create(session=session, user=make_user(), seats=1)
    url = reverse("admin:events_session_changelist")
    chosen = {"action": "cancel", "_selected_action": [session.pk]}

    asked = client.post(url, chosen)
    assert asked.status_code == 200 and "原因" in asked.content.decode()
    done = client.post(url, {**chosen, "apply": "1", "reason": "暴雨预警，场馆关闭"})

    assert done.status_code == 302
    assert fresh(session).status == SessionStatus.CANCELLED
    assert fresh(session).cancel_reason == "暴雨预警，场馆关闭"
    assert fresh(reservation).status == ReservationStatus.CANCELLED


def test_staff_without_the_permission_cannot_cancel_sessions(client):
    from django.contrib.auth.models import Permission

    clerk = make_user(role=None, is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="events", codename="view_session")
    )
    client.force_login(clerk)
    session = make_session()
    page = client.get(reverse("admin:events_session_changelist"))
    assert page.status_code == 200
    assert 'value="cancel"' not in page.content.decode()
    client.post(
        reverse("admin:events_session_changelist"),
        {"action": "cancel", "_selected_action": [session.pk], "apply": "1", "reason": "x"},
    )
    assert fresh(session).status == SessionStatus.SCHEDULED


def test_an_operator_publishes_a_draft_event(client, operator):
    event = make_event(status="draft")
    client.post(
        reverse("admin:events_event_changelist"),
        {"action": "publish", "_selected_action": [event.pk]},
    )
    assert fresh(event).status == "published"


def test_an_exhibition_gets_its_timed_entry_from_the_back_office(client, operator):
    exhibition, hall = make_event(kind="exhibition"), make_hall(capacity=100)
    url = reverse("admin:events_event_changelist")
    chosen = {"action": "timed_entry", "_selected_action": [exhibition.pk]}
    assert client.post(url, chosen).status_code == 200
    response = client.post(
        url,
        {
            **chosen,
            "apply": "1",
            "hall": hall.pk,
            "first_day": "2026-11-20",
            "days": "2",
            "opens": "10:00",
            "closes": "18:00",
            "slot_minutes": "60",
            "capacity": "60",
            "price_fen": "0",
            "per_user_limit": "4",
            "reservation_opens_at": "2026-11-01 10:00:00",
        },
    )
    assert response.status_code == 302
    assert exhibition.sessions.count() == 16


def test_a_venue_is_added_with_its_halls(client, operator):
    response = client.post(
        reverse("admin:events_venue_add"),
        {
            "name_zh": "滨江设计中心",
            "name_en": "Riverside Design Centre",
            "address_zh": "上海市徐汇区龙腾大道 2555 号",
            "address_en": "2555 Longteng Avenue, Xuhui, Shanghai",
            "position": "1",
            "halls-TOTAL_FORMS": "2",
            "halls-INITIAL_FORMS": "0",
            "halls-MIN_NUM_FORMS": "0",
            "halls-MAX_NUM_FORMS": "1000",
            "halls-0-name_zh": "一号厅",
            "halls-0-name_en": "Hall 1",
            "halls-0-capacity": "300",
            "halls-1-name_zh": "",
            "halls-1-name_en": "",
            "halls-1-capacity": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    venue = Venue.objects.get(name_zh="滨江设计中心")
    assert [(h.name_zh, h.capacity) for h in venue.halls.all()] == [("一号厅", 300)]


def test_bookings_are_read_only(client, operator):
    reservation = reservation_create(session=make_session(), user=make_user(), seats=1)
    url = reverse("admin:events_reservation_change", args=[reservation.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 403
    assert client.get(reverse("admin:events_reservation_add")).status_code == 403


def test_the_key_page_never_shows_the_private_key(client, operator):
    event_public_key()
    key = EventKey.objects.get()
    page = client.get(reverse("admin:events_eventkey_change", args=[key.pk])).content.decode()
    assert key.public_key in page
    assert "PRIVATE KEY" not in page
