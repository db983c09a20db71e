# Ranking with ties (issue #19 item 6): the groups of positions a ranking judgment ranks equal.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("labeling", "0011_project_judge_priority"),
    ]

    operations = [
        migrations.AddField(
            model_name="judgment",
            name="ranking_ties",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
