"""What a scanner device downloads to check tickets in offline (``checkin_list_bundle``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from designmall.core import clock
from designmall.events import selectors, signing
from designmall.events.checkin.reading import CLOCK_LEEWAY_SECONDS
from designmall.events.models import (
    CheckinList,
    Ticket,
    TicketStatus,
)

# --- what a device downloads --------------------------------------------------------------


@dataclass(frozen=True)
class BundleSession:
    session_id: str
    event_id: str
    title_zh: str
    title_en: str
    starts_at: datetime
    ends_at: datetime
    # The tickets' validity window (what their payloads carry).
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class BundleTicket:
    ticket_id: str
    session_id: str
    checked_in: bool
    inside: bool


@dataclass(frozen=True)
class Bundle:
    checkin_list: CheckinList
    sessions: list[BundleSession]
    keys: list[selectors.PublicKey]
    revocations: list[selectors.Revocation]
    tickets: list[BundleTicket] | None
    generated_at: datetime
    clock_leeway_seconds: int


def checkin_list_bundle(
    *, checkin_list: CheckinList, since: datetime | None = None, include_tickets: bool = False
) -> Bundle:
    """What a device needs to check tickets in on ``checkin_list`` offline: its sessions
    with their validity windows, every public key of the design week (retired ones with
    ``retired_at``), the revocations of its sessions (after ``since``: ask again with a
    minute's overlap, see ``selectors.revoked_tickets``), and with ``include_tickets``
    every valid ticket id of its sessions and whether it has entered and is inside."""
    sessions = list(checkin_list.sessions.select_related("event").order_by("starts_at", "id"))
    rows = []
    for session in sessions:
        valid_from, valid_until = signing.ticket_validity(session)
        rows.append(
            BundleSession(
                session_id=session.public_id,
                event_id=session.event.public_id,
                title_zh=session.event.title_zh,
                title_en=session.event.title_en,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                valid_from=valid_from,
                valid_until=valid_until,
            )
        )
    tickets = None
    if include_tickets:
        found = (
            Ticket.objects.filter(session__in=sessions, status=TicketStatus.VALID)
            .order_by("session_id", "id")
            .values_list("public_id", "session__public_id", "checkin__inside")
        )
        tickets = [
            BundleTicket(
                ticket_id=ticket,
                session_id=session,
                checked_in=inside is not None,
                inside=bool(inside),
            )
            for ticket, session, inside in found
        ]
    return Bundle(
        checkin_list=checkin_list,
        sessions=rows,
        keys=selectors.event_public_keys(),
        revocations=selectors.revoked_tickets(
            since=since, sessions=[s.public_id for s in sessions]
        ),
        tickets=tickets,
        generated_at=clock.now(),
        clock_leeway_seconds=CLOCK_LEEWAY_SECONDS,
    )
