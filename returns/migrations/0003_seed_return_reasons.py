# The SPEC's list of return reasons as data (issue 13, "Returns"): operators edit it in the admin
# afterwards (labels, order, a new reason, a reason no longer offered). `counts_as_defect` marks
# the reasons a listing's return rate counts (SPEC, "Listings": defective or not as described);
# `requires_note` the one a storefront must explain.

from django.db import migrations

# code, English label, Chinese label, counts as defect, requires a note
REASONS = [
    ("defective", "Defective", "商品有缺陷", True, False),
    ("not_as_described", "Not as described", "与描述不符", True, False),
    ("wrong_item", "Wrong item sent", "发错商品", False, False),
    ("damaged_in_transit", "Damaged in transit", "运输途中损坏", False, False),
    ("size", "Wrong size", "尺寸不合适", False, False),
    ("changed_mind", "Changed mind", "不想要了", False, False),
    ("other", "Other", "其他", False, True),
]


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    for position, (code, label_en, label_zh, defect, note) in enumerate(REASONS, start=1):
        ReturnReason.objects.update_or_create(
            code=code,
            defaults={
                "label_en": label_en,
                "label_zh": label_zh,
                "counts_as_defect": defect,
                "requires_note": note,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("returns", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
