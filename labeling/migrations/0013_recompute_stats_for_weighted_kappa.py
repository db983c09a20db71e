"""Stats cached before the weighted mean Cohen's kappa (and the length-controlled n counting judgments)
are recomputed on their next read.

Marking them ``dirty`` is enough: ``project_stats_nudge`` sends a refresh for stats dirty since
longer than ``STALE_AFTER``, which a payload computed before this release is.
"""

from django.db import migrations


def mark_dirty(apps, schema_editor):
    apps.get_model("labeling", "ProjectStats").objects.update(dirty=True)


class Migration(migrations.Migration):
    dependencies = [("labeling", "0012_judgment_ranking_ties")]
    operations = [migrations.RunPython(mark_dirty, migrations.RunPython.noop)]
