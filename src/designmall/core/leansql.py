"""Lean statements for the hot paths: SQL built once from the models, rows made into instances.

Django's ORM compiles every query afresh, and on the flash-sale path that costs
about a millisecond of Python per statement: more than the database spends
running it. The few statements a hot path repeats thousands of times a second
use these helpers instead. Each statement's SQL is built once per model (and
row count, and database) from the model's own metadata, so a new column
needs no change here; values go through the fields' own ``get_db_prep_save``
and rows come back through the same converters the ORM applies, so instances
are exactly what the ORM would have made. Statements run on Django's
connection, in whatever transaction is open.

Everything else uses the ORM: reach for these only where a profile says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def _insert_fields(model: type[Model]) -> tuple[Field, ...]:
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{meta.label}: multi-table inheritance is not supported")
    return tuple(
        field
        for field in meta.concrete_fields
        if field is not meta.auto_field and not getattr(field, "generated", False)
    )


@lru_cache(maxsize=1024)
def _insert_sql(model: type[Model], rows: int, using: str, skip_conflicts: bool) -> str:
    quote = connections[using].ops.quote_name
    meta = model._meta
    fields = _insert_fields(model)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES {', '.join([one_row] * rows)}"
        + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
        + f" RETURNING {quote(meta.pk.column)}"
    )


def _insert_params(objs: Sequence[Model], connection, params: list[Any]) -> None:
    model = type(objs[0])
    fields = _insert_fields(model)
    for obj in objs:
        if type(obj) is not model:
            raise TypeError("insert: all rows must be of one model")
        # As save() and bulk_create() do: a related object saved after it was assigned
        # gives its key now; an unsaved one is refused.
        obj._prepare_related_fields_for_save(operation_name="insert")
        params.extend(
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
        )


def _insert(objs: Sequence[Model], using: str, skip_conflicts: bool) -> list[tuple]:
    model = type(objs[0])
    connection = connections[using]
    params: list[Any] = []
    _insert_params(objs, connection, params)
    sql = _insert_sql(model, len(objs), using, skip_conflicts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _saved(obj: Model, pk: Any, using: str) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using


def insert(objs: Sequence[M], *, using: str = DEFAULT_DB_ALIAS) -> Sequence[M]:
    """Insert unsaved instances of one model with one statement and set their primary keys
    (as ``bulk_create`` does, without its per-call compilation). Unique and check
    constraints fail the statement with ``IntegrityError``."""
    if objs:
        returned = _insert(objs, using, skip_conflicts=False)
        for obj, (pk,) in zip(objs, returned, strict=True):
            _saved(obj, pk, using)
    return objs


@lru_cache(maxsize=256)
def _insert_together_sql(shape: tuple[tuple[type[Model], int], ...], using: str) -> str:
    inserts = [
        f"i{n} AS ({_insert_sql(model, rows, using, False)})"
        for n, (model, rows) in enumerate(shape)
    ]
    returned = " UNION ALL ".join(f"SELECT {n}, * FROM i{n}" for n in range(len(shape)))
    return f"WITH {', '.join(inserts)} {returned}"


def insert_together(*groups: Sequence[Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert several groups of unsaved instances (one model per group) that do not refer
    to each other, and set their primary keys: on PostgreSQL in one statement (each
    group's INSERT a data-modifying CTE), elsewhere one ``insert`` per group. Any row
    failing a constraint fails them all."""
    groups = tuple(group for group in groups if group)
    connection = connections[using]
    if len(groups) < 2 or connection.vendor != "postgresql":
        for group in groups:
            insert(group, using=using)
        return
    params: list[Any] = []
    for group in groups:
        _insert_params(group, connection, params)
    sql = _insert_together_sql(tuple((type(g[0]), len(g)) for g in groups), using)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    keys: list[list[Any]] = [[] for _group in groups]
    for n, pk in returned:
        keys[n].append(pk)
    for group, pks in zip(groups, keys, strict=True):
        # Keys are drawn from the sequence in the order of the VALUES rows.
        for obj, pk in zip(group, sorted(pks), strict=True):
            _saved(obj, pk, using)


def insert_unless_exists(obj: Model, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Insert ``obj`` unless a row with the same unique values exists (``ON CONFLICT DO
    NOTHING``); returns whether it was inserted. On PostgreSQL a conflicting row that
    another transaction is writing is waited for, so the answer is final."""
    returned = _insert([obj], using, skip_conflicts=True)
    if not returned:
        return False
    _saved(obj, returned[0][0], using)
    return True


class Columns:
    """One model's columns in a hand-written SELECT (all of them, as the ORM reads them),
    and how to make a row's slice of them into an instance.

    ``Columns(Sku, "s").sql`` is ``"s"."id", "s"."public_id", ...``; after running the
    statement, ``columns.instance(row, start)`` is the ``Sku`` of ``row[start:start +
    len(columns)]``, with the ORM's converters applied (booleans and dates on SQLite,
    JSON everywhere).
    """

    def __init__(self, model: type[Model], alias: str, *, using: str = DEFAULT_DB_ALIAS):
        self.model = model
        self.using = using
        connection = connections[using]
        quote = connection.ops.quote_name
        self.fields = tuple(model._meta.concrete_fields)
        self.pk_position = self.fields.index(model._meta.pk)
        self.sql = ", ".join(f"{quote(alias)}.{quote(f.column)}" for f in self.fields)
        self._converters = []
        for position, field in enumerate(self.fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if found:
                self._converters.append((position, column, found))

    def __len__(self) -> int:
        return len(self.fields)

    def instance(self, row: Sequence[Any], start: int = 0) -> Model:
        values = list(row[start : start + len(self.fields)])
        connection = connections[self.using]
        for position, column, converters in self._converters:
            value = values[position]
            for converter in converters:
                value = converter(value, column, connection)
            values[position] = value
        obj = self.model(*values)
        obj._state.adding = False
        obj._state.db = self.using
        return obj


def instances(row: Sequence[Any], *groups: Columns) -> list[Model | None]:
    """The instances of a row that selected ``groups[0].sql, groups[1].sql, ...`` in that
    order (any further values after them), one per group; None for a group whose primary
    key is NULL (a LEFT JOIN that found nothing)."""
    found: list[Model | None] = []
    start = 0
    for group in groups:
        found.append(None if row[start + group.pk_position] is None else group.instance(row, start))
        start += len(group)
    return found


@cache
def columns(model: type[Model], alias: str, using: str = DEFAULT_DB_ALIAS) -> Columns:
    """The ``Columns`` of ``model`` under ``alias``, built once."""
    return Columns(model, alias, using=using)


def fetch_all(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def placeholders(count: int) -> str:
    """``%s, %s, ...`` for an ``IN (...)`` of ``count`` values."""
    return ", ".join(["%s"] * count)
