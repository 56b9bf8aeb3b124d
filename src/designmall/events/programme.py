"""Programme services: scheduling sessions, publishing events, timed entry.

Venues, halls and events are plain records the back office edits; sessions are
not: their seat counters belong to ``events.services``, so a session is created
and changed only here, field by field, and its capacity only with one
conditional update (never below the seats taken). Raising it offers the new
seats to the waiting list.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, InvalidTransition, ValidationFailed
from designmall.events import rules
from designmall.events.models import (
    Event,
    EventKind,
    EventStatus,
    Hall,
    Session,
    SessionStatus,
)
from designmall.events.services import waitlist_offers_make
from designmall.payments.services import MAX_PAYMENT_FEN

MAX_PER_USER_LIMIT = 20
# What an operator may set on a session; the counters and status are not among them.
SESSION_FIELDS = (
    "hall",
    "starts_at",
    "ends_at",
    "capacity",
    "price_fen",
    "reservation_opens_at",
    "reservation_closes_at",
    "per_user_limit",
    "cancel_until",
)


def _invalid(message: str, field: str, **details: Any) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_session", details={"field": field, **details})


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def session_check(*, fields: dict[str, Any], exclude_pk: int | None = None) -> None:
    """Refuse a session's ``fields`` (all of ``SESSION_FIELDS``) that cannot be scheduled,
    with ``ValidationFailed`` naming the field: times in order (the reservation window
    inside the session, closing no later than its end; the free cancellation deadline no
    later than its start), a capacity within the hall's, a price of 0 or more, a per-user
    limit of 1..20, and no other scheduled session in the hall at an overlapping time."""
    hall: Hall = fields["hall"]
    starts_at: datetime = fields["starts_at"]
    ends_at: datetime = fields["ends_at"]
    if ends_at <= starts_at:
        raise _invalid(_("结束时间必须晚于开始时间。"), "ends_at")
    capacity = fields["capacity"]
    if not rules.is_count(capacity):
        raise _invalid(_("座位数必须是正整数。"), "capacity")
    if capacity > hall.capacity:
        raise _invalid(
            _("座位数不能超过展厅容量 %(n)d。") % {"n": hall.capacity},
            "capacity",
            hall_capacity=hall.capacity,
        )
    price = fields["price_fen"]
    if not _int(price) or not 0 <= price <= MAX_PAYMENT_FEN:
        raise _invalid(_("票价无效。"), "price_fen")
    limit = fields["per_user_limit"]
    if not _int(limit) or not 1 <= limit <= MAX_PER_USER_LIMIT:
        raise _invalid(
            _("每人限约座位数须在 1 到 %(n)d 之间。") % {"n": MAX_PER_USER_LIMIT},
            "per_user_limit",
        )
    opens, closes = fields["reservation_opens_at"], fields["reservation_closes_at"]
    if closes <= opens:
        raise _invalid(_("截止预约时间必须晚于开放预约时间。"), "reservation_closes_at")
    if closes > ends_at:
        raise _invalid(_("截止预约时间不能晚于场次结束时间。"), "reservation_closes_at")
    if fields["cancel_until"] > starts_at:
        raise _invalid(_("免费退票截止时间不能晚于场次开始时间。"), "cancel_until")
    clash = (
        Session.objects.filter(
            hall=hall,
            status=SessionStatus.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=exclude_pk)
        .select_related("event")
        .first()
    )
    if clash is not None:
        raise _invalid(
            _("该展厅在这段时间已有场次：%(session)s。") % {"session": clash},
            "starts_at",
            clash=clash.public_id,
        )


@transaction.atomic
def session_create(*, event: Event, by: User | None, **fields: Any) -> Session:
    """Schedule a session of ``event`` with ``fields`` (all of ``SESSION_FIELDS``), checked
    by ``session_check``. A cancelled event takes no new sessions."""
    missing = [name for name in SESSION_FIELDS if name not in fields]
    unknown = sorted(set(fields) - set(SESSION_FIELDS))
    if missing or unknown:
        raise TypeError(f"session fields missing {missing}, unknown {unknown}")
    if event.status == EventStatus.CANCELLED:
        raise InvalidTransition(_("该活动已取消。"), code="event_cancelled")
    session_check(fields=fields)
    session = Session.objects.create(event=event, **fields)
    audit_record(
        actor=by,
        action="session.created",
        target=session,
        to_state=session.status,
        data={"event": event.public_id, "capacity": session.capacity},
    )
    return session


@transaction.atomic
def session_update(*, session: Session, by: User | None, **changes: Any) -> Session:
    """Change fields of a scheduled session (any of ``SESSION_FIELDS``), checked together
    with the rest by ``session_check``.

    The capacity is set with one conditional update and never below the seats taken
    (``Conflict`` ``capacity_below_taken``); seats it adds go to the waiting list
    first. Reservations made keep the price they were made at.
    """
    unknown = sorted(set(changes) - set(SESSION_FIELDS))
    if unknown:
        raise TypeError(f"unknown session fields {unknown}")
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status != SessionStatus.SCHEDULED:
        raise InvalidTransition(_("该场次已取消，不能修改。"), code="session_cancelled")
    current = {name: getattr(session, name) for name in SESSION_FIELDS}
    changed = {name: value for name, value in changes.items() if value != current[name]}
    if not changed:
        return session
    session_check(fields={**current, **changed}, exclude_pk=session.pk)
    applied = {name: str(value) for name, value in changed.items()}
    capacity = changed.pop("capacity", None)
    if capacity is not None:
        taken = Session.objects.filter(pk=session.pk, confirmed__lte=capacity - F("held")).update(
            capacity=capacity
        )
        if not taken:
            session.refresh_from_db(fields=["confirmed", "held"])
            raise Conflict(
                _("已有 %(n)d 个座位被预约或保留，座位数不能少于此数。")
                % {"n": session.confirmed + session.held},
                code="capacity_below_taken",
                details={"taken": session.confirmed + session.held},
            )
    if changed:
        # Only the changed columns: a plain save() would write stale counters back.
        Session.objects.filter(pk=session.pk).update(**changed)
    audit_record(
        actor=by,
        action="session.updated",
        target=session,
        data=applied,
    )
    session.refresh_from_db()
    if capacity is not None and capacity > current["capacity"]:
        waitlist_offers_make(session=session)
        session.refresh_from_db()
    return session


def hall_capacity_check(*, hall: Hall, capacity: int) -> None:
    """A hall cannot shrink below a scheduled session's capacity in it."""
    largest = (
        Session.objects.filter(hall=hall, status=SessionStatus.SCHEDULED).aggregate(
            n=Max("capacity")
        )["n"]
        if hall.pk
        else None
    )
    if largest and capacity < largest:
        raise ValidationFailed(
            _("展厅中已有 %(n)d 座的场次，容量不能小于此数。") % {"n": largest},
            code="hall_capacity_below_sessions",
            details={"largest_session": largest},
        )


@transaction.atomic
def sessions_create_timed_entry(
    *,
    event: Event,
    hall: Hall,
    first_day: date,
    days: int,
    opens: time,
    closes: time,
    slot_minutes: int = 60,
    capacity: int,
    price_fen: int = 0,
    per_user_limit: int = 4,
    reservation_opens_at: datetime,
    cancel_before: timedelta = timedelta(hours=2),
    by: User | None,
) -> list[Session]:
    """An exhibition's timed entry: one session per ``slot_minutes`` from ``opens`` to
    ``closes`` (local time) on each of ``days`` days from ``first_day``, each bookable
    from ``reservation_opens_at`` until its slot ends and cancellable free of charge until
    ``cancel_before`` its start. Only for exhibitions; every slot is checked as any session."""
    if event.kind != EventKind.EXHIBITION:
        raise ValidationFailed(_("只有展览可以设置分时入场。"), code="not_an_exhibition")
    try:
        slots = rules.timed_entry_slots(
            first_day=first_day,
            days=days,
            opens=opens,
            closes=closes,
            slot_minutes=slot_minutes,
            tz=timezone.get_current_timezone(),
        )
    except ValueError:
        raise ValidationFailed(_("分时入场的时间设置无效。"), code="invalid_timed_entry") from None
    return [
        session_create(
            event=event,
            by=by,
            hall=hall,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            price_fen=price_fen,
            reservation_opens_at=min(reservation_opens_at, starts_at),
            reservation_closes_at=ends_at,
            per_user_limit=per_user_limit,
            cancel_until=min(starts_at - cancel_before, starts_at),
        )
        for starts_at, ends_at in slots
    ]


@transaction.atomic
def event_publish(*, event: Event, by: User | None) -> Event:
    """A draft event goes on the programme (its sessions become bookable in their
    windows). Anything but a draft is ``InvalidTransition``."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.DRAFT:
        raise InvalidTransition(
            _("只有草稿状态的活动可以发布。"),
            details={"from": event.status, "to": EventStatus.PUBLISHED},
        )
    event.status = EventStatus.PUBLISHED
    event.published_at = clock.now()
    event.save(update_fields=["status", "published_at"])
    audit_record(
        actor=by,
        action="event.published",
        target=event,
        from_state=EventStatus.DRAFT,
        to_state=EventStatus.PUBLISHED,
    )
    return event
