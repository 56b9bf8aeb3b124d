"""Copy each SKU's stock from the catalog column (removed by ``catalog.0003``) into a stock level."""

from django.db import migrations

BATCH = 2000


def stock_from_catalog(apps, schema_editor):
    Sku = apps.get_model("catalog", "Sku")
    StockLevel = apps.get_model("inventory", "StockLevel")
    rows = Sku.objects.filter(stock__gt=0).values_list("pk", "stock").order_by("pk").iterator()
    batch = []
    for sku_id, stock in rows:
        batch.append(StockLevel(sku_id=sku_id, received=stock, available=stock))
        if len(batch) == BATCH:
            StockLevel.objects.bulk_create(batch)
            batch = []
    StockLevel.objects.bulk_create(batch)


def stock_to_catalog(apps, schema_editor):
    Sku = apps.get_model("catalog", "Sku")
    StockLevel = apps.get_model("inventory", "StockLevel")
    for sku_id, available in StockLevel.objects.values_list("sku_id", "available").iterator():
        Sku.objects.filter(pk=sku_id).update(stock=available)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
    ]
    # Catalog knows nothing of inventory: the order is declared from this side.
    run_before = [
        ("catalog", "0003_remove_sku_stock"),
    ]

    operations = [
        migrations.RunPython(stock_from_catalog, stock_to_catalog, elidable=True),
    ]
