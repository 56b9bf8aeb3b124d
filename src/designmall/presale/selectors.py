"""Pre-sale reads: what the sweepers work on, and a check that the counters agree."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q

from designmall.presale.models import (
    HOLDING_STATUSES,
    Campaign,
    CampaignSku,
    CampaignStatus,
    Preorder,
    PreorderStatus,
)

SWEEP_BATCH = 1_000


def preorders_to_expire(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Pre-orders still waiting for a deposit whose hold ran out by the clock."""
    return list(
        Preorder.objects.filter(status=PreorderStatus.PENDING_DEPOSIT, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def preorders_to_notify(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Pre-orders whose deposit is paid, whose balance window is open and whose buyer has
    not been told yet."""
    return list(
        Preorder.objects.filter(
            status=PreorderStatus.DEPOSIT_PAID,
            balance_notified_at__isnull=True,
            campaign__balance_starts_at__lte=now,
            campaign__balance_ends_at__gt=now,
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def preorders_to_default(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Pre-orders still waiting for their balance after its window closed."""
    return list(
        Preorder.objects.filter(
            status=PreorderStatus.DEPOSIT_PAID, campaign__balance_ends_at__lte=now
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def cancelled_campaigns_with_open_preorders(*, limit: int = SWEEP_BATCH) -> list[int]:
    """Cancelled campaigns some pre-order of which is still open (it raced the cancel)."""
    open_statuses = (*HOLDING_STATUSES,)
    return list(
        Campaign.objects.filter(
            Q(preorders__order__isnull=True) | Q(preorders__order__status="paid"),
            status=CampaignStatus.CANCELLED,
            preorders__status__in=open_statuses,
        )
        .distinct()
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def campaign_skus_verify() -> list[str]:
    """Every campaign SKU whose ``taken`` differs from its pre-orders holding a unit (waiting
    for their deposit, or paid); empty when all agree."""
    rows = CampaignSku.objects.annotate(
        holding=Count("preorders", filter=Q(preorders__status__in=HOLDING_STATUSES))
    ).values_list("pk", "taken", "holding", "quantity")
    return [
        f"campaign SKU {pk}: taken {taken}, pre-orders holding {holding}, quantity {quantity}"
        for pk, taken, holding, quantity in rows
        if taken != holding or taken > quantity
    ]
