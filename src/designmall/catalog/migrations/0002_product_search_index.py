"""The product search index: on SQLite an FTS5 table, on PostgreSQL a table of tsvectors.

Both keep beside it a narrow row per product on sale (``catalog_product_search``)
with what searches filter and sort by. Neither table is a Django model: only
``designmall.catalog.search`` writes them. After migrating a database that
already holds products, fill the index with ``designmall search_reindex``.
"""

from django.db import migrations

FACTS = (
    "product_id {id} PRIMARY KEY,"
    " category_id bigint NOT NULL,"
    " shop_id bigint NOT NULL,"
    " designer_id bigint NULL,"
    " origin varchar(16) NOT NULL,"
    " price_min_fen bigint NOT NULL,"
    " in_stock boolean NOT NULL,"
    " published_us bigint NOT NULL"
)
FACT_INDEXES = [
    "CREATE INDEX catalog_product_search_newest ON catalog_product_search (published_us)",
    "CREATE INDEX catalog_product_search_price ON catalog_product_search (price_min_fen)",
    "CREATE INDEX catalog_product_search_category ON catalog_product_search (category_id)",
    "CREATE INDEX catalog_product_search_shop ON catalog_product_search (shop_id)",
]

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE catalog_product_fts USING fts5("
    "title, title_chars, meta, body, tokenize = 'porter unicode61')",
    # integer PRIMARY KEY: the rowid itself, so the join to the matches is a rowid lookup.
    f"CREATE TABLE catalog_product_search ({FACTS.format(id='integer')})",
    *FACT_INDEXES,
]
SQLITE_DROP = [
    "DROP TABLE IF EXISTS catalog_product_fts",
    "DROP TABLE IF EXISTS catalog_product_search",
]

POSTGRES_CREATE = [
    f"CREATE TABLE catalog_product_search ({FACTS.format(id='bigint')})",
    *FACT_INDEXES,
    # The documents (about 1 kB each) live apart, so that counting, filtering
    # and sorting read narrow rows.
    "CREATE TABLE catalog_product_search_document ("
    "product_id bigint PRIMARY KEY, document tsvector NOT NULL)",
    "CREATE INDEX catalog_product_search_document_gin"
    " ON catalog_product_search_document USING gin (document)",
]
POSTGRES_DROP = [
    "DROP TABLE IF EXISTS catalog_product_search_document",
    "DROP TABLE IF EXISTS catalog_product_search",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise RuntimeError(f"product search supports SQLite and PostgreSQL, not {vendor}")
        for statement in statements_by_vendor[vendor]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
