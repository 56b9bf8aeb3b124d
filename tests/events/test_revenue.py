"""Ticket money: paid into escrow, refunded out of escrow, and once the session is over
what was kept leaves escrow as the platform's ticket revenue, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.events import tasks
from designmall.events.services import (
    TICKET_REVENUE,
    reservation_cancel,
    reservation_create,
    reservation_revenue_release,
)
from designmall.ledger import accounts
from designmall.ledger.services import account_balance, escrow_balance, ledger_verify
from tests.events.conftest import fresh, pay, run_jobs
from tests.factories import make_session, make_user


def _chart_knows(code: str) -> bool:
    try:
        accounts.describe(code)
    except ValueError:
        return False
    return True


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not _chart_knows(TICKET_REVENUE),
        reason=f"the ledger's chart has no {TICKET_REVENUE} revenue account yet",
    ),
]


@pytest.fixture
def session():
    return make_session(capacity=10, price_fen=10_000)


def test_after_the_session_the_kept_money_leaves_escrow_as_ticket_revenue(session):
    kept = reservation_create(session=session, user=make_user(), seats=2)
    pay(kept)
    visitor = make_user()
    refunded = reservation_create(session=session, user=visitor, seats=1)
    pay(refunded)
    reservation_cancel(reservation=refunded, by=visitor)
    run_jobs()
    assert escrow_balance() == 20_000

    assert tasks.revenue_release() == 0  # not over yet
    clock.set_frozen(session.ends_at)
    assert tasks.revenue_release() == 2
    assert tasks.revenue_release() == 0

    assert escrow_balance() == 0
    assert account_balance(TICKET_REVENUE) == 20_000
    assert (fresh(kept).released_fen, fresh(refunded).released_fen) == (20_000, 0)
    assert ledger_verify() == []


def test_a_late_cancellation_keeps_its_money_as_revenue(session):
    visitor = make_user()
    reservation = reservation_create(session=session, user=visitor, seats=1)
    pay(reservation)
    clock.set_frozen(session.cancel_until)
    reservation_cancel(reservation=reservation, by=visitor)
    clock.set_frozen(session.ends_at + timedelta(minutes=1))

    reservation_revenue_release(reservation=reservation)

    assert account_balance(TICKET_REVENUE) == 10_000
    assert escrow_balance() == 0


def test_a_refund_still_under_way_at_release_is_paid_from_escrow(session):
    visitor = make_user()
    reservation = reservation_create(session=session, user=visitor, seats=1)
    pay(reservation)
    reservation_cancel(reservation=reservation, by=visitor)  # refund queued, not yet made
    clock.set_frozen(session.ends_at)
    reservation_revenue_release(reservation=reservation)
    assert fresh(reservation).released_fen == 0

    run_jobs()

    assert escrow_balance() == 0
    assert account_balance(TICKET_REVENUE) == 0
    assert ledger_verify() == []
