"""Who placed each JIT order: a column, filled for existing orders from the actor of their
`order.created` event."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Cast


def backfill(apps, schema_editor):
    JitOrder = apps.get_model("orders", "JitOrder")
    Event = apps.get_model("marketplace", "Event")
    ContentType = apps.get_model("contenttypes", "ContentType")
    order_type = ContentType.objects.filter(app_label="orders", model="jitorder").first()
    if order_type is None:
        return
    creator = Event.objects.filter(
        kind="order.created",
        subject_type=order_type,
        subject_id=Cast(models.OuterRef("pk"), output_field=models.CharField()),
    ).values("actor_id")[:1]
    JitOrder.objects.filter(placed_by__isnull=True).update(placed_by_id=models.Subquery(creator))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0011_field_labels"),
        ("marketplace", "0003_lean_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="jitorder",
            name="placed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="placed by",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
