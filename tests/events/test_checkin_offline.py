"""Offline check-in: the bundle a device downloads, idempotent uploads keyed by scan id,
the earliest entry winning across devices whatever order their uploads arrive in, and the
conflicts a door's own decisions leave for the operator."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, PermissionDenied, ValidationFailed
from designmall.events import checkin, signing, ticketsign
from designmall.events.models import CheckIn, Scan, ScanConflict, ScanOutcome
from designmall.events.services import reservation_cancel
from tests.events.checkin_kit import (
    at_the_door,
    device_for,
    make_list,
    make_staff,
    offline,
    payload,
    scan,
    tickets_of,
    upload,
)
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


@pytest.fixture
def session():
    return make_session(capacity=50)


@pytest.fixture
def staff():
    return [make_staff(), make_staff()]


@pytest.fixture
def door(session, staff):
    return make_list(session, staff=staff, gate="东门")


@pytest.fixture
def devices(staff, door):
    """Two devices at two gates of the same list."""
    return device_for(staff[0], door, gate="东门 1"), device_for(staff[1], door, gate="东门 2")


@pytest.fixture
def tickets(session):
    tickets = tickets_of(session, 4)
    at_the_door(session)
    clock.advance(timedelta(minutes=30))  # the devices come back online half an hour later
    return tickets


def outcomes(items) -> list[str]:
    return [item.result.outcome if item.result else item.error.code for item in items]


# --- the bundle ---------------------------------------------------------------------------


def test_the_bundle_carries_the_sessions_keys_and_revocations_of_the_list(door, session):
    kept = tickets_of(session, 2, user=make_user())[0]
    other = make_session()
    (elsewhere,) = tickets_of(other)
    mine = tickets_of(session)[0]
    reservation_cancel(reservation=mine.reservation, by=mine.user)
    reservation_cancel(reservation=elsewhere.reservation, by=elsewhere.user)
    old_key = signing.event_key_current()
    signing.event_key_rotate(reason="轮换")

    bundle = checkin.checkin_list_bundle(checkin_list=door)

    assert [s.session_id for s in bundle.sessions] == [session.public_id]
    assert (bundle.sessions[0].valid_from, bundle.sessions[0].valid_until) == (
        signing.ticket_validity(session)
    )
    assert [r.ticket_id for r in bundle.revocations] == [mine.public_id]
    assert {k.kid for k in bundle.keys} == {old_key.kid, signing.event_key_current().kid}
    assert bundle.tickets is None
    assert bundle.clock_leeway_seconds == checkin.CLOCK_LEEWAY_SECONDS
    # A device can verify a ticket with what it downloaded, and nothing else.
    keys = {k.kid: ticketsign.public_key_from_b64(k.public_key) for k in bundle.keys}
    claims = ticketsign.verify(payload(kept), keys, now=session.starts_at)
    assert claims.ticket_id == kept.public_id


def test_the_bundle_lists_valid_tickets_and_who_is_in_when_asked(door, session, staff):
    first, second = tickets_of(session, 2)
    at_the_door(session)
    scan(door, staff[0], payload(first))
    bundle = checkin.checkin_list_bundle(checkin_list=door, include_tickets=True)
    assert {(t.ticket_id, t.checked_in, t.inside) for t in bundle.tickets} == {
        (first.public_id, True, True),
        (second.public_id, False, False),
    }


def test_a_device_refreshing_its_revocations_learns_of_new_ones_only(door, session):
    (first,) = tickets_of(session)
    (second,) = tickets_of(session)
    reservation_cancel(reservation=first.reservation, by=first.user)
    seen = checkin.checkin_list_bundle(checkin_list=door).revocations
    clock.advance(timedelta(minutes=5))
    reservation_cancel(reservation=second.reservation, by=second.user)

    refreshed = checkin.checkin_list_bundle(
        checkin_list=door, since=seen[-1].revoked_at - MIN
    ).revocations

    assert [r.ticket_id for r in refreshed] == [first.public_id, second.public_id]
    later = checkin.checkin_list_bundle(checkin_list=door, since=seen[-1].revoked_at)
    assert [r.ticket_id for r in later.revocations] == [second.public_id]


# --- idempotent uploads -------------------------------------------------------------------


def test_an_upload_records_each_scan_with_the_device_clock(door, devices, tickets):
    device, _other = devices
    at = clock.now() - 20 * MIN
    (item,) = upload(door, device, offline(payload(tickets[0]), at))
    assert item.result.ok and not item.result.replayed
    stored = Scan.objects.get(scan_id=item.scan_id)
    assert (stored.scanned_at, stored.received_at, stored.source) == (at, clock.now(), "offline")
    assert stored.gate == "东门 1" and stored.device == device.device
    assert CheckIn.objects.get(ticket=tickets[0]).entered_at == at


def test_replaying_the_same_upload_changes_nothing(door, devices, tickets):
    device, _other = devices
    at = clock.now() - 20 * MIN
    batch = [offline(payload(t), at + n * MIN) for n, t in enumerate(tickets)]
    batch.append(offline(payload(tickets[0]), at + 10 * MIN))  # the same visitor again
    first = upload(door, device, *batch)
    before = list(Scan.objects.order_by("pk").values())
    checkins = list(CheckIn.objects.order_by("pk").values())
    clock.advance(timedelta(minutes=7))

    again = upload(door, device, *batch)

    assert outcomes(again) == outcomes(first) == ["accepted"] * 4 + ["already_checked_in"]
    assert all(item.result.replayed for item in again)
    assert list(Scan.objects.order_by("pk").values()) == before
    assert list(CheckIn.objects.order_by("pk").values()) == checkins


def test_a_scan_id_used_again_for_another_scan_is_refused_alone(door, devices, tickets):
    device, _other = devices
    at = clock.now() - 20 * MIN
    (done,) = upload(door, device, offline(payload(tickets[0]), at))
    items = upload(
        door,
        device,
        offline(payload(tickets[1]), at, scan_id=done.scan_id),
        offline(payload(tickets[2]), at),
    )
    assert outcomes(items) == ["scan_id_reused", "accepted"]
    assert Scan.objects.get(scan_id=done.scan_id).ticket == tickets[0]


def test_another_device_cannot_claim_a_devices_scan_id(door, devices, tickets):
    one, two = devices
    at = clock.now() - 20 * MIN
    (done,) = upload(door, one, offline(payload(tickets[0]), at))
    (item,) = upload(door, two, offline(payload(tickets[0]), at, scan_id=done.scan_id))
    assert item.error.code == "scan_id_reused"


def test_bad_items_are_refused_one_by_one(door, devices, tickets):
    device, _other = devices
    now = clock.now()
    items = upload(
        door,
        device,
        offline(payload(tickets[0]), now - MIN),
        offline(payload(tickets[1]), now + timedelta(minutes=6)),
        offline(payload(tickets[2]), now - MIN, outcome="maybe"),
        offline(payload(tickets[3]), now.replace(tzinfo=None)),
        offline(payload(tickets[3]), now - MIN, scan_id="x"),
    )
    assert outcomes(items) == [
        "accepted",
        "scanned_at_in_future",
        "invalid_device_outcome",
        "invalid_scanned_at",
        "invalid_scan_id",
    ]
    assert Scan.objects.count() == 1


def test_a_device_clock_a_little_ahead_is_accepted(door, devices, tickets):
    device, _other = devices
    (item,) = upload(door, device, offline(payload(tickets[0]), clock.now() + 4 * MIN))
    assert item.result.ok


def test_an_upload_over_the_limit_is_refused_whole(door, devices, tickets, monkeypatch):
    device, _other = devices
    # The limit is read where uploads are recorded.
    monkeypatch.setattr(checkin.recording, "UPLOAD_MAX", 2)
    at = clock.now() - MIN
    with pytest.raises(ValidationFailed) as refused:
        upload(door, device, *[offline(payload(t), at) for t in tickets[:3]])
    assert refused.value.code == "upload_too_large"


# --- duplicates across devices ------------------------------------------------------------


def test_two_devices_scanning_one_ticket_make_one_entry_and_one_flagged_duplicate(
    door, devices, tickets
):
    one, two = devices
    ticket = tickets[0]
    early, late = clock.now() - 20 * MIN, clock.now() - 18 * MIN

    (second,) = upload(door, two, offline(payload(ticket), late))
    (first,) = upload(door, one, offline(payload(ticket), early))

    first_scan = Scan.objects.get(scan_id=first.scan_id)
    second_scan = Scan.objects.get(scan_id=second.scan_id)
    assert first_scan.outcome == ScanOutcome.ACCEPTED and first_scan.conflict == ""
    assert second_scan.outcome == ScanOutcome.ALREADY_CHECKED_IN
    assert second_scan.duplicate_of == first_scan
    assert second_scan.conflict == ScanConflict.DOUBLE_ENTRY
    checked = CheckIn.objects.get(ticket=ticket)
    assert (checked.first_scan, checked.entered_at, checked.gate) == (first_scan, early, "东门 1")
    assert checked.entries == 1
    # The later device's own answer, asked again, now tells it who won.
    (again,) = upload(door, two, offline(payload(ticket), late, scan_id=second.scan_id))
    assert again.result.outcome == "already_checked_in"
    assert again.result.duplicate_of.scan_id == first.scan_id
    assert again.result.conflict == "double_entry"


def test_every_order_of_uploads_ends_the_same(session, staff, tickets):
    door = make_list(session, staff=staff, allow_reentry=True)
    one = device_for(staff[0], door, gate="A")
    two = device_for(staff[1], door, gate="B")
    three = device_for(staff[0], door, gate="C")
    t0 = clock.now() - 30 * MIN
    ticket, other = payload(tickets[0]), payload(tickets[1])
    batches = [
        (one, [offline(ticket, t0), offline(other, t0 + 9 * MIN)]),
        (two, [offline(ticket, t0 + 2 * MIN), offline(ticket, t0 + 5 * MIN, direction="exit")]),
        (three, [offline(ticket, t0 + 7 * MIN), offline(other, t0 + 8 * MIN)]),
    ]
    endings = set()
    for order in itertools.permutations(batches):
        Scan.objects.update(duplicate_of=None)
        CheckIn.objects.all().delete()
        Scan.objects.all().delete()
        for device, scans in order:
            upload(door, device, *scans)
        endings.add(
            (
                tuple(Scan.objects.order_by("scanned_at").values_list("gate", "outcome")),
                tuple(CheckIn.objects.order_by("ticket_id").values_list("gate", "inside")),
            )
        )
    assert endings == {
        (
            (
                ("A", "accepted"),
                ("B", "already_checked_in"),
                ("B", "accepted"),  # the exit
                ("C", "accepted"),  # back in: the list allows re-entry
                ("C", "accepted"),  # the other ticket, first at C
                ("A", "already_checked_in"),
            ),
            (("A", True), ("C", True)),
        )
    }


def test_an_online_entry_is_flagged_when_an_earlier_offline_entry_arrives(
    door, devices, staff, tickets
):
    device, _other = devices
    ticket = tickets[0]
    online = scan(door, staff[1], payload(ticket), gate="西门")
    assert online.ok

    (late,) = upload(door, device, offline(payload(ticket), clock.now() - 10 * MIN))

    assert late.result.ok
    flagged = Scan.objects.get(scan_id=online.scan_id)
    assert flagged.outcome == ScanOutcome.ALREADY_CHECKED_IN
    assert flagged.device_outcome == ScanOutcome.ACCEPTED  # the gate did let them in
    assert flagged.conflict == ScanConflict.DOUBLE_ENTRY
    assert CheckIn.objects.get(ticket=ticket).gate == "东门 1"


def test_scans_a_device_refused_admitted_nobody(door, devices, tickets):
    one, two = devices
    ticket = tickets[0]
    (refused,) = upload(
        door, one, offline(payload(ticket), clock.now() - 20 * MIN, outcome="revoked")
    )
    assert refused.result.outcome == "revoked" and not refused.result.ok
    assert refused.result.conflict == ""
    assert not CheckIn.objects.exists()
    (later,) = upload(door, two, offline(payload(ticket), clock.now() - 10 * MIN))
    assert later.result.ok


# --- conflicts ----------------------------------------------------------------------------


def revoke(ticket, at) -> None:
    """Revoke ``ticket`` as of ``at`` (as a refund during the session would)."""
    ticket.status, ticket.revoked_at, ticket.revoke_reason = "revoked", at, "退款"
    ticket.save(update_fields=["status", "revoked_at", "revoke_reason"])


def test_an_entry_after_revocation_with_a_stale_list_is_a_conflict(door, devices, tickets):
    device, _other = devices
    ticket = tickets[0]
    revoked_at = clock.now() - 15 * MIN
    revoke(ticket, revoked_at)

    refused_exit, entry = upload(
        door,
        device,
        offline(payload(ticket), revoked_at - 5 * MIN, direction="exit", outcome="not_inside"),
        offline(payload(ticket), revoked_at + 5 * MIN),
    )

    assert entry.result.outcome == "revoked"
    assert entry.result.conflict == ScanConflict.AFTER_REVOCATION
    assert refused_exit.result.conflict == ""
    assert list(checkin.scan_conflicts()) == [Scan.objects.get(scan_id=entry.scan_id)]
    assert not CheckIn.objects.exists()


def test_an_entry_before_the_revocation_stands(door, devices, tickets):
    device, _other = devices
    ticket = tickets[0]
    at = clock.now() - 20 * MIN
    revoke(ticket, clock.now() - 5 * MIN)
    (item,) = upload(door, device, offline(payload(ticket), at))
    assert item.result.ok and item.result.conflict == ""


def test_a_door_that_let_a_forged_ticket_in_is_a_conflict(door, devices, tickets, session):
    device, _other = devices
    start, end = signing.ticket_validity(session)
    forged = ticketsign.sign(
        ticket_id=tickets[0].public_id,
        session_id=session.public_id,
        valid_from=start,
        valid_until=end,
        private_key=ticketsign.generate_private_key(),
    )
    (item,) = upload(door, device, offline(forged, clock.now() - MIN))
    assert item.result.outcome == "bad_signature"
    assert item.result.conflict == ScanConflict.ADMITTED_INVALID


def test_offline_expiry_allows_the_devices_clock_leeway(door, devices, tickets, session):
    device, _other = devices
    end = session.ends_at
    clock.set_frozen(end + timedelta(minutes=30))
    within, beyond = upload(
        door,
        device,
        offline(payload(tickets[0]), end + 4 * MIN),
        offline(payload(tickets[1]), end + 6 * MIN),
    )
    assert within.result.ok
    assert beyond.result.outcome == "expired" and beyond.result.conflict == "admitted_invalid"


def test_an_operator_marks_a_conflict_handled_once(door, devices, tickets):
    one, two = devices
    at = clock.now() - 20 * MIN
    upload(door, one, offline(payload(tickets[0]), at))
    (dup,) = upload(door, two, offline(payload(tickets[0]), at + MIN))
    conflict = Scan.objects.get(scan_id=dup.scan_id)
    operator = make_user(role=None)
    with pytest.raises(PermissionDenied):
        checkin.scan_conflict_resolve(scan=conflict, by=operator)
    operator = make_user(role=None, is_superuser=True, is_staff=True)

    resolved = checkin.scan_conflict_resolve(scan=conflict, by=operator, note="已与东门核实")
    checkin.scan_conflict_resolve(scan=conflict, by=operator)

    assert resolved.conflict_resolved_by == operator
    assert list(checkin.scan_conflicts()) == []
    assert list(checkin.scan_conflicts(open_only=False)) == [conflict]
    first = Scan.objects.exclude(pk=conflict.pk).get()
    with pytest.raises(Conflict):
        checkin.scan_conflict_resolve(scan=first, by=operator)
    # Replaying the uploads keeps it handled.
    upload(door, two, offline(payload(tickets[0]), at + MIN, scan_id=dup.scan_id))
    assert Scan.objects.get(pk=conflict.pk).conflict_resolved_at is not None


def test_attendance_counts_first_entries_per_hour(door, devices, tickets, session):
    device, _other = devices
    at = clock.now() - 20 * MIN
    upload(door, device, *[offline(payload(t), at + n * MIN) for n, t in enumerate(tickets)])
    upload(door, device, offline(payload(tickets[0]), at + 5 * MIN))  # refused: counted once
    hours = checkin.attendance_by_hour(sessions=[session])
    assert sum(n for _hour, n in hours) == 4
    assert all((hour.minute, hour.second) == (0, 0) for hour, _n in hours)
