"""The demo's flash deals: one running now and one starting in 10 minutes, timed from the
moment the demo is built (and again whenever ``make demo`` starts and none is running or
about to start: ``deals_ensure_live``). Scheduled like an operator's (their units leave
stock at once); the pages and the API show them at ``/deals/``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from designmall.catalog.models import ProductStatus, ShopStatus, Sku
from designmall.inventory.models import StockHold
from designmall.promotions.deals import deal_schedule_unchecked
from designmall.promotions.models import Deal, DealStatus, DealTicket

RUNNING_UNITS = 20
UPCOMING_UNITS = 30


def _skus(count: int) -> list[Sku]:
    """SKUs on sale with stock enough, none with a deal already, cheapest first."""
    return list(
        Sku.objects.select_related("product")
        .filter(
            is_active=True,
            product__status=ProductStatus.LIVE,
            product__shop__status=ShopStatus.APPROVED,
            stock_level__available__gte=UPCOMING_UNITS + 5,
            price_fen__gte=5_000,
            deals__isnull=True,
        )
        .order_by("price_fen", "id")[:count]
    )


def _price(sku: Sku) -> int:
    """About 60% of the list price, in whole yuan."""
    return max(100, sku.price_fen * 6 // 10 // 100 * 100)


def _write(now: datetime) -> int:
    skus = _skus(2)
    if len(skus) < 2:
        return 0
    running, upcoming = skus
    deal_schedule_unchecked(
        by=None,
        sku=running,
        price_fen=_price(running),
        quantity=RUNNING_UNITS,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
    )
    deal_schedule_unchecked(
        by=None,
        sku=upcoming,
        price_fen=_price(upcoming),
        quantity=UPCOMING_UNITS,
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(hours=2, minutes=10),
    )
    return 2


def deals_write(*, now: datetime) -> dict[str, int]:
    """The demo's two deals; returns rows per kind."""
    with transaction.atomic():
        return {"deals": _write(now)}


def deals_ensure_live(*, now: datetime) -> bool:
    """When no deal is running or starting within the next 10 minutes (the demo started
    again later), schedule a fresh pair timed from now; returns whether it did."""
    soon = Deal.objects.filter(
        status=DealStatus.SCHEDULED, ends_at__gt=now, starts_at__lte=now + timedelta(minutes=10)
    )
    if soon.exists():
        return False
    with transaction.atomic():
        return bool(_write(now))


def deals_wipe() -> None:
    """Delete every deal and its tickets, and the deals' stock holds (the catalog goes
    next)."""
    DealTicket.objects.all().delete()
    Deal.objects.all().delete()
    StockHold.objects.filter(owner_ref__startswith="deal:").delete()
