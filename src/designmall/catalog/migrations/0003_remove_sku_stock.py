"""Stock moves to inventory (``inventory.0002_stock_from_catalog`` copies it first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_product_search_index"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="sku",
            name="sku_stock_not_negative",
        ),
        migrations.RemoveField(
            model_name="sku",
            name="stock",
        ),
    ]
