"""The design week's increment table (``increments.DEFAULT``) as the default one."""

from django.db import migrations
from django.utils import timezone


def create_default(apps, schema_editor):
    from designmall.auctions.increments import DEFAULT

    IncrementTable = apps.get_model("auctions", "IncrementTable")
    if IncrementTable.objects.filter(is_default=True).exists():
        return
    now = timezone.now()
    IncrementTable.objects.create(
        name="设计周标准加价幅度",
        bands=DEFAULT.to_data(),
        is_default=True,
        created_at=now,
        updated_at=now,
    )


class Migration(migrations.Migration):
    dependencies = [("auctions", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
