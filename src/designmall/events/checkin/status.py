"""How far check-in has come (counts, attendance by hour) and the conflicts operators handle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    PermissionDenied,
)
from designmall.events.models import (
    CheckIn,
    CheckinList,
    Scan,
    ScanConflict,
    ScanDirection,
    ScanOutcome,
    Session,
    Ticket,
    TicketStatus,
)

# --- counts and attendance ----------------------------------------------------------------


@dataclass(frozen=True)
class SessionCount:
    session_id: str
    title: str
    starts_at: datetime
    tickets: int  # valid tickets
    checked_in: int  # tickets that have entered (through any list)
    inside: int  # of those, inside now


@dataclass(frozen=True)
class ListStatus:
    checkin_list: CheckinList
    sessions: list[SessionCount]
    tickets: int
    checked_in: int
    inside: int
    # This list's own scans.
    scans: int
    accepted_entries: int
    refused: int
    open_conflicts: int
    as_of: datetime


def checkin_list_status(*, checkin_list: CheckinList) -> ListStatus:
    """How far the check-in of ``checkin_list``'s sessions has come, per session and in
    all, and what its own scans came to."""
    sessions = list(checkin_list.sessions.select_related("event").order_by("starts_at", "id"))
    ids = [s.pk for s in sessions]
    valid = dict(
        Ticket.objects.filter(session_id__in=ids, status=TicketStatus.VALID)
        .values_list("session_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    entered = {
        row["session_id"]: row
        for row in CheckIn.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(n=Count("id"), inside_n=Count("id", filter=Q(inside=True)))
        .order_by()
    }
    counts = [
        SessionCount(
            session_id=s.public_id,
            title=s.event.title,
            starts_at=s.starts_at,
            tickets=valid.get(s.pk, 0),
            checked_in=entered.get(s.pk, {}).get("n", 0),
            inside=entered.get(s.pk, {}).get("inside_n", 0),
        )
        for s in sessions
    ]
    own = Scan.objects.filter(checkin_list=checkin_list).aggregate(
        scans=Count("id"),
        accepted_entries=Count(
            "id", filter=Q(outcome=ScanOutcome.ACCEPTED, direction=ScanDirection.ENTRY)
        ),
        refused=Count("id", filter=~Q(outcome=ScanOutcome.ACCEPTED)),
        open_conflicts=Count(
            "id", filter=~Q(conflict=ScanConflict.NONE) & Q(conflict_resolved_at__isnull=True)
        ),
    )
    return ListStatus(
        checkin_list=checkin_list,
        sessions=counts,
        tickets=sum(c.tickets for c in counts),
        checked_in=sum(c.checked_in for c in counts),
        inside=sum(c.inside for c in counts),
        as_of=clock.now(),
        **own,
    )


def attendance_by_hour(*, sessions: Iterable[Session]) -> list[tuple[datetime, int]]:
    """First entries of the sessions' tickets per local hour, by hour (for a chart)."""
    counts: dict[datetime, int] = {}
    entered = CheckIn.objects.filter(session__in=list(sessions)).values_list(
        "entered_at", flat=True
    )
    for moment in entered:
        hour = timezone.localtime(moment).replace(minute=0, second=0, microsecond=0)
        counts[hour] = counts.get(hour, 0) + 1
    return sorted(counts.items())


# --- conflicts ----------------------------------------------------------------------------


def scan_conflicts(*, open_only: bool = True) -> QuerySet[Scan]:
    """Scans where a door let someone in whom the verdict refuses, newest first."""
    scans = Scan.objects.exclude(conflict=ScanConflict.NONE)
    if open_only:
        scans = scans.filter(conflict_resolved_at__isnull=True)
    return scans.order_by("-scanned_at", "-id")


def can_resolve_conflicts(user: User | None) -> bool:
    return bool(user and user.is_active and user.has_perm("events.resolve_conflict"))


@transaction.atomic
def scan_conflict_resolve(*, scan: Scan, by: User, note: str = "") -> Scan:
    """The operator has dealt with a conflict (spoken to the gate, say): it leaves the open
    list. Needs ``events.resolve_conflict``; a scan without a conflict is ``Conflict``
    ``no_conflict``; resolving twice changes nothing."""
    if not can_resolve_conflicts(by):
        raise PermissionDenied(_("只有运营人员可以处理检票冲突。"), code="operator_only")
    scan = Scan.objects.select_for_update().get(pk=scan.pk)
    if scan.conflict == ScanConflict.NONE:
        raise Conflict(_("这条检票记录没有冲突。"), code="no_conflict")
    if scan.conflict_resolved_at is None:
        scan.conflict_resolved_at = clock.now()
        scan.conflict_resolved_by = by
        scan.save(update_fields=["conflict_resolved_at", "conflict_resolved_by"])
        audit_record(
            actor=by,
            action="scan.conflict_resolved",
            target=scan,
            reason=" ".join((note or "").split())[:500],
            data={"scan_id": scan.scan_id, "conflict": scan.conflict},
        )
    return scan
