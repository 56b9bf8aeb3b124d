"""The two full-text engines behind ``designmall.catalog.search``.

``text`` turns products and queries into words (jieba for Chinese); ``sqlite``
(FTS5) and ``postgres`` (tsvector + GIN) store and match them. Each engine
module offers the same functions: ``write``, ``clear``, ``insert``,
``in_stock_set``, ``optimize`` to keep the index; ``count``, ``ranked_head`` and
``sorted_page`` return a SELECT with its params for ``search`` to run.

Besides the text, both keep one narrow row per product on sale (with a
price, that is with an active SKU) in
``catalog_product_search``: the facts that searches filter and sort by
(category, shop, designer, origin, lowest price, stock, publication time).
A search then reads only the index, never the wide product rows; the page's
products are loaded by id afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from django.core.exceptions import ImproperlyConfigured

from designmall.catalog.searchengines.text import Document

FACTS_TABLE = "catalog_product_search"
# Orders of a page over the facts table ``s``, each with the index that walks
# it (see migration 0002). Ties: the newer product (higher id) first.
ORDERS = {
    "newest": ("s.published_us DESC, s.product_id DESC", "catalog_product_search_newest"),
    "price": ("s.price_min_fen ASC, s.product_id DESC", "catalog_product_search_price"),
    "-price": ("s.price_min_fen DESC, s.product_id DESC", "catalog_product_search_price"),
    "id": ("s.product_id DESC", None),
}
FACT_COLUMNS = (
    "product_id",
    "category_id",
    "shop_id",
    "designer_id",
    "origin",
    "price_min_fen",
    "in_stock",
    "published_us",
)


@dataclass(frozen=True)
class Entry:
    """What the index holds for one product on sale: its document and its facts."""

    document: Document
    category_id: int
    shop_id: int
    designer_id: int | None
    origin: str
    price_min_fen: int
    in_stock: bool
    published_us: int  # publication (else creation) time, microseconds since the epoch

    @property
    def product_id(self) -> int:
        return self.document.product_id

    def facts(self) -> tuple:
        """The row of ``FACTS_TABLE``, in ``FACT_COLUMNS`` order."""
        return (
            self.product_id,
            self.category_id,
            self.shop_id,
            self.designer_id,
            self.origin,
            self.price_min_fen,
            self.in_stock,
            self.published_us,
        )


def for_vendor(vendor: str) -> ModuleType:
    """The engine module for a database vendor (``connection.vendor``)."""
    if vendor == "sqlite":
        from designmall.catalog.searchengines import sqlite

        return sqlite
    if vendor == "postgresql":
        from designmall.catalog.searchengines import postgres

        return postgres
    raise ImproperlyConfigured(f"product search supports SQLite and PostgreSQL, not {vendor}")
