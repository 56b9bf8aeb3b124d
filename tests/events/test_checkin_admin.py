"""The check-in back office: operators make lists (session by session or a whole exhibition
day), register scanner devices (the key is shown once) and revoke them, read every scan
and check-in, and see and close the conflicts doors leave behind."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.events import checkin
from designmall.events.models import CheckinList, Scan, ScannerDevice
from tests.events.checkin_kit import (
    at_the_door,
    device_for,
    make_list,
    make_staff,
    offline,
    payload,
    tickets_of,
    upload,
)
from tests.factories import make_event, make_session, make_user

pytestmark = pytest.mark.django_db

# What the operator role needs for check-in (accounts.roles carries them for the group).
OPERATOR_CHECKIN = [
    "view_checkinlist",
    "add_checkinlist",
    "change_checkinlist",
    "view_scannerdevice",
    "add_scannerdevice",
    "change_scannerdevice",
    "view_scan",
    "resolve_conflict",
    "view_checkin",
    "view_session",
    "view_event",
]


@pytest.fixture
def operator(client):
    user = make_user(role=Role.OPERATOR)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="events", codename__in=OPERATOR_CHECKIN)
    )
    client.force_login(user)
    return user


@pytest.fixture
def staff():
    return make_staff()


@pytest.fixture
def conflict(staff):
    """Two devices let one ticket in: the later scan is an open conflict."""
    session = make_session()
    door = make_list(session, staff=[staff], gate="北门")
    one, two = device_for(staff, door, gate="北门 1"), device_for(staff, door, gate="北门 2")
    (ticket,) = tickets_of(session)
    at = at_the_door(session)
    upload(door, one, offline(payload(ticket), at))
    (late,) = upload(door, two, offline(payload(ticket), at + timedelta(minutes=2)))
    return Scan.objects.get(scan_id=late.scan_id)


@pytest.mark.parametrize("model", ["checkinlist", "scannerdevice", "scan", "checkin"])
def test_the_check_in_lists_open_for_operators(client, operator, conflict, model):
    page = client.get(reverse(f"admin:events_{model}_changelist"))
    assert page.status_code == 200


def test_a_list_is_made_from_picked_sessions(client, operator, staff):
    lecture = make_session()
    page = client.post(
        reverse("admin:events_checkinlist_add"),
        {"name_zh": "讲座厅", "gate": " A   门 ", "sessions": [lecture.pk], "staff": [staff.pk]},
    )
    assert page.status_code == 302, page.context["adminform"].form.errors
    made = CheckinList.objects.get()
    assert (made.name, made.gate, made.created_at) == ("讲座厅", "A 门", clock.now())
    assert list(made.sessions.all()) == [lecture]
    assert list(made.staff.all()) == [staff]


def test_a_whole_exhibition_day_is_picked_at_once(client, operator):
    exhibition = make_event(kind="exhibition")
    day = timezone.localtime(clock.now() + timedelta(days=3)).replace(hour=10, minute=0)
    hours = [make_session(event=exhibition, starts_at=day + timedelta(hours=n)) for n in range(3)]
    make_session(event=exhibition, starts_at=day + timedelta(days=1))
    page = client.post(
        reverse("admin:events_checkinlist_add"),
        {"name_zh": "展览首日", "gate": "1 号门", "event": exhibition.pk, "day": day.date()},
    )
    assert page.status_code == 302, page.context["adminform"].form.errors
    assert set(CheckinList.objects.get().sessions.all()) == set(hours)


def test_a_list_without_sessions_is_refused(client, operator):
    page = client.post(reverse("admin:events_checkinlist_add"), {"name_zh": "空", "gate": "A"})
    assert page.status_code == 200
    assert "请至少选择一个场次。" in page.content.decode()
    assert not CheckinList.objects.exists()


def test_only_venue_staff_can_be_picked(client, operator):
    visitor = make_user()
    page = client.post(
        reverse("admin:events_checkinlist_add"),
        {"name_zh": "讲座厅", "gate": "A", "sessions": [make_session().pk], "staff": [visitor.pk]},
    )
    assert page.status_code == 200
    assert not CheckinList.objects.exists()


def test_a_lists_page_shows_how_far_check_in_has_come(client, operator, conflict):
    door = conflict.checkin_list
    page = client.get(reverse("admin:events_checkinlist_change", args=[door.pk]))
    assert (
        "有效票 1，已入场 1，在场内 1；本清单扫描 2 次，未处理冲突 1 条。" in page.content.decode()
    )


def test_registering_a_device_shows_its_key_once(client, operator, staff):
    door = make_list(make_session(), staff=[staff])
    page = client.post(
        reverse("admin:events_scannerdevice_add"),
        {"name": "一号机", "staff": staff.pk, "gate": "A 门", "lists": [door.pk]},
        follow=True,
    )
    text = page.content.decode()
    (key,) = re.findall(r"dmd_[A-Za-z0-9_-]{43}", text)
    device = ScannerDevice.objects.get()
    assert checkin.scanner_device_authenticate(key) == device
    assert device.created_by == operator and list(device.lists.all()) == [door]
    again = client.get(reverse("admin:events_scannerdevice_change", args=[device.pk]))
    assert key not in again.content.decode()


def test_a_device_for_a_list_its_staff_member_does_not_work_is_refused(client, operator, staff):
    theirs = make_list(make_session(), staff=[make_staff()])
    page = client.post(
        reverse("admin:events_scannerdevice_add"),
        {"name": "一号机", "staff": staff.pk, "lists": [theirs.pk]},
    )
    assert page.status_code == 200
    assert "保管人未被分配到这些检票清单" in page.content.decode()
    assert not ScannerDevice.objects.exists()


def test_an_operator_revokes_a_device(client, operator, staff):
    door = make_list(make_session(), staff=[staff])
    device, key = checkin.scanner_device_register(name="一号机", staff=staff, lists=[door])
    page = client.post(
        reverse("admin:events_scannerdevice_changelist"),
        {"action": "revoke", "_selected_action": [device.pk]},
        follow=True,
    )
    assert "已停用 1 台设备。" in page.content.decode()
    assert checkin.scanner_device_authenticate(key) is None
    device.refresh_from_db()
    assert device.revoked_by == operator


def test_the_conflicts_filter_shows_what_is_open(client, operator, conflict):
    url = reverse("admin:events_scan_changelist")
    page = client.get(url, {"conflicts": "open"})
    assert [s.pk for s in page.context["cl"].result_list] == [conflict.pk]
    assert "北门 1" in page.content.decode()  # the gate that let the ticket in first


def test_an_operator_marks_conflicts_handled(client, operator, conflict):
    url = reverse("admin:events_scan_changelist")
    page = client.post(url, {"action": "resolve", "_selected_action": [conflict.pk]}, follow=True)
    assert "已处理 1 条冲突。" in page.content.decode()
    assert list(client.get(url, {"conflicts": "open"}).context["cl"].result_list) == []
    assert [s.pk for s in client.get(url, {"conflicts": "resolved"}).context["cl"].result_list] == [
        conflict.pk
    ]


def test_scans_cannot_be_added_changed_or_deleted(client, operator, conflict):
    assert client.get(reverse("admin:events_scan_add")).status_code == 403
    page = client.post(reverse("admin:events_scan_change", args=[conflict.pk]), {"outcome": "x"})
    assert page.status_code == 403
    assert client.post(reverse("admin:events_scan_delete", args=[conflict.pk])).status_code == 403
