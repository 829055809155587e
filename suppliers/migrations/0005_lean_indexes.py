"""The ledger's supplier column is indexed by the balance and recent-entries indexes already; its
own foreign-key index only slowed every posting. On SQLite, altering the column remakes the table,
which drops the append-only triggers of 0002: they are made again."""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS suppliers_ledgerentry_no_update
       BEFORE UPDATE ON suppliers_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER IF NOT EXISTS suppliers_ledgerentry_no_delete
       BEFORE DELETE ON suppliers_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: DELETE refused'); END;""",
]


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0004_scorecard")]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="supplier",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="suppliers.supplier",
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
    ]
