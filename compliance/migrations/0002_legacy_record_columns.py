# The first test records named their standard and lab as text. Those columns are renamed here;
# the records are pointed at Standard and Lab rows in 0004, and the text columns dropped in 0005.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [
        migrations.RemoveIndex(model_name="testrecord", name="test_lookup"),
        migrations.RemoveConstraint(model_name="testrecord", name="one_record_per_report"),
        migrations.RenameField(model_name="testrecord", old_name="standard", new_name="standard_code"),
        migrations.RenameField(model_name="testrecord", old_name="lab", new_name="lab_name"),
    ]
