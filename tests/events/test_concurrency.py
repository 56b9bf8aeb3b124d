"""Real concurrent connections on PostgreSQL: a reservation rush takes exactly the seats
there are and queues the rest in arrival order; expiring holds racing new reservations
never oversell; freed seats are offered each to exactly one person, first come first
served; a payment racing the end of its hold ends paid or refunded."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.core.models import AuditEvent
from designmall.events import tasks
from designmall.events.models import (
    Reservation,
    ReservationStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.events.selectors import session_verify, waitlist_position
from designmall.events.services import (
    reservation_cancel,
    reservation_create,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_claim,
)
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import PaymentStatus
from designmall.payments.services import notification_receive, payment_close
from tests.concurrency import concurrently
from tests.events.conftest import fresh, run_jobs, seats
from tests.factories import make_session

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def visitors(n: int) -> list[User]:
    password = make_password(None)
    User.objects.bulk_create(
        User(email=f"rush-{i}@example.com", password=password, display_name=f"观众{i}")
        for i in range(n)
    )
    return list(User.objects.filter(email__startswith="rush-").order_by("pk"))


def reserve_or_queue(session, user):
    """What a visitor does at the opening: reserve one seat, or queue if it is full."""

    def work():
        try:
            reservation_create(session=session, user=user, seats=1)
            return "reserved"
        except Conflict as refused:
            if refused.code != "session_full":
                raise
        entry = waitlist_join(session=session, user=user, seats=1)
        return f"queued:{entry.pk}"

    return work


def offered_twice() -> list[str]:
    offers = Counter(
        AuditEvent.objects.filter(action="waitlist.offered").values_list("target_id", flat=True)
    )
    return [entry for entry, n in offers.items() if n > 1]


@pytest.mark.parametrize("price_fen", [0, 8_800], ids=["free", "priced"])
def test_1000_visitors_at_the_opening_take_exactly_300_seats_and_queue_in_order(
    on_postgres, price_fen
):
    session = make_session(capacity=300, price_fen=price_fen, per_user_limit=2)
    clock.set_frozen(session.reservation_opens_at)  # the moment reservations open
    people = visitors(1_000)

    results = concurrently([reserve_or_queue(session, user) for user in people])

    outcomes = Counter(r if isinstance(r, str) else type(r).__name__ for r in results)
    reserved = outcomes.pop("reserved", 0)
    queued = sum(n for outcome, n in outcomes.items() if outcome.startswith("queued:"))
    assert (reserved, queued) == (300, 700), outcomes
    confirmed, held = seats(session)
    assert confirmed + held == 300
    assert (confirmed, held) == ((300, 0) if price_fen == 0 else (0, 300))
    assert session_verify() == []
    # The queue is in the order the visitors arrived in it, numbered 1..700 without gaps.
    queue = list(
        WaitlistEntry.objects.filter(session=session, status=WaitlistStatus.WAITING).order_by(
            "joined_at", "id"
        )
    )
    assert len(queue) == 700
    assert [waitlist_position(e) for e in (queue[0], queue[349], queue[-1])] == [1, 350, 700]
    # Nobody holds a seat and a place in the queue.
    queued_users = {e.user_id for e in queue}
    holders = set(Reservation.objects.filter(session=session).values_list("user_id", flat=True))
    assert not queued_users & holders


def test_expiring_holds_racing_new_reservations_never_oversell(on_postgres):
    session = make_session(capacity=50, price_fen=5_000, per_user_limit=1)
    people = visitors(150)
    stale_people, new_people = people[:50], people[50:]
    stale = [reservation_create(session=session, user=u, seats=1) for u in stale_people]
    clock.advance(timedelta(minutes=16))  # every stale hold has run out

    works = [reserve_or_queue(session, user) for user in new_people]
    sweepers = [tasks.holds_expire for _ in range(6)]
    results = concurrently(works[:50] + sweepers + works[50:])

    outcomes = Counter(r.split(":")[0] if isinstance(r, str) else type(r).__name__ for r in results)
    assert set(outcomes) <= {"reserved", "queued", "int"}, outcomes  # int: a sweep's count
    assert outcomes["reserved"] + outcomes["queued"] == 100
    # A visitor who found the seats still held queued, and may have been offered a seat
    # freed a moment later: every freed seat went to exactly one reservation or offer.
    offered = WaitlistEntry.objects.filter(session=session, status=WaitlistStatus.OFFERED)
    assert outcomes["reserved"] + offered.count() == 50, outcomes
    assert seats(session) == (0, 50)
    assert {fresh(r).status for r in stale} == {ReservationStatus.EXPIRED}
    assert {fresh(r).payment.status for r in stale} == {PaymentStatus.CLOSING}
    run_jobs()  # the gateway is asked: no trade was paid, so each is closed
    assert {fresh(r).payment.status for r in stale} == {PaymentStatus.CLOSED}
    expired = AuditEvent.objects.filter(
        action="reservation.expired", target_id__in=[r.public_id for r in stale]
    )
    assert expired.count() == 50  # each exactly once
    assert offered_twice() == []
    assert session_verify() == []


def test_the_waiting_list_offers_each_freed_seat_to_exactly_one_person(on_postgres):
    session = make_session(capacity=40, per_user_limit=1)
    people = visitors(120)
    holders, queue_people = people[:40], people[40:]
    reservations = [reservation_create(session=session, user=u, seats=1) for u in holders]
    entries = [waitlist_join(session=session, user=u, seats=1) for u in queue_people]

    # All 40 holders cancel at once.
    concurrently(
        [(lambda r=r: reservation_cancel(reservation=r, by=r.user).status) for r in reservations]
    )

    statuses = [fresh(e).status for e in entries]
    assert statuses == ["offered"] * 40 + ["waiting"] * 40  # first come, first served
    assert seats(session) == (0, 40)
    assert offered_twice() == []
    assert session_verify() == []

    # Half the offers are claimed while the other half are declined, all at once: the
    # declined seats go to the next 20 in line, each to one person.
    offered = [fresh(e) for e in entries[:40]]
    results = concurrently(
        [(lambda e=e: waitlist_offer_claim(entry=e, user=e.user).status) for e in offered[:20]]
        + [(lambda e=e: waitlist_leave(entry=e, user=e.user).status) for e in offered[20:]]
    )

    assert results == ["confirmed"] * 20 + ["left"] * 20, results
    statuses = [fresh(e).status for e in entries]
    assert statuses == ["claimed"] * 20 + ["left"] * 20 + ["offered"] * 20 + ["waiting"] * 20
    assert seats(session) == (20, 20)
    assert offered_twice() == []
    assert session_verify() == []


@pytest.mark.parametrize("closing", ["payment timeout", "visitor cancels"])
def test_a_payment_racing_the_end_of_its_reservation_is_kept_or_refunded(on_postgres, closing):
    session = make_session(capacity=10, price_fen=6_000)
    people = visitors(5)
    reservations = [reservation_create(session=session, user=u, seats=1) for u in people]
    notifications = [
        sandbox.sandbox_pay(payment=fresh(r).payment).notification for r in reservations
    ]

    for reservation, notification in zip(reservations, notifications, strict=True):
        if closing == "payment timeout":
            close = lambda r=reservation: payment_close(payment=fresh(r).payment)  # noqa: E731
        else:
            close = lambda r=reservation: reservation_cancel(reservation=r, by=r.user)  # noqa: E731
        results = concurrently(
            [lambda n=notification: notification_receive(params=n).answer, close]
        )
        assert results[0] == "success", results
        assert not isinstance(results[1], Exception) or isinstance(results[1], Conflict), results
    run_jobs()

    kept = 0
    outcomes = Counter()
    for reservation in reservations:
        reservation = fresh(reservation)
        refunds = [(r.status, r.amount_fen) for r in reservation.payment.refunds.all()]
        assert reservation.payment.status == PaymentStatus.PAID  # the money arrived either way
        if reservation.status == ReservationStatus.CONFIRMED:
            assert refunds == [] and reservation.tickets.filter(status="valid").count() == 1
            kept += reservation.amount_fen
        else:
            assert reservation.status in (ReservationStatus.EXPIRED, ReservationStatus.CANCELLED)
            assert refunds == [("succeeded", 6_000)]
            assert not reservation.tickets.filter(status="valid").exists()
        outcomes[reservation.status] += 1
    assert escrow_balance() == kept
    assert ledger_verify() == [] and session_verify() == []
    assert seats(session) == (outcomes["confirmed"], 0)


def test_one_visitor_sending_ten_requests_at_once_gets_no_more_than_the_limit(on_postgres):
    session = make_session(capacity=50, per_user_limit=2)
    (visitor,) = visitors(1)

    results = concurrently(
        [lambda: reservation_create(session=session, user=visitor, seats=1).status] * 10
    )

    assert results.count("confirmed") == 2, results
    refused = [r for r in results if r != "confirmed"]
    assert all(isinstance(r, Conflict) and r.code == "over_user_limit" for r in refused), refused
    assert seats(session) == (2, 0)


def test_a_paid_reservation_cancelled_by_ten_requests_at_once_is_refunded_once(on_postgres):
    """A retried cancellation (a visitor's retry after a timeout, a double click) is made
    once by the reservation's state: the first cancels and refunds, the rest are refused
    ``reservation_not_active``."""
    session = make_session(capacity=10, price_fen=6_000)
    (visitor,) = visitors(1)
    reservation = reservation_create(session=session, user=visitor, seats=1)
    notification_receive(
        params=sandbox.sandbox_pay(payment=fresh(reservation).payment).notification
    )

    results = concurrently(
        [lambda: reservation_cancel(reservation=reservation, by=visitor).status] * 10, pool=10
    )

    assert results.count(ReservationStatus.CANCELLED) == 1, results
    refused = [r for r in results if r != ReservationStatus.CANCELLED]
    assert all(getattr(r, "code", r) == "reservation_not_active" for r in refused), refused
    run_jobs()
    payment = fresh(reservation).payment
    assert [(r.status, r.amount_fen) for r in payment.refunds.all()] == [("succeeded", 6_000)]
    assert escrow_balance() == 0 and ledger_verify() == []
