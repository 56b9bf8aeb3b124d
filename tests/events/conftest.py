"""Events under test: the sandbox payment path (the payments tests' keys and settings) to
pay priced reservations for real, the events settings, and small helpers."""

from __future__ import annotations

import pytest
from django.utils import timezone

import designmall.events.tasks  # noqa: F401  (registers the job handler, as the worker does)
from designmall.core import clock
from designmall.events.models import Reservation, Session
from designmall.payments.gateways import sandbox
from designmall.payments.services import notification_receive
from tests.payments.conftest import (  # noqa: F401  (fixtures: the sandbox's keys and settings)
    _payments_settings,
    keys,
    run_jobs,
    sandbox_key_dir,
    worker_transport,
)


@pytest.fixture(autouse=True)
def _frozen_clock(_isolated):
    """Time stands still unless a test moves it."""
    clock.set_frozen(timezone.now().replace(microsecond=0))


@pytest.fixture(autouse=True)
def _events_settings(settings):
    settings.EVENT_HOLD_MINUTES = 15
    settings.WAITLIST_OFFER_HOURS = 2
    settings.EVENT_DOORS_OPEN_MINUTES = 60
    settings.DESIGN_WEEK_START = "2026-11-20"
    settings.DESIGN_WEEK_DAYS = 10


def pay(reservation: Reservation) -> str:
    """The visitor pays the reservation at the sandbox cashier and its signed notification
    is delivered; returns the notify outcome."""
    reservation.refresh_from_db()
    paid = sandbox.sandbox_pay(payment=reservation.payment)
    return notification_receive(params=paid.notification).outcome


def seats(session: Session) -> tuple[int, int]:
    """The session's (confirmed, held) counters as stored now."""
    session.refresh_from_db()
    return session.confirmed, session.held


def fresh(obj):
    obj.refresh_from_db()
    return obj
