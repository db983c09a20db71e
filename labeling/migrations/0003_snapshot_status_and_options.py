"""Snapshots are written by a worker (pending -> running -> ready | failed) and keep their export
options in a column of their own (moved out of ``filters["options"]`` by 0004)."""

from django.db import migrations, models

STATUS_CHOICES = [("pending", "Pending"), ("running", "Running"), ("ready", "Ready"), ("failed", "Failed")]


class Migration(migrations.Migration):

    dependencies = [
        ("labeling", "0002_drop_indexes_covered_by_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="datasetsnapshot",
            name="options",
            field=models.JSONField(default=dict, help_text='{"pairs", "conversational", "include_winners", "file"}'),
        ),
        # Snapshots from before were written inside the request that stored them: all are ready.
        migrations.AddField(
            model_name="datasetsnapshot",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="ready", max_length=16),
        ),
        migrations.AlterField(
            model_name="datasetsnapshot",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="pending", max_length=16),
        ),
        migrations.AddField(
            model_name="datasetsnapshot",
            name="error",
            field=models.TextField(blank=True, help_text="Why it failed."),
        ),
        migrations.AddField(
            model_name="datasetsnapshot",
            name="started_at",
            field=models.DateTimeField(
                blank=True, help_text="Claimed by a writer: its rows are read from here on.", null=True
            ),
        ),
        migrations.AddField(
            model_name="datasetsnapshot",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="datasetsnapshot",
            name="sha256",
            field=models.CharField(blank=True, help_text="Empty until ready.", max_length=64),
        ),
    ]
