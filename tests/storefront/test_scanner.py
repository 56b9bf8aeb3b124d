"""The scanner page: venue staff choose a check-in list and check tickets in by typing the
code (a plain form, no JavaScript needed) with a big green or red answer; the camera part
is scanner.js with the vendored jsQR, posting to the check-in API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from designmall.core import clock
from designmall.events.models import CheckIn, Scan
from tests.events.checkin_kit import at_the_door, make_list, make_staff, payload, tickets_of
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db
LISTS = reverse("storefront:scanner")


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.EVENT_DOORS_OPEN_MINUTES = 60
    clock.set_frozen(clock.now().replace(microsecond=0))


@pytest.fixture
def staff(client):
    user = make_staff("检票员小李")
    client.force_login(user)
    return user


@pytest.fixture
def session():
    return make_session(capacity=10)


@pytest.fixture
def door(session, staff):
    return make_list(session, staff=[staff], gate="东门", name="材料讲座")


@pytest.fixture
def ticket(session):
    (ticket,) = tickets_of(session)
    at_the_door(session)
    return ticket


def page_of(door) -> str:
    return reverse("storefront:scanner_list", args=[door.public_id])


def manual(client, door, code: str, *, direction: str = "entry", scan_id: str | None = None):
    form = client.get(page_of(door)).context["form"]
    return client.post(
        page_of(door),
        {"payload": code, "direction": direction, "scan_id": scan_id or form.initial["scan_id"]},
    )


# --- who gets in --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(LISTS)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('storefront:login')}?next={LISTS}"


def test_visitors_are_refused(client, door):
    client.force_login(make_user())
    assert client.get(LISTS).status_code == 403
    assert client.get(page_of(door)).status_code == 403


def test_staff_see_only_their_lists(client, staff, door, session):
    theirs = make_list(session, staff=[make_staff()], name="别人的门")
    page = client.get(LISTS)
    text = page.content.decode()
    assert page.status_code == 200
    assert "材料讲座" in text and page_of(door) in text
    assert "别人的门" not in text
    assert client.get(page_of(theirs)).status_code == 404


def test_staff_without_lists_are_told_whom_to_ask(client, staff):
    assert "您还没有被分配到任何检票清单" in client.get(LISTS).content.decode()


def test_the_scanner_is_a_staff_page_without_the_shops_header(client, staff, door):
    for url in (LISTS, page_of(door)):
        text = client.get(url).content.decode()
        assert "data-staff-header" in text
        assert 'class="site-header"' not in text and 'role="search"' not in text
        assert 'class="site-footer"' not in text


def test_todays_lists_come_first_then_those_to_come_then_the_past(client, staff):
    from datetime import datetime, timedelta

    from django.utils import timezone

    noon = timezone.make_aware(datetime(2026, 12, 5, 12, 0))
    clock.set_frozen(noon)

    def door_at(hours: int, name: str):
        starts = noon + timedelta(hours=hours)
        session = make_session(
            starts_at=starts,
            reservation_opens_at=starts - timedelta(days=5),
            cancel_until=starts - timedelta(days=1),
        )
        return make_list(session, staff=[staff], name=name)

    past = door_at(-48, "A 旧门")
    later = door_at(72, "B 后天门")
    tonight = door_at(7, "C 晚场门")
    morning = door_at(-3, "D 早场门")
    page = client.get(LISTS)
    assert page.context["today"] == [morning, tonight]
    assert page.context["later"] == [later]
    assert page.context["past"] == [past]
    text = page.content.decode()
    order = [text.index(name) for name in ("D 早场门", "C 晚场门", "B 后天门", "A 旧门")]
    assert order == sorted(order)


# --- the page -----------------------------------------------------------------------------


def test_the_page_shows_the_list_its_counts_the_camera_and_the_form(client, door, ticket):
    page = client.get(page_of(door))
    text = page.content.decode()
    assert page.status_code == 200
    assert "东门" in text and "已入场 0 / 1，在场内 0" in text
    assert 'src="/static/storefront/vendor/jsQR.js"' in text
    assert 'src="/static/storefront/scanner.js"' in text
    assert f'data-api="/api/v1/checkin/lists/{door.public_id}/scans"' in text
    assert 'name="payload"' in text and 'name="scan_id"' in text
    assert 'id="scan-result"' in text and "hidden data-result" in text


def test_the_camera_library_and_its_licence_are_vendored():
    library = Path(finders.find("storefront/vendor/jsQR.js"))
    licence = Path(finders.find("storefront/vendor/jsQR.LICENSE"))
    assert "jsQR" in library.read_text()[:2000]
    assert "Apache License" in licence.read_text()
    assert Path(finders.find("storefront/scanner.js")).read_text().count("jsQR(") == 1


# --- typing a code in ---------------------------------------------------------------------


def test_a_typed_ticket_id_checks_the_ticket_in_with_a_green_answer(client, door, ticket):
    response = manual(client, door, ticket.public_id)
    text = response.content.decode()
    assert response.status_code == 200
    assert "scan-result scan-ok" in text and "验票通过，请入场。" in text
    assert ticket.session.event.title_zh in text
    assert CheckIn.objects.filter(ticket=ticket, gate="东门").exists()
    assert "已入场 1 / 1，在场内 1" in text


def test_a_pasted_qr_text_works_too(client, door, ticket):
    assert "scan-ok" in manual(client, door, payload(ticket)).content.decode()


def test_a_second_scan_is_red_and_says_when_and_where(client, door, ticket):
    manual(client, door, ticket.public_id)
    response = manual(client, door, ticket.public_id)
    text = response.content.decode()
    assert "scan-result scan-bad" in text
    assert "在「东门」检票入场" in text


def test_sending_the_same_form_twice_records_one_scan(client, door, ticket):
    scan_id = client.get(page_of(door)).context["form"].initial["scan_id"]
    first = manual(client, door, ticket.public_id, scan_id=scan_id)
    again = manual(client, door, ticket.public_id, scan_id=scan_id)
    assert "scan-ok" in first.content.decode() and "scan-ok" in again.content.decode()
    assert Scan.objects.count() == 1


def test_after_a_scan_the_form_is_fresh_for_the_next_ticket(client, door, ticket):
    response = manual(client, door, ticket.public_id, direction="exit")
    form = response.context["form"]
    assert not form.is_bound and form.initial["direction"] == "exit"
    assert form.initial["scan_id"] != Scan.objects.get().scan_id


def test_an_unknown_code_is_red(client, door, ticket):
    assert "无法识别的票码。" in manual(client, door, "not a ticket").content.decode()


def test_an_empty_form_is_answered_with_its_error(client, door):
    response = manual(client, door, "")
    assert response.status_code == 422
    assert "这个字段是必填项。" in response.content.decode()
    assert not Scan.objects.exists()


def test_the_manual_form_needs_the_csrf_token(staff, door, ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    response = browser.post(
        page_of(door), {"payload": ticket.public_id, "direction": "entry", "scan_id": "a" * 12}
    )
    assert response.status_code == 403
    assert not Scan.objects.exists()


def test_the_pages_api_call_works_with_the_pages_csrf_token(staff, door, ticket):
    """What scanner.js does: post to the page's ``data-api`` with its ``data-csrf``."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    page = browser.get(page_of(door))
    token = page.context["csrf_token"]
    response = browser.post(
        f"/api/v1/checkin/lists/{door.public_id}/scans",
        {"scan_id": "0f0e0d0c-0b0a-4908-8706-050403020100", "payload": payload(ticket)},
        content_type="application/json",
        headers={"X-CSRFToken": str(token)},
    )
    assert response.status_code == 200 and response.json()["ok"] is True
