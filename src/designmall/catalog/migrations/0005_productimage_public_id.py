"""Product images get a public id: the API and the seller center name them by it."""

from django.db import migrations

import designmall.core.fields
from designmall.core.ids import new_public_id


def fill_public_ids(apps, schema_editor):
    ProductImage = apps.get_model("catalog", "ProductImage")
    # AddField gave every existing row the same default: each gets its own.
    images = list(ProductImage.objects.only("id"))
    for image in images:
        image.public_id = new_public_id("img")
    ProductImage.objects.bulk_update(images, ["public_id"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_search_newest_by_shop_and_designer"),
    ]

    operations = [
        migrations.AddField(
            model_name="productimage",
            name="public_id",
            field=designmall.core.fields.PublicIdField(prefix="img", null=True, unique=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="productimage",
            name="public_id",
            field=designmall.core.fields.PublicIdField(prefix="img"),
        ),
    ]
