"""The stock ledger is append-only at the database: UPDATE and DELETE of a movement fail."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION logistics_stock_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are append-only: % refused; post a correcting movement', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER logistics_stockmovement_append_only
    BEFORE UPDATE OR DELETE ON logistics_stockmovement
    FOR EACH ROW EXECUTE FUNCTION logistics_stock_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS logistics_stockmovement_append_only ON logistics_stockmovement;
DROP FUNCTION IF EXISTS logistics_stock_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER logistics_stockmovement_no_update BEFORE UPDATE ON logistics_stockmovement
       BEGIN SELECT RAISE(ABORT, 'stock movements are append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER logistics_stockmovement_no_delete BEFORE DELETE ON logistics_stockmovement
       BEGIN SELECT RAISE(ABORT, 'stock movements are append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS logistics_stockmovement_no_update;",
    "DROP TRIGGER IF EXISTS logistics_stockmovement_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("logistics", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": [POSTGRES_UP], "sqlite": SQLITE_UP}),
            _run({"postgresql": [POSTGRES_DOWN], "sqlite": SQLITE_DOWN}),
        )
    ]
