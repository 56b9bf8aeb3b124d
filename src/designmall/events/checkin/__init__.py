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

The modules. ``history`` (the rule above, pure), ``access`` (who scans on which list,
making lists), ``devices`` (scanner devices and their keys), ``reading`` (reading a
code and the checks no history can change), ``recording`` (online scans and offline
uploads), ``results`` (what a scan came to and its message), ``bundle`` (what a device
downloads), ``status`` (counts, attendance, conflicts). Callers import from this
package: the names below are its public face.
"""

from designmall.events.checkin.access import (
    GATE_MAX,
    NAME_MAX,
    Scanner,
    checkin_list_check,
    checkin_list_create,
    checkin_list_for,
    checkin_lists_for,
    is_venue_staff,
    sessions_of_event_day,
)
from designmall.events.checkin.bundle import (
    Bundle,
    BundleSession,
    BundleTicket,
    checkin_list_bundle,
)
from designmall.events.checkin.devices import (
    DEVICE_KEY_PREFIX,
    scanner_device_authenticate,
    scanner_device_check,
    scanner_device_register,
    scanner_device_revoke,
)
from designmall.events.checkin.history import Presence, Step, Verdict, replay
from designmall.events.checkin.reading import (
    CLOCK_LEEWAY_SECONDS,
    CODE_MAX,
    SCAN_ID_RE,
    ScanIn,
)
from designmall.events.checkin.recording import (
    HISTORY_OUTCOMES,
    UPLOAD_MAX,
    UploadItem,
    scan_record,
    scans_upload,
)
from designmall.events.checkin.results import (
    ScanResult,
    Winner,
    scan_message,
    scan_result,
    scan_results,
)
from designmall.events.checkin.status import (
    ListStatus,
    SessionCount,
    attendance_by_hour,
    can_resolve_conflicts,
    checkin_list_status,
    scan_conflict_resolve,
    scan_conflicts,
)

__all__ = [
    "CLOCK_LEEWAY_SECONDS",
    "CODE_MAX",
    "DEVICE_KEY_PREFIX",
    "GATE_MAX",
    "HISTORY_OUTCOMES",
    "NAME_MAX",
    "SCAN_ID_RE",
    "UPLOAD_MAX",
    "Bundle",
    "BundleSession",
    "BundleTicket",
    "ListStatus",
    "Presence",
    "ScanIn",
    "ScanResult",
    "Scanner",
    "SessionCount",
    "Step",
    "UploadItem",
    "Verdict",
    "Winner",
    "attendance_by_hour",
    "can_resolve_conflicts",
    "checkin_list_bundle",
    "checkin_list_check",
    "checkin_list_create",
    "checkin_list_for",
    "checkin_list_status",
    "checkin_lists_for",
    "is_venue_staff",
    "replay",
    "scan_conflict_resolve",
    "scan_conflicts",
    "scan_message",
    "scan_record",
    "scan_result",
    "scan_results",
    "scanner_device_authenticate",
    "scanner_device_check",
    "scanner_device_register",
    "scanner_device_revoke",
    "scans_upload",
    "sessions_of_event_day",
]
