"""Training runs, their metrics, and the checkpoints they produce.

The database row, not the broker message, is the source of truth: a worker claims a run with a
conditional update (queued -> running) and reports progress through ``heartbeat_at``.
"""

from django.conf import settings
from django.db import models


class Stage(models.TextChoices):
    REWARD = "reward", "Reward model"
    SFT = "sft", "Supervised fine-tuning"
    DPO = "dpo", "Direct preference optimisation"
    KTO = "kto", "Kahneman-Tversky optimisation"
    PPO = "ppo", "Proximal policy optimisation"
    GRPO = "grpo", "Group relative policy optimisation"
    RLOO = "rloo", "REINFORCE leave-one-out"
    GENERATE = "generate", "Generate responses"
    JUDGE = "judge", "Judge comparisons"
    BEST_OF_N = "best_of_n", "Best-of-N sampling"


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


class ModelCheckpoint(models.Model):
    """Weights on disk (safetensors) that a run can start from, score with, or sample from."""

    class Kind(models.TextChoices):
        POLICY = "policy", "Causal LM"
        REWARD = "reward", "Reward model"

    project = models.ForeignKey("labeling.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkpoints")
    run = models.ForeignKey("TrainingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkpoints")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    path = models.CharField(max_length=500, help_text="Relative to ARTIFACT_DIR, or an absolute path / hub id.")
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    @property
    def criteria(self) -> list[str]:
        """What a reward model trained per criterion judges (its run's config); [] otherwise, or
        when the checkpoint has no run (registered by hand: only its training_config.json says)."""
        return list(self.run.config.get("criteria") or []) if self.run else []


class TrainingRun(models.Model):
    project = models.ForeignKey("labeling.Project", on_delete=models.CASCADE, related_name="training_runs")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    base_model = models.CharField(max_length=500, blank=True, help_text="Local path or hub id, when no checkpoint.")
    base_checkpoint = models.ForeignKey(ModelCheckpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reward_checkpoint = models.ForeignKey(
        ModelCheckpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="PPO's scorer."
    )
    snapshot = models.ForeignKey("labeling.DatasetSnapshot", null=True, blank=True, on_delete=models.PROTECT, related_name="training_runs")
    config = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the task reached the broker; null while the broker was down."
    )
    worker = models.CharField(max_length=200, blank=True)
    progress_step = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(
        default=0, help_text="Claims so far; a run whose worker died is re-queued until TRAINING_RUN_MAX_ATTEMPTS."
    )
    resumed_from_step = models.PositiveIntegerField(
        null=True, blank=True, help_text="The saved step the current attempt resumed from (null: started at step 0)."
    )
    rendezvous = models.JSONField(
        default=dict, blank=True,
        help_text="A run on several machines: {attempt, address, port} of its rank 0, published by the worker of part 0.",
    )
    parts_joined = models.PositiveIntegerField(
        default=0, help_text="Workers of parts 1.. that joined the rendezvous of the current attempt."
    )
    force = models.BooleanField(
        default=False, help_text="Train even on fewer examples than the minimum (training/guardrails.py)."
    )
    warnings = models.JSONField(
        default=list, blank=True, help_text="Why a finished run should not be trusted as it is (too little data, chance-level score)."
    )
    error = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    client_key = models.CharField(
        max_length=64, blank=True,
        help_text="Client-made idempotency key: a retried create with it returns this run instead of starting another.",
    )
    client_request = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the create request made with client_key (what a retry must match).",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index("status", "heartbeat_at", name="run_status_heartbeat")]
        constraints = [
            models.UniqueConstraint(fields=["project", "client_key"], condition=~models.Q(client_key=""), name="run_unique_client_key"),
        ]

    def __str__(self):
        return f"{self.stage} run {self.pk} ({self.status})"


class RunMetric(models.Model):
    """One step's metrics (loss, accuracy, reward, kl, learning_rate, samples_per_s, ...)."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="metrics")
    step = models.PositiveIntegerField()
    values = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["step"]
        constraints = [models.UniqueConstraint(fields=["run", "step"], name="metric_unique_step")]


class RunSample(models.Model):
    """A response sampled at one step of a run, shown on the run page beside the curves: a few
    rollouts of an online stage with their scores, a few greedy responses to validation prompts
    of SFT or DPO. Texts are model output: untrusted, rendered as text only."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="samples")
    step = models.PositiveIntegerField()
    index = models.PositiveSmallIntegerField(help_text="Its place among the step's samples, from 0.")
    prompt = models.TextField()
    response = models.TextField()
    score = models.FloatField(null=True, blank=True, help_text="The reward's score; null where nothing scored it.")
    truncated = models.BooleanField(null=True, blank=True, help_text="Cut at max_new_tokens before it ended; null: unknown.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["step", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "step", "index"], name="sample_unique_index")]


class RetrainPolicy(models.Model):
    """Retrain the reward model once ``every_n_judgments`` new judgments have arrived (off by default)."""

    project = models.OneToOneField("labeling.Project", on_delete=models.CASCADE, related_name="retrain_policy")
    enabled = models.BooleanField(default=False)
    every_n_judgments = models.PositiveIntegerField(default=500)
    base_model = models.CharField(max_length=500, help_text="Backbone for each new reward model.")
    config = models.JSONField(default=dict, blank=True)
    set_priority = models.BooleanField(
        default=False, help_text="Score open comparisons with the new model; least certain served first."
    )
    judgments_at_last_run = models.PositiveIntegerField(default=0)
    last_run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
