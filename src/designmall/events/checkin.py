"""Check-in at the doors: lists, scanner devices, online scans, offline uploads, conflicts.

Who. A check-in list (``CheckinList``) names the sessions a door lets in and the venue
staff assigned to it. A person scans on a list only when they are active venue staff
(``Role.VENUE_STAFF``, or a superuser) assigned to it; anyone else's lists are 404, as
if they did not exist. A scanner device (``ScannerDevice``) carries its own API key
(``dmd_…``, only a hash stored), is issued to one staff member and scoped to some lists:
it can use those of them its staff member is still assigned to, while the member is
still venue staff and until an operator revokes the key.

Reading a code. What a door scans is the ticket's signed QR payload (``ticketsign``)
or, typed by hand, the ticket id. A payload is verified with every ticket key of the
design week, retired keys included: a retired key only means new payloads use another
one, and online the ticket is looked up anyway. The checks, in order, each its own
outcome: unreadable or not one of ours (``unknown_ticket``), a forged or altered
signature (``bad_signature``), no such ticket (``unknown_ticket``), revoked at or before
the scan (``revoked``), its session not on this list (``wrong_list``), outside its
validity window (``not_valid_yet`` / ``expired``; offline scans get
``CLOCK_LEEWAY_SECONDS`` either side for the device's clock). A code that passes all of
them is *valid*; whether it enters is the ticket's history's business.

One history per ticket. Entering is decided per ticket, not per list: a ticket enters
once, whichever door and list it comes through (a second list covering the same session
at another gate answers "already checked in at 10:02 by gate B"). Scans of one ticket
are serialised by locking the ticket's row (``SELECT … FOR NO KEY UPDATE``, several
tickets in primary-key order); the ticket's ``CheckIn`` row (unique per ticket, and its
first entry unique too) is the database's last line against a second first entry.
Revocation updates the same row, so a ticket revoked a moment before a scan is refused.

The history is the ticket's valid scans that the door acted on, in the order they
happened (``scanned_at``, then arrival): an entry is accepted when the ticket has never
entered, or is outside and the list allows re-entry; otherwise it is
``already_checked_in`` and names the entry that stands (``duplicate_of``). An exit is
accepted while the ticket is inside (exits are counted on every list; re-entry after one
is what ``allow_reentry`` decides), else ``not_inside``. ``replay`` is that rule, pure.

Online. A scan is decided against the history as the server knows it, at the server's
clock read after the lock, and the answer is what the door does (``device_outcome``).
A refused scan admits nobody and never joins the history.

Offline. A device downloads a list's bundle (``checkin_list_bundle``: sessions and
their validity, the public keys, revocations, optionally the ticket ids), decides at the
door by itself, and uploads its scans later with the device's clock and what it did.
Uploads are idempotent by ``scan_id`` (the same id again answers the stored scan, with
nothing written; the same id with other content is refused). Scans the device refused
are recorded as such and admitted nobody. Scans it admitted join the ticket's history at
their ``scanned_at``, and the whole history is replayed: the earliest entry wins even
when it arrives last, so every order of uploads ends the same, and a scan accepted
earlier (online or offline) can become ``already_checked_in`` behind it.

Conflicts. Whenever a door let someone in whom the verdict refuses, the scan carries a
``conflict`` for the operator (the admin's conflicts list): ``double_entry`` (the ticket
had entered already, at the gate ``duplicate_of`` names), ``after_revocation`` (the
device's revocation list was stale), ``admitted_invalid`` (anything else a door should
have refused). Conflicts are recomputed with each replay; an operator marks them handled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.events import selectors, signing, ticketsign
from designmall.events.models import (
    CheckIn,
    CheckinList,
    EventKey,
    Scan,
    ScanConflict,
    ScanDirection,
    ScannerDevice,
    ScanOutcome,
    ScanSource,
    Session,
    Ticket,
    TicketStatus,
)

DEVICE_KEY_PREFIX = "dmd_"
# A scan id is the client's: a UUID, say. 8 to 64 characters, no spaces.
SCAN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
CODE_MAX = 200
GATE_MAX = 40
NAME_MAX = 100
UPLOAD_MAX = 500
# How far an offline device's clock may be off: the validity window is widened by this
# much on both sides, and a scan may be dated this far past its arrival.
CLOCK_LEEWAY_SECONDS = 300

# Outcomes of a valid scan: decided by the ticket's history.
HISTORY_OUTCOMES = frozenset(
    {ScanOutcome.ACCEPTED, ScanOutcome.ALREADY_CHECKED_IN, ScanOutcome.NOT_INSIDE}
)


# --- the rule of a ticket's history (pure) -----------------------------------------------


@dataclass(frozen=True)
class Step:
    """One scan of a ticket that a door acted on, as ``replay`` sees it."""

    ref: int  # the scan's key
    direction: str  # "entry" or "exit"
    allow_reentry: bool  # of the scan's list


@dataclass(frozen=True)
class Verdict:
    outcome: str
    # For a refused step: the accepted step that stands in its way (the entry that let the
    # ticket in, or the exit that let it out); None when there is none.
    winner: int | None = None


@dataclass(frozen=True)
class Presence:
    first_entry: int | None  # the accepted entry that counts as the check-in
    last: int | None  # the latest accepted step
    inside: bool
    entries: int
    exits: int


def replay(steps: Sequence[Step]) -> tuple[dict[int, Verdict], Presence]:
    """The verdict of each step of a ticket's history, in the order they happened, and
    where the ticket is after them. Pure: no Django, no database.

    An entry is accepted when the ticket never entered, or when it is outside and the
    entry's list allows re-entry; an exit is accepted while the ticket is inside.
    """
    verdicts: dict[int, Verdict] = {}
    first = last = last_entry = last_exit = None
    inside = False
    entries = exits = 0
    for step in steps:
        if step.direction == ScanDirection.ENTRY:
            if first is None or (not inside and step.allow_reentry):
                verdicts[step.ref] = Verdict(ScanOutcome.ACCEPTED)
                first = step.ref if first is None else first
                last = last_entry = step.ref
                inside = True
                entries += 1
            else:
                verdicts[step.ref] = Verdict(ScanOutcome.ALREADY_CHECKED_IN, last_entry)
        elif inside:
            verdicts[step.ref] = Verdict(ScanOutcome.ACCEPTED)
            last = last_exit = step.ref
            inside = False
            exits += 1
        else:
            verdicts[step.ref] = Verdict(ScanOutcome.NOT_INSIDE, last_exit)
    return verdicts, Presence(first, last, inside, entries, exits)


# --- who scans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scanner:
    """Who is at the door: a staff member, on their own or through one of their devices."""

    user: User
    device: ScannerDevice | None = None


def is_venue_staff(user: User | None) -> bool:
    return bool(
        user is not None
        and getattr(user, "pk", None)
        and user.is_active
        and (user.is_superuser or user.has_role(Role.VENUE_STAFF))
    )


def _lists_of_user(user: User) -> QuerySet[CheckinList]:
    if not is_venue_staff(user):
        return CheckinList.objects.none()
    if user.is_superuser:
        return CheckinList.objects.all()
    return CheckinList.objects.filter(staff=user)


def _device_usable(device: ScannerDevice | None) -> bool:
    return device is not None and device.revoked_at is None and is_venue_staff(device.staff)


def checkin_lists_for(*, scanner: Scanner) -> QuerySet[CheckinList]:
    """The lists ``scanner`` may check in on, by name: a staff member's assigned lists; a
    device's lists among those its staff member is assigned to (none once revoked)."""
    lists = _lists_of_user(scanner.user)
    if scanner.device is not None:
        if not _device_usable(scanner.device) or scanner.device.staff_id != scanner.user.pk:
            return CheckinList.objects.none()
        lists = lists.filter(devices=scanner.device)
    return lists.order_by("name", "id")


def checkin_list_for(*, scanner: Scanner, public_id: str) -> CheckinList:
    """One of ``scanner``'s lists; any other is ``NotFound`` ``checkin_list_not_found``."""
    found = checkin_lists_for(scanner=scanner).filter(public_id=public_id).first()
    if found is None:
        raise NotFound(_("没有找到这个检票清单。"), code="checkin_list_not_found")
    return found


# --- lists --------------------------------------------------------------------------------


def _text(value: Any, *, limit: int, field: str, label: str) -> str:
    text = " ".join(str(value or "").split())
    if not text or len(text) > limit or "\x00" in text:
        raise ValidationFailed(
            _("%(label)s须为 1–%(n)d 个字。") % {"label": label, "n": limit},
            code="invalid_checkin_list",
            details={"field": field},
        )
    return text


def checkin_list_check(
    *, name: Any, gate: Any, sessions: Iterable[Session], staff: Iterable[User] = ()
) -> tuple[str, str]:
    """Refuse a list that cannot work (``ValidationFailed`` ``invalid_checkin_list`` with
    ``details.field``): a name and a gate are needed, at least one session, and only
    venue staff can be assigned. Returns the cleaned name and gate."""
    name = _text(name, limit=NAME_MAX, field="name", label=_("名称"))
    gate = _text(gate, limit=GATE_MAX, field="gate", label=_("入口"))
    if not list(sessions):
        raise ValidationFailed(
            _("请至少选择一个场次。"), code="invalid_checkin_list", details={"field": "sessions"}
        )
    others = [str(user) for user in staff if not is_venue_staff(user)]
    if others:
        raise ValidationFailed(
            _("只能分配现场检票人员：%(names)s 不是。") % {"names": "、".join(others)},
            code="invalid_checkin_list",
            details={"field": "staff"},
        )
    return name, gate


@transaction.atomic
def checkin_list_create(
    *,
    name: str,
    gate: str,
    sessions: Iterable[Session],
    allow_reentry: bool = False,
    staff: Iterable[User] = (),
    by: User | None = None,
) -> CheckinList:
    """A new check-in list for ``sessions`` at ``gate``, with its assigned ``staff``."""
    sessions, staff = list(sessions), list(staff)
    name, gate = checkin_list_check(name=name, gate=gate, sessions=sessions, staff=staff)
    checkin_list = CheckinList.objects.create(
        name=name, gate=gate, allow_reentry=bool(allow_reentry), created_at=clock.now()
    )
    checkin_list.sessions.set(sessions)
    checkin_list.staff.set(staff)
    audit_record(
        actor=by,
        action="checkin_list.created",
        target=checkin_list,
        data={"sessions": [s.public_id for s in sessions], "staff": [u.public_id for u in staff]},
    )
    return checkin_list


def sessions_of_event_day(*, event_id: int, day: date) -> QuerySet[Session]:
    """An event's scheduled sessions starting on a local day (a whole exhibition day)."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    return Session.objects.filter(
        event_id=event_id, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    ).order_by("starts_at", "id")


# --- scanner devices ----------------------------------------------------------------------


def _key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def scanner_device_check(*, staff: User, lists: Iterable[CheckinList]) -> list[CheckinList]:
    """A device goes to venue staff, for lists they are assigned to (``ValidationFailed``
    ``invalid_device``, ``details.field``)."""
    lists = list(lists)
    if not is_venue_staff(staff):
        raise ValidationFailed(
            _("检票设备只能交给现场检票人员。"),
            code="invalid_device",
            details={"field": "staff"},
        )
    if not lists:
        raise ValidationFailed(
            _("请至少选择一个检票清单。"), code="invalid_device", details={"field": "lists"}
        )
    assigned = set(_lists_of_user(staff).values_list("pk", flat=True))
    missing = [str(item) for item in lists if item.pk not in assigned]
    if missing:
        raise ValidationFailed(
            _("保管人未被分配到这些检票清单：%(lists)s。") % {"lists": "、".join(missing)},
            code="invalid_device",
            details={"field": "lists"},
        )
    return lists


@transaction.atomic
def scanner_device_register(
    *,
    name: str,
    staff: User,
    lists: Iterable[CheckinList],
    gate: str = "",
    by: User | None = None,
) -> tuple[ScannerDevice, str]:
    """Register a scanner device for ``staff`` on ``lists``; returns it and its key, which
    is shown once and never stored (only its hash)."""
    name = _text(name, limit=60, field="name", label=_("名称"))
    gate = " ".join((gate or "").split())[:GATE_MAX]
    lists = scanner_device_check(staff=staff, lists=lists)
    raw = DEVICE_KEY_PREFIX + secrets.token_urlsafe(32)
    device = ScannerDevice.objects.create(
        name=name,
        staff=staff,
        gate=gate,
        key_hash=_key_hash(raw),
        key_prefix=raw[:12],
        created_at=clock.now(),
        created_by=by if getattr(by, "pk", None) else None,
    )
    device.lists.set(lists)
    audit_record(
        actor=by,
        action="scanner_device.registered",
        target=device,
        data={"staff": staff.public_id, "lists": [item.public_id for item in lists]},
    )
    return device, raw


@transaction.atomic
def scanner_device_revoke(*, device: ScannerDevice, by: User | None, reason: str = "") -> bool:
    """Revoke a device's key: it is refused from the next request on. Idempotent; True
    when this call revoked it."""
    revoked = ScannerDevice.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_by=by if getattr(by, "pk", None) else None
    )
    if revoked:
        audit_record(actor=by, action="scanner_device.revoked", target=device, reason=reason)
    device.refresh_from_db()
    return bool(revoked)


def scanner_device_authenticate(raw: str) -> ScannerDevice | None:
    """The usable device a key belongs to (not revoked, its staff member still venue
    staff), or None."""
    if not raw or not raw.startswith(DEVICE_KEY_PREFIX) or len(raw) > 100:
        return None
    device = (
        ScannerDevice.objects.select_related("staff")
        .filter(key_hash=_key_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if not _device_usable(device):
        return None
    now = clock.now()
    # Touched at most once a minute: no write per scan.
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > 60:
        ScannerDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
    return device


# --- scanning -----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class UploadItem:
    """One scan of an upload: its result, or why it was not recorded (``error``)."""

    scan_id: str
    result: ScanResult | None = None
    error: ValidationFailed | Conflict | None = None


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
    CheckIn.objects.update_or_create(
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
