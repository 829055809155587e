"""Existing rows, before the reference constraint (its own migration: PostgreSQL refuses to alter
a table with pending deferred-constraint checks in the same transaction)."""

from django.db import migrations, models
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    """Existing rows: who placed each consumer order (the actor of its `reserved` event; where a
    client used one reference twice, the later orders stay unattributed so the constraint can
    hold), and each JIT order's running total without the penalties already waived."""
    ConsumerOrder = apps.get_model("orders", "ConsumerOrder")
    JitOrder = apps.get_model("orders", "JitOrder")
    Penalty = apps.get_model("orders", "Penalty")
    Event = apps.get_model("marketplace", "Event")
    ContentType = apps.get_model("contenttypes", "ContentType")
    order_type = ContentType.objects.filter(app_label="orders", model="consumerorder").first()
    if order_type is not None:
        seen = set()
        placed = (
            Event.objects.filter(
                kind="consumer_order.reserved", subject_type=order_type, actor__isnull=False
            )
            .order_by("pk")
            .values_list("subject_id", "actor_id")
        )
        actor_of = {int(subject): actor for subject, actor in placed}
        for order in ConsumerOrder.objects.order_by("pk").only("pk", "external_id").iterator():
            actor = actor_of.get(order.pk)
            if actor is None or (actor, order.external_id) in seen:
                continue
            seen.add((actor, order.external_id))
            ConsumerOrder.objects.filter(pk=order.pk).update(placed_by_id=actor)
    standing = (
        Penalty.objects.filter(order_id=models.OuterRef("pk"))
        .exclude(status="waived")
        .order_by()
        .values("order_id")
        .annotate(total=models.Sum("amount"))
        .values("total")
    )
    JitOrder.objects.filter(
        pk__in=Penalty.objects.filter(status="waived").values("order_id")
    ).update(
        penalty_total=Coalesce(
            models.Subquery(standing), models.Value(0), output_field=models.DecimalField()
        )
    )



class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_penalty_reversal_and_consumer_order_reference"),
        ("marketplace", "0003_lean_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
