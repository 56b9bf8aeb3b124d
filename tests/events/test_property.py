"""Random sequences of everything that moves seats (reserve, pay, cancel, expire, join,
claim, leave, lapse, resize, call off), with the clock moving between steps: the counters
always equal the sum over reservations and offers, and never exceed the capacity."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.errors import DomainError
from designmall.events import rules as event_rules
from designmall.events import tasks
from designmall.events.models import Reservation, Session, WaitlistEntry
from designmall.events.programme import session_update
from designmall.events.selectors import session_verify
from designmall.events.services import (
    reservation_cancel,
    reservation_create,
    session_cancel,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_claim,
)
from designmall.ledger.services import ledger_verify
from tests.events.conftest import pay, run_jobs
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db

index = st.integers(min_value=0, max_value=1_000)


class Seats(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.sessions = [
            make_session(capacity=3, per_user_limit=2),
            make_session(capacity=2, price_fen=5_000, per_user_limit=2),
        ]
        self.users = [make_user(role=None) for _ in range(5)]
        self.operator = make_user(role=Role.OPERATOR)
        self.offers_seen: set[int] = set()

    def _pick(self, rows, i):
        rows = list(rows)
        return rows[i % len(rows)] if rows else None

    def _reservations(self, *statuses):
        return Reservation.objects.filter(session__in=self.sessions, status__in=statuses).order_by(
            "pk"
        )

    def _entries(self, *statuses):
        return WaitlistEntry.objects.filter(
            session__in=self.sessions, status__in=statuses
        ).order_by("pk")

    @rule(s=st.integers(0, 1), u=st.integers(0, 4), n=st.integers(1, 2))
    def reserve(self, s, u, n):
        with contextlib.suppress(DomainError):
            reservation_create(session=self.sessions[s], user=self.users[u], seats=n)

    @rule(s=st.integers(0, 1))
    def rush(self, s):
        """Everyone wants a seat: who finds the session full joins its waiting list."""
        for user in self.users:
            try:
                reservation_create(session=self.sessions[s], user=user, seats=1)
            except DomainError as refused:
                if refused.code == "session_full":
                    with contextlib.suppress(DomainError):
                        waitlist_join(session=self.sessions[s], user=user, seats=1)

    @rule(i=index)
    def pay_one(self, i):
        reservation = self._pick(self._reservations("pending_payment"), i)
        if reservation is not None:
            with contextlib.suppress(DomainError):  # the cashier closed with the payment's time
                pay(reservation)

    @rule(i=index)
    def cancel_one(self, i):
        reservation = self._pick(self._reservations("pending_payment", "confirmed"), i)
        if reservation is not None:
            with contextlib.suppress(DomainError):
                reservation_cancel(reservation=reservation, by=reservation.user)

    @rule(s=st.integers(0, 1), u=st.integers(0, 4), n=st.integers(1, 2))
    def join(self, s, u, n):
        with contextlib.suppress(DomainError):
            waitlist_join(session=self.sessions[s], user=self.users[u], seats=n)

    @rule(i=index)
    def claim(self, i):
        entry = self._pick(self._entries("offered"), i)
        if entry is not None:
            with contextlib.suppress(DomainError):
                waitlist_offer_claim(entry=entry, user=entry.user)

    @rule(i=index)
    def leave(self, i):
        entry = self._pick(self._entries("waiting", "offered"), i)
        if entry is not None:
            waitlist_leave(entry=entry, user=entry.user)

    @rule(minutes=st.sampled_from([1, 10, 16, 121]))
    def time_passes(self, minutes):
        clock.advance(timedelta(minutes=minutes))

    @rule()
    def sweep(self):
        tasks.holds_expire()
        tasks.offers_lapse()
        run_jobs()

    @rule(s=st.integers(0, 1), capacity=st.integers(1, 5))
    def resize(self, s, capacity):
        with contextlib.suppress(DomainError):
            session_update(session=self.sessions[s], by=self.operator, capacity=capacity)

    @rule(s=st.integers(0, 1), coin=st.integers(0, 19))
    def call_off(self, s, coin):
        if coin == 0:  # rarely: it ends the session's story
            with contextlib.suppress(DomainError):
                session_cancel(session=self.sessions[s], by=self.operator, reason="取消")

    @invariant()
    def counters_equal_the_sum_over_reservations_and_offers(self):
        ids = [s.pk for s in self.sessions]
        assert session_verify(ids) == []
        for session in Session.objects.filter(pk__in=ids):
            assert 0 <= session.confirmed + session.held <= session.capacity

    @invariant()
    def each_entry_is_offered_at_most_once(self):
        from designmall.core.models import AuditEvent

        offered = list(
            AuditEvent.objects.filter(
                action="waitlist.offered",
                target_id__in=self._entries(*event_rules.Waitlist).values_list(
                    "public_id", flat=True
                ),
            ).values_list("target_id", flat=True)
        )
        assert len(offered) == len(set(offered))

    def teardown(self):
        run_jobs()
        assert ledger_verify() == []


def test_seat_counters_always_equal_the_sum_over_reservations_and_offers():
    run_state_machine_as_test(
        Seats,
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
