"""Online check-in: a ticket enters once, a second scan says when and where it did, exits
and re-entry where the list allows, and every kind of bad ticket is refused with its own
reason; scan ids make retries harmless; only assigned venue staff and their devices scan."""

from __future__ import annotations

import base64
import struct
from datetime import timedelta

import pytest
from django.utils import timezone

from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.events import checkin, signing, ticketsign
from designmall.events.checkin import Scanner
from designmall.events.models import CheckIn, Scan, ScanOutcome
from designmall.events.services import reservation_cancel
from tests.events.checkin_kit import (
    at_the_door,
    device_for,
    make_list,
    make_staff,
    new_scan_id,
    payload,
    scan,
    tickets_of,
)
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_staff("检票员小王")


@pytest.fixture
def session():
    return make_session(capacity=20)


@pytest.fixture
def door(session, staff):
    return make_list(session, staff=[staff], gate="B 门")


@pytest.fixture
def ticket(session):
    (ticket,) = tickets_of(session)
    at_the_door(session)
    return ticket


# --- entering once ------------------------------------------------------------------------


def test_a_valid_ticket_enters(door, staff, ticket):
    result = scan(door, staff, payload(ticket))

    assert result.ok and result.outcome == ScanOutcome.ACCEPTED
    assert result.message == "验票通过，请入场。"
    assert (result.ticket_id, result.session_id) == (ticket.public_id, ticket.session.public_id)
    checked = CheckIn.objects.get(ticket=ticket)
    assert (checked.gate, checked.inside, checked.entries) == ("B 门", True, 1)
    assert checked.entered_at == clock.now()


def test_a_second_entry_says_when_and_at_which_gate_it_entered(session, door, staff, ticket):
    first = scan(door, staff, payload(ticket))
    clock.advance(timedelta(minutes=3))
    other_door = make_list(session, staff=[staff], gate="C 门")

    second = scan(other_door, staff, payload(ticket))

    entered = first.scanned_at.astimezone(timezone.get_current_timezone())
    assert not second.ok and second.outcome == ScanOutcome.ALREADY_CHECKED_IN
    assert second.message == f"已于 {entered:%H:%M} 在「B 门」检票入场。"
    assert second.duplicate_of.scan_id == first.scan_id
    assert (second.duplicate_of.gate, second.duplicate_of.scanned_at) == ("B 门", first.scanned_at)
    assert CheckIn.objects.get(ticket=ticket).first_scan.scan_id == first.scan_id


def test_a_second_entry_on_another_day_names_the_date(door, staff, ticket, session):
    session.ends_at = session.starts_at + timedelta(days=2)
    session.save(update_fields=["ends_at"])
    first = scan(door, staff, ticket.public_id)
    clock.advance(timedelta(days=1))
    second = scan(door, staff, ticket.public_id)
    assert f"{first.scanned_at.astimezone(timezone.get_current_timezone()):%m-%d %H:%M}" in (
        second.message
    )


def test_the_ticket_id_typed_by_hand_enters_too(door, staff, ticket):
    result = scan(door, staff, f"  {ticket.public_id.upper()} ")
    assert result.ok and result.ticket_id == ticket.public_id


def test_a_refused_entry_is_recorded_and_admits_nobody(door, staff, ticket):
    scan(door, staff, payload(ticket))
    scan(door, staff, payload(ticket))
    refused = Scan.objects.get(outcome=ScanOutcome.ALREADY_CHECKED_IN)
    assert refused.device_outcome == ScanOutcome.ALREADY_CHECKED_IN
    assert refused.conflict == ""
    assert CheckIn.objects.get(ticket=ticket).entries == 1


# --- exits and re-entry -------------------------------------------------------------------


def test_on_a_reentry_list_a_visitor_goes_out_and_comes_back(session, staff, ticket):
    door = make_list(session, staff=[staff], allow_reentry=True)
    assert scan(door, staff, payload(ticket)).ok
    out = scan(door, staff, payload(ticket), direction="exit")
    assert out.ok and out.message == "已登记出场。"
    assert not CheckIn.objects.get(ticket=ticket).inside

    back = scan(door, staff, payload(ticket))

    assert back.ok
    checked = CheckIn.objects.get(ticket=ticket)
    assert (checked.inside, checked.entries, checked.exits) == (True, 2, 1)


def test_inside_a_reentry_list_a_second_entry_is_still_refused(session, staff, ticket):
    door = make_list(session, staff=[staff], allow_reentry=True)
    scan(door, staff, payload(ticket))
    assert scan(door, staff, payload(ticket)).outcome == ScanOutcome.ALREADY_CHECKED_IN


def test_without_reentry_a_visitor_who_went_out_stays_out(door, staff, ticket):
    scan(door, staff, payload(ticket))
    assert scan(door, staff, payload(ticket), direction="exit").ok
    back = scan(door, staff, payload(ticket))
    assert back.outcome == ScanOutcome.ALREADY_CHECKED_IN
    assert not CheckIn.objects.get(ticket=ticket).inside


def test_an_exit_before_any_entry_is_refused(door, staff, ticket):
    result = scan(door, staff, payload(ticket), direction="exit")
    assert result.outcome == ScanOutcome.NOT_INSIDE
    assert result.message == "这张票还未入场，不能登记出场。"
    assert not CheckIn.objects.filter(ticket=ticket).exists()


def test_a_second_exit_names_the_first(session, staff, ticket):
    door = make_list(session, staff=[staff], allow_reentry=True, gate="A 门")
    scan(door, staff, payload(ticket))
    first_out = scan(door, staff, payload(ticket), direction="exit")
    again = scan(door, staff, payload(ticket), direction="exit")
    assert again.outcome == ScanOutcome.NOT_INSIDE
    assert again.duplicate_of.scan_id == first_out.scan_id
    assert "在「A 门」出场" in again.message


# --- bad tickets --------------------------------------------------------------------------


def test_a_revoked_ticket_is_refused(door, staff, ticket):
    reservation_cancel(reservation=ticket.reservation, by=ticket.user)
    result = scan(door, staff, payload(ticket))
    assert result.outcome == ScanOutcome.REVOKED and not result.ok
    assert result.message == "这张票已作废，不能入场。"
    assert not CheckIn.objects.exists()


def test_a_ticket_of_another_session_is_refused_and_named(door, staff, ticket):
    other = make_session(starts_at=ticket.session.starts_at)
    (theirs,) = tickets_of(other)
    result = scan(door, staff, payload(theirs))
    assert result.outcome == ScanOutcome.WRONG_LIST
    assert other.event.title_zh in result.message


def test_a_forged_payload_is_refused(door, staff, ticket, session):
    forger = ticketsign.generate_private_key()
    start, end = signing.ticket_validity(session)
    forged = ticketsign.sign(
        ticket_id=ticket.public_id,
        session_id=session.public_id,
        valid_from=start,
        valid_until=end,
        private_key=forger,
    )
    result = scan(door, staff, forged)
    assert result.outcome == ScanOutcome.BAD_SIGNATURE
    assert result.message == "票码签名无效：可能是伪造或被改动过的票。"
    assert result.ticket_id is None


def altered(text: str, **changes: bytes) -> str:
    """``text`` with some header bytes replaced and its signature kept."""
    raw = bytearray(base64.urlsafe_b64decode(text + "=="))
    spans = {"ticket": (5, 15), "valid_until": (29, 33)}
    for name, value in changes.items():
        start, end = spans[name]
        raw[start:end] = value
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_a_payload_with_its_validity_stretched_is_refused(door, staff, ticket):
    later = struct.pack(">I", int((clock.now() + timedelta(days=30)).timestamp()))
    result = scan(door, staff, altered(payload(ticket), valid_until=later))
    assert result.outcome == ScanOutcome.BAD_SIGNATURE


def test_a_payload_with_another_ticket_id_is_refused(door, staff, ticket, session):
    (other,) = tickets_of(session)
    swapped = base64.urlsafe_b64decode(payload(other) + "==")[5:15]
    result = scan(door, staff, altered(payload(ticket), ticket=swapped))
    assert result.outcome == ScanOutcome.BAD_SIGNATURE
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("code", ["hello", "https://example.com/t/1", "tk_0000000000000000"])
def test_codes_that_name_no_ticket_are_unknown(door, staff, ticket, code):
    result = scan(door, staff, code)
    assert result.outcome == ScanOutcome.UNKNOWN_TICKET
    assert result.message == "无法识别的票码。"


def test_after_the_session_the_ticket_has_expired(door, staff, ticket, session):
    clock.set_frozen(session.ends_at + timedelta(seconds=1))
    result = scan(door, staff, payload(ticket))
    assert result.outcome == ScanOutcome.EXPIRED
    assert "已过期" in result.message


def test_before_the_doors_open_the_ticket_is_not_valid_yet(door, staff, ticket, session):
    clock.set_frozen(session.starts_at - timedelta(hours=2))
    result = scan(door, staff, ticket.public_id)
    assert result.outcome == ScanOutcome.NOT_VALID_YET
    assert "还未到入场时间" in result.message


def test_a_ticket_signed_with_a_retired_key_still_enters_online(door, staff, ticket):
    old = payload(ticket)
    signing.event_key_rotate(reason="轮换")
    assert scan(door, staff, old).ok


# --- retries ------------------------------------------------------------------------------


def test_the_same_scan_id_again_answers_the_same_without_a_second_scan(door, staff, ticket):
    scan_id = new_scan_id()
    first = scan(door, staff, payload(ticket), scan_id=scan_id)
    clock.advance(timedelta(minutes=1))
    again = scan(door, staff, payload(ticket), scan_id=scan_id)
    assert again.ok and again.replayed and not first.replayed
    assert again.scanned_at == first.scanned_at
    assert Scan.objects.count() == 1


def test_a_scan_id_reused_for_another_ticket_is_refused(door, staff, ticket, session):
    (other,) = tickets_of(session)
    scan_id = new_scan_id()
    scan(door, staff, payload(ticket), scan_id=scan_id)
    with pytest.raises(Conflict) as refused:
        scan(door, staff, payload(other), scan_id=scan_id)
    assert refused.value.code == "scan_id_reused"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"scan_id": "short"}, "invalid_scan_id"),
        ({"scan_id": "has space in it"}, "invalid_scan_id"),
        ({"code": "   "}, "invalid_code"),
        ({"code": "x" * 201}, "invalid_code"),
        ({"direction": "sideways"}, "invalid_direction"),
    ],
)
def test_malformed_scans_are_refused(door, staff, ticket, fields, code):
    values = {"scan_id": new_scan_id(), "code": ticket.public_id, "direction": "entry", **fields}
    with pytest.raises(ValidationFailed) as refused:
        checkin.scan_record(checkin_list=door, scanner=Scanner(staff), **values)
    assert refused.value.code == code
    assert not Scan.objects.exists()


# --- who scans ----------------------------------------------------------------------------


def test_staff_not_assigned_to_the_list_cannot_scan_on_it(door, ticket):
    stranger = make_staff()
    with pytest.raises(NotFound):
        scan(door, stranger, payload(ticket))
    assert list(checkin.checkin_lists_for(scanner=Scanner(stranger))) == []


def test_a_visitor_assigned_by_mistake_cannot_scan(session, ticket):
    door = make_list(session, staff=[make_staff()])
    visitor = make_user()
    door.staff.add(visitor)
    with pytest.raises(NotFound):
        scan(door, visitor, payload(ticket))


def test_staff_who_lose_the_role_stop_scanning(door, staff, ticket):
    staff.groups.clear()
    staff = type(staff).objects.get(pk=staff.pk)
    with pytest.raises(NotFound):
        scan(door, staff, payload(ticket))


def test_only_venue_staff_can_be_assigned_to_a_list(session):
    with pytest.raises(ValidationFailed) as refused:
        make_list(session, staff=[make_user()])
    assert refused.value.details == {"field": "staff"}


def test_a_device_scans_only_on_its_lists(session, staff, ticket, door):
    elsewhere = make_list(session, staff=[staff])
    device = device_for(staff, door, gate="B 门 2 号机")
    assert [item.pk for item in checkin.checkin_lists_for(scanner=device)] == [door.pk]
    result = scan(door, device, payload(ticket))
    assert result.ok and result.gate == "B 门 2 号机"
    assert Scan.objects.get().device == device.device
    with pytest.raises(NotFound):
        scan(elsewhere, device, payload(ticket))


def test_a_revoked_device_key_is_refused(door, staff):
    device, key = checkin.scanner_device_register(name="一号机", staff=staff, lists=[door])
    assert checkin.scanner_device_authenticate(key) == device
    assert checkin.scanner_device_revoke(device=device, by=None, reason="丢失")
    assert checkin.scanner_device_authenticate(key) is None
    assert not checkin.scanner_device_revoke(device=device, by=None)
    assert list(checkin.checkin_lists_for(scanner=Scanner(staff, device))) == []


def test_a_device_stops_on_a_list_its_staff_member_leaves(door, staff, ticket):
    device = device_for(staff, door)
    door.staff.remove(staff)
    with pytest.raises(NotFound):
        scan(door, device, payload(ticket))


def test_a_device_is_issued_only_for_lists_its_staff_member_works(session, staff):
    theirs = make_list(session, staff=[make_staff()])
    with pytest.raises(ValidationFailed) as refused:
        checkin.scanner_device_register(name="一号机", staff=staff, lists=[theirs])
    assert refused.value.details == {"field": "lists"}
    with pytest.raises(ValidationFailed):
        checkin.scanner_device_register(name="一号机", staff=make_user(), lists=[theirs])


def test_a_device_key_is_stored_only_as_a_hash(door, staff):
    device, key = checkin.scanner_device_register(name="一号机", staff=staff, lists=[door])
    assert key.startswith("dmd_") and key not in device.key_hash
    assert device.key_prefix == key[:12]
    assert checkin.scanner_device_authenticate(key + "x") is None
    assert checkin.scanner_device_authenticate("dm_" + key[4:]) is None


# --- counts -------------------------------------------------------------------------------


def test_the_status_counts_tickets_entries_and_who_is_inside(session, staff):
    door = make_list(session, staff=[staff], allow_reentry=True)
    tickets = tickets_of(session, 3)
    at_the_door(session)
    for ticket in tickets[:2]:
        scan(door, staff, payload(ticket))
    scan(door, staff, payload(tickets[0]), direction="exit")
    scan(door, staff, "nonsense")

    status = checkin.checkin_list_status(checkin_list=door)

    assert (status.tickets, status.checked_in, status.inside) == (3, 2, 1)
    assert (status.scans, status.accepted_entries, status.refused) == (4, 2, 1)
    assert [(s.session_id, s.tickets, s.checked_in) for s in status.sessions] == [
        (session.public_id, 3, 2)
    ]
