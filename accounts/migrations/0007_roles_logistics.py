"""Consignment inventory (SPEC, "Consignment inventory and logistics"), by role.

- Operators run the warehouses: every permission on the logistics records (warehouses, pickup
  clusters and slots, stocking orders, inbound shipments and lines, inspections, sampling states,
  stock positions and lots, overstock offers), except that the stock ledger's movements are only
  read: the ledger is append-only (the database refuses an update or a delete, and a movement is
  written by the stock services alone). They read consumer orders and payables and change
  consumer orders (the fulfil and cancel actions); change on payables is theirs should a payable
  ever need an operator's action (the admin shows them read-only).
- Compliance inspects: it reads shipments, their lines and the stock, records inspections
  (change on inspections) and restarts a discontinued inspection after a corrective action
  (change on sampling states).
- Finance reads what money rests on: payables, the consumer orders behind them, the stock it
  owes for when sold, and overstock offers (a markdown is a loss it must book).
"""

from functools import partial

from django.db import migrations

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS, grant, revoke

FULL = ("view", "add", "change", "delete")
OPERATED = (
    "warehouse",
    "pickupcluster",
    "pickupslot",
    "stockingorder",
    "inboundshipment",
    "inboundline",
    "inspection",
    "samplingstate",
    "stockposition",
    "stocklot",
    "overstockoffer",
)

GRANTS = {
    OPERATORS: [
        *(f"logistics.{action}_{model}" for model in OPERATED for action in FULL),
        "logistics.view_stockmovement",
        "orders.view_consumerorder",
        "orders.change_consumerorder",
        "orders.view_payable",
        "orders.change_payable",
    ],
    COMPLIANCE: [
        "logistics.view_inboundshipment",
        "logistics.view_inboundline",
        "logistics.view_inspection",
        "logistics.change_inspection",
        "logistics.view_samplingstate",
        "logistics.change_samplingstate",
        "logistics.view_stockposition",
    ],
    FINANCE: [
        "orders.view_payable",
        "orders.view_consumerorder",
        "logistics.view_stockposition",
        "logistics.view_overstockoffer",
    ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_roles_orders"),
        ("logistics", "0002_stock_ledger_append_only"),
        ("orders", "0005_consumerorder_payable_and_more"),
    ]

    operations = [
        migrations.RunPython(
            partial(grant, grants=GRANTS), partial(revoke, grants=GRANTS), elidable=False
        ),
    ]
