"""The operator calls off a session or a whole event: every reservation cancelled and
refunded in full, the waiting list closed, everyone notified.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
)
from designmall.core.jobs import enqueue
from designmall.events import rules
from designmall.events.models import (
    Event,
    EventStatus,
    NotificationKind,
    Reservation,
    Session,
    SessionStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.events.services.booking import (
    NOTIFY_JOB,
    _locked,
    _move,
    _reason,
    _seats_change,
    can_cancel_sessions,
)
from designmall.events.services.reservations import _cancel

# --- cancelling a session -----------------------------------------------------------------


def session_cancel(*, session: Session, by: User, reason: str) -> Session:
    """The operator calls a session off: nobody can reserve or pay for it any more, every
    reservation is cancelled and refunded in full, every ticket revoked, the waiting list
    closed, and everyone concerned is notified (a queued job).

    Two steps: one transaction marks the session cancelled and closes its waiting list
    (after it, every seat-taking update and payment refuses the session); then each
    reservation is cancelled in its own transaction in the usual lock order
    (``session_cancel_finish``, which the sweeper completes if this is interrupted).
    Needs the ``events.cancel_session`` permission; an ended or cancelled session is
    refused.
    """
    if not can_cancel_sessions(by):
        raise PermissionDenied(_("只有运营人员可以取消场次。"), code="operator_only")
    reason = _reason(reason, required=True)
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
        if session.status != SessionStatus.SCHEDULED:
            raise InvalidTransition(
                _("该场次已取消。"), code="session_cancelled", details={"from": session.status}
            )
        now = clock.now()
        if now >= session.ends_at:
            raise Conflict(_("场次已经结束，不能取消。"), code="session_over")
        session.status = SessionStatus.CANCELLED
        session.cancelled_at = now
        session.cancel_reason = reason
        # Never a plain save(): the counters are only ever changed by conditional updates.
        session.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(
            actor=by,
            action="session.cancelled",
            target=session,
            from_state=SessionStatus.SCHEDULED,
            to_state=SessionStatus.CANCELLED,
            reason=reason,
        )
        entries = WaitlistEntry.objects.select_for_update().filter(
            session=session, status__in=rules.OPEN_WAITLIST
        )
        for entry in entries.order_by("pk"):
            was = entry.status
            _move(entry, WaitlistStatus.CANCELLED, by=by, reason=reason, closed_at=now)
            if was == WaitlistStatus.OFFERED:
                _seats_change(session.pk, held=-entry.seats)
    session_cancel_finish(session=session, by=by)
    return Session.objects.get(pk=session.pk)


@transaction.atomic
def _cancel_for_session(reservation_id: int, *, by: User | None, reason: str) -> None:
    payment, reservation = _locked(reservation_id)
    if reservation.status in rules.ACTIVE_RESERVATIONS:
        _cancel(payment=payment, reservation=reservation, by=by, by_operator=True, reason=reason)


def session_cancel_finish(*, session: Session, by: User | None = None) -> int:
    """Cancel what is still open of a cancelled session (each reservation in its own
    transaction), then queue the notifications once; idempotent. Returns how many
    reservations this call cancelled."""
    session = Session.objects.get(pk=session.pk)
    if session.status != SessionStatus.CANCELLED:
        return 0
    reason = session.cancel_reason or _("主办方取消场次")
    open_ids = list(
        Reservation.objects.filter(session=session, status__in=rules.ACTIVE_RESERVATIONS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for reservation_id in open_ids:
        _cancel_for_session(reservation_id, by=by, reason=reason)
    enqueue(
        NOTIFY_JOB,
        {"kind": NotificationKind.SESSION_CANCELLED, "session_id": session.pk},
        key=f"{NOTIFY_JOB}:session_cancelled:{session.pk}",
    )
    return len(open_ids)


def event_cancel(*, event: Event, by: User, reason: str) -> Event:
    """The operator calls a whole event off: it is cancelled and so is each of its
    sessions that has not ended (``session_cancel``)."""
    if not can_cancel_sessions(by):
        raise PermissionDenied(_("只有运营人员可以取消活动。"), code="operator_only")
    reason = _reason(reason, required=True)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status == EventStatus.CANCELLED:
            raise InvalidTransition(_("该活动已取消。"), code="event_cancelled")
        before = event.status
        event.status = EventStatus.CANCELLED
        event.cancelled_at = clock.now()
        event.save(update_fields=["status", "cancelled_at"])
        audit_record(
            actor=by,
            action="event.cancelled",
            target=event,
            from_state=before,
            to_state=EventStatus.CANCELLED,
            reason=reason,
        )
    upcoming = Session.objects.filter(
        event=event, status=SessionStatus.SCHEDULED, ends_at__gt=clock.now()
    ).order_by("starts_at", "pk")
    for session in upcoming:
        session_cancel(session=session, by=by, reason=reason)
    return event
