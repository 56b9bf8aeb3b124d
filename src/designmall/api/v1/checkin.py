"""Check-in at the doors, for venue staff and their scanner devices.

Who: a venue staff member (their API token ``dm_…`` or the browser session) or a scanner
device (its own key ``dmd_…`` from the back office). Anyone else is 403; a list the caller
is not assigned to (or, for a device, not scoped to) is 404 like one that does not exist.

Online: ``POST /checkin/lists/{id}/scans`` with the QR text or the ticket id typed in
(``payload``), a ``scan_id`` of the device's own making (a UUID) and the ``direction``.
A refused ticket is not an error: the answer is 200 with ``ok`` false and the
``outcome`` (``already_checked_in``, ``not_inside``, ``revoked``, ``wrong_list``,
``not_valid_yet``, ``expired``, ``bad_signature``, ``unknown_ticket``) and a ``message``
to show; ``duplicate_of`` says when and at which gate the ticket entered. Sending the
same ``scan_id`` again answers the same scan (``replayed``) and records nothing.

Offline: ``GET /checkin/lists/{id}/bundle`` has what a device needs to decide at the door
by itself (sessions and their validity windows, public keys, revocations, optionally the
ticket ids); ``POST /checkin/lists/{id}/uploads`` sends the scans later, each with the
device's clock and what the door did. Uploads are idempotent by ``scan_id``; the earliest
entry of a ticket wins, whatever order uploads arrive in, and doors that let a refused
ticket in leave a ``conflict`` for the operator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.security import HttpBearer
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from designmall.api.auth import VENUE_STAFF
from designmall.api.errors import ErrorBody, with_errors
from designmall.api.schemas import Input, text
from designmall.core.errors import NotAuthenticated
from designmall.events import checkin
from designmall.events.checkin import Scanner, ScanResult
from designmall.events.models import CheckinList, ScannerDevice, Session


class ScannerDeviceKey(HttpBearer):
    """``Authorization: Bearer dmd_...``: a scanner device's key, from the back office."""

    def authenticate(self, request: HttpRequest, token: str) -> ScannerDevice | None:
        if not token.startswith(checkin.DEVICE_KEY_PREFIX):
            return None  # a person's token: the next way in decides
        device = checkin.scanner_device_authenticate(token)
        if device is None:
            raise NotAuthenticated(_("设备密钥无效或已停用。"), code="device_key_invalid")
        return device


router = Router(tags=["checkin"], auth=[ScannerDeviceKey(), *VENUE_STAFF])

DirectionValue = Literal["entry", "exit"]
OutcomeValue = Literal[
    "accepted",
    "already_checked_in",
    "not_inside",
    "revoked",
    "wrong_list",
    "not_valid_yet",
    "expired",
    "bad_signature",
    "unknown_ticket",
]
ConflictValue = Literal["", "double_entry", "after_revocation", "admitted_invalid"]
ScanId = Annotated[
    str,
    StringConstraints(pattern=checkin.SCAN_ID_RE.pattern),
    Field(description="The device's own id for this scan (a UUID): the idempotency key."),
]
Payload = Annotated[
    text(checkin.CODE_MAX, min_length=1),
    Field(description="The ticket's QR text (130 characters), or its ticket id typed in."),
]


def _scanner(request: HttpRequest) -> Scanner:
    if isinstance(request.auth, ScannerDevice):
        return Scanner(request.auth.staff, request.auth)
    return Scanner(request.auth)


def _list(request: HttpRequest, public_id: str) -> tuple[Scanner, CheckinList]:
    scanner = _scanner(request)
    return scanner, checkin.checkin_list_for(scanner=scanner, public_id=public_id)


# --- lists --------------------------------------------------------------------------------


class ListSessionOut(Schema):
    id: str
    event_id: str
    title_zh: str
    title_en: str
    starts_at: datetime
    ends_at: datetime


class CheckinListOut(Schema):
    id: str
    name: str
    gate: str
    allow_reentry: bool
    sessions: list[ListSessionOut]


def _session_out(session: Session) -> dict[str, Any]:
    return {
        "id": session.public_id,
        "event_id": session.event.public_id,
        "title_zh": session.event.title_zh,
        "title_en": session.event.title_en,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
    }


def _list_out(checkin_list: CheckinList) -> dict[str, Any]:
    return {
        "id": checkin_list.public_id,
        "name": checkin_list.name,
        "gate": checkin_list.gate,
        "allow_reentry": checkin_list.allow_reentry,
        "sessions": [_session_out(s) for s in checkin_list.sessions.all()],
    }


@router.get("/checkin/lists", response=with_errors({200: list[CheckinListOut]}, 401, 403))
def lists(request: HttpRequest):
    """The check-in lists the caller may scan on, by name, with their sessions."""
    found = checkin.checkin_lists_for(scanner=_scanner(request)).prefetch_related(
        Prefetch("sessions", Session.objects.select_related("event").order_by("starts_at", "id"))
    )
    return [_list_out(item) for item in found]


# --- the offline bundle -------------------------------------------------------------------


class BundleSessionOut(Schema):
    id: str
    event_id: str
    title_zh: str
    title_en: str
    starts_at: datetime
    ends_at: datetime
    valid_from: datetime = Field(description="Tickets open the door from this moment…")
    valid_until: datetime = Field(description="…until this one (what their QR text says).")


class BundleKeyOut(Schema):
    kid: str
    algorithm: str
    public_key: str = Field(description="The raw 32-byte Ed25519 key, base64url unpadded.")
    active: bool
    retired_at: datetime | None


class BundleRevocationOut(Schema):
    ticket_id: str
    session_id: str
    revoked_at: datetime


class BundleTicketOut(Schema):
    ticket_id: str
    session_id: str
    checked_in: bool
    inside: bool


class BundleOut(Schema):
    list: CheckinListOut
    sessions: list[BundleSessionOut]
    keys: list[BundleKeyOut]
    revocations: list[BundleRevocationOut]
    tickets: list[BundleTicketOut] | None
    generated_at: datetime = Field(description="The server's time when the bundle was read.")
    clock_leeway_seconds: int = Field(
        description="How far the device's clock may be off: validity windows are widened "
        "by this much on both sides."
    )


class BundleQuery(BaseModel):
    since: datetime | None = Field(
        None,
        description="Only revocations after this: ask again with a little before the last "
        "`revoked_at` you have (a minute); repeats are harmless.",
    )
    tickets: bool = Field(
        False, description="Also list every valid ticket id of the sessions (for typed ids)."
    )


@router.get(
    "/checkin/lists/{pid:public_id}/bundle",
    response=with_errors({200: BundleOut}, 401, 403, 404, 422),
    url_name="checkin_bundle",
)
def bundle(request: HttpRequest, public_id: str, query: Query[BundleQuery]):
    """What a device downloads to check tickets in on this list offline. It accepts a QR
    text whose key id is among ``keys``, whose Ed25519 signature verifies, whose session
    is among ``sessions``, whose window holds at the device's clock (give or take
    ``clock_leeway_seconds``) and whose ticket is not among ``revocations``; refresh
    revocations with ``since`` as often as the network allows."""
    _who, checkin_list = _list(request, public_id)
    found = checkin.checkin_list_bundle(
        checkin_list=checkin_list, since=query.since, include_tickets=query.tickets
    )
    return {
        "list": _list_out(checkin_list),
        "sessions": [
            {
                "id": s.session_id,
                "event_id": s.event_id,
                "title_zh": s.title_zh,
                "title_en": s.title_en,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "valid_from": s.valid_from,
                "valid_until": s.valid_until,
            }
            for s in found.sessions
        ],
        "keys": [
            {
                "kid": k.kid,
                "algorithm": k.algorithm,
                "public_key": k.public_key,
                "active": k.retired_at is None,
                "retired_at": k.retired_at,
            }
            for k in found.keys
        ],
        "revocations": [
            {"ticket_id": r.ticket_id, "session_id": r.session_id, "revoked_at": r.revoked_at}
            for r in found.revocations
        ],
        "tickets": None
        if found.tickets is None
        else [
            {
                "ticket_id": t.ticket_id,
                "session_id": t.session_id,
                "checked_in": t.checked_in,
                "inside": t.inside,
            }
            for t in found.tickets
        ],
        "generated_at": found.generated_at,
        "clock_leeway_seconds": found.clock_leeway_seconds,
    }


# --- scans --------------------------------------------------------------------------------


class WinnerOut(Schema):
    scan_id: str
    scanned_at: datetime
    gate: str
    direction: DirectionValue
    list_id: str
    device: str | None


class ScanOut(Schema):
    scan_id: str
    ok: bool = Field(description="Let the visitor through (in, or out).")
    outcome: OutcomeValue
    message: str = Field(description="What to show at the door, in the caller's language.")
    direction: DirectionValue
    source: Literal["online", "offline"]
    gate: str
    scanned_at: datetime
    received_at: datetime
    device_outcome: OutcomeValue = Field(description="What the door did at the time.")
    conflict: ConflictValue
    ticket_id: str | None
    session_id: str | None
    event_title: str | None
    session_starts_at: datetime | None
    duplicate_of: WinnerOut | None = Field(
        description="For a refused entry (or exit): the scan that stands."
    )
    list_id: str
    replayed: bool = Field(description="This scan id was recorded before; nothing changed.")


def scan_out(result: ScanResult) -> dict[str, Any]:
    winner = result.duplicate_of
    return {
        "scan_id": result.scan_id,
        "ok": result.ok,
        "outcome": result.outcome,
        "message": result.message,
        "direction": result.direction,
        "source": result.source,
        "gate": result.gate,
        "scanned_at": result.scanned_at,
        "received_at": result.received_at,
        "device_outcome": result.device_outcome,
        "conflict": result.conflict,
        "ticket_id": result.ticket_id,
        "session_id": result.session_id,
        "event_title": result.event_title,
        "session_starts_at": result.session_starts_at,
        "duplicate_of": None
        if winner is None
        else {
            "scan_id": winner.scan_id,
            "scanned_at": winner.scanned_at,
            "gate": winner.gate,
            "direction": winner.direction,
            "list_id": winner.checkin_list,
            "device": winner.device,
        },
        "list_id": result.checkin_list,
        "replayed": result.replayed,
    }


class ScanIn(Input):
    scan_id: ScanId
    payload: Payload
    direction: DirectionValue = "entry"
    gate: text(checkin.GATE_MAX) = Field(
        "", description="Where the scan happens, if not the device's or the list's gate."
    )


@router.post(
    "/checkin/lists/{pid:public_id}/scans",
    response=with_errors({200: ScanOut}, 400, 401, 403, 404, 409, 422),
    url_name="checkin_scan",
)
def scan(request: HttpRequest, public_id: str, payload: ScanIn):
    """Check a ticket in (or out) now. 200 with the verdict, accepted or not; 409
    ``scan_id_reused`` when the scan id was used for another scan."""
    scanner, checkin_list = _list(request, public_id)
    result = checkin.scan_record(
        checkin_list=checkin_list,
        scanner=scanner,
        scan_id=payload.scan_id,
        code=payload.payload,
        direction=payload.direction,
        gate=payload.gate,
    )
    return scan_out(result)


class UploadScanIn(Input):
    scan_id: ScanId
    payload: Payload
    direction: DirectionValue = "entry"
    scanned_at: Annotated[AwareDatetime, Field(strict=False)] = Field(
        description="When the device scanned it, by its clock (ISO 8601 with a time zone)."
    )
    device_outcome: OutcomeValue = Field(
        "accepted",
        description="What the door did: `accepted` (let through), or the refusal it showed.",
    )
    gate: text(checkin.GATE_MAX) = ""


class UploadIn(Input):
    scans: list[UploadScanIn] = Field(min_length=1, max_length=checkin.UPLOAD_MAX)


class UploadItemOut(Schema):
    scan_id: str
    result: ScanOut | None
    error: ErrorBody | None = Field(description="Why this scan was not recorded.")


class UploadOut(Schema):
    results: list[UploadItemOut]


@router.post(
    "/checkin/lists/{pid:public_id}/uploads",
    response=with_errors({200: UploadOut}, 400, 401, 403, 404, 422),
    url_name="checkin_upload",
)
def upload(request: HttpRequest, public_id: str, payload: UploadIn):
    """Record an offline device's scans, in one go. Each is answered in the order sent:
    its verdict now, or the error that kept it out (``scanned_at_in_future``,
    ``scan_id_reused``, …). Sending the same upload again changes nothing."""
    scanner, checkin_list = _list(request, public_id)
    items = checkin.scans_upload(
        checkin_list=checkin_list,
        scanner=scanner,
        scans=[
            checkin.ScanIn(
                scan_id=item.scan_id,
                code=item.payload,
                direction=item.direction,
                scanned_at=item.scanned_at,
                device_outcome=item.device_outcome,
                gate=item.gate,
            )
            for item in payload.scans
        ],
    )
    return {
        "results": [
            {
                "scan_id": item.scan_id,
                "result": scan_out(item.result) if item.result else None,
                "error": None
                if item.error is None
                else {
                    "code": item.error.code,
                    "message": item.error.message,
                    "details": item.error.details,
                },
            }
            for item in items
        ]
    }


# --- counts -------------------------------------------------------------------------------


class SessionCountOut(Schema):
    session_id: str
    title: str
    starts_at: datetime
    tickets: int
    checked_in: int
    inside: int


class StatusOut(Schema):
    list_id: str
    sessions: list[SessionCountOut]
    tickets: int = Field(description="Valid tickets of the list's sessions.")
    checked_in: int = Field(description="Of those, tickets that have entered (any list).")
    inside: int = Field(description="Of those, tickets inside now.")
    scans: int = Field(description="Scans on this list.")
    accepted_entries: int
    refused: int
    open_conflicts: int
    as_of: datetime


@router.get(
    "/checkin/lists/{pid:public_id}/status",
    response=with_errors({200: StatusOut}, 401, 403, 404),
    url_name="checkin_status",
)
def status(request: HttpRequest, public_id: str):
    """How far check-in has come for the list's sessions."""
    _who, checkin_list = _list(request, public_id)
    found = checkin.checkin_list_status(checkin_list=checkin_list)
    return {
        "list_id": checkin_list.public_id,
        "sessions": [
            {
                "session_id": s.session_id,
                "title": s.title,
                "starts_at": s.starts_at,
                "tickets": s.tickets,
                "checked_in": s.checked_in,
                "inside": s.inside,
            }
            for s in found.sessions
        ],
        "tickets": found.tickets,
        "checked_in": found.checked_in,
        "inside": found.inside,
        "scans": found.scans,
        "accepted_entries": found.accepted_entries,
        "refused": found.refused,
        "open_conflicts": found.open_conflicts,
        "as_of": found.as_of,
    }
