"""Demand-driven restock and scorecards (issue 14): operators read the demand signals, forecasts
and planning runs, act on restock proposals (issue a stocking order, snooze) and start a planning
run; every staff role reads the suppliers' scorecards (and may have them recomputed); finance
also reads the proposals, which turn into stocking orders."""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS, grant, revoke

OPERATORS_GRANTS = [
    "suppliers.view_scorecard",
    "restock.view_demandsignal",
    "restock.view_forecast",
    "restock.view_restockproposal",
    "restock.change_restockproposal",
    "restock.view_planchunk",
]
FINANCE_GRANTS = ["suppliers.view_scorecard", "restock.view_restockproposal"]
COMPLIANCE_GRANTS = ["suppliers.view_scorecard"]
GRANTS = {OPERATORS: OPERATORS_GRANTS, FINANCE: FINANCE_GRANTS, COMPLIANCE: COMPLIANCE_GRANTS}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_roles_outbound"),
        ("suppliers", "0010_scorecard_components"),
        ("restock", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
