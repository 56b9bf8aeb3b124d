import re

from django.db import migrations, models

_MEMO = re.compile(r"佣金费率 (\d+) 基点")


def rate_from_memo(apps, schema_editor):
    """Releases written before the rate was kept as data carry it only in their memo."""
    LedgerTransaction = apps.get_model("ledger", "LedgerTransaction")
    for txn in LedgerTransaction.objects.filter(memo__startswith="佣金费率 ").only("memo"):
        found = _MEMO.fullmatch(txn.memo)
        if found:
            txn.commission_bp = int(found.group(1))
            txn.save(update_fields=["commission_bp"])


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_verbose_names_in_chinese"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgertransaction",
            name="commission_bp",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="佣金（基点）"),
        ),
        migrations.RunPython(rate_from_memo, migrations.RunPython.noop),
    ]
