"""Inventory services: seller stock adjustments and the holds checkouts take.

Every counter change is one conditional ``UPDATE`` (``... WHERE available >= q``),
never a read followed by a write, and the CHECK constraints on ``StockLevel``
are the last line behind it. Locks are always taken in the same order: hold
rows (by owner), then stock levels in ascending SKU order, then products in
ascending order (only when a seller's adjustment may flip a product's in-stock
flag; holds flip it after their commit, below). Catalog's
services lock a product before its SKU, and nothing here locks a stock level
after a product (except the level of a SKU created in the same transaction,
which nobody else can see yet), so two transactions never wait on each other
in a cycle.

A product's ``in_stock`` flag follows ``available > 0`` of its active SKUs. It
is recomputed only when a SKU's available count crosses zero (or a SKU is
switched on or off), so the flash-sale path pays nothing for it otherwise.
Holds (the buyers' path) recompute it right after their transaction commits,
in a transaction of its own: the product lock and the search reindex it
brings must not run while the stock rows are locked, or every buyer of a SKU
that just sold out would wait on them (the first reindex in a process loads
the word dictionary, seconds). Sellers' adjustments recompute it in their
transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.catalog import services as catalog_services
from designmall.catalog.models import Product, Sku
from designmall.catalog.services import MAX_STOCK
from designmall.core import clock, leansql
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.core.ids import new_public_id
from designmall.inventory.models import (
    AdjustmentReason,
    HoldStatus,
    StockAdjustment,
    StockHold,
    StockLevel,
)

MAX_NOTE_LENGTH = 500
MAX_OWNER_REF_LENGTH = StockHold._meta.get_field("owner_ref").max_length
_HOLD_PREFIX = StockHold._meta.get_field("public_id").prefix

_LEVELS = StockLevel._meta.db_table
_HOLDS = StockHold._meta.db_table
# One statement each; RETURNING the new available count tells whether it crossed zero.
_TAKE = (
    f"UPDATE {_LEVELS} SET available = available - %s, held = held + %s"
    " WHERE sku_id = %s AND available >= %s RETURNING available"
)
_ADD = (
    f"UPDATE {_LEVELS} SET received = received + %s, available = available + %s"
    " WHERE sku_id = %s AND available + %s <= %s RETURNING available"
)
_WRITE_OFF = (
    f"UPDATE {_LEVELS} SET available = available - %s, written_off = written_off + %s"
    " WHERE sku_id = %s AND available >= %s RETURNING available"
)
_RESTOCK = (
    f"UPDATE {_LEVELS} SET sold = sold - %s, available = available + %s"
    " WHERE sku_id = %s AND sold >= %s RETURNING available"
)
_SELL_HELD = f"UPDATE {_LEVELS} SET held = held - %s, sold = sold + %s WHERE sku_id = %s"
_RELEASE_HELD = (
    f"UPDATE {_LEVELS} SET held = held - %s, available = available + %s"
    " WHERE sku_id = %s RETURNING available"
)
_CLOSE_HOLDS = (
    f"UPDATE {_HOLDS} SET status = %s, closed_at = %s"
    " WHERE owner_ref = %s AND status = %s RETURNING sku_id, quantity"
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _returning_one(sql: str, params: list[Any]) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


# --- in-stock flags ---------------------------------------------------------------------


def _products_refresh(product_ids: Iterable[int]) -> None:
    """Set each product's in-stock flag from its active SKUs' available counts."""
    ids = sorted(set(product_ids))
    # Locked so that two transactions emptying two SKUs of one product cannot
    # each still see the other's stock: the second one reads after the first commits.
    locked = list(
        Product.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    stocked = set(
        StockLevel.objects.filter(
            sku__product_id__in=locked, sku__is_active=True, available__gt=0
        ).values_list("sku__product_id", flat=True)
    )
    for product_id in locked:
        catalog_services.product_availability_set(
            product_id=product_id, in_stock=product_id in stocked
        )


def _skus_refresh(sku_ids: list[int]) -> None:
    _products_refresh(Sku.objects.filter(pk__in=sku_ids).values_list("product_id", flat=True))


def _skus_refresh_after_commit(sku_ids: list[int]) -> None:
    """Refresh the products of these SKUs once the current transaction commits (with the
    stock rows' locks released), in a transaction of their own.

    Each refresh reads the counters as committed, under the product's lock, so of
    several racing refreshes the last leaves the right flag. A failure is logged, not
    raised: the stock change it follows has committed (the flag, for lists and search,
    is then wrong until the next crossing).
    """
    ids = sorted(set(sku_ids))

    def refresh() -> None:
        with transaction.atomic():
            _skus_refresh(ids)

    transaction.on_commit(refresh, robust=True)


# --- seller adjustments -----------------------------------------------------------------


def _sku_of_seller(sku: Sku, by: User) -> Sku:
    """The SKU, if it belongs to a shop of ``by``; anyone else's is 404."""
    owned = (
        Sku.objects.filter(pk=sku.pk, product__shop__owner=by)
        .only("pk", "public_id", "product_id")
        .first()
    )
    if owned is None:
        raise NotFound(_("没有找到这个 SKU。"), code="sku_not_found")
    return owned


def _level_ensure(sku_id: int) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: safe when two requests open the row at once.
    StockLevel.objects.bulk_create([StockLevel(sku_id=sku_id)], ignore_conflicts=True)


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            _("备注最多 %(n)d 个字符。") % {"n": MAX_NOTE_LENGTH},
            code="too_long",
            details={"field": "note", "max_length": MAX_NOTE_LENGTH},
        )
    return note


def _adjust(*, sku: Sku, delta: int, reason: str, note: str, by: User | None) -> StockAdjustment:
    """Apply an adjustment with one conditional statement, record it, refresh the flag."""
    amount = abs(delta)
    if reason == AdjustmentReason.RETURNED:
        row = _returning_one(_RESTOCK, [amount, amount, sku.pk, amount])
    elif delta > 0:
        _level_ensure(sku.pk)
        row = _returning_one(_ADD, [amount, amount, sku.pk, amount, MAX_STOCK])
    else:
        row = _returning_one(_WRITE_OFF, [amount, amount, sku.pk, amount])
    if row is None:
        raise _refusal(sku=sku, delta=delta, reason=reason)
    after = row[0]
    adjustment = StockAdjustment.objects.create(
        sku=sku, delta=delta, reason=reason, note=note, by=by, at=clock.now()
    )
    audit_record(
        actor=by,
        action="stock.adjusted",
        target=sku,
        reason=note,
        data={"delta": delta, "reason": reason, "available": after},
    )
    if (after - delta > 0) != (after > 0):
        _products_refresh([sku.product_id])
    return adjustment


def _refusal(*, sku: Sku, delta: int, reason: str) -> Conflict:
    level = StockLevel.objects.filter(sku_id=sku.pk).first() or StockLevel(sku_id=sku.pk)
    if reason == AdjustmentReason.RETURNED:
        return Conflict(
            _("退货数量超过了已售出的 %(n)d 件。") % {"n": level.sold},
            code="not_sold",
            details={"sku": sku.public_id, "requested": delta, "sold": level.sold},
        )
    if delta > 0:
        return Conflict(
            _("可售库存最多 %(n)d 件。") % {"n": MAX_STOCK},
            code="stock_limit",
            details={"sku": sku.public_id, "available": level.available, "max": MAX_STOCK},
        )
    return Conflict(
        _("可售库存不足：只有 %(n)d 件。") % {"n": level.available},
        code="insufficient_stock",
        details={"sku": sku.public_id, "requested": -delta, "available": level.available},
    )


# What each seller reason may do to the available count: +1 adds, -1 removes, 0 either.
_SELLER_REASONS = {
    AdjustmentReason.RECEIVED: 1,
    AdjustmentReason.DAMAGED: -1,
    AdjustmentReason.CORRECTION: 0,
}


@transaction.atomic
def stock_adjust(*, sku: Sku, delta: int, reason: str, note: str = "", by: User) -> StockAdjustment:
    """A seller changes a SKU's available stock, with a reason; recorded and audited.

    ``delta`` is the change to the available count. ``received`` adds goods
    (delta > 0: received and available grow); ``damaged`` writes units off
    (delta < 0: available moves to written-off); a ``correction`` of a count
    does either. Never below zero: too little available is ``Conflict``
    ``insufficient_stock``. Only the owner of the SKU's shop may adjust it
    (anyone else gets ``NotFound``).
    """
    sku = _sku_of_seller(sku, by)
    if reason not in _SELLER_REASONS:
        raise ValidationFailed(
            _("调整原因须为入库、报损或盘点修正。"),
            code="invalid_reason",
            details={"field": "reason"},
        )
    sign = _SELLER_REASONS[reason]
    if not _is_int(delta) or delta == 0 or abs(delta) > MAX_STOCK or delta * sign < 0:
        message = {
            1: _("入库数量须为正整数。"),
            -1: _("报损数量须为负整数（从可售库存中扣除）。"),
            0: _("调整数量须为非零整数。"),
        }[sign]
        raise ValidationFailed(message, code="invalid_delta", details={"field": "delta"})
    return _adjust(sku=sku, delta=delta, reason=reason, note=_check_note(note), by=by)


@transaction.atomic
def stock_set(*, sku: Sku, available: int, by: User, note: str = "") -> StockAdjustment | None:
    """A seller states how many units of a SKU are available now.

    Recorded as a ``correction`` of the difference (None when there is
    none). Held and sold units are not touched. Owner only, like ``stock_adjust``.
    """
    sku = _sku_of_seller(sku, by)
    if not _is_int(available) or not 0 <= available <= MAX_STOCK:
        raise ValidationFailed(
            _("库存须为 0 至 %(n)d 之间的整数。") % {"n": MAX_STOCK},
            code="invalid_stock",
            details={"field": "stock"},
        )
    _level_ensure(sku.pk)
    # Locked: the difference must be taken from the count it is applied to.
    current = (
        StockLevel.objects.select_for_update()
        .filter(sku_id=sku.pk)
        .values_list("available", flat=True)
        .get()
    )
    if available == current:
        return None
    return _adjust(
        sku=sku,
        delta=available - current,
        reason=AdjustmentReason.CORRECTION,
        note=_check_note(note),
        by=by,
    )


@transaction.atomic
def sold_restock(
    *, sku_id: int, quantity: int, by: User | None = None, note: str = ""
) -> StockAdjustment:
    """Sold units came back (a return) and can be sold again: sold → available.

    Recorded as a ``returned`` adjustment. More than was sold is ``Conflict``
    ``not_sold``.
    """
    if not _is_int(quantity) or not 0 < quantity <= MAX_STOCK:
        raise ValidationFailed(_("退货数量须为正整数。"), code="invalid_quantity")
    sku = Sku.objects.filter(pk=sku_id).only("pk", "public_id", "product_id").first()
    if sku is None:
        raise NotFound(_("没有找到这个 SKU。"), code="sku_not_found")
    return _adjust(
        sku=sku, delta=quantity, reason=AdjustmentReason.RETURNED, note=_check_note(note), by=by
    )


# --- SKUs with their stock --------------------------------------------------------------


def _check_stock_figure(stock: Any) -> None:
    if not _is_int(stock) or not 0 <= stock <= MAX_STOCK:
        raise ValidationFailed(
            _("库存须为 0 至 %(n)d 之间的整数。") % {"n": MAX_STOCK},
            code="invalid_stock",
            details={"field": "stock"},
        )


@transaction.atomic
def sku_create_with_stock(*, product: Product, by: User, stock: int = 0, **fields: Any) -> Sku:
    """``catalog.services.sku_create``, then the opening stock as ``received``: one transaction."""
    _check_stock_figure(stock)
    sku = catalog_services.sku_create(product=product, by=by, **fields)
    if stock:
        _adjust(
            sku=sku,
            delta=stock,
            reason=AdjustmentReason.RECEIVED,
            note=_("新建 SKU 时的库存"),
            by=by,
        )
    return sku


@transaction.atomic
def sku_update_with_stock(*, sku: Sku, by: User, stock: int | None = None, **fields: Any) -> Sku:
    """``catalog.services.sku_update``, with the available count set to ``stock`` if given.

    The stock is set first: stock levels are locked before products everywhere,
    and ``sku_update`` locks the product. Switching the SKU on or off
    refreshes the product's in-stock flag.
    """
    if stock is not None:
        _check_stock_figure(stock)
        stock_set(sku=sku, available=stock, by=by)
    sku = catalog_services.sku_update(sku=sku, by=by, **fields)
    if "is_active" in fields:
        _products_refresh([sku.product_id])
    return sku


# --- holds --------------------------------------------------------------------------------


def _merge_lines(lines: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Quantities summed per SKU, in ascending SKU order (the order levels are locked in)."""
    wanted: dict[int, int] = defaultdict(int)
    for sku_id, quantity in lines:
        if not _is_int(sku_id) or not _is_int(quantity) or quantity <= 0:
            raise ValidationFailed(
                _("数量须为正整数。"),
                code="invalid_quantity",
                details={"sku_id": sku_id, "quantity": quantity},
            )
        wanted[sku_id] += quantity
    for sku_id, quantity in wanted.items():
        if quantity > MAX_STOCK:
            raise ValidationFailed(
                _("数量过大。"),
                code="invalid_quantity",
                details={"sku_id": sku_id, "quantity": quantity},
            )
    return sorted(wanted.items())


def _check_owner_ref(owner_ref: str) -> str:
    if not isinstance(owner_ref, str) or not 0 < len(owner_ref) <= MAX_OWNER_REF_LENGTH:
        raise ValidationFailed(
            _("持有方标识须为 1 至 %(n)d 个字符。") % {"n": MAX_OWNER_REF_LENGTH},
            code="invalid_owner_ref",
        )
    return owner_ref


def _out_of_stock(sku_id: int, requested: int) -> Exception:
    found = Sku.objects.filter(pk=sku_id).values_list("public_id", "stock_level__available").first()
    if found is None:
        return NotFound(_("没有找到这个 SKU。"), code="sku_not_found", details={"sku_id": sku_id})
    public_id, available = found
    return _out_of_stock_conflict(public_id, requested, available or 0)


def _out_of_stock_conflict(public_id: str, requested: int, available: int) -> Conflict:
    return Conflict(
        _("库存不足：这个规格只剩 %(n)d 件。") % {"n": available},
        code="out_of_stock",
        details={"sku": public_id, "requested": requested, "available": available},
    )


def holds_take(
    *,
    lines: Iterable[tuple[int, int]],
    owner_ref: str,
    expires_at: datetime | None = None,
    commit: bool = False,
) -> list[StockHold]:
    """Take stock for ``owner_ref``: one hold per SKU, until ``expires_at``.

    ``lines`` are ``(sku_id, quantity)`` pairs (repeated SKUs are summed).
    Runs in the caller's transaction (without a savepoint), SKU by SKU in
    ascending order, each one conditional decrement then its hold. A SKU without
    enough available stock raises ``Conflict`` ``out_of_stock`` (details: ``sku``
    public id, ``requested``, ``available``) and the whole transaction must roll
    back: nothing is taken. ``expires_at`` defaults to now + ``STOCK_HOLD_MINUTES``.
    The SKUs' state in the catalog (active, on sale) is the caller's to check. A
    product whose last units this took is marked sold out once the transaction commits.

    On PostgreSQL the whole of it is one call of the database function
    ``inventory_holds_take`` (migration ``inventory.0003``): one round trip. With
    ``commit``, the caller's transaction commits in that same round trip, so the
    contended stock rows are locked only while the database runs it, never while
    Python runs: the holds must then be the last thing the caller's transaction
    writes. ``commit`` is honoured only when that transaction is the outermost
    atomic block (no savepoint, nothing around it); otherwise, and on SQLite (where
    write transactions are serial anyway), the transaction commits as usual on its
    way out.
    """
    wanted = _merge_lines(lines)
    owner_ref = _check_owner_ref(owner_ref)
    now = clock.now()
    if expires_at is None:
        expires_at = now + timedelta(minutes=settings.STOCK_HOLD_MINUTES)
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        return _holds_take_in_one_trip(
            wanted, owner_ref=owner_ref, expires_at=expires_at, now=now, commit=commit
        )
    # No savepoint: an out-of-stock line fails the caller's whole transaction.
    with transaction.atomic(savepoint=False):
        emptied = []
        with connection.cursor() as cursor:
            for sku_id, quantity in wanted:
                cursor.execute(_TAKE, [quantity, quantity, sku_id, quantity])
                row = cursor.fetchone()
                if row is None:
                    raise _out_of_stock(sku_id, quantity)
                if row[0] == 0:
                    emptied.append(sku_id)
        # One insert whose SQL is built once (``core.leansql``): this runs under the
        # stock rows' locks, so it must be quick.
        holds = leansql.insert(
            [
                _hold(sku_id, quantity, owner_ref=owner_ref, expires_at=expires_at, now=now)
                for sku_id, quantity in wanted
            ]
        )
        if emptied:
            _skus_refresh_after_commit(emptied)
    return holds


def _hold(sku_id: int, quantity: int, *, owner_ref: str, expires_at, now, **fields) -> StockHold:
    return StockHold(
        sku_id=sku_id,
        quantity=quantity,
        owner_ref=owner_ref,
        status=HoldStatus.HELD,
        expires_at=expires_at,
        created_at=now,
        **fields,
    )


_HOLDS_TAKE_CALL = (
    "SELECT taken_hold_id, taken_sku_id, left_available"
    " FROM inventory_holds_take(%s::bigint[], %s::integer[], %s::text[], %s, %s, %s)"
)


def _commit_in_same_trip_allowed() -> bool:
    """Whether the transaction open now is one outermost atomic block, without savepoints:
    the only case where committing it in the holds' round trip ends exactly what its
    caller opened (Django's own commit on the way out then finds nothing to do)."""
    return (
        connection.in_atomic_block
        and len(connection.atomic_blocks) == 1
        and not connection.savepoint_ids
        and not connection.needs_rollback
    )


def _holds_take_in_one_trip(
    wanted: list[tuple[int, int]],
    *,
    owner_ref: str,
    expires_at: datetime,
    now: datetime,
    commit: bool,
) -> list[StockHold]:
    holds = [
        _hold(
            sku_id,
            quantity,
            owner_ref=owner_ref,
            expires_at=expires_at,
            now=now,
            public_id=new_public_id(_HOLD_PREFIX),
        )
        for sku_id, quantity in wanted
    ]
    sql = _HOLDS_TAKE_CALL
    if commit and _commit_in_same_trip_allowed():
        # Sent with the call in one message: the server commits as soon as the function
        # returns. If it raises, the COMMIT is skipped and the transaction rolls back.
        sql += "; COMMIT"
    params = [
        [sku_id for sku_id, _quantity in wanted],
        [quantity for _sku_id, quantity in wanted],
        [hold.public_id for hold in holds],
        owner_ref,
        expires_at,
        now,
    ]
    with transaction.atomic(savepoint=False):
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        except DatabaseError as error:
            refusal = _refusal_raised(error)
            if refusal is None:
                raise
            raise refusal from None
        for hold, (hold_id, _sku_id, _left) in zip(holds, rows, strict=True):
            hold.pk = hold_id
            hold._state.adding = False
            hold._state.db = connection.alias
        emptied = [sku_id for _hold_id, sku_id, left in rows if left == 0]
        if emptied:
            _skus_refresh_after_commit(emptied)
    return holds


def _refusal_raised(error: DatabaseError) -> Exception | None:
    """The domain error ``inventory_holds_take`` raised, from its message and DETAIL (the
    transaction is aborted: nothing more can be read in it)."""
    diag = getattr(error.__cause__, "diag", None)
    message = getattr(diag, "message_primary", "") or ""
    detail = (getattr(diag, "message_detail", "") or "").split(" ")
    if message == "designmall: sku_not_found":
        return NotFound(
            _("没有找到这个 SKU。"), code="sku_not_found", details={"sku_id": int(detail[0])}
        )
    if message == "designmall: out_of_stock":
        _sku_id, public_id, requested, available = detail
        return _out_of_stock_conflict(public_id, int(requested), int(available))
    return None


def _holds_close(owner_ref: str, to: str) -> list[tuple[int, int]]:
    """Close the owner's open holds; ``(sku_id, quantity)`` per SKU of those this call closed.

    One conditional statement: of two calls racing for the same holds, the
    second finds them no longer held and closes nothing.
    """
    with connection.cursor() as cursor:
        cursor.execute(_CLOSE_HOLDS, [to, clock.now(), owner_ref, HoldStatus.HELD])
        closed = cursor.fetchall()
    per_sku: dict[int, int] = defaultdict(int)
    for sku_id, quantity in closed:
        per_sku[sku_id] += quantity
    return sorted(per_sku.items())


def holds_commit(*, owner_ref: str) -> int:
    """The owner's held units are sold (its payment arrived): held → sold, exactly once.

    Returns how many units this call sold; 0 when none were held any more
    (already sold, or released first: then the caller must give the money
    back). Expiry is not checked here: a hold counts until it is released.
    Runs in the caller's transaction, like ``holds_take``.
    """
    owner_ref = _check_owner_ref(owner_ref)
    with transaction.atomic(savepoint=False):
        closed = _holds_close(owner_ref, HoldStatus.SOLD)
        with connection.cursor() as cursor:
            for sku_id, quantity in closed:
                cursor.execute(_SELL_HELD, [quantity, quantity, sku_id])
    return sum(quantity for _sku, quantity in closed)


def holds_release(*, owner_ref: str) -> int:
    """The owner's held units go back on sale (cancelled or expired): held → available, once.

    Returns how many units this call released; 0 when none were held any
    more (already released, or sold first). Runs in the caller's transaction; a
    product back in stock is marked so once it commits.
    """
    owner_ref = _check_owner_ref(owner_ref)
    with transaction.atomic(savepoint=False):
        closed = _holds_close(owner_ref, HoldStatus.RELEASED)
        refilled = []
        with connection.cursor() as cursor:
            for sku_id, quantity in closed:
                cursor.execute(_RELEASE_HELD, [quantity, quantity, sku_id])
                if cursor.fetchone()[0] == quantity:
                    refilled.append(sku_id)
        if refilled:
            _skus_refresh_after_commit(refilled)
    return sum(quantity for _sku, quantity in closed)


_HOLD_CLOSE_ALL = (
    f"UPDATE {_HOLDS} SET status = %s, closed_at = %s"
    " WHERE owner_ref = %s AND status = %s AND quantity = %s RETURNING sku_id"
)
_HOLD_TAKE_PART = (
    f"UPDATE {_HOLDS} SET quantity = quantity - %s"
    " WHERE owner_ref = %s AND status = %s AND quantity > %s RETURNING sku_id, expires_at"
)


def hold_part_close(*, owner_ref: str, quantity: int, to: str) -> bool:
    """Close ``quantity`` units of the owner's one open hold (a flash deal's units set
    aside): sold (held → sold) or released (held → available). The open hold keeps the
    rest and a closed hold of ``quantity`` records the part (so the books still match the
    holds, ``selectors.stock_verify``); with nothing left the open hold itself is closed.
    Conditional statements on the hold, then one on the SKU's level: False (nothing
    changed) when the hold has fewer units open. Runs in the caller's transaction."""
    owner_ref = _check_owner_ref(owner_ref)
    if not _is_int(quantity) or quantity <= 0:
        raise ValidationFailed(_("数量须为正整数。"), code="invalid_quantity")
    if to not in (HoldStatus.SOLD, HoldStatus.RELEASED):
        raise ValueError(to)
    now = clock.now()
    with transaction.atomic(savepoint=False):
        row = _returning_one(_HOLD_TAKE_PART, [quantity, owner_ref, HoldStatus.HELD, quantity])
        if row is not None:
            sku_id, expires_at = row
            leansql.insert(
                [
                    StockHold(
                        sku_id=sku_id,
                        quantity=quantity,
                        owner_ref=owner_ref,
                        status=to,
                        expires_at=expires_at,
                        created_at=now,
                        closed_at=now,
                    )
                ]
            )
        else:
            row = _returning_one(_HOLD_CLOSE_ALL, [to, now, owner_ref, HoldStatus.HELD, quantity])
            if row is None:
                return False
            sku_id = row[0]
        if to == HoldStatus.SOLD:
            _returning_one(_SELL_HELD + " RETURNING sku_id", [quantity, quantity, sku_id])
        else:
            refilled = _returning_one(_RELEASE_HELD, [quantity, quantity, sku_id])
            if refilled[0] == quantity:
                _skus_refresh_after_commit([sku_id])
    return True


def hold_open_quantity(*, owner_ref: str) -> int:
    """Units still open in the owner's holds."""
    return sum(
        StockHold.objects.filter(owner_ref=owner_ref, status=HoldStatus.HELD).values_list(
            "quantity", flat=True
        )
    )
