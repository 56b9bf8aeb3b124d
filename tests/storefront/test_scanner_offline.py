"""The scanner page's offline parts on the server's side: the service worker that keeps the
pages for opening offline, and what the page hands scanner-offline.js (the bundle and
upload addresses, the messages in the visitor's language). The offline behaviour itself
runs in the browser: tests/browser/test_scanner_offline.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from posixpath import dirname

import pytest
from django.templatetags.static import static
from django.urls import reverse

from designmall.core import clock
from designmall.events.models import CheckIn, Scan
from tests.events.checkin_kit import at_the_door, make_list, make_staff, payload, tickets_of
from tests.factories import make_session

pytestmark = pytest.mark.django_db
SW = reverse("storefront:scanner_sw")


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
def door(staff):
    return make_list(make_session(capacity=10), staff=[staff], gate="东门", name="材料讲座")


def page_of(door) -> str:
    return reverse("storefront:scanner_list", args=[door.public_id])


def attribute(html: str, name: str) -> str:
    return unescape(re.search(rf'{name}="([^"]*)"', html).group(1))


def messages_of(html: str) -> dict[str, str]:
    found = re.search(r'<script id="scanner-messages" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def test_the_service_worker_is_javascript_that_is_never_cached(client):
    response = client.get(SW)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]


def test_the_service_worker_scope_covers_every_scanner_page(door):
    scope = dirname(SW) + "/"  # a worker's default scope: its own folder
    assert reverse("storefront:scanner").startswith(scope)
    assert page_of(door).startswith(scope)


def test_the_service_worker_keeps_the_scanner_scripts(client):
    body = client.get(SW).content.decode()
    for asset in (
        "storefront/scanner.js",
        "storefront/scanner-offline.js",
        "storefront/vendor/jsQR.js",
        "storefront/site.css",
    ):
        assert f'"{static(asset)}"' in body


def test_the_page_hands_the_offline_script_its_list_bundle_and_upload_addresses(client, door):
    html = client.get(page_of(door)).content.decode()
    assert attribute(html, "data-list") == door.public_id
    assert attribute(html, "data-bundle") == f"/api/v1/checkin/lists/{door.public_id}/bundle"
    assert attribute(html, "data-upload") == "/api/v1/checkin/lists/{list}/uploads"
    assert attribute(html, "data-sw") == SW


def test_the_bundle_address_gives_the_staff_member_the_bundle_with_tickets(client, door):
    (ticket,) = tickets_of(door.sessions.get())
    bundle_url = attribute(client.get(page_of(door)).content.decode(), "data-bundle")
    bundle = client.get(bundle_url, {"tickets": "true"}).json()
    assert [t["ticket_id"] for t in bundle["tickets"]] == [ticket.public_id]
    assert bundle["list"]["gate"] == "东门"


def test_the_upload_address_records_the_staff_members_offline_scans(client, door, staff):
    session = door.sessions.get()
    (ticket,) = tickets_of(session)
    scanned_at = at_the_door(session)
    clock.set_frozen(scanned_at + timedelta(minutes=3))
    template = attribute(client.get(page_of(door)).content.decode(), "data-upload")
    response = client.post(
        template.replace("{list}", door.public_id),
        {
            "scans": [
                {
                    "scan_id": "0b6f3c1e-7a52-4c1d-9e0f-5a3b2c1d0e9f",
                    "payload": payload(ticket),
                    "direction": "entry",
                    "scanned_at": scanned_at.isoformat(),
                    "device_outcome": "accepted",
                }
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["result"]["outcome"] == "accepted"
    assert Scan.objects.get().user == staff
    assert CheckIn.objects.get(ticket=ticket).entered_at == scanned_at


def test_the_page_carries_the_offline_messages_for_the_script(client, door):
    messages = messages_of(client.get(page_of(door)).content.decode())
    assert messages["accepted_entry"] == "验票通过，请入场。"
    assert messages["already_checked_in_at"] == "已于 %(time)s 在「%(gate)s」检票入场。"
    assert messages["pending"] == "待上传 %(n)s"
    assert messages["bundle_age"] == "离线数据：%(time)s 更新，%(n)s 张票"


def test_the_offline_messages_follow_the_language_switch(client, door, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    messages = messages_of(client.get(page_of(door)).content.decode())
    assert messages["accepted_entry"] == "Valid ticket: please come in."
