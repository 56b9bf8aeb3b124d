"""The audit trail: every state change a service makes is recorded here."""

from __future__ import annotations

from typing import Any

from django.db import models

from designmall.core import clock
from designmall.core.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "public_id", None) or target.pk),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )


def audit_trail(target: models.Model):
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "public_id", None) or target.pk),
    )
