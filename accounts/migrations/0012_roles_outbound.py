"""Outbound parcels, customs and returns (issue 13): operators run them (batches, parcels and the
hold queue, the customs tables, return receiving and inspection, refunds, chargeback and
return-rate appeals); finance reads them and decides the money's appeals with operators;
compliance officers read parcels held by the compliance answer, returns and return rates."""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS, grant, revoke

CUSTOMS_TABLES = ["deminimisrule", "dutyrate", "taxrate", "exchangerate", "freightrate"]

OPERATORS_GRANTS = [
    *(
        f"customs.{action}_{model}"
        for model in CUSTOMS_TABLES
        for action in ("view", "add", "change")
    ),
    *(
        f"shipping.{action}_{model}"
        for model in ("airfreightbatch", "lastmilepartner")
        for action in ("view", "add", "change")
    ),
    "shipping.view_parcel",
    "shipping.change_parcel",
    "shipping.view_parcelitem",
    "shipping.view_trackingevent",
    "shipping.view_customsdecision",
    "returns.view_returnreason",
    "returns.add_returnreason",
    "returns.change_returnreason",
    "returns.view_returnrequest",
    "returns.change_returnrequest",
    "returns.view_returnline",
    "returns.change_returnline",
    "returns.view_refund",
    "returns.add_refund",
    "returns.view_chargeback",
    "returns.change_chargeback",
    "returns.view_returnratebreach",
    "returns.change_returnratebreach",
    "catalogue.view_listingreturnrate",
]
FINANCE_GRANTS = [
    "shipping.view_parcel",
    "shipping.view_customsdecision",
    "returns.view_returnrequest",
    "returns.view_refund",
    "returns.view_chargeback",
    "returns.change_chargeback",
    "returns.view_returnratebreach",
    "returns.change_returnratebreach",
    *(f"customs.view_{model}" for model in CUSTOMS_TABLES),
]
COMPLIANCE_GRANTS = [
    "shipping.view_parcel",
    "returns.view_returnrequest",
    "returns.view_returnline",
    "returns.view_returnratebreach",
    "catalogue.view_listingreturnrate",
]
GRANTS = {OPERATORS: OPERATORS_GRANTS, FINANCE: FINANCE_GRANTS, COMPLIANCE: COMPLIANCE_GRANTS}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_roles_compliance_follow_ups"),
        ("catalogue", "0007_outbound_fields"),
        ("customs", "0001_initial"),
        ("shipping", "0001_initial"),
        ("returns", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
