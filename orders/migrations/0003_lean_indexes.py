"""Fewer indexes on the rows the sweep writes (the composite indexes lead with these columns), and
room in each page of JIT orders (fillfactor 85) so that the updates of an order's life (shipped,
scanned, received, penalised) stay on its page without touching its indexes (HOT updates)."""

import django.db.models.deletion
from django.db import migrations, models


def set_fillfactor(value: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE orders_jitorder SET (fillfactor = {int(value)})")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_inspection_photos"),
        ("suppliers", "0005_lean_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="jitorder",
            name="supplier",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="jit_orders",
                to="suppliers.supplier",
            ),
        ),
        migrations.AlterField(
            model_name="penalty",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="penalties",
                to="orders.jitorder",
            ),
        ),
        migrations.AlterField(
            model_name="penalty",
            name="supplier",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="penalties",
                to="suppliers.supplier",
            ),
        ),
        migrations.RunPython(set_fillfactor(85), set_fillfactor(100)),
    ]
