"""Test records: compliance officers record and correct them; operators read them (tenders
that require a passing test depend on them)."""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, OPERATORS, grant, revoke

GRANTS = {
    COMPLIANCE: [
        "compliance.view_testrecord",
        "compliance.add_testrecord",
        "compliance.change_testrecord",
    ],
    OPERATORS: ["compliance.view_testrecord"],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_roles_catalogue"),
        ("compliance", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
