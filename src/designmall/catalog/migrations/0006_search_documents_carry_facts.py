"""PostgreSQL: each search document carries its product's facts too (category, shop,
designer, origin, price, stock, publication time), so a query that is not broad is
matched, filtered, counted and sorted from the GIN index's rows alone, without looking
each match up again in the facts table (for a word in 15% of a 100k catalog, half of a
search's time). The facts table stays for browsing and for walking an order's index.
SQLite: nothing (FTS5 joins its rowids to the facts cheaply)."""

from django.db import migrations

FACTS = {
    "category_id": "bigint",
    "shop_id": "bigint",
    "designer_id": "bigint",
    "origin": "varchar(16)",
    "price_min_fen": "bigint",
    "in_stock": "boolean",
    "published_us": "bigint",
}
NOT_NULL = [name for name in FACTS if name != "designer_id"]
INDEXED = ["shop_id", "category_id", "designer_id"]
DOCUMENTS = "catalog_product_search_document"

FORWARD = [
    f"ALTER TABLE {DOCUMENTS} "
    + ", ".join(f"ADD COLUMN {name} {kind} NULL" for name, kind in FACTS.items()),
    f"UPDATE {DOCUMENTS} AS d SET "
    + ", ".join(f"{name} = s.{name}" for name in FACTS)
    + " FROM catalog_product_search AS s WHERE s.product_id = d.product_id",
    # A document without facts is a product no longer on sale: the next reindex drops it.
    f"DELETE FROM {DOCUMENTS} WHERE price_min_fen IS NULL",
    f"ALTER TABLE {DOCUMENTS} "
    + ", ".join(f"ALTER COLUMN {name} SET NOT NULL" for name in NOT_NULL),
    # A broad word in one shop, category or designer: the planner ANDs the GIN bitmap with
    # one of these instead of reading every match.
    *(
        f"CREATE INDEX {DOCUMENTS}_{name.removesuffix('_id')} ON {DOCUMENTS} ({name})"
        for name in INDEXED
    ),
]
BACKWARD = [
    *(f"DROP INDEX IF EXISTS {DOCUMENTS}_{name.removesuffix('_id')}" for name in INDEXED),
    f"ALTER TABLE {DOCUMENTS} " + ", ".join(f"DROP COLUMN {name}" for name in FACTS),
]


def _postgres_only(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_productimage_public_id"),
    ]

    operations = [
        migrations.RunPython(_postgres_only(FORWARD), _postgres_only(BACKWARD)),
    ]
