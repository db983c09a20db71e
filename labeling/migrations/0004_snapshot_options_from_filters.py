"""Move each snapshot's export options from ``filters["options"]`` to the ``options`` column.

Backwards the options go back under ``filters``, and snapshots that are not ready are deleted:
they have no files, and the schema before 0003 cannot say so (any row there is a written snapshot).
"""

from django.db import migrations


def options_to_column(apps, schema_editor):
    DatasetSnapshot = apps.get_model("labeling", "DatasetSnapshot")
    for snapshot in DatasetSnapshot.objects.filter(filters__has_key="options").iterator():
        filters = dict(snapshot.filters)
        snapshot.options = filters.pop("options") or {}
        snapshot.filters = filters
        snapshot.save(update_fields=["options", "filters"])


def options_to_filters(apps, schema_editor):
    DatasetSnapshot = apps.get_model("labeling", "DatasetSnapshot")
    DatasetSnapshot.objects.exclude(status="ready").delete()
    for snapshot in DatasetSnapshot.objects.exclude(options={}).iterator():
        snapshot.filters = {**snapshot.filters, "options": snapshot.options}
        snapshot.options = {}
        snapshot.save(update_fields=["options", "filters"])


class Migration(migrations.Migration):

    dependencies = [
        ("labeling", "0003_snapshot_status_and_options"),
    ]

    operations = [migrations.RunPython(options_to_column, options_to_filters)]
