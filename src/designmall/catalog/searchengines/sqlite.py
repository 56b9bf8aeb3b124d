"""The SQLite engine: an FTS5 table beside the facts table, both keyed by product id.

``catalog_product_fts`` (``rowid`` = product id) has the columns ``title``
(Han words and English of both titles), ``title_chars`` (title Han characters
one by one), ``meta`` (designer, shop and category names) and ``body`` (the
start of the descriptions). Tokenizer ``porter unicode61``: Han text arrives
already segmented by spaces; English is stemmed by porter. Both tables are
created by migration 0002.
"""

from __future__ import annotations

from collections.abc import Sequence

from designmall.catalog.searchengines import FACT_COLUMNS, FACTS_TABLE, ORDERS, Entry
from designmall.catalog.searchengines.text import Term

TABLE = "catalog_product_fts"
# bm25 weights per column: title, title_chars, meta, body. Lower is better.
RANK = f"bm25({TABLE}, 10.0, 3.0, 4.0, 1.0)"
# As created by migration 0002: a rebuild drops and recreates the table, which
# is much faster than deleting every row. Keep the two in step.
_CREATE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    "title, title_chars, meta, body, tokenize = 'porter unicode61')"
)
_CHUNK = 500


def _string(text: str) -> str:
    """An FTS5 string: whatever is inside is a word or a phrase, never syntax."""
    return '"' + text.replace('"', '""') + '"'


def match_expression(terms: Sequence[Term]) -> str:
    """The MATCH argument: every term required; see ``Term`` for what a term matches."""
    parts = []
    for term in terms:
        word = _string(term.text) + ("*" if term.prefix else "")
        if term.han and len(term.text) > 1:
            word = f"({word} OR title_chars : {_string(' '.join(term.text))})"
        parts.append(word)
    return " AND ".join(parts)


def write(cursor, *, product_ids: Sequence[int], entries: Sequence[Entry]) -> None:
    """Replace what the index holds for ``product_ids`` by ``entries`` (a subset of them)."""
    ids = list(product_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", chunk)
        cursor.execute(f"DELETE FROM {FACTS_TABLE} WHERE product_id IN ({marks})", chunk)
    insert(cursor, entries)


def insert(cursor, entries: Sequence[Entry]) -> None:
    cursor.executemany(
        f"INSERT INTO {TABLE} (rowid, title, title_chars, meta, body) VALUES (%s, %s, %s, %s, %s)",
        [
            (
                d.product_id,
                f"{d.title_words} {d.title_other}",
                d.title_chars,
                f"{d.meta_words} {d.meta_other}",
                f"{d.body_words} {d.body_other}",
            )
            for d in (e.document for e in entries)
        ],
    )
    cursor.executemany(
        f"INSERT INTO {FACTS_TABLE} ({', '.join(FACT_COLUMNS)})"
        f" VALUES ({', '.join(['%s'] * len(FACT_COLUMNS))})",
        [e.facts() for e in entries],
    )


def in_stock_set(cursor, *, product_id: int, in_stock: bool) -> None:
    cursor.execute(
        f"UPDATE {FACTS_TABLE} SET in_stock = %s WHERE product_id = %s", [in_stock, product_id]
    )


def clear(cursor) -> None:
    cursor.execute(f"DROP TABLE {TABLE}")
    cursor.execute(_CREATE)
    cursor.execute(f"DELETE FROM {FACTS_TABLE}")


def optimize(cursor) -> None:
    """Merge the index into one b-tree after a rebuild: fewer segments, faster queries."""
    cursor.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
    cursor.execute(f"ANALYZE {FACTS_TABLE}")


def is_broad(cursor, terms: Sequence[Term], *, matches: int, cap: int) -> bool:
    """Whether the query's pages should walk an order's index: when its (capped) count of
    ``matches`` passed the ``cap``. FTS5 tests a row cheaply, so a walk costs little."""
    return matches > cap


def count(terms: Sequence[Term], where: str, params: list, *, cap: int) -> tuple[str, list]:
    """A SELECT of how many products match ``terms`` and ``where`` (on ``s``), at most ``cap``."""
    if not where:
        matches = f"SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT %s"
        return f"SELECT COUNT(*) FROM ({matches})", [match_expression(terms), cap]
    matches = (
        f"SELECT 1 FROM {TABLE} CROSS JOIN {FACTS_TABLE} AS s"
        f" ON s.product_id = {TABLE}.rowid WHERE {TABLE} MATCH %s AND {where} LIMIT %s"
    )
    return f"SELECT COUNT(*) FROM ({matches})", [match_expression(terms), *params, cap]


def ranked_head(
    terms: Sequence[Term], where: str, params: list, limit: int, *, walk: bool
) -> tuple[str, list]:
    """A SELECT of ``id, rank`` (bm25, lower is better) of the newest ``limit`` matches.

    FTS5 hands out its matches in rowid order and bm25 is computed as each
    row passes, so only the rows kept are ranked, however many match (``walk`` changes
    nothing). (The MATCH drives the join, fixed by CROSS JOIN: the other way round FTS5
    would run it once per row.)
    """
    return (
        f"SELECT {TABLE}.rowid AS id, {RANK} AS rank FROM {TABLE} CROSS JOIN {FACTS_TABLE} AS s"
        f" ON s.product_id = {TABLE}.rowid WHERE {TABLE} MATCH %s AND {where or '1 = 1'}"
        f" ORDER BY {TABLE}.rowid DESC LIMIT %s",
        [match_expression(terms), *params, limit],
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

    ``walk`` (many matches): walk the order's index and keep the matches,
    much cheaper than sorting them all; SQLite's planner, blind to how many
    rows a MATCH gives, would rather sort, so the index is named.
    """
    order, index = ORDERS[sort]
    source = f"{FACTS_TABLE} AS s INDEXED BY {index}" if walk and index else f"{FACTS_TABLE} AS s"
    return (
        f"SELECT s.product_id FROM {source}"
        f" WHERE s.product_id IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s)"
        f" AND {where or '1 = 1'} ORDER BY {order} LIMIT %s OFFSET %s",
        [match_expression(terms), *params, limit, offset],
    )
