"""Full-text product search behind one interface (SQLite FTS5 / PostgreSQL).

Interface used by services, selectors, the API and pages:

- ``products_reindex(product_ids)``: bring these products' index entries in
  line with the database (called by catalog services inside their
  transaction after every change to a product's text, price, stock or status,
  or to its shop's status); ``products_reindex_all()`` rebuilds everything.
- ``product_search(query=..., filters=..., sort=..., page=..., per_page=...)``
  returns a ``SearchPage`` of live products from open shops.

The index holds one entry per product on sale (live, shop approved, with an
active SKU): its text, segmented with jieba, and the facts searches filter and
sort by. A product delisted, closed with its shop or deleted leaves the index
on its next reindex; the page's products are checked again when loaded.
A category, designer or shop renamed in the back office has the worker
rebuild its products' entries (``services.names_changed``). The engines live in
``searchengines``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.db.models.functions import Substr

from designmall.catalog import searchengines
from designmall.catalog.models import Product
from designmall.catalog.searchengines import ORDERS, Entry
from designmall.catalog.searchengines.text import (
    DocumentBuilder,
    TextRow,
    build_documents,
    load_dictionary,
    query_terms,
)
from designmall.catalog.selectors import products_on_sale
from designmall.catalog.signals import products_changed

SORTS = ("relevance", "newest", "price", "-price")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
# How many of the newest matches of a query are ranked by relevance: ranking reads each
# whole document, and 2,000 of them were most of a broad query's time (p99 46-52 ms on
# PostgreSQL at 2,000, 32-38 ms at 1,000: bench.search, 100k products). Forty pages.
RANKED_MATCHES = 1000
# A query's total is counted up to this and shown as "2,000+" beyond: counting every match
# of a word in half the catalog would cost more than the rest of the search.
COUNT_CAP = 2000
# From how many products a rebuild segments in helper processes.
PARALLEL_FROM = 10_000
_REINDEX_CHUNK = 500
_REBUILD_CHUNK = 2000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class SearchFilters:
    """Narrow a search. ``None`` (or an empty list) means "any".

    ``category_ids`` are matched exactly: pass a category with its descendants
    (``selectors.category_with_descendant_ids``). ``price_*_fen`` bound a
    product's lowest active SKU price. ``in_stock=True`` keeps products with
    stock; ``False`` and ``None`` do not filter.
    """

    category_ids: list[int] | None = None
    designer_id: int | None = None
    shop_id: int | None = None
    origin: str | None = None
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    in_stock: bool | None = None


@dataclass
class SearchPage:
    """One page of results: ``products`` in order, ``total`` hits over all pages.

    ``capped``: the query has more than ``total`` hits (``COUNT_CAP``); only the
    first ``total`` can be paged through.
    """

    products: list[Product] = field(default_factory=list)
    total: int = 0
    capped: bool = False
    page: int = 1
    per_page: int = 24

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- indexing ---------------------------------------------------------------------------


def _indexed() -> QuerySet[Product]:
    """The products the index holds: on sale, with a price (an active SKU)."""
    return products_on_sale().filter(price_min_fen__isnull=False)


def _index_rows(products: QuerySet[Product]):
    """What the index needs of each product, in one query (names joined in)."""
    return (
        products.order_by()
        .annotate(
            description_zh_start=Substr("description_zh", 1, 400),
            description_en_start=Substr("description_en", 1, 400),
        )
        .values_list(
            "id",
            "title_zh",
            "title_en",
            "designer__name_zh",
            "designer__name_en",
            "shop__name_zh",
            "shop__name_en",
            "category__name_zh",
            "category__name_en",
            "category__parent__name_zh",
            "category__parent__name_en",
            "description_zh_start",
            "description_en_start",
            "category_id",
            "shop_id",
            "designer_id",
            "origin",
            "price_min_fen",
            "in_stock",
            "published_at",
            "created_at",
        )
    )


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _texts(rows) -> list[TextRow]:
    return [(r[0], (r[1], r[2]), tuple(n for n in r[3:11] if n), r[11:13]) for r in rows]


def _entries(rows, documents) -> list[Entry]:
    return [
        Entry(
            document=document,
            category_id=row[13],
            shop_id=row[14],
            designer_id=row[15],
            origin=row[16],
            price_min_fen=row[17],
            in_stock=bool(row[18]),
            published_us=_epoch_us(row[19] or row[20]),
        )
        for row, document in zip(rows, documents, strict=True)
    ]


def products_reindex(product_ids: Iterable[int]) -> None:
    """Bring the index entries of these products in line with the database.

    Products on sale get a fresh entry; the others (not live, shop not open,
    no active SKU, deleted) lose theirs. Runs in the caller's transaction if
    there is one.
    """
    ids = sorted({int(i) for i in product_ids})
    if not ids:
        return
    alias = router.db_for_write(Product)
    connection = connections[alias]
    engine = searchengines.for_vendor(connection.vendor)
    builder = DocumentBuilder()
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for start in range(0, len(ids), _REINDEX_CHUNK):
            chunk = ids[start : start + _REINDEX_CHUNK]
            rows = list(_index_rows(_indexed().using(alias).filter(id__in=chunk)))
            entries = _entries(rows, builder.build_all(_texts(rows)))
            engine.write(cursor, product_ids=chunk, entries=entries)
        transaction.on_commit(
            lambda: products_changed.send(sender=Product, product_ids=ids), using=alias
        )


def product_in_stock_set(product_id: int, in_stock: bool) -> None:
    """Record a product's stock flag in its index entry, if it has one: stock running out
    or coming back changes no text, so nothing is segmented (a checkout taking the last
    unit must not wait for jieba's dictionary)."""
    alias = router.db_for_write(Product)
    connection = connections[alias]
    engine = searchengines.for_vendor(connection.vendor)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        engine.in_stock_set(cursor, product_id=int(product_id), in_stock=bool(in_stock))
        transaction.on_commit(
            lambda: products_changed.send(sender=Product, product_ids=[int(product_id)]),
            using=alias,
        )


@contextmanager
def _document_builders(count: int):
    """A function that builds documents in the background and returns a handle to wait on.

    Segmenting is most of a rebuild's work. For big rebuilds it runs in
    helper processes (forked: they share the loaded dictionary), while this
    one reads rows and writes the index.
    """
    helpers = min(4, (os.cpu_count() or 1) - 1)
    if count < PARALLEL_FROM or helpers < 1 or "fork" not in mp.get_all_start_methods():
        builder = DocumentBuilder()
        yield lambda texts: _Done(builder.build_all(texts))
        return
    load_dictionary()  # once, before forking
    with mp.get_context("fork").Pool(helpers) as pool:
        yield lambda texts: pool.apply_async(build_documents, (texts,))


class _Done:
    def __init__(self, value) -> None:
        self._value = value

    def get(self):
        return self._value


def products_reindex_all() -> int:
    """Rebuild the whole index in one transaction; returns how many products it holds.

    Readers keep seeing the old index until the rebuild commits.
    """
    alias = router.db_for_write(Product)
    connection = connections[alias]
    engine = searchengines.for_vendor(connection.vendor)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        ids = list(_indexed().using(alias).order_by("id").values_list("id", flat=True))
        engine.clear(cursor)
        pending: deque = deque()
        with _document_builders(len(ids)) as build:
            for start in range(0, len(ids), _REBUILD_CHUNK):
                chunk = ids[start : start + _REBUILD_CHUNK]
                # A range of ids, not a list: planners walk the primary key for it.
                products = _indexed().using(alias).filter(id__gte=chunk[0], id__lte=chunk[-1])
                rows = list(_index_rows(products))
                pending.append((rows, build(_texts(rows))))
                if len(pending) > 2:
                    rows, documents = pending.popleft()
                    engine.insert(cursor, _entries(rows, documents.get()))
            while pending:
                rows, documents = pending.popleft()
                engine.insert(cursor, _entries(rows, documents.get()))
        engine.optimize(cursor)
    return len(ids)


# --- searching --------------------------------------------------------------------------


def _filter_sql(filters: SearchFilters) -> tuple[str, list]:
    """A condition on the facts table ``s`` for ``filters`` ("" for none), and its params."""
    where: list[str] = []
    params: list = []
    if filters.category_ids:
        ids = [int(i) for i in filters.category_ids]
        where.append(f"s.category_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    for column, value in (
        ("designer_id", filters.designer_id),
        ("shop_id", filters.shop_id),
        ("origin", filters.origin or None),
    ):
        if value is not None:
            where.append(f"s.{column} = %s")
            params.append(value)
    if filters.price_min_fen is not None:
        where.append("s.price_min_fen >= %s")
        params.append(int(filters.price_min_fen))
    if filters.price_max_fen is not None:
        where.append("s.price_min_fen <= %s")
        params.append(int(filters.price_max_fen))
    if filters.in_stock:
        where.append("s.in_stock = %s")
        params.append(True)
    return " AND ".join(where), params


def _and(*conditions: str) -> str:
    return " AND ".join(c for c in conditions if c)


def _load(ids: list[int], alias: str) -> list[Product]:
    """The products of ``ids`` in that order, rechecked to be on sale.

    By primary key only: with a status condition as well, SQLite would rather
    walk the status index through every live product.
    """
    if not ids:
        return []
    by_id = Product.objects.using(alias).select_related("shop", "designer", "category").in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id and by_id[i].is_sellable]


def _relevance_ids(
    cursor, engine, terms, where: str, params: list, per_page: int, offset: int, *, broad: bool
) -> list[int]:
    """One page of ids by relevance.

    The newest ``RANKED_MATCHES`` matches are ranked and come first, best
    first; any older matches follow, newest first. Ranking reads every
    ranked document, so broad queries rank only their newest matches.
    """
    head_sql, head_params = engine.ranked_head(terms, where, params, RANKED_MATCHES, walk=broad)
    head = f"WITH head AS MATERIALIZED ({head_sql})"
    cursor.execute(
        f"{head} SELECT id, COUNT(*) OVER (), MIN(id) OVER () FROM head"
        " ORDER BY rank, id DESC LIMIT %s OFFSET %s",
        [*head_params, per_page, offset],
    )
    rows = cursor.fetchall()
    if rows:
        ranked, oldest = rows[0][1], rows[0][2]
    elif offset:
        cursor.execute(f"{head} SELECT COUNT(*), MIN(id) FROM head", head_params)
        ranked, oldest = cursor.fetchone()
    else:
        return []
    ids = [row[0] for row in rows]
    if ranked < RANKED_MATCHES or len(ids) >= per_page:
        return ids
    cursor.execute(
        *engine.sorted_page(
            terms,
            _and(where, "s.product_id < %s"),
            [*params, oldest],
            sort="id",
            walk=broad,
            limit=per_page - len(ids),
            offset=max(0, offset - RANKED_MATCHES),
        )
    )
    return ids + [row[0] for row in cursor.fetchall()]


def product_ids_newest(*, filters: SearchFilters, limit: int) -> list[int]:
    """The ids of the newest ``limit`` products on sale matching ``filters``, without a total.

    From the index: a product that left the sale since its last reindex may be among them.
    """
    alias = router.db_for_read(Product)
    where, params = _filter_sql(filters)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT s.product_id FROM {searchengines.FACTS_TABLE} AS s"
            f" WHERE {where or '1 = 1'} ORDER BY {ORDERS['newest'][0]} LIMIT %s",
            [*params, min(max(int(limit), 1), MAX_PER_PAGE)],
        )
        return [row[0] for row in cursor.fetchall()]


def product_search(
    *,
    query: str = "",
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 24,
) -> SearchPage:
    """A page of products on sale matching ``query`` (all its words) and ``filters``.

    ``sort`` is one of ``SORTS``: ``relevance`` (titles weigh most, then
    names, then descriptions; see ``_relevance_ids``) when there is a query,
    else ``newest``; an unknown sort is the default. ``page`` is 1-based;
    ``per_page`` is capped at ``MAX_PER_PAGE``. A blank query browses; a query
    with nothing searchable in it (only punctuation, symbols or stop words)
    finds nothing. Never raises on odd user input.

    Reads the index only: one statement for the total (capped at ``COUNT_CAP``
    for a query), one for the page of ids (two for a page by relevance past the
    ranked matches), then one for the page's products.
    """
    filters = filters or SearchFilters()
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    page = min(max(int(page), 1), MAX_PAGE)
    offset = (page - 1) * per_page
    query = query.strip() if isinstance(query, str) else ""
    alias = router.db_for_read(Product)
    connection = connections[alias]
    where, params = _filter_sql(filters)
    facts = f"{searchengines.FACTS_TABLE} AS s"
    capped = False

    with connection.cursor() as cursor:
        if not query:
            order = ORDERS[sort if sort in ORDERS else "newest"][0]
            condition = where or "1 = 1"
            cursor.execute(f"SELECT COUNT(*) FROM {facts} WHERE {condition}", params)
            total = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT s.product_id FROM {facts} WHERE {condition}"
                f" ORDER BY {order} LIMIT %s OFFSET %s",
                [*params, per_page, offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
        else:
            terms = query_terms(query)
            if not terms:
                return SearchPage(products=[], total=0, page=page, per_page=per_page)
            engine = searchengines.for_vendor(connection.vendor)
            cursor.execute(*engine.count(terms, where, params, cap=COUNT_CAP + 1))
            matches = cursor.fetchone()[0]
            total, capped = min(matches, COUNT_CAP), matches > COUNT_CAP
            broad = engine.is_broad(cursor, terms, matches=matches, cap=COUNT_CAP)
            ids = []
            if offset < total and sort not in SORTS[1:]:
                ids = _relevance_ids(
                    cursor, engine, terms, where, params, per_page, offset, broad=broad
                )
            elif offset < total:
                cursor.execute(
                    *engine.sorted_page(
                        terms,
                        where,
                        params,
                        sort=sort,
                        walk=broad,
                        limit=per_page,
                        offset=offset,
                    )
                )
                ids = [row[0] for row in cursor.fetchall()]
    return SearchPage(
        products=_load(ids, alias), total=total, capped=capped, page=page, per_page=per_page
    )
