"""Shop and designer pages (and "more from this shop") list a shop's or designer's newest
products: with the shop index alone the planner walks the newest index and filters,
reading thousands of rows for five."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_remove_sku_stock"),
    ]

    operations = [
        migrations.RunSQL(
            [
                "DROP INDEX catalog_product_search_shop",
                "CREATE INDEX catalog_product_search_shop_newest"
                " ON catalog_product_search (shop_id, published_us, product_id)",
                "CREATE INDEX catalog_product_search_designer_newest"
                " ON catalog_product_search (designer_id, published_us, product_id)",
            ],
            [
                "DROP INDEX catalog_product_search_designer_newest",
                "DROP INDEX catalog_product_search_shop_newest",
                "CREATE INDEX catalog_product_search_shop ON catalog_product_search (shop_id)",
            ],
        ),
    ]
