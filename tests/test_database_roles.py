"""The database protects the append-only ledgers from TRUNCATE, and a deployment's app role
(deploy/postgres/roles.sql, as docs/deployment.md and docker-compose.yml set it up) may post to
the ledger but owns nothing: no TRUNCATE, ALTER or DROP."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.db import DatabaseError, connection, transaction

from logistics.models import StockMovement
from suppliers.models import LedgerEntry
from tests.factories.logistics import stocked_listing
from tests.factories.suppliers import funded_supplier

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
ROLES_SQL = str(ROOT / "deploy" / "postgres" / "roles.sql")


# --- TRUNCATE ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE suppliers_ledgerentry CASCADE",
        "TRUNCATE logistics_stockmovement CASCADE",
        # Cascading from the suppliers reaches both ledgers.
        "TRUNCATE suppliers_supplier CASCADE",
    ],
)
def test_truncate_of_an_append_only_ledger_is_refused(statement):
    funded_supplier("100.00")
    stocked_listing(3)
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The rows above were made in this test's transaction: their deferred foreign-key
        # checks must run first, or PostgreSQL refuses any TRUNCATE of these tables.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)
    assert LedgerEntry.objects.exists()
    assert StockMovement.objects.exists()


@pytest.mark.django_db
def test_truncate_passes_only_where_the_transaction_allows_it():
    funded_supplier("100.00")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL marketplace.allow_truncate = 'on'")
        cursor.execute("TRUNCATE suppliers_ledgerentry, logistics_stockmovement CASCADE")
        assert not LedgerEntry.objects.exists()
        transaction.set_rollback(True)
    assert LedgerEntry.objects.exists()
    # SET LOCAL ended with that transaction.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE suppliers_ledgerentry CASCADE")


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_leaves_ledger_rows_for_the_flush_to_empty():
    """The test framework empties every table (TRUNCATE) after this test: with the rows below
    in both ledgers, its teardown fails unless the flush may truncate them."""
    funded_supplier("100.00")
    stocked_listing(2)
    assert LedgerEntry.objects.exists()
    assert StockMovement.objects.exists()


# --- The app role -----------------------------------------------------------------------------


def _admin_dsn(dbname: str) -> dict[str, object]:
    db = connection.settings_dict
    return {
        "dbname": dbname,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
    }


def _url(user: str, password: str, dbname: str) -> str:
    db = connection.settings_dict
    return f"postgres://{user}:{password}@{db['HOST']}:{db['PORT']}/{dbname}"


def _psql_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"], "PGPORT": str(db["PORT"]), "PGUSER": db["USER"]}
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _manage(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings", "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def deployment() -> Iterator[dict[str, str]]:
    """A database made by deploy/postgres/roles.sql (run by psql, as docker-compose.yml runs
    it), migrated by its owner role."""
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    names = {
        "owner": f"mk_owner_{tag}",
        "owner_password": secrets.token_urlsafe(16),
        "app": f"mk_app_{tag}",
        "app_password": secrets.token_urlsafe(16),
        "database": f"mk_roles_{tag}",
    }
    variables = [arg for key, value in names.items() for arg in ("-v", f"{key}={value}")]
    try:
        made = subprocess.run(
            ["psql", "-v", "ON_ERROR_STOP=1", "--dbname", "postgres", *variables, "-f", ROLES_SQL],
            env=_psql_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        owner_url = _url(names["owner"], names["owner_password"], names["database"])
        migrated = _manage(owner_url, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-3000:]
        yield names
    finally:
        admin = psycopg2.connect(**_admin_dsn("postgres"))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{names["database"]}" WITH (FORCE)')
            cursor.execute(f'DROP ROLE IF EXISTS "{names["app"]}"')
            cursor.execute(f'DROP ROLE IF EXISTS "{names["owner"]}"')
        admin.close()


POST_AS_APP = """
from suppliers.selectors import supplier_balance
from suppliers.services.ledger import ledger_penalty, ledger_top_up
from tests.factories.suppliers import SupplierFactory
supplier = SupplierFactory(status="active")
ledger_top_up(supplier, amount="500.00", bank_reference="ROLE-1", actor=None)
ledger_penalty(supplier, amount="20.00", actor=None, reference=None, memo="late")
print("balance", supplier_balance(supplier.pk))
"""


def test_the_app_role_posts_to_the_ledger_but_cannot_truncate_alter_or_drop(deployment):
    app_url = _url(deployment["app"], deployment["app_password"], deployment["database"])

    posted = _manage(app_url, "shell", "-c", POST_AS_APP)
    assert posted.returncode == 0, posted.stderr[-3000:]
    assert "balance 480.00" in posted.stdout

    app = psycopg2.connect(
        **{
            **_admin_dsn(deployment["database"]),
            "user": deployment["app"],
            "password": deployment["app_password"],
        }
    )
    app.autocommit = True
    refused = []
    with app.cursor() as cursor:
        for statement in (
            # The truncate guard's own switch does not help: the role may not TRUNCATE at all.
            "SET marketplace.allow_truncate = 'on'; TRUNCATE suppliers_ledgerentry",
            "TRUNCATE logistics_stockmovement CASCADE",
            "ALTER TABLE suppliers_ledgerentry DISABLE TRIGGER USER",
            "ALTER TABLE suppliers_ledgerentry ADD COLUMN note text",
            "DROP TRIGGER suppliers_ledgerentry_append_only ON suppliers_ledgerentry",
            "DROP TABLE suppliers_ledgerentry",
            "CREATE TABLE scratch (id int)",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)
            refused.append(statement)
        # The row triggers hold for it as for everyone.
        with pytest.raises(psycopg2.errors.IntegrityConstraintViolation):
            cursor.execute("DELETE FROM suppliers_ledgerentry")
        cursor.execute("SELECT sum(amount) FROM suppliers_ledgerentry")
        assert cursor.fetchone()[0] == Decimal("480.00")
    app.close()
    assert len(refused) == 7
