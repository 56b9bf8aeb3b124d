"""The visitors' inbox: the notify job writes messages; a visitor marks them read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.errors import (
    NotFound,
)
from designmall.events.models import (
    Notification,
    NotificationKind,
    Reservation,
    ReservationStatus,
    Session,
    WaitlistEntry,
    WaitlistStatus,
)

# --- notifications ------------------------------------------------------------------------


def _session_data(session: Session) -> dict[str, Any]:
    return {
        "session": session.public_id,
        "event": session.event.public_id,
        "title_zh": session.event.title_zh,
        "title_en": session.event.title_en,
        "starts_at": session.starts_at.isoformat(),
    }


def notifications_write(payload: dict[str, Any]) -> int:
    """The notify job: write the inbox messages ``payload`` asks for; idempotent (one
    message per visitor, kind and subject). Returns how many were new."""
    now = clock.now()
    kind = payload.get("kind")
    rows: list[Notification] = []
    if kind == NotificationKind.WAITLIST_OFFER:
        entry = (
            WaitlistEntry.objects.select_related("session__event")
            .filter(pk=payload["entry_id"])
            .first()
        )
        if entry is not None and entry.offer_expires_at is not None:
            rows.append(
                Notification(
                    user_id=entry.user_id,
                    kind=kind,
                    ref=entry.public_id,
                    data={
                        **_session_data(entry.session),
                        "seats": entry.seats,
                        "offer_expires_at": entry.offer_expires_at.isoformat(),
                    },
                    created_at=now,
                )
            )
    elif kind == NotificationKind.SESSION_CANCELLED:
        session = Session.objects.select_related("event").get(pk=payload["session_id"])
        data = {**_session_data(session), "reason": session.cancel_reason}
        for reservation in Reservation.objects.filter(
            session=session, status=ReservationStatus.CANCELLED, by_operator=True
        ).order_by("pk"):
            rows.append(
                Notification(
                    user_id=reservation.user_id,
                    kind=kind,
                    ref=reservation.public_id,
                    data={**data, "seats": reservation.seats, "refund_fen": reservation.refund_fen},
                    created_at=now,
                )
            )
        for entry in WaitlistEntry.objects.filter(
            session=session, status=WaitlistStatus.CANCELLED
        ).order_by("pk"):
            rows.append(
                Notification(
                    user_id=entry.user_id,
                    kind=kind,
                    ref=entry.public_id,
                    data={**data, "seats": entry.seats, "refund_fen": 0},
                    created_at=now,
                )
            )
    else:
        raise ValueError(f"unknown notification kind {kind!r}")
    before = Notification.objects.filter(kind=kind, ref__in=[r.ref for r in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    after = Notification.objects.filter(kind=kind, ref__in=[r.ref for r in rows]).count()
    return after - before


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """The visitor has read their message; others' are 404."""
    if notification.user_id != user.pk:
        raise NotFound(_("没有找到这条通知。"), code="notification_not_found")
    if notification.read_at is None:
        notification.read_at = clock.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification
