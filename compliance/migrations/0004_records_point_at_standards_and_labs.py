# Point the first test records at Standard and Lab rows made from the text they held. Those
# records were typed in by operators before verification existed: they stay counted (verified
# when recorded). The SPEC's standards are seeded (0006) by code, filling in these rows' titles
# and markets where the codes match.

from django.db import migrations


def forwards(apps, schema_editor):
    TestRecord = apps.get_model("compliance", "TestRecord")
    Standard = apps.get_model("compliance", "Standard")
    Lab = apps.get_model("compliance", "Lab")
    for record in TestRecord.objects.all().iterator():
        code = record.standard_code.strip()
        standard = Standard.objects.filter(code__iexact=code).first()
        if standard is None:
            standard = Standard.objects.create(
                code=code,
                title=code,
                market="US",
                covers="Made from an earlier test record: check its market and title.",
                effective_from=record.issued_on,
            )
        lab, _ = Lab.objects.get_or_create(name=record.lab_name.strip() or "Unknown lab")
        record.standard = standard
        record.lab = lab
        record.source = "officer"
        record.status = "verified"
        record.verified_at = record.recorded_at
        record.save(update_fields=["standard", "lab", "source", "status", "verified_at"])


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_rules_evidence_audits_enforcement")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
