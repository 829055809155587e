"""Deliveries are signed per Standard Webhooks, with `whsec_<base64>` secrets.

An endpoint registered before keeps its key: its secret becomes `whsec_` + the base64 of the
secret's own bytes, the very key its receiver already verifies with, and it goes on receiving
the earlier X-Marketplace-* signature headers beside the new ones (`legacy_signature`) until an
operator turns them off. So no receiver breaks, and each moves to a Standard Webhooks library by
taking the new form of the secret from the admin."""

import base64

import marketplace.signing
from django.db import migrations, models


def to_standard(apps, schema_editor):
    WebhookEndpoint = apps.get_model("marketplace", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.all():
        if endpoint.secret.startswith("whsec_"):
            continue
        endpoint.secret = "whsec_" + base64.b64encode(endpoint.secret.encode()).decode()
        endpoint.legacy_signature = True
        endpoint.save(update_fields=["secret", "legacy_signature"])


def to_legacy(apps, schema_editor):
    WebhookEndpoint = apps.get_model("marketplace", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.filter(legacy_signature=True):
        key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
        endpoint.secret = key.decode()
        endpoint.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="legacy_signature",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "X-Marketplace-Signature and X-Marketplace-Timestamp, for receivers that do "
                    "not verify the webhook-signature header yet. Turn off once they do."
                ),
                verbose_name="also send the earlier signature headers",
            ),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(
                default=marketplace.signing.new_secret,
                help_text="Shared with the receiver.",
                max_length=200,
                verbose_name="signing secret",
            ),
        ),
        migrations.RunPython(to_standard, to_legacy),
    ]
