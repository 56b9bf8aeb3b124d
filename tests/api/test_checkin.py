"""The check-in API: venue staff and their scanner devices list their lists, download the
offline bundle, scan online, upload offline scans idempotently and read the counts; anyone
else is kept out, and malformed input is refused in the one error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from designmall.core import clock
from designmall.events import checkin
from designmall.events.models import Scan
from designmall.events.services import reservation_cancel
from tests.api.conftest import PREFIX, ApiClient, assert_error, invalid_fields
from tests.events.checkin_kit import (
    at_the_door,
    make_list,
    make_staff,
    new_scan_id,
    payload,
    tickets_of,
)
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.EVENT_DOORS_OPEN_MINUTES = 60
    clock.set_frozen(clock.now().replace(microsecond=0))


@pytest.fixture
def staff():
    return make_staff()


@pytest.fixture
def session():
    return make_session(capacity=10)


@pytest.fixture
def door(session, staff):
    return make_list(session, staff=[staff], gate="南门", name="讲座厅")


@pytest.fixture
def tickets(session):
    found = [tickets_of(session)[0] for _visitor in range(3)]
    at_the_door(session)
    return found


@pytest.fixture
def as_staff(api_as, staff):
    return api_as(staff)


@pytest.fixture
def device_key(staff, door):
    _device, key = checkin.scanner_device_register(
        name="南门一号机", staff=staff, lists=[door], gate="南门 1"
    )
    return key


def as_device(key: str) -> ApiClient:
    return ApiClient(Client(), key)


def scans_url(door) -> str:
    return f"/checkin/lists/{door.public_id}/scans"


def uploads_url(door) -> str:
    return f"/checkin/lists/{door.public_id}/uploads"


def body(code: str, **more) -> dict:
    return {"scan_id": new_scan_id(), "payload": code, **more}


# --- who gets in --------------------------------------------------------------------------


def test_staff_see_the_lists_they_are_assigned_to(as_staff, door, session):
    make_list(session, staff=[make_staff()], name="别人的清单")
    response = as_staff.get("/checkin/lists")
    assert response.status_code == 200
    (item,) = response.json()
    assert (item["id"], item["name"], item["gate"]) == (door.public_id, "讲座厅", "南门")
    assert [s["id"] for s in item["sessions"]] == [session.public_id]


def test_a_device_sees_only_its_lists(device_key, door, staff, session):
    make_list(session, staff=[staff], name="另一个门")
    response = as_device(device_key).get("/checkin/lists")
    assert [item["id"] for item in response.json()] == [door.public_id]


def test_visitors_are_403_and_strangers_401(api_as, anon, door):
    assert_error(api_as(make_user()).get("/checkin/lists"), 403, "role_required")
    assert_error(anon.get("/checkin/lists"), 401, "not_authenticated")


def test_a_revoked_device_key_is_401(device_key, door, tickets):
    device = checkin.scanner_device_authenticate(device_key)
    checkin.scanner_device_revoke(device=device, by=None)
    response = as_device(device_key).post(scans_url(door), body(payload(tickets[0])))
    assert_error(response, 401, "device_key_invalid")


def test_a_list_the_caller_does_not_work_is_404(api_as, door, tickets):
    stranger = api_as(make_staff())
    refused = "checkin_list_not_found"
    assert_error(stranger.post(scans_url(door), body(payload(tickets[0]))), 404, refused)
    assert_error(stranger.get(f"/checkin/lists/{door.public_id}/bundle"), 404, refused)
    assert_error(stranger.get("/checkin/lists/cl_0000000000000000/status"), 404, refused)
    assert not Scan.objects.exists()


def test_the_browser_session_needs_the_csrf_token_to_scan(staff, door, tickets):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    response = browser.post(
        PREFIX + scans_url(door), body(payload(tickets[0])), content_type="application/json"
    )
    assert_error(response, 403, "csrf_failed")


# --- online scans -------------------------------------------------------------------------


def test_a_scan_lets_a_ticket_in_once(as_staff, door, tickets):
    first = as_staff.post(scans_url(door), body(payload(tickets[0])))
    assert first.status_code == 200
    entered = first.json()
    assert (entered["ok"], entered["outcome"], entered["gate"]) == (True, "accepted", "南门")
    assert entered["ticket_id"] == tickets[0].public_id and entered["replayed"] is False

    again = as_staff.post(scans_url(door), body(tickets[0].public_id)).json()

    assert (again["ok"], again["outcome"]) == (False, "already_checked_in")
    assert again["duplicate_of"]["scan_id"] == entered["scan_id"]
    assert again["duplicate_of"]["gate"] == "南门"
    assert again["message"].startswith("已于 ") and "「南门」" in again["message"]


def test_a_device_scans_at_its_own_gate(device_key, door, tickets):
    response = as_device(device_key).post(scans_url(door), body(payload(tickets[0])))
    assert response.json()["gate"] == "南门 1"
    assert Scan.objects.get().device.name == "南门一号机"


def test_a_retried_scan_answers_the_same(as_staff, door, tickets):
    sent = body(payload(tickets[0]))
    first = as_staff.post(scans_url(door), sent).json()
    again = as_staff.post(scans_url(door), sent).json()
    assert again["replayed"] is True
    assert {k: v for k, v in again.items() if k != "replayed"} == {
        k: v for k, v in first.items() if k != "replayed"
    }
    assert Scan.objects.count() == 1


def test_a_scan_id_reused_for_another_ticket_is_409(as_staff, door, tickets):
    sent = body(payload(tickets[0]))
    as_staff.post(scans_url(door), sent)
    response = as_staff.post(scans_url(door), {**sent, "payload": payload(tickets[1])})
    assert_error(response, 409, "scan_id_reused")


def test_a_revoked_ticket_is_refused(as_staff, door, tickets):
    ticket = tickets[0]
    clock.advance(-timedelta(minutes=30))
    reservation_cancel(reservation=ticket.reservation, by=ticket.user)
    response = as_staff.post(scans_url(door), body(payload(ticket)))
    assert response.status_code == 200
    assert (response.json()["ok"], response.json()["outcome"]) == (False, "revoked")


def test_exit_and_reentry_through_the_api(api_as, staff, session, tickets):
    door = make_list(session, staff=[staff], allow_reentry=True)
    client = api_as(staff)
    code = payload(tickets[0])
    outcomes = [
        client.post(scans_url(door), body(code, direction=direction)).json()["outcome"]
        for direction in ["entry", "exit", "entry", "entry"]
    ]
    assert outcomes == ["accepted", "accepted", "accepted", "already_checked_in"]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"scan_id": "x"}, {"scan_id"}),
        ({"scan_id": 12345678}, {"scan_id"}),
        ({"payload": ""}, {"payload"}),
        ({"payload": "x" * 201}, {"payload"}),
        ({"direction": "in"}, {"direction"}),
        ({"surprise": True}, {"surprise"}),
        ({"gate": "门" * 41}, {"gate"}),
    ],
)
def test_malformed_scans_are_422(as_staff, door, tickets, change, fields):
    response = as_staff.post(scans_url(door), {**body(payload(tickets[0])), **change})
    assert invalid_fields(response) == fields
    assert not Scan.objects.exists()


def test_a_scan_without_its_fields_is_422(as_staff, door):
    assert invalid_fields(as_staff.post(scans_url(door), {})) == {"scan_id", "payload"}


def test_a_malformed_list_id_is_404(as_staff):
    assert_error(as_staff.post("/checkin/lists/42/scans", body("x")), 404, "not_found")


# --- offline ------------------------------------------------------------------------------


def test_the_bundle_has_what_a_device_needs(as_staff, door, session, tickets):
    ticket = tickets[2]
    clock.advance(-timedelta(minutes=30))
    reservation_cancel(reservation=ticket.reservation, by=ticket.user)
    response = as_staff.get(f"/checkin/lists/{door.public_id}/bundle", {"tickets": "true"})
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["list"]["id"] == door.public_id
    assert [s["id"] for s in bundle["sessions"]] == [session.public_id]
    assert [k["active"] for k in bundle["keys"]] == [True]
    assert [r["ticket_id"] for r in bundle["revocations"]] == [ticket.public_id]
    assert {t["ticket_id"] for t in bundle["tickets"]} == {t.public_id for t in tickets[:2]}
    assert bundle["clock_leeway_seconds"] == checkin.CLOCK_LEEWAY_SECONDS

    later = as_staff.get(
        f"/checkin/lists/{door.public_id}/bundle", {"since": bundle["generated_at"]}
    ).json()
    assert later["revocations"] == [] and later["tickets"] is None


def upload_body(*codes_and_times, **more) -> dict:
    return {
        "scans": [
            {
                "scan_id": new_scan_id(),
                "payload": code,
                "scanned_at": moment.isoformat(),
                **more,
            }
            for code, moment in codes_and_times
        ]
    }


def test_an_upload_is_recorded_once_however_often_it_is_sent(device_key, door, tickets):
    device = as_device(device_key)
    at = clock.now() - timedelta(minutes=5)
    sent = upload_body(
        (payload(tickets[0]), at),
        (payload(tickets[1]), at + timedelta(minutes=1)),
        (payload(tickets[0]), at + timedelta(minutes=2)),
        (payload(tickets[2]), clock.now() + timedelta(hours=1)),
    )
    first = device.post(uploads_url(door), sent)
    assert first.status_code == 200
    results = first.json()["results"]
    assert [r["result"]["outcome"] if r["result"] else r["error"]["code"] for r in results] == [
        "accepted",
        "accepted",
        "already_checked_in",
        "scanned_at_in_future",
    ]
    assert results[2]["result"]["conflict"] == "double_entry"
    assert results[3]["error"]["details"] == {"field": "scanned_at"}

    again = device.post(uploads_url(door), sent).json()["results"]

    assert [r["result"]["replayed"] for r in again[:3]] == [True, True, True]
    assert Scan.objects.count() == 3


def test_what_the_door_did_comes_with_the_scan(device_key, door, tickets):
    sent = upload_body((payload(tickets[0]), clock.now()), device_outcome="revoked")
    (item,) = as_device(device_key).post(uploads_url(door), sent).json()["results"]
    assert (item["result"]["outcome"], item["result"]["device_outcome"]) == ("revoked", "revoked")


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"scanned_at": "2026-11-21T10:00:00"}, {"scans.0.scanned_at"}),
        ({"scanned_at": "yesterday"}, {"scans.0.scanned_at"}),
        ({"device_outcome": "waved_through"}, {"scans.0.device_outcome"}),
        ({"scan_id": None}, {"scans.0.scan_id"}),
    ],
)
def test_malformed_uploads_are_422(device_key, door, tickets, change, fields):
    sent = upload_body((payload(tickets[0]), clock.now()))
    sent["scans"][0].update(change)
    assert invalid_fields(as_device(device_key).post(uploads_url(door), sent)) == fields


def test_an_empty_or_oversized_upload_is_422(device_key, door):
    device = as_device(device_key)
    assert invalid_fields(device.post(uploads_url(door), {"scans": []})) == {"scans"}
    many = upload_body(*[("x", clock.now())] * (checkin.UPLOAD_MAX + 1))
    assert invalid_fields(device.post(uploads_url(door), many)) == {"scans"}


def test_the_status_counts_check_in(as_staff, door, session, tickets):
    as_staff.post(scans_url(door), body(payload(tickets[0])))
    as_staff.post(scans_url(door), body(payload(tickets[0])))
    status = as_staff.get(f"/checkin/lists/{door.public_id}/status").json()
    assert (status["tickets"], status["checked_in"], status["inside"]) == (3, 1, 1)
    assert (status["scans"], status["accepted_entries"], status["refused"]) == (2, 1, 1)
    assert status["sessions"][0]["session_id"] == session.public_id


def test_the_openapi_document_names_the_device_key(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/checkin/lists/{public_id}/scans"]["post"]
    assert {next(iter(s)) for s in operation["security"]} == {
        "ScannerDeviceKey",
        "BearerToken",
        "SessionCookie",
    }
