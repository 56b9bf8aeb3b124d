"""Recording scans, online (``scan_record``) and uploaded from offline devices
(``scans_upload``): one transaction each, tickets locked, histories replayed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from designmall.core import clock, metrics
from designmall.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from designmall.events.checkin.access import GATE_MAX, Scanner, checkin_lists_for
from designmall.events.checkin.entered import first_entry_announce
from designmall.events.checkin.history import Step, replay
from designmall.events.checkin.reading import (
    CLOCK_LEEWAY_SECONDS,
    ScanIn,
    _check,
    _keys,
    _lock_tickets,
    _Read,
    _read,
    _TicketRow,
    _validate,
)
from designmall.events.checkin.results import ScanResult, scan_results
from designmall.events.models import (
    CheckIn,
    CheckinList,
    Scan,
    ScanConflict,
    ScanDirection,
    ScanOutcome,
    ScanSource,
    Session,
)

UPLOAD_MAX = 500
# Outcomes of a valid scan: decided by the ticket's history.
HISTORY_OUTCOMES = frozenset(
    {ScanOutcome.ACCEPTED, ScanOutcome.ALREADY_CHECKED_IN, ScanOutcome.NOT_INSIDE}
)


@dataclass(frozen=True)
class UploadItem:
    """One scan of an upload: its result, or why it was not recorded (``error``)."""

    scan_id: str
    result: ScanResult | None = None
    error: ValidationFailed | Conflict | None = None


def _same_request(scan: Scan, item: ScanIn, *, list_pk: int, scanner: Scanner, source: str):
    return (
        scan.checkin_list_id == list_pk
        and scan.code == item.code.strip()
        and scan.direction == item.direction
        and scan.source == source
        and scan.user_id == scanner.user.pk
        and scan.device_id == (scanner.device.pk if scanner.device else None)
        and (source == ScanSource.ONLINE or scan.scanned_at == item.scanned_at)
    )


def _reused() -> Conflict:
    return Conflict(
        _("这个扫描编号已用于另一次扫描。"), code="scan_id_reused", details={"field": "scan_id"}
    )


def _gate(item: ScanIn, checkin_list: CheckinList, scanner: Scanner) -> str:
    gate = " ".join((item.gate or "").split())
    if not gate and scanner.device is not None:
        gate = scanner.device.gate
    return (gate or checkin_list.gate)[:GATE_MAX]


def _conflict_of(scan: Scan) -> str:
    """The conflict a scan stands for now: a door let someone in whom the verdict refuses."""
    if (
        scan.direction != ScanDirection.ENTRY
        or scan.device_outcome != ScanOutcome.ACCEPTED
        or scan.outcome == ScanOutcome.ACCEPTED
    ):
        return ScanConflict.NONE
    if scan.outcome == ScanOutcome.ALREADY_CHECKED_IN:
        return ScanConflict.DOUBLE_ENTRY
    if scan.outcome == ScanOutcome.REVOKED:
        return ScanConflict.AFTER_REVOCATION
    return ScanConflict.ADMITTED_INVALID


def _history(ticket_pk: int) -> list[Scan]:
    """The ticket's valid scans that a door acted on, in the order they happened."""
    return list(
        Scan.objects.filter(
            ticket_id=ticket_pk,
            device_outcome=ScanOutcome.ACCEPTED,
            outcome__in=HISTORY_OUTCOMES,
        )
        .select_related("checkin_list")
        .order_by("scanned_at", "id")
    )


def _resolve(ticket_pk: int, *, session_id: int, now: datetime, deciding: Scan | None) -> None:
    """Replay the (locked) ticket's history and write what changed: each scan's verdict,
    winner and conflict, and the ticket's ``CheckIn``. ``deciding``: an online scan just
    written as if the door had admitted it; if the replay refuses it, the door refuses it
    and it leaves the history."""
    scans = _history(ticket_pk)
    verdicts, presence = replay(
        [Step(s.pk, s.direction, s.checkin_list.allow_reentry) for s in scans]
    )
    if deciding is not None and verdicts[deciding.pk].outcome != ScanOutcome.ACCEPTED:
        verdict = verdicts[deciding.pk]
        Scan.objects.filter(pk=deciding.pk).update(
            outcome=verdict.outcome, device_outcome=verdict.outcome, duplicate_of=verdict.winner
        )
        scans = [s for s in scans if s.pk != deciding.pk]
        verdicts, presence = replay(
            [Step(s.pk, s.direction, s.checkin_list.allow_reentry) for s in scans]
        )
    by_pk = {s.pk: s for s in scans}
    for scan in scans:
        verdict = verdicts[scan.pk]
        before = (scan.outcome, scan.duplicate_of_id, scan.conflict)
        scan.outcome, scan.duplicate_of_id = verdict.outcome, verdict.winner
        scan.conflict = _conflict_of(scan)
        if (scan.outcome, scan.duplicate_of_id, scan.conflict) != before:
            changes: dict[str, Any] = {
                "outcome": scan.outcome,
                "duplicate_of_id": scan.duplicate_of_id,
                "conflict": scan.conflict,
            }
            if scan.conflict != before[2]:
                changes.update(conflict_resolved_at=None, conflict_resolved_by=None)
            Scan.objects.filter(pk=scan.pk).update(**changes)
    if presence.first_entry is None:
        return
    first = by_pk[presence.first_entry]
    _checkin, created = CheckIn.objects.update_or_create(
        ticket_id=ticket_pk,
        defaults={
            "session_id": session_id,
            "first_scan": first,
            "checkin_list_id": first.checkin_list_id,
            "entered_at": first.scanned_at,
            "gate": first.gate,
            "inside": presence.inside,
            "last_scan_id": presence.last,
            "entries": presence.entries,
            "exits": presence.exits,
            "updated_at": now,
        },
    )
    if created:
        first_entry_announce(ticket_pk)  # the passport's stamp, after commit


def _insert(
    item: ScanIn,
    *,
    read: _Read,
    ticket: _TicketRow | None,
    checkin_list: CheckinList,
    scanner: Scanner,
    source: str,
    at: datetime,
    received: datetime,
    list_sessions: set[int],
    sessions: dict[int, Session],
) -> tuple[Scan, bool]:
    """Write a new scan with what can be decided without its ticket's history; returns it
    and True, or the scan that took its id meanwhile and False."""
    leeway = CLOCK_LEEWAY_SECONDS if source == ScanSource.OFFLINE else 0
    refusal = _check(
        read, ticket, at=at, list_sessions=list_sessions, sessions=sessions, leeway=leeway
    )
    # Online, a valid scan is admitted provisionally: ``_resolve`` decides on its history.
    online = source == ScanSource.ONLINE
    door = (refusal or ScanOutcome.ACCEPTED) if online else item.device_outcome
    scan = Scan(
        scan_id=item.scan_id,
        checkin_list=checkin_list,
        ticket_id=ticket.pk if ticket else None,
        code=item.code.strip(),
        device=scanner.device,
        user=scanner.user,
        gate=_gate(item, checkin_list, scanner),
        direction=item.direction,
        source=source,
        scanned_at=at,
        received_at=received,
        device_outcome=door,
        # A door that refused admitted nobody: its scan stays what the door said.
        outcome=refusal or door,
    )
    scan.conflict = _conflict_of(scan)
    try:
        with transaction.atomic():
            scan.save()
    except IntegrityError:
        return Scan.objects.get(scan_id=item.scan_id), False
    return scan, True


def _record(
    *, checkin_list: CheckinList, scanner: Scanner, items: Sequence[ScanIn], source: str
) -> list[UploadItem]:
    """Record ``items`` on ``checkin_list`` in one transaction (see the module's text):
    validate each, lock the tickets they name, write the new scans, replay the history
    of every ticket that gained a valid admitted scan. Answers in the order given."""
    received = clock.now()
    answers: list[UploadItem | None] = [None] * len(items)
    todo: list[tuple[int, ScanIn]] = []
    for n, item in enumerate(items):
        try:
            _validate(item, source=source, received=received)
        except ValidationFailed as exc:
            answers[n] = UploadItem(scan_id=str(item.scan_id)[:64], error=exc)
        else:
            todo.append((n, item))
    replayed: set[int] = set()
    with transaction.atomic():
        keys = _keys()
        reads = {n: _read(item.code, keys) for n, item in todo}
        tickets = _lock_tickets({r.ticket_id for r in reads.values() if r.ticket_id})
        sessions = Session.objects.select_related("event").in_bulk(
            {t.session_id for t in tickets.values()}
        )
        list_sessions = set(checkin_list.sessions.values_list("pk", flat=True))
        now = clock.now()  # read after the lock: online scans of a ticket are ordered by it
        seen = Scan.objects.in_bulk([item.scan_id for _n, item in todo], field_name="scan_id")
        touched: dict[int, int] = {}  # ticket pk -> session pk
        deciding: dict[int, Scan] = {}
        for n, item in sorted(todo, key=lambda pair: (pair[1].scanned_at or now, pair[1].scan_id)):
            scan = seen.get(item.scan_id)
            if scan is None:
                ticket = tickets.get(reads[n].ticket_id or "")
                scan, new = _insert(
                    item,
                    read=reads[n],
                    ticket=ticket,
                    checkin_list=checkin_list,
                    scanner=scanner,
                    source=source,
                    at=now if source == ScanSource.ONLINE else item.scanned_at,
                    received=received,
                    list_sessions=list_sessions,
                    sessions=sessions,
                )
                seen[item.scan_id] = scan
                if new:
                    if (
                        scan.device_outcome == ScanOutcome.ACCEPTED
                        and scan.outcome in HISTORY_OUTCOMES
                    ):
                        touched[ticket.pk] = ticket.session_id
                        if source == ScanSource.ONLINE:
                            deciding[ticket.pk] = scan
                    continue
            if _same_request(scan, item, list_pk=checkin_list.pk, scanner=scanner, source=source):
                replayed.add(n)
            else:
                answers[n] = UploadItem(scan_id=item.scan_id, error=_reused())
        for ticket_pk in sorted(touched):
            _resolve(
                ticket_pk,
                session_id=touched[ticket_pk],
                now=now,
                deciding=deciding.get(ticket_pk),
            )
    results = {
        result.scan_id: result
        for result in scan_results(
            scan_ids=[item.scan_id for n, item in todo if answers[n] is None]
        )
    }
    admitted = [
        results[item.scan_id]
        for n, item in todo
        if answers[n] is None and n not in replayed and results[item.scan_id].ok
    ]
    metrics.count_on_commit(
        metrics.CHECKINS, sum(1 for r in admitted if r.direction == ScanDirection.ENTRY)
    )
    for n, item in todo:
        if answers[n] is None:
            result = results[item.scan_id]
            if n in replayed:
                result = dataclasses.replace(result, replayed=True)
            answers[n] = UploadItem(scan_id=item.scan_id, result=result)
    return [answer for answer in answers if answer is not None]


def _may_scan(checkin_list: CheckinList, scanner: Scanner) -> None:
    if not checkin_lists_for(scanner=scanner).filter(pk=checkin_list.pk).exists():
        raise NotFound(_("没有找到这个检票清单。"), code="checkin_list_not_found")


def scan_record(
    *,
    checkin_list: CheckinList,
    scanner: Scanner,
    scan_id: str,
    code: str,
    direction: str = ScanDirection.ENTRY,
    gate: str = "",
) -> ScanResult:
    """Check a ticket in (or out) at a door, online: one transaction, decided now.

    ``code`` is the QR payload or a typed ticket id; ``scan_id`` the client's
    idempotency key (the same id again answers the stored scan with ``replayed``; with
    other content it is ``Conflict`` ``scan_id_reused``). A refusal is a result, not an
    error (``ok`` False, ``outcome`` and ``message`` say why; an entry refused because
    the ticket is in names the entry that stands in ``duplicate_of``). Malformed input
    is ``ValidationFailed``; a list the scanner may not use is ``NotFound``.
    """
    _may_scan(checkin_list, scanner)
    item = ScanIn(scan_id=scan_id, code=code, direction=direction, gate=gate)
    (answer,) = _record(
        checkin_list=checkin_list, scanner=scanner, items=[item], source=ScanSource.ONLINE
    )
    if answer.error is not None:
        raise answer.error
    return answer.result


def scans_upload(
    *, checkin_list: CheckinList, scanner: Scanner, scans: Sequence[ScanIn]
) -> list[UploadItem]:
    """Record an offline device's scans (at most ``UPLOAD_MAX``), idempotently by scan id,
    in one transaction: each answered in the order given, with its result (its verdict
    now: an earlier scan may since have won) or the error that kept it out (invalid, or
    a scan id reused for another scan). Sending the same batch again changes nothing."""
    _may_scan(checkin_list, scanner)
    if len(scans) > UPLOAD_MAX:
        raise ValidationFailed(
            _("每次最多上传 %(n)d 条扫描记录。") % {"n": UPLOAD_MAX},
            code="upload_too_large",
            details={"max": UPLOAD_MAX},
        )
    return _record(
        checkin_list=checkin_list, scanner=scanner, items=scans, source=ScanSource.OFFLINE
    )
