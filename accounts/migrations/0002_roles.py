"""The three operator roles with exactly the permissions their work needs at this stage.

- operators run the marketplace: suppliers and their members, integrators and their keys, the
  periodic jobs (pause or retime), unlocking locked-out logins, and reading users.
- compliance reads suppliers and members (its own records arrive with the compliance issue).
- finance reads suppliers and members (the ledger arrives with the suppliers issue).
All three may read job runs.
"""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS, grant, revoke

READ_SUPPLIERS = ["suppliers.view_supplier", "suppliers.view_membership"]

GRANTS = {
    OPERATORS: [
        "suppliers.view_supplier",
        "suppliers.add_supplier",
        "suppliers.change_supplier",
        "suppliers.view_membership",
        "suppliers.add_membership",
        "suppliers.change_membership",
        "suppliers.delete_membership",
        "accounts.view_user",
        "accounts.view_apiclient",
        "accounts.add_apiclient",
        "accounts.change_apiclient",
        "accounts.view_apikey",
        "accounts.add_apikey",
        "accounts.change_apikey",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.view_intervalschedule",
        "django_celery_beat.add_intervalschedule",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.add_crontabschedule",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "marketplace.view_jobrun",
    ],
    COMPLIANCE: [*READ_SUPPLIERS, "marketplace.view_jobrun"],
    FINANCE: [*READ_SUPPLIERS, "marketplace.view_jobrun"],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("suppliers", "0001_initial"),
        ("marketplace", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
