"""The waiting list: join a full session once, seats that come free are offered first come
first served to the entries they fit, an offer holds its seats until claimed or lapsed,
and no seat is offered twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, InvalidTransition, NotFound
from designmall.events import tasks
from designmall.events.models import (
    Notification,
    NotificationKind,
    ReservationStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.events.programme import session_update
from designmall.events.selectors import (
    notification_text,
    notifications_for_user,
    session_seats,
    session_verify,
    waitlist_position,
)
from designmall.events.services import (
    reservation_cancel,
    reservation_create,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_claim,
    waitlist_offer_lapse,
)
from tests.events.conftest import fresh, pay, run_jobs, seats
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db


def full_session(capacity=2, **fields):
    """A session whose seats are all taken, one each, and the people holding them."""
    session = make_session(capacity=capacity, **fields)
    holders = [make_user() for _ in range(capacity)]
    reservations = [reservation_create(session=session, user=u, seats=1) for u in holders]
    if session.price_fen:
        for reservation in reservations:
            pay(reservation)
    return session, holders, reservations


def status(entry: WaitlistEntry) -> str:
    return fresh(entry).status


def test_a_visitor_joins_the_waiting_list_of_a_full_session():
    session, _, _ = full_session()
    visitor = make_user()

    entry = waitlist_join(session=session, user=visitor, seats=2)

    assert entry.status == WaitlistStatus.WAITING
    assert waitlist_position(entry) == 1
    assert session_seats(session=session).waiting == 1


def test_a_visitor_is_told_to_reserve_while_their_seats_fit():
    session = make_session(capacity=3)
    reservation_create(session=session, user=make_user(), seats=2)
    with pytest.raises(Conflict) as refused:
        waitlist_join(session=session, user=make_user(), seats=1)
    assert refused.value.code == "seats_available"
    # Two seats do not fit in the one left: waiting for them is allowed.
    assert waitlist_join(session=session, user=make_user(), seats=2).status == "waiting"


def test_one_open_entry_per_visitor_and_session():
    session, _, _ = full_session()
    visitor = make_user()
    waitlist_join(session=session, user=visitor, seats=1)
    with pytest.raises(Conflict) as refused:
        waitlist_join(session=session, user=visitor, seats=1)
    assert refused.value.code == "already_waitlisted"


def test_waiting_for_more_than_the_limit_allows_is_refused():
    session, holders, _ = full_session(per_user_limit=2)
    with pytest.raises(Conflict) as refused:
        waitlist_join(session=session, user=holders[0], seats=2)  # has one already
    assert refused.value.code == "over_user_limit"


def test_the_waiting_list_closes_with_the_reservations():
    session, _, _ = full_session()
    clock.set_frozen(session.reservation_closes_at)
    with pytest.raises(Conflict) as refused:
        waitlist_join(session=session, user=make_user(), seats=1)
    assert refused.value.code == "reservation_closed"


def test_a_freed_seat_is_offered_to_the_first_in_line_and_held_for_them():
    session, holders, reservations = full_session()
    first, second = make_user(), make_user()
    entry_1 = waitlist_join(session=session, user=first, seats=1)
    entry_2 = waitlist_join(session=session, user=second, seats=1)
    assert waitlist_position(entry_2) == 2

    reservation_cancel(reservation=reservations[0], by=holders[0])

    entry_1 = fresh(entry_1)
    assert entry_1.status == WaitlistStatus.OFFERED
    assert entry_1.offer_expires_at == clock.now() + timedelta(hours=2)
    assert status(entry_2) == WaitlistStatus.WAITING
    assert waitlist_position(fresh(entry_2)) == 1
    assert seats(session) == (1, 1)  # the offered seat is held, not free
    with pytest.raises(Conflict) as refused:
        reservation_create(session=session, user=make_user(), seats=1)
    assert refused.value.code == "session_full"
    assert session_verify() == []


def test_seats_go_to_the_first_entries_they_fit_in_order_of_joining():
    session, holders, reservations = full_session(capacity=3)
    wants_three = waitlist_join(session=session, user=make_user(), seats=3)
    wants_one = waitlist_join(session=session, user=make_user(), seats=1)
    wants_one_too = waitlist_join(session=session, user=make_user(), seats=1)

    reservation_cancel(reservation=reservations[0], by=holders[0])

    assert status(wants_three) == WaitlistStatus.WAITING  # three do not fit in one
    assert status(wants_one) == WaitlistStatus.OFFERED
    assert status(wants_one_too) == WaitlistStatus.WAITING
    assert seats(session) == (2, 1)


def test_claiming_an_offer_of_a_free_session_confirms_it_with_tickets():
    session, holders, reservations = full_session()
    visitor = make_user()
    entry = waitlist_join(session=session, user=visitor, seats=1)
    reservation_cancel(reservation=reservations[0], by=holders[0])

    reservation = waitlist_offer_claim(entry=fresh(entry), user=visitor)

    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.tickets.count() == 1
    entry = fresh(entry)
    assert (entry.status, entry.reservation) == (WaitlistStatus.CLAIMED, reservation)
    assert seats(session) == (2, 0)
    assert session_verify() == []


def test_claiming_an_offer_of_a_priced_session_holds_the_seats_for_payment():
    session, holders, reservations = full_session(price_fen=6_600)
    visitor = make_user()
    entry = waitlist_join(session=session, user=visitor, seats=1)
    reservation_cancel(reservation=reservations[0], by=holders[0])

    reservation = waitlist_offer_claim(entry=fresh(entry), user=visitor)

    assert reservation.status == ReservationStatus.PENDING_PAYMENT
    assert reservation.payment.amount_fen == 6_600
    assert seats(session) == (1, 1)
    assert pay(reservation) == "credited"
    assert seats(session) == (2, 0)
    assert session_verify() == []


def test_an_offer_cannot_be_claimed_once_it_ran_out_even_before_the_sweeper():
    session, holders, reservations = full_session()
    visitor = make_user()
    entry = waitlist_join(session=session, user=visitor, seats=1)
    reservation_cancel(reservation=reservations[0], by=holders[0])
    clock.advance(timedelta(hours=2))

    with pytest.raises(Conflict) as refused:
        waitlist_offer_claim(entry=fresh(entry), user=visitor)

    assert refused.value.code == "offer_not_open"


def test_a_lapsed_offer_passes_its_seats_to_the_next_in_line_once():
    session, holders, reservations = full_session()
    first, second = make_user(), make_user()
    entry_1 = waitlist_join(session=session, user=first, seats=1)
    entry_2 = waitlist_join(session=session, user=second, seats=1)
    reservation_cancel(reservation=reservations[0], by=holders[0])
    clock.advance(timedelta(hours=2))

    assert tasks.offers_lapse() == 1
    assert tasks.offers_lapse() == 0
    waitlist_offer_lapse(entry=entry_1)  # again, by hand: nothing more happens

    assert status(entry_1) == WaitlistStatus.LAPSED
    assert status(entry_2) == WaitlistStatus.OFFERED
    assert seats(session) == (1, 1)
    assert session_verify() == []


def test_declining_an_offer_passes_the_seats_on_at_once():
    session, holders, reservations = full_session()
    first, second = make_user(), make_user()
    entry_1 = waitlist_join(session=session, user=first, seats=1)
    entry_2 = waitlist_join(session=session, user=second, seats=1)
    reservation_cancel(reservation=reservations[0], by=holders[0])

    waitlist_leave(entry=fresh(entry_1), user=first)

    assert status(entry_1) == WaitlistStatus.LEFT
    assert status(entry_2) == WaitlistStatus.OFFERED
    assert seats(session) == (1, 1)


def test_leaving_the_queue_takes_a_visitor_out_of_it():
    session, _, _ = full_session()
    visitor = make_user()
    entry = waitlist_join(session=session, user=visitor, seats=1)
    waitlist_leave(entry=entry, user=visitor)
    assert status(entry) == WaitlistStatus.LEFT
    with pytest.raises(InvalidTransition):
        waitlist_leave(entry=fresh(entry), user=visitor)
    # Having left, the visitor may queue again.
    assert waitlist_join(session=session, user=visitor, seats=1).status == "waiting"


def test_others_entries_are_not_found():
    session, _, _ = full_session()
    entry = waitlist_join(session=session, user=make_user(), seats=1)
    with pytest.raises(NotFound):
        waitlist_leave(entry=entry, user=make_user())
    with pytest.raises(NotFound):
        waitlist_offer_claim(entry=entry, user=make_user())


def test_more_capacity_is_offered_to_the_waiting_list_first():
    session, _, _ = full_session()
    entries = [waitlist_join(session=session, user=make_user(), seats=1) for _ in range(3)]

    session_update(session=session, by=None, capacity=4)

    assert [status(e) for e in entries] == ["offered", "offered", "waiting"]
    assert seats(session) == (2, 2)


def test_an_expired_payment_hold_frees_its_seat_for_the_waiting_list():
    session = make_session(capacity=1, price_fen=5_000)
    reservation_create(session=session, user=make_user(), seats=1)
    entry = waitlist_join(session=session, user=make_user(), seats=1)
    clock.advance(timedelta(minutes=15))

    tasks.holds_expire()

    assert status(entry) == WaitlistStatus.OFFERED
    assert seats(session) == (0, 1)


def test_waiting_for_more_seats_than_are_left_waits_until_they_fit():
    session = make_session(capacity=2)
    holder = make_user()
    held = reservation_create(session=session, user=holder, seats=1)
    visitor = make_user()
    entry = waitlist_join(session=session, user=visitor, seats=2)  # one seat is free
    assert entry.status == WaitlistStatus.WAITING
    assert seats(session) == (1, 0)

    reservation_cancel(reservation=held, by=holder)

    assert status(entry) == WaitlistStatus.OFFERED
    assert seats(session) == (0, 2)


def test_a_visitor_who_reserves_their_limit_directly_leaves_the_queue():
    session = make_session(capacity=3, per_user_limit=2)
    reservation_create(session=session, user=make_user(), seats=2)
    visitor = make_user()
    entry = waitlist_join(session=session, user=visitor, seats=2)  # only one free
    reservation_create(session=session, user=visitor, seats=1)  # took the one seat left

    assert status(entry) == WaitlistStatus.LEFT


def test_the_visitor_is_told_about_their_offer():
    session, holders, reservations = full_session()
    visitor = make_user()
    waitlist_join(session=session, user=visitor, seats=1)
    reservation_cancel(reservation=reservations[0], by=holders[0])

    run_jobs()
    run_jobs()

    message = notifications_for_user(user=visitor).get()
    assert message.kind == NotificationKind.WAITLIST_OFFER
    assert message.data["session"] == session.public_id
    assert session.event.title_zh in notification_text(message)
    assert Notification.objects.count() == 1  # once, however often the job runs
