"""Real concurrent connections on PostgreSQL: one ticket scanned at eight gates at once
enters exactly once; four offline devices uploading the same tickets at once leave one
winner per ticket (the earliest scan) and flag the rest; the same upload racing itself
records each scan once; a revocation racing a scan is seen or not, never half."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.events.checkin import Scanner
from designmall.events.models import CheckIn, Scan, ScanConflict, ScanOutcome
from designmall.events.services import reservation_cancel
from tests.concurrency import concurrently
from tests.events.checkin_kit import (
    at_the_door,
    device_for,
    make_list,
    make_staff,
    new_scan_id,
    offline,
    payload,
    scan,
    tickets_of,
    upload,
)
from tests.factories import make_session

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_one_ticket_at_eight_gates_at_once_enters_exactly_once(on_postgres):
    session = make_session(capacity=10)
    staff = [make_staff() for _ in range(8)]
    lists = [make_list(session, staff=[member], gate=f"{n} 号门") for n, member in enumerate(staff)]
    (ticket,) = tickets_of(session)
    code = payload(ticket)
    at_the_door(session)

    results = concurrently(
        [
            (lambda door=door, member=member: scan(door, member, code))
            for door, member in zip(lists, staff, strict=True)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    outcomes = Counter(r.outcome for r in results)
    assert outcomes == {ScanOutcome.ACCEPTED: 1, ScanOutcome.ALREADY_CHECKED_IN: 7}
    winner = next(r for r in results if r.ok)
    assert {r.duplicate_of.scan_id for r in results if not r.ok} == {winner.scan_id}
    checked = CheckIn.objects.get(ticket=ticket)
    assert (checked.first_scan.scan_id, checked.entries) == (winner.scan_id, 1)
    assert not Scan.objects.exclude(conflict=ScanConflict.NONE).exists()


def test_many_tickets_at_many_gates_each_enter_once(on_postgres):
    session = make_session(capacity=40)
    staff = make_staff()
    lists = [make_list(session, staff=[staff], gate=f"{n} 号门") for n in range(4)]
    codes = [payload(t) for t in tickets_of(session, 4)] + [
        payload(t) for t in tickets_of(session, 4)
    ]
    at_the_door(session)
    works = [
        (lambda door=door, code=code: scan(door, staff, code)) for door in lists for code in codes
    ]

    results = concurrently(works, pool=16)

    assert not [r for r in results if isinstance(r, Exception)], results
    accepted = Counter(r.ticket_id for r in results if r.ok)
    assert len(accepted) == 8 and set(accepted.values()) == {1}
    assert CheckIn.objects.count() == 8


def test_four_devices_uploading_at_once_leave_one_winner_per_ticket(on_postgres):
    session = make_session(capacity=60)
    staff = [make_staff() for _ in range(4)]
    door = make_list(session, staff=staff)
    devices = [device_for(member, door, gate=f"{n} 号机") for n, member in enumerate(staff)]
    tickets = tickets_of(session, 4) + tickets_of(session, 4) + tickets_of(session, 4)
    at_the_door(session)
    clock.advance(timedelta(minutes=30))
    start = clock.now() - timedelta(minutes=25)
    # Device n scanned every ticket at start + n minutes (+ the ticket's own second):
    # device 0 was first everywhere, whatever order the uploads land in.
    batches = [
        [
            offline(payload(t), start + timedelta(minutes=n, seconds=i))
            for i, t in enumerate(tickets)
        ]
        for n in range(4)
    ]

    results = concurrently(
        [
            (lambda device=device, batch=batch: upload(door, device, *batch))
            for device, batch in zip(devices, batches, strict=True)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    winners = Scan.objects.filter(outcome=ScanOutcome.ACCEPTED)
    assert winners.count() == len(tickets)
    assert set(winners.values_list("gate", flat=True)) == {"0 号机"}
    losers = Scan.objects.exclude(outcome=ScanOutcome.ACCEPTED)
    assert losers.count() == 3 * len(tickets)
    assert set(losers.values_list("conflict", flat=True)) == {ScanConflict.DOUBLE_ENTRY}
    for loser in losers.select_related("duplicate_of"):
        assert loser.duplicate_of.ticket_id == loser.ticket_id
        assert loser.duplicate_of.gate == "0 号机"
    assert CheckIn.objects.count() == len(tickets)
    assert set(CheckIn.objects.values_list("gate", flat=True)) == {"0 号机"}


def test_the_same_upload_sent_four_times_at_once_records_each_scan_once(on_postgres):
    session = make_session(capacity=20)
    staff = make_staff()
    door = make_list(session, staff=[staff])
    device = device_for(staff, door)
    tickets = tickets_of(session, 4)
    at_the_door(session)
    batch = [offline(payload(t), clock.now() - timedelta(minutes=1)) for t in tickets]

    results = concurrently([lambda: upload(door, device, *batch)] * 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Scan.objects.count() == 4 and CheckIn.objects.count() == 4
    for items in results:
        assert [item.result.outcome for item in items] == ["accepted"] * 4
    assert sum(item.result.replayed for items in results for item in items) == 12


def test_a_cancellation_racing_a_scan_is_seen_whole(on_postgres):
    session = make_session(capacity=20, starts_in=timedelta(hours=12))
    staff = make_staff()
    door = make_list(session, staff=[staff])
    tickets = [tickets_of(session)[0] for _ in range(8)]
    codes = [payload(t) for t in tickets]
    # The doors are open and visitors may still cancel: both at once, for each ticket.
    clock.set_frozen(session.starts_at - timedelta(minutes=50))

    def cancel(ticket):
        return lambda: reservation_cancel(reservation=ticket.reservation, by=ticket.user)

    works = []
    for ticket, code in zip(tickets, codes, strict=True):
        works.append(lambda code=code: scan(door, Scanner(staff), code, scan_id=new_scan_id()))
        works.append(cancel(ticket))
    results = concurrently(works, pool=16)

    assert not [r for r in results if isinstance(r, Exception)], results
    for ticket in tickets:
        ticket.refresh_from_db()
        entry = Scan.objects.get(ticket=ticket)
        assert ticket.status == "revoked"
        if entry.outcome == ScanOutcome.ACCEPTED:
            # Scanned before the revocation committed: the entry stands, and came first.
            assert entry.scanned_at <= ticket.revoked_at
        else:
            assert entry.outcome == ScanOutcome.REVOKED
