"""Inventory reads: counters for pages and the API, holds by owner, and the invariant check."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.db import connection
from django.db.models import F, Q, Sum

from designmall.core import leansql
from designmall.inventory.models import (
    AdjustmentReason,
    HoldStatus,
    StockAdjustment,
    StockHold,
    StockLevel,
)


def stock_of(sku_ids: Iterable[int]) -> dict[int, StockLevel]:
    """The counters of each SKU, in one query; a SKU without a row gets all zeros (unsaved)."""
    ids = list(sku_ids)
    levels = {level.sku_id: level for level in StockLevel.objects.filter(sku_id__in=ids)}
    return {sku_id: levels.get(sku_id) or StockLevel(sku_id=sku_id) for sku_id in ids}


@functools.cache
def _available_sql(count: int) -> str:
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    return f"SELECT sku_id, available FROM {table} WHERE sku_id IN ({leansql.placeholders(count)})"


def available_by_sku(sku_ids: Iterable[int]) -> dict[int, int]:
    """How many units of each SKU can be bought now, in one query (0 without a row).

    Built once per count (``core.leansql``): every product page asks it.
    """
    ids = list(sku_ids)
    if not ids:
        return {}
    found = dict(leansql.fetch_all(_available_sql(len(ids)), ids))
    return {sku_id: found.get(sku_id, 0) for sku_id in ids}


def holds_of(*, owner_ref: str) -> list[StockHold]:
    """The holds taken for an owner, oldest first."""
    return list(StockHold.objects.filter(owner_ref=owner_ref).order_by("id"))


def stock_verify() -> list[str]:
    """Every way the stock books disagree with themselves; empty when they balance.

    Per SKU: the counters balance and none is negative; ``held`` equals the
    quantity of its open holds; ``sold`` equals its sold holds less returns;
    ``written_off`` equals the units its adjustments wrote off.
    """
    problems = [
        f"sku {level.sku_id}: received {level.received} != available {level.available}"
        f" + held {level.held} + sold {level.sold} + written off {level.written_off}"
        for level in StockLevel.objects.exclude(
            received=F("available") + F("held") + F("sold") + F("written_off")
        )
    ]
    problems += [
        f"sku {sku_id}: a counter is negative"
        for sku_id in StockLevel.objects.filter(
            Q(available__lt=0) | Q(held__lt=0) | Q(sold__lt=0) | Q(written_off__lt=0)
        ).values_list("sku_id", flat=True)
    ]

    def totals(rows) -> dict[int, int]:
        return {sku_id: total for sku_id, total in rows if total}

    held = totals(
        StockHold.objects.filter(status=HoldStatus.HELD)
        .values("sku_id")
        .annotate(total=Sum("quantity"))
        .values_list("sku_id", "total")
    )
    sold = totals(
        StockHold.objects.filter(status=HoldStatus.SOLD)
        .values("sku_id")
        .annotate(total=Sum("quantity"))
        .values_list("sku_id", "total")
    )
    returned = totals(
        StockAdjustment.objects.filter(reason=AdjustmentReason.RETURNED)
        .values("sku_id")
        .annotate(total=Sum("delta"))
        .values_list("sku_id", "total")
    )
    written_off = totals(
        StockAdjustment.objects.filter(delta__lt=0)
        .values("sku_id")
        .annotate(total=Sum("delta"))
        .values_list("sku_id", "total")
    )
    levels = {
        sku_id: (h, s, w)
        for sku_id, h, s, w in StockLevel.objects.filter(
            Q(held__gt=0) | Q(sold__gt=0) | Q(written_off__gt=0)
        ).values_list("sku_id", "held", "sold", "written_off")
    }
    for sku_id in sorted(set(levels) | set(held) | set(sold) | set(returned) | set(written_off)):
        level_held, level_sold, level_written_off = levels.get(sku_id, (0, 0, 0))
        if level_held != held.get(sku_id, 0):
            problems.append(f"sku {sku_id}: held {level_held} != open holds {held.get(sku_id, 0)}")
        expected_sold = sold.get(sku_id, 0) - returned.get(sku_id, 0)
        if level_sold != expected_sold:
            problems.append(
                f"sku {sku_id}: sold {level_sold} != sold holds less returns {expected_sold}"
            )
        if level_written_off != -written_off.get(sku_id, 0):
            problems.append(
                f"sku {sku_id}: written off {level_written_off}"
                f" != adjustments {-written_off.get(sku_id, 0)}"
            )
    return problems
