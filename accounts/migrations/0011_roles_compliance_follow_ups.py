"""What compliance's consequences added: officers release or write off quarantined stock and
read the listings paused for overdue corrective actions, the per-market status snapshot and the
expiry warnings sent; operators read all of them."""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, OPERATORS, grant, revoke

READ = [
    "catalogue.view_listingactionpause",
    "logistics.view_quarantine",
    "compliance.view_listingmarketstatus",
    "compliance.view_expirywarning",
]
GRANTS = {COMPLIANCE: [*READ, "logistics.change_quarantine"], OPERATORS: READ}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_roles_compliance_review"),
        ("catalogue", "0005_listing_action_pauses"),
        ("logistics", "0010_quarantine"),
        ("compliance", "0009_expiry_status_and_warnings"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
