"""Reserving seats: free sessions confirm at once, priced ones hold the seats for payment;
the window, the per-user limit and the capacity are enforced with clear refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.events.models import ReservationStatus, TicketStatus
from designmall.events.selectors import session_verify, tickets_for_user
from designmall.events.services import reservation_create
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.models import PaymentStatus
from tests.events.conftest import fresh, pay, seats
from tests.factories import make_event, make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return make_user()


def test_a_free_session_confirms_at_once_with_one_ticket_per_seat(visitor):
    session = make_session(capacity=10)

    reservation = reservation_create(session=session, user=visitor, seats=3)

    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.payment is None and reservation.amount_fen == 0
    assert seats(session) == (3, 0)
    tickets = list(tickets_for_user(user=visitor))
    assert [t.seat_no for t in tickets] == [1, 2, 3]
    assert {t.status for t in tickets} == {TicketStatus.VALID}
    assert len({t.public_id for t in tickets}) == 3
    assert session_verify() == []


def test_a_priced_session_holds_the_seats_with_a_payment_for_their_price(visitor):
    session = make_session(capacity=10, price_fen=8_800)

    reservation = reservation_create(session=session, user=visitor, seats=2)

    assert reservation.status == ReservationStatus.PENDING_PAYMENT
    assert reservation.hold_expires_at == clock.now() + timedelta(minutes=15)
    payment = reservation.payment
    assert (payment.amount_fen, payment.status) == (17_600, PaymentStatus.PENDING)
    assert (payment.payable_type, payment.payable_id) == ("reservation", reservation.public_id)
    assert seats(session) == (0, 2)
    assert not tickets_for_user(user=visitor).exists()


def test_the_payment_is_named_in_the_visitors_language(visitor):
    # The cashier shows it: the event's title in the language the visitor reserved in.
    event = make_event(title_zh="日常的未来", title_en="The Future of Everyday")
    session = make_session(event=event, capacity=10, price_fen=5_000)
    with translation.override("en"):
        reservation = reservation_create(session=session, user=visitor, seats=1)
    assert reservation.payment.subject.startswith("The Future of Everyday ")


def test_paying_confirms_the_held_seats_and_issues_the_tickets(visitor):
    session = make_session(capacity=10, price_fen=8_800)
    reservation = reservation_create(session=session, user=visitor, seats=2)

    assert pay(reservation) == "credited"

    reservation = fresh(reservation)
    assert reservation.status == ReservationStatus.CONFIRMED
    assert seats(session) == (2, 0)
    assert tickets_for_user(user=visitor).count() == 2
    assert escrow_balance() == 17_600
    assert ledger_verify() == [] and session_verify() == []


def test_a_reservation_before_the_window_opens_is_refused_saying_when_it_opens(visitor):
    session = make_session(reservation_opens_at=clock.now() + timedelta(days=1, hours=2))

    with pytest.raises(Conflict) as refused:
        reservation_create(session=session, user=visitor, seats=1)

    assert refused.value.code == "reservation_not_open"
    assert "开放" in refused.value.message
    assert refused.value.details["opens_at"] == session.reservation_opens_at.isoformat()
    clock.set_frozen(session.reservation_opens_at)
    assert reservation_create(session=session, user=visitor, seats=1).status == "confirmed"


def test_a_reservation_at_or_after_closing_time_is_refused(visitor):
    session = make_session()
    clock.set_frozen(session.reservation_closes_at)

    with pytest.raises(Conflict) as refused:
        reservation_create(session=session, user=visitor, seats=1)

    assert refused.value.code == "reservation_closed"
    assert "截止" in refused.value.message
    assert seats(session) == (0, 0)


def test_the_per_user_limit_counts_confirmed_and_held_seats(visitor):
    free = make_session(per_user_limit=3)
    reservation_create(session=free, user=visitor, seats=2)
    with pytest.raises(Conflict) as refused:
        reservation_create(session=free, user=visitor, seats=2)
    assert refused.value.code == "over_user_limit"
    assert refused.value.details == {"per_user_limit": 3, "have": 2, "seats": 2}

    priced = make_session(per_user_limit=3, price_fen=5_000)
    reservation_create(session=priced, user=visitor, seats=3)
    with pytest.raises(Conflict):
        reservation_create(session=priced, user=visitor, seats=1)


def test_asking_for_more_than_the_limit_at_once_is_refused(visitor):
    session = make_session(per_user_limit=2)
    with pytest.raises(ValidationFailed) as refused:
        reservation_create(session=session, user=visitor, seats=3)
    assert refused.value.code == "over_user_limit"


def test_a_hold_that_ran_out_no_longer_counts_against_the_limit(visitor):
    clock.set_frozen(clock.now())
    session = make_session(per_user_limit=2, price_fen=5_000)
    reservation_create(session=session, user=visitor, seats=2)
    clock.advance(timedelta(minutes=15))

    again = reservation_create(session=session, user=visitor, seats=2)

    assert again.status == ReservationStatus.PENDING_PAYMENT


def test_the_limit_is_per_visitor(visitor):
    session = make_session(per_user_limit=1, capacity=5)
    reservation_create(session=session, user=visitor, seats=1)
    assert reservation_create(session=session, user=make_user(), seats=1)


def test_a_full_session_refuses_without_locking_or_writing_anything(visitor):
    session = make_session(capacity=2)
    reservation_create(session=session, user=make_user(), seats=2)

    with CaptureQueriesContext(connection) as queries, pytest.raises(Conflict) as refused:
        reservation_create(session=session, user=visitor, seats=1)

    assert refused.value.code == "session_full"
    assert len(queries) == 1
    assert "FOR UPDATE" not in queries[0]["sql"]


def test_a_full_session_with_a_hold_run_out_releases_it_and_reserves(visitor):
    session = make_session(capacity=1, price_fen=5_000)
    reservation_create(session=session, user=make_user(), seats=1)
    clock.advance(timedelta(hours=1))  # the hold runs out; no sweeper has run

    reservation = reservation_create(session=session, user=visitor, seats=1)

    assert reservation.status == ReservationStatus.PENDING_PAYMENT
    assert seats(session) == (0, 1)


def test_seats_that_do_not_fit_are_refused_with_the_seats_left(visitor):
    session = make_session(capacity=3)
    reservation_create(session=session, user=make_user(), seats=2)

    with pytest.raises(Conflict) as refused:
        reservation_create(session=session, user=visitor, seats=2)

    assert refused.value.code == "session_full"
    assert refused.value.details == {"seats_left": 1, "seats": 2}
    assert seats(session) == (2, 0)
    reservation_create(session=session, user=visitor, seats=1)
    with pytest.raises(Conflict) as full:
        reservation_create(session=session, user=make_user(), seats=1)
    assert full.value.details["seats_left"] == 0
    assert "候补" in full.value.message


@pytest.mark.parametrize("bad", [0, -1, True, "2", 2.0, None])
def test_seat_counts_must_be_positive_whole_numbers(visitor, bad):
    with pytest.raises(ValidationFailed) as refused:
        reservation_create(session=make_session(), user=visitor, seats=bad)
    assert refused.value.code == "invalid_seats"


def test_a_draft_event_cannot_be_reserved(visitor):
    session = make_session(event=make_event(status="draft"))
    with pytest.raises(NotFound):
        reservation_create(session=session, user=visitor, seats=1)


def test_a_cancelled_event_cannot_be_reserved(visitor):
    session = make_session(event=make_event(status="cancelled"))
    with pytest.raises(Conflict) as refused:
        reservation_create(session=session, user=visitor, seats=1)
    assert refused.value.code == "session_cancelled"


def test_an_anonymous_visitor_must_log_in_first():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        reservation_create(session=make_session(), user=AnonymousUser(), seats=1)


def test_a_reservation_is_recorded_in_the_audit_trail(visitor):
    reservation = reservation_create(session=make_session(price_fen=100), user=visitor, seats=1)
    pay(reservation)
    trail = list(audit_trail(reservation).order_by("at", "id"))
    assert [(e.action, e.to_state) for e in trail] == [
        ("reservation.pending_payment", "pending_payment"),
        ("reservation.confirmed", "confirmed"),
    ]
    assert trail[0].actor == visitor
