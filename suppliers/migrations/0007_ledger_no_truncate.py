"""TRUNCATE empties a table without firing its row triggers, so the append-only deposit ledger
refuses it too, by a statement trigger. It also fires for a TRUNCATE ... CASCADE reaching the
ledger from suppliers_supplier.

Test and benchmark tooling that must empty a throwaway database says so inside the same
transaction with `SET LOCAL marketplace.allow_truncate = 'on'` (tests/postgresql/base.py for the
test framework's flush, bench/jit_sweep.py). This guards against a mistake by a role that owns
the tables; the application's own role may not TRUNCATE at all (docs/deployment.md)."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION suppliers_ledger_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('marketplace.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger entries are append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER suppliers_ledgerentry_no_truncate
    BEFORE TRUNCATE ON suppliers_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION suppliers_ledger_no_truncate();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS suppliers_ledgerentry_no_truncate ON suppliers_ledgerentry;
DROP FUNCTION IF EXISTS suppliers_ledger_no_truncate();
"""


def _run(sql):
    def run(apps, schema_editor):
        # SQLite has no TRUNCATE; its DELETE triggers (0002) already cover emptying a table.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0006_jit_status_reason_codes")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
