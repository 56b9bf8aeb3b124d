"""The operator calls a session off: every reservation is cancelled and refunded in full,
every ticket revoked, the waiting list closed, everyone told; nothing can be reserved or
paid for it afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, InvalidTransition, PermissionDenied
from designmall.events import tasks
from designmall.events.models import (
    EventStatus,
    NotificationKind,
    ReservationStatus,
    SessionStatus,
    TicketStatus,
    WaitlistStatus,
)
from designmall.events.selectors import (
    notification_text,
    notifications_for_user,
    revoked_tickets,
    session_verify,
)
from designmall.events.services import (
    event_cancel,
    reservation_create,
    session_cancel,
    waitlist_join,
)
from designmall.events.services.cancellation import _cancel_for_session
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import RefundStatus
from designmall.payments.services import notification_receive
from tests.events.conftest import fresh, pay, run_jobs, seats
from tests.factories import make_event, make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_user(role=Role.OPERATOR)


@pytest.fixture
def booked():
    """A priced session of 4 seats: two paid, one held for payment, one offered to the
    first in line, and one more visitor waiting."""
    session = make_session(capacity=4, price_fen=12_000)
    paid_1, paid_2, unpaid, leaving, offered, waiting = (make_user() for _ in range(6))
    paid = [reservation_create(session=session, user=u, seats=1) for u in (paid_1, paid_2)]
    for reservation in paid:
        pay(reservation)
    pending = reservation_create(session=session, user=unpaid, seats=1)
    last = reservation_create(session=session, user=leaving, seats=1)
    pay(last)
    offer = waitlist_join(session=session, user=offered, seats=1)
    queue = waitlist_join(session=session, user=waiting, seats=2)
    from designmall.events.services import reservation_cancel

    reservation_cancel(reservation=last, by=leaving)  # its seat is offered to the first in line
    run_jobs()
    return session, paid, pending, fresh(offer), queue


def test_cancelling_a_session_cancels_and_refunds_every_reservation_in_full(booked, operator):
    session, paid, pending, offer, queue = booked
    clock.set_frozen(session.cancel_until + timedelta(hours=1))  # past the visitors' deadline

    session_cancel(session=session, by=operator, reason="场馆临时检修")
    run_jobs()

    session = fresh(session)
    assert (session.status, session.cancel_reason) == (SessionStatus.CANCELLED, "场馆临时检修")
    for reservation in paid:
        reservation = fresh(reservation)
        assert reservation.status == ReservationStatus.CANCELLED
        assert reservation.by_operator
        assert reservation.refund_fen == reservation.refunded_fen == 12_000
        assert reservation.payment.refunds.get().status == RefundStatus.SUCCEEDED
    assert fresh(pending).status == ReservationStatus.CANCELLED
    assert fresh(pending).refund_fen == 0
    assert fresh(offer).status == WaitlistStatus.CANCELLED
    assert fresh(queue).status == WaitlistStatus.CANCELLED
    assert seats(session) == (0, 0)
    assert session_verify() == []
    assert escrow_balance() == 0 and ledger_verify() == []


def test_cancelling_a_session_revokes_its_tickets_for_the_scanners(booked, operator):
    session, paid, _, _, _ = booked
    issued = {t.public_id for r in paid for t in r.tickets.all()}
    mark = clock.now()
    clock.advance(timedelta(minutes=1))

    session_cancel(session=session, by=operator, reason="演出取消")

    assert {t.status for r in paid for t in r.tickets.all()} == {TicketStatus.REVOKED}
    assert {r.ticket_id for r in revoked_tickets(since=mark)} == issued
    assert {r.ticket_id for r in revoked_tickets(sessions=[session.public_id])} >= issued


def test_everyone_concerned_is_told_once(booked, operator):
    session, paid, pending, offer, queue = booked

    session_cancel(session=session, by=operator, reason="主讲人因病无法到场")
    run_jobs()
    run_jobs()

    for user in [r.user for r in [*paid, pending]] + [offer.user, queue.user]:
        message = notifications_for_user(user=user).filter(kind=NotificationKind.SESSION_CANCELLED)
        assert message.count() == 1, user
        assert "主讲人因病无法到场" in notification_text(message.get())
    refunded = notifications_for_user(user=paid[0].user).get(kind="session_cancelled")
    assert "¥120.00" in notification_text(refunded)


def test_nothing_can_be_reserved_or_joined_after_a_session_is_cancelled(booked, operator):
    session, *_ = booked
    session_cancel(session=session, by=operator, reason="取消")
    for attempt in (reservation_create, waitlist_join):
        with pytest.raises(Conflict) as refused:
            attempt(session=session, user=make_user(), seats=1)
        assert refused.value.code == "session_cancelled"


def test_money_arriving_after_the_cancellation_is_refunded_by_payments(operator):
    session = make_session(price_fen=5_000)
    reservation = reservation_create(session=session, user=make_user(), seats=1)
    paid_meanwhile = sandbox.sandbox_pay(payment=fresh(reservation).payment).notification
    session_cancel(session=session, by=operator, reason="取消")

    assert notification_receive(params=paid_meanwhile).outcome == "refunding"
    run_jobs()

    assert fresh(reservation).status == ReservationStatus.CANCELLED
    assert escrow_balance() == 0 and ledger_verify() == []


def test_only_operators_cancel_sessions(booked):
    session, *_ = booked
    with pytest.raises(PermissionDenied):
        session_cancel(session=session, by=make_user(), reason="不想办了")
    assert fresh(session).status == SessionStatus.SCHEDULED


def test_a_reason_is_required(booked, operator):
    from designmall.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        session_cancel(session=booked[0], by=operator, reason="  ")


def test_a_session_is_cancelled_once_and_never_after_it_ended(operator):
    session = make_session()
    session_cancel(session=session, by=operator, reason="取消")
    with pytest.raises(InvalidTransition):
        session_cancel(session=session, by=operator, reason="取消")
    ended = make_session()
    clock.set_frozen(ended.ends_at)
    with pytest.raises(Conflict) as refused:
        session_cancel(session=ended, by=operator, reason="取消")
    assert refused.value.code == "session_over"


def test_an_interrupted_cancellation_is_finished_by_the_sweeper(booked, operator, monkeypatch):
    session, paid, *_ = booked
    calls = []

    def crash_after_one(reservation_id, **kwargs):
        calls.append(reservation_id)
        if len(calls) > 1:
            raise RuntimeError("the web process died")
        return _cancel_for_session(reservation_id, **kwargs)

    monkeypatch.setattr(
        "designmall.events.services.cancellation._cancel_for_session", crash_after_one
    )
    with pytest.raises(RuntimeError):
        session_cancel(session=session, by=operator, reason="取消")
    monkeypatch.undo()
    assert fresh(session).status == SessionStatus.CANCELLED
    assert seats(session) != (0, 0)

    assert tasks.cancellations_finish() == 1
    assert tasks.cancellations_finish() == 0

    assert seats(session) == (0, 0)
    assert {fresh(r).status for r in paid} == {ReservationStatus.CANCELLED}
    assert session_verify() == []


def test_the_cancellation_is_audited(booked, operator):
    session, paid, *_ = booked
    session_cancel(session=session, by=operator, reason="取消")
    assert audit_trail(session).filter(action="session.cancelled", actor=operator).exists()
    assert audit_trail(paid[0]).filter(action="reservation.cancelled").exists()


def test_cancelling_an_event_cancels_its_sessions_still_to_come(operator):
    event = make_event()
    over = make_session(event=event, starts_in=timedelta(hours=-3))
    coming = [make_session(event=event, starts_in=timedelta(days=d)) for d in (1, 2)]
    reservation = reservation_create(session=coming[0], user=make_user(), seats=1)

    event_cancel(event=event, by=operator, reason="策展方撤展")

    assert fresh(event).status == EventStatus.CANCELLED
    assert {fresh(s).status for s in coming} == {SessionStatus.CANCELLED}
    assert fresh(over).status == SessionStatus.SCHEDULED
    assert fresh(reservation).status == ReservationStatus.CANCELLED
