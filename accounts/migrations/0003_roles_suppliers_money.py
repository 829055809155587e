"""Role permissions for suppliers and their money, events and webhooks.

- operators review and move suppliers, see factories, members, invitations, the ledger and the
  events, manage webhook endpoints and replay deliveries.
- finance posts top-ups and adjustments, decides withdrawals, and reads the ledger and events.
- compliance reads factories and events.
"""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS, grant, revoke

GRANTS = {
    OPERATORS: [
        "suppliers.view_factory",
        "suppliers.change_factory",
        "suppliers.view_invitation",
        "suppliers.view_ledgerentry",
        "suppliers.view_withdrawalrequest",
        "marketplace.view_event",
        "marketplace.view_webhookendpoint",
        "marketplace.add_webhookendpoint",
        "marketplace.change_webhookendpoint",
        "marketplace.delete_webhookendpoint",
        "marketplace.view_webhookdelivery",
        "marketplace.change_webhookdelivery",
        "marketplace.view_webhookattempt",
    ],
    FINANCE: [
        "suppliers.view_factory",
        "suppliers.view_ledgerentry",
        "suppliers.add_ledgerentry",
        "suppliers.view_withdrawalrequest",
        "suppliers.change_withdrawalrequest",
        "marketplace.view_event",
    ],
    COMPLIANCE: ["suppliers.view_factory", "marketplace.view_event"],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("suppliers", "0002_ledger_append_only"),
        ("marketplace", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
