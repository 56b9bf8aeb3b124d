"""Reading a scanned code and the checks no history can change: the signature, the
ticket, its revocation, the list and the validity window; and a scan's own input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.core.errors import (
    ValidationFailed,
)
from designmall.events import signing, ticketsign
from designmall.events.models import (
    EventKey,
    ScanDirection,
    ScanOutcome,
    ScanSource,
    Session,
    Ticket,
    TicketStatus,
)

# A scan id is the client's: a UUID, say. 8 to 64 characters, no spaces.
SCAN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
CODE_MAX = 200
# How far an offline device's clock may be off: the validity window is widened by this
# much on both sides, and a scan may be dated this far past its arrival.
CLOCK_LEEWAY_SECONDS = 300


@dataclass(frozen=True)
class ScanIn:
    """One scan as a door reports it. Online: ``scanned_at`` and ``device_outcome`` are
    the server's to decide (leave them None). Offline: the device's clock and what it did
    (``accepted``, or the refusal it showed)."""

    scan_id: str
    code: str
    direction: str = ScanDirection.ENTRY
    gate: str = ""
    scanned_at: datetime | None = None
    device_outcome: str | None = None


@dataclass(frozen=True)
class _Read:
    ticket_id: str | None  # the ticket the code names, if it names one
    refusal: str | None  # unknown_ticket / bad_signature from the code alone
    claims: ticketsign.TicketClaims | None


def _keys() -> dict[str, Any]:
    """Every ticket key of the design week, by key id (retired ones too)."""
    signing.event_key_current()
    return {
        key.kid: signing.public_key_of(key)
        for key in EventKey.objects.filter(edition=signing.edition())
    }


def _read(code: str, keys: dict[str, Any]) -> _Read:
    """What a code names, checking its signature but not its time window."""
    text = code.strip()
    lowered = text.lower()
    if lowered.startswith(ticketsign.TICKET_PREFIX + "_") and len(lowered) <= 24:
        return _Read(lowered, None, None)  # a ticket id typed by hand
    try:
        claims, _header, _signature = ticketsign.decode(text)
    except ticketsign.MalformedTicket:
        return _Read(None, ScanOutcome.UNKNOWN_TICKET, None)
    try:
        # The window is checked later, at the scan's own time.
        ticketsign.verify(text, keys, now=claims.valid_from)
    except (ticketsign.UnknownKey, ticketsign.BadSignature):
        return _Read(None, ScanOutcome.BAD_SIGNATURE, None)
    return _Read(claims.ticket_id, None, claims)


@dataclass
class _TicketRow:
    pk: int
    public_id: str
    session_id: int
    status: str
    revoked_at: datetime | None


def _lock_tickets(public_ids: set[str]) -> dict[str, _TicketRow]:
    """Lock the named tickets' rows in primary-key order (one statement) and read them."""
    if not public_ids:
        return {}
    rows = (
        Ticket.objects.select_for_update(no_key=True)
        .filter(public_id__in=sorted(public_ids))
        .order_by("pk")
        .values_list("pk", "public_id", "session_id", "status", "revoked_at")
    )
    return {row[1]: _TicketRow(*row) for row in rows}


def _check(
    read: _Read,
    ticket: _TicketRow | None,
    *,
    at: datetime,
    list_sessions: set[int],
    sessions: dict[int, Session],
    leeway: int,
) -> str | None:
    """The refusal of a scan at ``at`` that no history can change, or None (valid)."""
    if read.refusal:
        return read.refusal
    if ticket is None:
        return ScanOutcome.UNKNOWN_TICKET
    session = sessions[ticket.session_id]
    if read.claims is not None and read.claims.session_id != session.public_id:
        return ScanOutcome.BAD_SIGNATURE  # genuine, yet not this ticket's: never accept
    if ticket.status == TicketStatus.REVOKED and ticket.revoked_at <= at:
        return ScanOutcome.REVOKED
    if ticket.session_id not in list_sessions:
        return ScanOutcome.WRONG_LIST
    if read.claims is not None:
        valid_from, valid_until = read.claims.valid_from, read.claims.valid_until
    else:
        start, end = signing.ticket_validity(session)
        valid_from, valid_until = int(start.timestamp()), int(end.timestamp())
    moment = int(at.timestamp())
    if moment < valid_from - leeway:
        return ScanOutcome.NOT_VALID_YET
    if moment > valid_until + leeway:
        return ScanOutcome.EXPIRED
    return None


def _validate(item: ScanIn, *, source: str, received: datetime) -> None:
    if not isinstance(item.scan_id, str) or not SCAN_ID_RE.match(item.scan_id):
        raise ValidationFailed(
            _("扫描编号须为 8–64 个字母、数字或 . _ : - 。"),
            code="invalid_scan_id",
            details={"field": "scan_id"},
        )
    if not isinstance(item.code, str) or not item.code.strip() or len(item.code) > CODE_MAX:
        raise ValidationFailed(
            _("请输入票码（二维码内容或票号）。"),
            code="invalid_code",
            details={"field": "payload"},
        )
    if "\x00" in item.code or "\x00" in (item.gate or ""):
        raise ValidationFailed(_("票码含有无效字符。"), code="invalid_code")
    if item.direction not in ScanDirection.values:
        raise ValidationFailed(
            _("方向须为入场或出场。"), code="invalid_direction", details={"field": "direction"}
        )
    if source == ScanSource.OFFLINE:
        if item.scanned_at is None or timezone.is_naive(item.scanned_at):
            raise ValidationFailed(
                _("离线扫描须带扫描时间（含时区）。"),
                code="invalid_scanned_at",
                details={"field": "scanned_at"},
            )
        if item.scanned_at > received + timedelta(seconds=CLOCK_LEEWAY_SECONDS):
            raise ValidationFailed(
                _("扫描时间晚于现在，请校准设备时钟后重新上传。"),
                code="scanned_at_in_future",
                details={"field": "scanned_at"},
            )
        if item.device_outcome not in ScanOutcome.values:
            raise ValidationFailed(
                _("现场结果无效。"),
                code="invalid_device_outcome",
                details={"field": "device_outcome"},
            )
