"""E-tickets: each visitor sees only their own; a valid ticket's QR payload verifies offline
with the published key; revoked tickets have no payload and are listed for scanners."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, NotFound
from designmall.events import signing, ticketsign
from designmall.events.models import EventKey
from designmall.events.selectors import (
    event_public_key,
    event_public_keys,
    revoked_tickets,
    ticket_for_user,
    ticket_qr_payload,
    tickets_for_user,
)
from designmall.events.services import reservation_cancel, reservation_create
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return make_user()


def test_a_ticket_payload_verifies_with_the_published_public_key(visitor):
    session = make_session()
    reservation_create(session=session, user=visitor, seats=1)
    ticket = tickets_for_user(user=visitor).get()

    payload = ticket_qr_payload(ticket=ticket)
    published = event_public_key()
    claims = ticketsign.verify(
        payload,
        ticketsign.public_key_from_b64(published.public_key),
        now=session.starts_at,
    )

    assert (claims.ticket_id, claims.session_id, claims.key_id) == (
        ticket.public_id,
        session.public_id,
        published.kid,
    )
    assert claims.valid_from == int((session.starts_at - timedelta(hours=1)).timestamp())
    assert claims.valid_until == int(session.ends_at.timestamp())


def test_a_ticket_is_not_valid_at_the_door_after_its_session(visitor):
    session = make_session()
    reservation_create(session=session, user=visitor, seats=1)
    payload = ticket_qr_payload(ticket=tickets_for_user(user=visitor).get())
    key = ticketsign.public_key_from_b64(event_public_key().public_key)
    with pytest.raises(ticketsign.TicketExpired):
        ticketsign.verify(payload, key, now=session.ends_at + timedelta(seconds=1))


def test_the_key_pair_is_made_once_per_design_week(settings):
    first = event_public_key()
    assert event_public_key() == first
    assert EventKey.objects.count() == 1
    settings.DESIGN_WEEK_START = "2027-11-19"
    assert event_public_key().kid != first.kid


def test_a_rotated_key_stays_published_as_retired():
    old = event_public_key()
    new = signing.event_key_rotate(reason="密钥可能泄露")
    keys = event_public_keys()
    assert [k.kid for k in keys] == [new.kid, old.kid]
    assert keys[0].retired_at is None and keys[1].retired_at is not None


def test_visitors_see_only_their_own_tickets(visitor):
    session = make_session()
    reservation_create(session=session, user=visitor, seats=2)
    stranger = make_user()
    reservation_create(session=session, user=stranger, seats=1)

    mine = list(tickets_for_user(user=visitor))
    assert len(mine) == 2 and {t.user_id for t in mine} == {visitor.pk}
    theirs = tickets_for_user(user=stranger).get()
    with pytest.raises(NotFound):
        ticket_for_user(user=visitor, public_id=theirs.public_id)
    assert ticket_for_user(user=visitor, public_id=mine[0].public_id) == mine[0]


def test_a_revoked_ticket_has_no_payload_and_is_listed_for_scanners(visitor):
    reservation = reservation_create(session=make_session(), user=visitor, seats=1)
    before = clock.now()
    clock.advance(timedelta(seconds=5))
    reservation_cancel(reservation=reservation, by=visitor)
    ticket = tickets_for_user(user=visitor, include_revoked=True).get()

    with pytest.raises(Conflict) as refused:
        ticket_qr_payload(ticket=ticket)
    assert refused.value.code == "ticket_revoked"
    assert not tickets_for_user(user=visitor).exists()
    listed = revoked_tickets(since=before)
    assert [(r.ticket_id, r.session_id) for r in listed] == [
        (ticket.public_id, reservation.session.public_id)
    ]
    assert revoked_tickets(since=listed[0].revoked_at) == []  # a device asks only for news


def test_upcoming_and_past_tickets_are_told_apart(visitor):
    soon = make_session(starts_in=timedelta(hours=3))
    later = make_session(starts_in=timedelta(days=3))
    reservation_create(session=later, user=visitor, seats=1)
    reservation_create(session=soon, user=visitor, seats=1)
    assert [t.session for t in tickets_for_user(user=visitor)] == [soon, later]
    clock.set_frozen(soon.ends_at)
    assert [t.session for t in tickets_for_user(user=visitor, upcoming=True)] == [later]
    assert [t.session for t in tickets_for_user(user=visitor, upcoming=False)] == [soon]
