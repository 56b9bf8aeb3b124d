"""Scanner devices: registered for a staff member on some lists, keyed, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    ValidationFailed,
)
from designmall.events.checkin.access import (
    GATE_MAX,
    _device_usable,
    _lists_of_user,
    _text,
    is_venue_staff,
)
from designmall.events.models import (
    CheckinList,
    ScannerDevice,
)

DEVICE_KEY_PREFIX = "dmd_"

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
