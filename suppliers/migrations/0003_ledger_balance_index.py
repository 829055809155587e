"""A covering index for balances on PostgreSQL: a supplier's balance is then summed from the
index alone (an index-only scan), which keeps the balances of 10,000 suppliers, or of the admin's
page of 100, one quick query. SQLite has no INCLUDE; there the ordinary index serves."""

from django.db import migrations

INDEX = "suppliers_ledgerentry_balance_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON suppliers_ledgerentry (supplier_id) "
            "INCLUDE (amount)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0002_ledger_append_only")]

    operations = [migrations.RunPython(create, drop)]
