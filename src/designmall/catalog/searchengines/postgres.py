"""The PostgreSQL engine: a weighted ``tsvector`` per product, GIN-indexed, beside the facts.

Each document row carries a copy of its product's facts (migration 0006): a query with
few matches is matched, filtered, counted and sorted from the rows the GIN index points
at, under the alias ``s`` as if they were the facts table. A broad query instead walks
an order's index on the facts table, testing documents as it goes.

``catalog_product_search_document.document`` weights: A the titles (Han words
under ``simple``, the rest under ``english``), B the designer, shop and
category names, C the title Han characters one by one (positions kept, for
phrase matches), D the start of the descriptions. Both tables are keyed by
product id and created by migration 0002.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import pairwise

from designmall.catalog.searchengines import FACT_COLUMNS, FACTS_TABLE, ORDERS, Entry
from designmall.catalog.searchengines.text import Term

_DOCUMENT = (
    "setweight(to_tsvector('simple', d.title_words) || to_tsvector('english', d.title_other), 'A')"
    " || setweight(to_tsvector('simple', d.meta_words)"
    " || to_tsvector('english', d.meta_other), 'B')"
    " || setweight(to_tsvector('simple', d.title_chars), 'C')"
    " || setweight(to_tsvector('simple', d.body_words)"
    " || to_tsvector('english', d.body_other), 'D')"
)
_TEXT_COLUMNS = (
    "title_words",
    "title_other",
    "title_chars",
    "meta_words",
    "meta_other",
    "body_words",
    "body_other",
)
_FACT_TYPES = ("bigint", "bigint", "bigint", "bigint", "text", "bigint", "boolean", "bigint")
DOCUMENTS = "catalog_product_search_document"
_UPSERT_FACTS = (
    f"INSERT INTO {FACTS_TABLE} ({', '.join(FACT_COLUMNS)})"
    f" SELECT * FROM unnest({', '.join(f'%s::{t}[]' for t in _FACT_TYPES)})"
    " ON CONFLICT (product_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in FACT_COLUMNS[1:])
)
# The facts upserted just before are copied beside each document (migration 0006).
_DOCUMENT_FACTS = FACT_COLUMNS[1:]
_UPSERT_DOCUMENTS = (
    f"INSERT INTO {DOCUMENTS} (product_id, document, {', '.join(_DOCUMENT_FACTS)})"
    f" SELECT d.product_id, {_DOCUMENT}, {', '.join('s.' + c for c in _DOCUMENT_FACTS)}"
    f" FROM unnest(%s::bigint[], {', '.join(['%s::text[]'] * len(_TEXT_COLUMNS))})"
    f" AS d (product_id, {', '.join(_TEXT_COLUMNS)})"
    f" JOIN {FACTS_TABLE} AS s ON s.product_id = d.product_id"
    " ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document, "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _DOCUMENT_FACTS)
)
_CHUNK = 1000


def _lexeme(text: str) -> str:
    """A quoted tsquery operand: whatever is inside is a word, never syntax."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def tsqueries(terms: Sequence[Term]) -> tuple[str, str]:
    """The ``english`` and the ``simple`` tsquery text: every term required.

    A Han term of three characters or more may also match as the character
    pairs of a title (indexed as lexemes, see ``_title_grams``); a two
    character term is its own pair. No phrase operators: GIN then answers
    without rereading documents.
    """
    english, simple = [], []
    for term in terms:
        operand = _lexeme(term.text) + (":*" if term.prefix else "")
        if not term.han:
            english.append(operand)
        elif len(term.text) <= 2:
            simple.append(operand)
        else:
            pairs = " & ".join(_lexeme(a + b) for a, b in pairwise(term.text))
            simple.append(f"({operand} | {pairs})")
    return " & ".join(english), " & ".join(simple)


def _title_grams(title_chars: str) -> str:
    """The title's Han characters and each pair of neighbours, as words."""
    chars = title_chars.split()
    return " ".join([*chars, *(a + b for a, b in pairwise(chars))])


def write(cursor, *, product_ids: Sequence[int], entries: Sequence[Entry]) -> None:
    """Replace what the index holds for ``product_ids`` by ``entries`` (a subset of them)."""
    keep = {e.product_id for e in entries}
    gone = [i for i in product_ids if i not in keep]
    if gone:
        cursor.execute(f"DELETE FROM {DOCUMENTS} WHERE product_id = ANY(%s)", [gone])
        cursor.execute(f"DELETE FROM {FACTS_TABLE} WHERE product_id = ANY(%s)", [gone])
    insert(cursor, entries)


def insert(cursor, entries: Sequence[Entry]) -> None:
    for start in range(0, len(entries), _CHUNK):
        chunk = entries[start : start + _CHUNK]
        facts = zip(*(e.facts() for e in chunk), strict=True)
        cursor.execute(_UPSERT_FACTS, [list(column) for column in facts])
        texts = [[getattr(e.document, c) for e in chunk] for c in _TEXT_COLUMNS]
        texts[_TEXT_COLUMNS.index("title_chars")] = [
            _title_grams(e.document.title_chars) for e in chunk
        ]
        cursor.execute(_UPSERT_DOCUMENTS, [[e.product_id for e in chunk], *texts])


def in_stock_set(cursor, *, product_id: int, in_stock: bool) -> None:
    for table in (FACTS_TABLE, DOCUMENTS):
        cursor.execute(
            f"UPDATE {table} SET in_stock = %s WHERE product_id = %s", [in_stock, product_id]
        )


def clear(cursor) -> None:
    cursor.execute(f"DELETE FROM {DOCUMENTS}")
    cursor.execute(f"DELETE FROM {FACTS_TABLE}")


def optimize(cursor) -> None:
    """Fresh planner statistics after a rebuild."""
    cursor.execute(f"ANALYZE {FACTS_TABLE}")
    cursor.execute(f"ANALYZE {DOCUMENTS}")


def _tsquery(terms: Sequence[Term]) -> tuple[str, list]:
    english, simple = tsqueries(terms)
    parts, params = [], []
    if english:
        parts.append("to_tsquery('english', %s)")
        params.append(english)
    if simple:
        parts.append("to_tsquery('simple', %s)")
        params.append(simple)
    return "(" + " && ".join(parts) + ")", params


def _matches(tsquery: str) -> str:
    """The documents matching, as ``s``: they carry the facts that ``where`` tests."""
    return f"{DOCUMENTS} AS s WHERE s.document @@ {tsquery}"


def _joined(tsquery: str) -> str:
    """The facts ``s`` joined to their documents ``d``, keeping the matches: for a query
    with many matches the planner walks the order's index and tests documents as it goes
    (its statistics know the common words), stopping at the limit."""
    return (
        f"{FACTS_TABLE} AS s JOIN {DOCUMENTS} AS d ON d.product_id = s.product_id"
        f" AND d.document @@ {tsquery}"
    )


# From what share of the catalog a query's matches are many enough to walk an order's
# index testing documents: below it the matches are collected from GIN and sorted. Set high
# because matches cluster (tablecloths are cheap): a walk by price past a cluster of 2% of
# the catalog read 40% of it.
BROAD_SHARE = 0.2


def is_broad(cursor, terms: Sequence[Term], *, matches: int, cap: int) -> bool:
    """Whether the query matches at least ``BROAD_SHARE`` of the catalog, by the planner's
    estimate (its statistics know the frequent words: the only ones that can be broad)."""
    tsquery, params = _tsquery(terms)
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {DOCUMENTS} WHERE document @@ {tsquery}", params
    )
    plan = cursor.fetchone()[0]
    estimated = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [DOCUMENTS])
    catalog = cursor.fetchone()[0]
    return catalog > 0 and estimated >= BROAD_SHARE * catalog


def count(terms: Sequence[Term], where: str, params: list, *, cap: int) -> tuple[str, list]:
    """A SELECT of how many products match ``terms`` and ``where`` (on ``s``), at most
    ``cap``: counting every match of a word in half the catalog is most of a search's time."""
    tsquery, tsquery_params = _tsquery(terms)
    matches = f"SELECT 1 FROM {_and_where(_matches(tsquery), where)} LIMIT %s"
    return f"SELECT COUNT(*) FROM ({matches}) AS m", [*tsquery_params, *params, cap]


def _and_where(source: str, where: str) -> str:
    return f"{source} AND {where}" if where else source


def ranked_head(
    terms: Sequence[Term], where: str, params: list, limit: int, *, walk: bool
) -> tuple[str, list]:
    """A SELECT of ``id, rank`` (-ts_rank, lower is better) of the newest ``limit`` matches.

    Only they are ranked: ts_rank reads the whole document. ``walk`` (many matches):
    walk the newest first and test each document.
    """
    tsquery, tsquery_params = _tsquery(terms)
    rank = f"-ts_rank(d.document, {tsquery})"
    if walk:
        return (
            f"SELECT d.product_id AS id, {rank} AS rank FROM {_joined(tsquery)}"
            f" WHERE {where or 'TRUE'} ORDER BY s.product_id DESC LIMIT %s",
            [*tsquery_params, *tsquery_params, *params, limit],
        )
    return (
        f"SELECT d.product_id AS id, {rank} AS rank"
        f" FROM {DOCUMENTS} AS d WHERE d.product_id = ANY(ARRAY("
        f"SELECT s.product_id FROM {_and_where(_matches(tsquery), where)}"
        " ORDER BY s.product_id DESC LIMIT %s))",
        [*tsquery_params, *tsquery_params, *params, limit],
    )


def sorted_page(
    terms: Sequence[Term],
    where: str,
    params: list,
    *,
    sort: str,
    walk: bool,
    limit: int,
    offset: int,
) -> tuple[str, list]:
    """A SELECT of the ids of one page of matches in the order of ``sort`` (``ORDERS``).

    Few matches are collected and sorted; ``walk`` (many matches): the order's index
    is walked and documents tested until the page is full.
    """
    order = ORDERS[sort][0]
    tsquery, tsquery_params = _tsquery(terms)
    if walk:
        source = f"{_joined(tsquery)} WHERE {where or 'TRUE'}"
    else:
        source = _and_where(_matches(tsquery), where)
    return (
        f"SELECT s.product_id FROM {source} ORDER BY {order} LIMIT %s OFFSET %s",
        [*tsquery_params, *params, limit, offset],
    )
