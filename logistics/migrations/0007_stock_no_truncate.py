"""The append-only stock ledger refuses TRUNCATE too (a statement trigger: TRUNCATE fires no
row triggers), unless the transaction set `marketplace.allow_truncate` (test and benchmark
tooling only; see suppliers/migrations/0007_ledger_no_truncate.py)."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION logistics_stock_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('marketplace.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'stock movements are append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER logistics_stockmovement_no_truncate
    BEFORE TRUNCATE ON logistics_stockmovement
    FOR EACH STATEMENT EXECUTE FUNCTION logistics_stock_no_truncate();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS logistics_stockmovement_no_truncate ON logistics_stockmovement;
DROP FUNCTION IF EXISTS logistics_stock_no_truncate();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("logistics", "0006_field_labels")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
