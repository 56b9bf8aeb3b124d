"""Who scans, and on which check-in lists: venue staff, their lists, and making a list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    NotFound,
    ValidationFailed,
)
from designmall.events.models import (
    CheckinList,
    ScannerDevice,
    Session,
)

GATE_MAX = 40
NAME_MAX = 100

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
    return lists.order_by("name_zh", "id")


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
    name_en: str = "",
    allow_reentry: bool = False,
    staff: Iterable[User] = (),
    by: User | None = None,
) -> CheckinList:
    """A new check-in list for ``sessions`` at ``gate``, with its assigned ``staff``."""
    sessions, staff = list(sessions), list(staff)
    name, gate = checkin_list_check(name=name, gate=gate, sessions=sessions, staff=staff)
    checkin_list = CheckinList.objects.create(
        name_zh=name,
        name_en=_text(name_en, limit=NAME_MAX, field="name_en", label=_("英文名称"))
        if name_en
        else "",
        gate=gate,
        allow_reentry=bool(allow_reentry),
        created_at=clock.now(),
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
