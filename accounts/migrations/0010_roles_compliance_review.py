"""Compliance review: compliance officers, not operators, approve a listing out of compliance
review (catalogue.approve_compliance; the service checks the compliance answer holds in at least
one market)."""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, grant, revoke

GRANTS = {COMPLIANCE: ["catalogue.approve_compliance"]}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_roles_compliance"),
        ("catalogue", "0006_listing_approve_compliance_permission"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
