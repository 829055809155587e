"""The deposit ledger is append-only at the database: UPDATE and DELETE of an entry fail,
whoever tries (the ORM, raw SQL, a console). TRUNCATE, used only by test teardown and explicit
maintenance, is not covered."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION suppliers_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % refused; post a correcting entry instead', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER suppliers_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON suppliers_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION suppliers_ledger_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS suppliers_ledgerentry_append_only ON suppliers_ledgerentry;
DROP FUNCTION IF EXISTS suppliers_ledger_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER suppliers_ledgerentry_no_update BEFORE UPDATE ON suppliers_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER suppliers_ledgerentry_no_delete BEFORE DELETE ON suppliers_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS suppliers_ledgerentry_no_update;",
    "DROP TRIGGER IF EXISTS suppliers_ledgerentry_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": [POSTGRES_UP], "sqlite": SQLITE_UP}),
            _run({"postgresql": [POSTGRES_DOWN], "sqlite": SQLITE_DOWN}),
        )
    ]
