"""Builders for the check-in tests: staff, lists, tickets and their payloads, scanners."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.events import checkin, signing
from designmall.events.checkin import ScanIn, Scanner
from designmall.events.models import CheckinList, Session, Ticket
from designmall.events.services import reservation_create
from tests.factories import make_session, make_user

_gates = itertools.count(1)


def make_staff(name: str = ""):
    user = make_user(role=Role.VENUE_STAFF)
    if name:
        user.display_name = name
        user.save(update_fields=["display_name"])
    return user


def make_list(
    *sessions: Session,
    staff=(),
    gate: str | None = None,
    allow_reentry: bool = False,
    name: str = "主入口",
) -> CheckinList:
    return checkin.checkin_list_create(
        name=name,
        gate=gate or f"{next(_gates)} 号门",
        sessions=sessions or [make_session()],
        allow_reentry=allow_reentry,
        staff=staff,
    )


def tickets_of(session: Session, n: int = 1, *, user=None) -> list[Ticket]:
    """``n`` fresh tickets of a free ``session`` (one visitor's reservation)."""
    reservation = reservation_create(session=session, user=user or make_user(), seats=n)
    return list(reservation.tickets.order_by("seat_no"))


def payload(ticket: Ticket) -> str:
    return signing.ticket_payload(ticket)


def at_the_door(session: Session) -> datetime:
    """A moment the session's tickets open the door: ten minutes before it starts."""
    moment = session.starts_at - timedelta(minutes=10)
    clock.set_frozen(moment)
    return moment


def new_scan_id() -> str:
    return str(uuid.uuid4())


def scan(checkin_list, scanner, code, *, direction="entry", scan_id=None, gate=""):
    if not isinstance(scanner, Scanner):
        scanner = Scanner(scanner)
    return checkin.scan_record(
        checkin_list=checkin_list,
        scanner=scanner,
        scan_id=scan_id or new_scan_id(),
        code=code,
        direction=direction,
        gate=gate,
    )


def offline(code, scanned_at, *, direction="entry", outcome="accepted", scan_id=None, gate=""):
    return ScanIn(
        scan_id=scan_id or new_scan_id(),
        code=code,
        direction=direction,
        scanned_at=scanned_at,
        device_outcome=outcome,
        gate=gate,
    )


def device_for(staff, *lists, name: str = "手持机", gate: str = ""):
    """A registered device of ``staff`` for ``lists``, as the ``Scanner`` it scans as."""
    device, _key = checkin.scanner_device_register(name=name, staff=staff, lists=lists, gate=gate)
    return Scanner(staff, device)


def upload(checkin_list, scanner, *scans):
    return checkin.scans_upload(checkin_list=checkin_list, scanner=scanner, scans=list(scans))
