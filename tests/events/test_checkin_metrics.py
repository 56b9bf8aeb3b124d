"""Admissions at the door are counted (designmall_checkins_total) when they commit: once
per ticket, not for a second scan, an exit or a rolled-back scan."""

from __future__ import annotations

import pytest
from django.db import transaction
from prometheus_client import REGISTRY

from tests.events.checkin_kit import at_the_door, make_list, make_staff, payload, scan, tickets_of
from tests.factories import make_session

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


def checkins() -> float:
    return REGISTRY.get_sample_value("designmall_checkins_total") or 0.0


@pytest.fixture
def staff():
    return make_staff("检票员小王")


@pytest.fixture
def session():
    return make_session(capacity=20)


@pytest.fixture
def door(session, staff):
    return make_list(session, staff=[staff], gate="B 门")


def test_an_admitted_ticket_counts_once(door, staff, session, django_capture_on_commit_callbacks):
    (ticket,) = tickets_of(session)
    at_the_door(session)
    before = checkins()
    with django_capture_on_commit_callbacks(execute=True):
        assert scan(door, staff, payload(ticket)).ok
        assert not scan(door, staff, payload(ticket)).ok  # already in
    assert checkins() == before + 1


def test_a_rolled_back_scan_counts_nothing(
    door, staff, session, django_capture_on_commit_callbacks
):
    (ticket,) = tickets_of(session)
    at_the_door(session)
    before = checkins()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RolledBack),
        transaction.atomic(),
    ):
        assert scan(door, staff, payload(ticket)).ok
        raise RolledBack
    assert checkins() == before
