"""The judge: a model labelling comparisons beside the humans (issue #18)."""

from django.conf import settings
from django.db import models

from labeling.models import Project


class JudgeKind(models.TextChoices):
    REWARD_MODEL = "reward_model", "Reward model"
    CAUSAL_LM = "causal_lm", "Causal LM"
    ENDPOINT = "endpoint", "OpenAI-compatible endpoint (configured by a site administrator)"


class Judge(models.Model):
    """A model labelling comparisons (issue #18), an annotator of kind ``model``: its judgments are
    stored under ``user`` (inactive, named after it, as imported label sources are), never take a
    seat or a lease, and stats, exports and agreement tell them from humans' by this row.
    ``checkpoint_id``: a ``training.ModelCheckpoint`` (an id: labeling never imports training)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judges")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="judge")
    name = models.CharField(max_length=200, help_text="Shown wherever its judgments are.")
    kind = models.CharField(max_length=16, choices=JudgeKind.choices)
    checkpoint_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="judge_unique_name")]

    def __str__(self):
        return f"judge {self.name} in {self.project}"
