"""A category's AQL follows its risk level (settings AQL_HIGH_RISK, AQL_LOW_RISK); an operator
may override it. Existing categories keep their AQL as an override only where it differs from
what their risk gives."""

from django.conf import settings
from django.db import migrations, models


def keep_differences(apps, schema_editor):
    Category = apps.get_model("catalogue", "Category")
    by_risk = {"high": settings.AQL_HIGH_RISK, "low": settings.AQL_LOW_RISK}
    for risk, aql in by_risk.items():
        Category.objects.filter(risk_level=risk).exclude(default_aql=aql).update(
            aql_override=models.F("default_aql")
        )


def back_to_stored(apps, schema_editor):
    Category = apps.get_model("catalogue", "Category")
    by_risk = {"high": settings.AQL_HIGH_RISK, "low": settings.AQL_LOW_RISK}
    Category.objects.exclude(aql_override="").update(default_aql=models.F("aql_override"))
    for risk, aql in by_risk.items():
        Category.objects.filter(risk_level=risk, aql_override="").update(default_aql=aql)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="aql_override",
            field=models.CharField(
                blank=True,
                choices=[("2.5", "2.5"), ("4.0", "4.0")],
                help_text="Leave empty to inspect at the AQL the risk level gives.",
                max_length=3,
                verbose_name="AQL override",
            ),
        ),
        # Filled on the way back so the old column's NOT NULL holds.
        migrations.AlterField(
            model_name="category",
            name="default_aql",
            field=models.CharField(
                choices=[("2.5", "2.5"), ("4.0", "4.0")],
                default="",
                max_length=3,
                verbose_name="default AQL",
            ),
        ),
        migrations.RunPython(keep_differences, back_to_stored),
        migrations.RemoveField(model_name="category", name="default_aql"),
    ]
