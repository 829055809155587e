"""Compliance: officers keep the rules (standards, specifications, programmes), the labs, the
evidence (test records, certificates), audits and corrective actions, enforcement cases and
market holds, and sampling; operators read all of it. Each model's rows change only through the
services its admin calls."""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, OPERATORS, grant, revoke

EDITED = [
    "standard",
    "testspecification",
    "testprogramme",
    "programmerequirement",
    "lab",
    "labaccreditation",
    "certificate",
    "audit",
    "finding",
    "markethold",
    "samplingrequest",
]
CHANGED = ["correctiveaction", "enforcementcase"]
READ = ["measurement", "actionevidence", "samplingdraw", "trustpage"]

GRANTS = {
    COMPLIANCE: [f"compliance.{verb}_{model}" for model in EDITED for verb in ("view", "add", "change")]
    + [f"compliance.{verb}_{model}" for model in CHANGED for verb in ("view", "change")]
    + [f"compliance.view_{model}" for model in READ],
    OPERATORS: [f"compliance.view_{model}" for model in EDITED + CHANGED + READ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_user_time_zone"),
        ("compliance", "0006_seed_required_standards"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
