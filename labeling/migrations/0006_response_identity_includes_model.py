"""A response is identified by its prompt, text and model, not its prompt and text alone.

Existing rows satisfy the new constraint (it is looser), so nothing moves. The new constraint is
added before the old one is dropped so the prompt's responses are never without an index.
Reversing fails while two models share a text for one prompt: the old schema cannot hold both.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("labeling", "0005_flag_resolved_by_and_at"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="response",
            constraint=models.UniqueConstraint(
                fields=("prompt", "content_hash", "model_name"), name="response_unique_model_content"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="response",
            name="response_unique_content",
        ),
    ]
