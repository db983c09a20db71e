"""Stats cached before two fixes are recomputed on their next read: on SQLite a criterion verdict
without strength read as a tie (each criterion's agreement showed 100%), and a gold mistake rejected
in review was taken off the annotator's gold accuracy.

Marking them ``dirty`` is enough, as in 0013.
"""

from django.db import migrations


def mark_dirty(apps, schema_editor):
    apps.get_model("labeling", "ProjectStats").objects.update(dirty=True)


class Migration(migrations.Migration):
    dependencies = [("labeling", "0014_demonstration_replaced_by")]
    operations = [migrations.RunPython(mark_dirty, migrations.RunPython.noop)]
