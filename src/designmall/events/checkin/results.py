"""What a scan came to, as a door and a device are told: the result and its message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.events import signing
from designmall.events.models import (
    Scan,
    ScanDirection,
    ScanOutcome,
)


@dataclass(frozen=True)
class Winner:
    """The scan that stands in a refused scan's way."""

    scan_id: str
    scanned_at: datetime
    gate: str
    direction: str
    checkin_list: str
    device: str | None


@dataclass(frozen=True)
class ScanResult:
    scan_id: str
    ok: bool  # the verdict lets the ticket through
    outcome: str
    message: str
    direction: str
    source: str
    gate: str
    scanned_at: datetime
    received_at: datetime
    device_outcome: str
    conflict: str
    ticket_id: str | None
    session_id: str | None
    event_title: str | None
    session_starts_at: datetime | None
    duplicate_of: Winner | None
    checkin_list: str
    replayed: bool = False  # an earlier request with the same scan id recorded it


# --- results and their messages -----------------------------------------------------------


def _when(moment: datetime, ref: datetime) -> str:
    """``10:02`` on the same local day as ``ref``, else ``11-21 10:02``."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(ref).date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")


def scan_message(scan: Scan) -> str:
    """What the door shows for ``scan``, in the active language (its ticket's session and
    event, and its winner, loaded or fetched)."""
    outcome = scan.outcome
    session = scan.ticket.session if scan.ticket_id else None
    winner = scan.duplicate_of
    if outcome == ScanOutcome.ACCEPTED:
        if scan.direction == ScanDirection.EXIT:
            return _("已登记出场。")
        return _("验票通过，请入场。")
    if outcome == ScanOutcome.ALREADY_CHECKED_IN:
        if winner is not None:
            return _("已于 %(time)s 在「%(gate)s」检票入场。") % {
                "time": _when(winner.scanned_at, scan.scanned_at),
                "gate": winner.gate,
            }
        return _("这张票已检票入场。")
    if outcome == ScanOutcome.NOT_INSIDE:
        if winner is not None:
            return _("这张票已于 %(time)s 在「%(gate)s」出场，不在场内。") % {
                "time": _when(winner.scanned_at, scan.scanned_at),
                "gate": winner.gate,
            }
        return _("这张票还未入场，不能登记出场。")
    if outcome == ScanOutcome.REVOKED:
        return _("这张票已作废，不能入场。")
    if outcome == ScanOutcome.WRONG_LIST and session is not None:
        return _("这张票不属于本检票清单：它是「%(event)s」%(time)s 场。") % {
            "event": session.event.title,
            "time": timezone.localtime(session.starts_at).strftime("%m-%d %H:%M"),
        }
    if outcome == ScanOutcome.NOT_VALID_YET and session is not None:
        opens, _ends = signing.ticket_validity(session)
        return _("还未到入场时间：%(time)s 起可以入场。") % {"time": _when(opens, scan.scanned_at)}
    if outcome == ScanOutcome.EXPIRED and session is not None:
        return _("这张票已过期：场次已于 %(time)s 结束。") % {
            "time": _when(session.ends_at, scan.scanned_at)
        }
    if outcome == ScanOutcome.BAD_SIGNATURE:
        return _("票码签名无效：可能是伪造或被改动过的票。")
    if outcome == ScanOutcome.UNKNOWN_TICKET:
        return _("无法识别的票码。")
    return str(ScanOutcome(outcome).label)


def _winner(scan: Scan | None) -> Winner | None:
    if scan is None:
        return None
    return Winner(
        scan_id=scan.scan_id,
        scanned_at=scan.scanned_at,
        gate=scan.gate,
        direction=scan.direction,
        checkin_list=scan.checkin_list.public_id,
        device=scan.device.name if scan.device_id else None,
    )


def scan_result(scan: Scan) -> ScanResult:
    session = scan.ticket.session if scan.ticket_id else None
    return ScanResult(
        scan_id=scan.scan_id,
        ok=scan.outcome == ScanOutcome.ACCEPTED,
        outcome=scan.outcome,
        message=scan_message(scan),
        direction=scan.direction,
        source=scan.source,
        gate=scan.gate,
        scanned_at=scan.scanned_at,
        received_at=scan.received_at,
        device_outcome=scan.device_outcome,
        conflict=scan.conflict,
        ticket_id=scan.ticket.public_id if scan.ticket_id else None,
        session_id=session.public_id if session else None,
        event_title=session.event.title if session else None,
        session_starts_at=session.starts_at if session else None,
        duplicate_of=_winner(scan.duplicate_of),
        checkin_list=scan.checkin_list.public_id,
    )


def scan_results(*, scan_ids: Iterable[str]) -> list[ScanResult]:
    """The results of these scans as they stand now."""
    scans = Scan.objects.filter(scan_id__in=list(scan_ids)).select_related(
        "checkin_list",
        "ticket__session__event",
        "duplicate_of__checkin_list",
        "duplicate_of__device",
    )
    return [scan_result(scan) for scan in scans]
