"""JIT orders, penalties and appeals (SPEC, "JIT pre-sale orders"), by role.

- Operators run the JIT warehouse and the appeals: they read orders and use the receive and
  inspect actions (change on JIT orders), add the defect photos of a quality rejection (add on
  inspection photos) and read them, read penalties (change on penalties is theirs should a
  penalty ever need an operator's action; the admin shows them read-only), decide appeals
  (change on appeals: the uphold and waive actions) and open the supplier's evidence (view on
  appeal attachments).
- Finance reads penalties and appeals: each is a deposit ledger entry, and a waiver a reversal
  it must reconcile. It needs no order screens and does not open the supplier's files.
- Compliance reads orders and penalties: quality rejections and stockouts are part of a
  supplier's record.

Nobody adds or deletes orders, penalties or appeals in the admin: orders come from the
storefront (API), penalties from the sweep, appeals from the portal.
"""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS, grant, revoke

GRANTS = {
    OPERATORS: [
        "orders.view_jitorder",
        "orders.change_jitorder",
        "orders.view_penalty",
        "orders.change_penalty",
        "orders.view_appeal",
        "orders.change_appeal",
        "orders.view_appealattachment",
        "orders.view_inspectionphoto",
        "orders.add_inspectionphoto",
    ],
    FINANCE: ["orders.view_penalty", "orders.view_appeal"],
    COMPLIANCE: ["orders.view_jitorder", "orders.view_penalty"],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_roles_test_records"),
        ("orders", "0002_inspection_photos"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
