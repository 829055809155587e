from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_backfill_reference_and_penalty_totals")]

    operations = [
        migrations.AddConstraint(
            model_name="consumerorder",
            constraint=models.UniqueConstraint(
                fields=("placed_by", "external_id"), name="one_consumer_order_per_reference"
            ),
        ),
    ]
