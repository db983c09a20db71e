"""The data model: what annotators see (Prompt, Response, Comparison) and what they give (Judgment,
Demonstration, Flag).

Positions inside a comparison are letters: ``a`` is the first response as presented, ``b`` the second, and so
on. A pairwise judgment names a winner letter (or ``tie``); a ranking judgment lists all letters best first.
Counters on ``Comparison`` are maintained by the assignment services with conditional updates, never in save().
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ComparisonKind(models.TextChoices):
    PAIRWISE = "pairwise", "Pairwise (A or B)"
    RANKING = "ranking", "Rank K responses"


def default_strength_scale():
    return ["slightly better", "better", "much better"]


class Project(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    guidelines = models.TextField(blank=True, help_text="Markdown shown to annotators.")
    task_type = models.CharField(max_length=16, choices=ComparisonKind.choices, default=ComparisonKind.PAIRWISE)
    responses_per_comparison = models.PositiveSmallIntegerField(
        default=2, help_text="K: responses shown together (2 for pairwise)."
    )
    overlap = models.PositiveSmallIntegerField(default=1, help_text="Judgments wanted per comparison, by distinct annotators.")
    allow_ties = models.BooleanField(default=True)
    strength_scale = models.JSONField(
        default=default_strength_scale,
        blank=True,
        help_text="Labels for how much better the winner is, weakest first; empty for none.",
    )
    criteria = models.JSONField(
        default=list, blank=True, help_text='Extra per-criterion judgments, e.g. ["helpful", "harmless"].'
    )
    lease_minutes = models.PositiveSmallIntegerField(default=15)
    gold_rate = models.FloatField(default=0.0, help_text="Share of served comparisons that are gold.")
    collect_demonstrations = models.BooleanField(default=False, help_text="Annotators may also write the ideal response (SFT data).")
    # issue #18: the judge stage sets the priorities through annotation.priority.judge_priority_set
    judge_priority = models.BooleanField(default=False, help_text="Serve people first the comparisons judges are least sure of or disagree on.")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=Q(responses_per_comparison__gte=2), name="project_k_at_least_2"),
            models.CheckConstraint(condition=Q(overlap__gte=1), name="project_overlap_at_least_1"),
            models.CheckConstraint(condition=Q(gold_rate__gte=0) & Q(gold_rate__lte=1), name="project_gold_rate_0_1"),
        ]

    def __str__(self):
        return self.slug


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    REVIEWER = "reviewer", "Reviewer"  # annotates, and works the review queue (issue #19)
    ANNOTATOR = "annotator", "Annotator"


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} in {self.project} ({self.role})"


# Foreign keys marked db_index=False lead a composite unique constraint, whose index serves them;
# a second index would only slow imports.


class Prompt(models.Model):
    """A conversation to be answered: ``messages`` is a list of ``{role, content}``, last turn the user's."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prompts", db_index=False)
    messages = models.JSONField()
    content_hash = models.CharField(max_length=64, help_text="sha256 of the canonical messages JSON.")
    external_id = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "content_hash"], name="prompt_unique_content")]

    def __str__(self):
        return f"Prompt {self.pk}"


class Response(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="responses")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="responses", db_index=False)
    text = models.TextField()
    model_name = models.CharField(max_length=200, blank=True, help_text="Model or source that wrote it.")
    content_hash = models.CharField(max_length=64, help_text="sha256 of the text.")
    length_chars = models.PositiveIntegerField(default=0, help_text="For length-controlled ratings.")
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # A response is one model's text: the same text from two models is two responses, so each
        # model is credited with the judgments of its own. (Hash before model: imports look up by it.)
        constraints = [
            models.UniqueConstraint(fields=["prompt", "content_hash", "model_name"], name="response_unique_model_content"),
        ]

    def __str__(self):
        return f"Response {self.pk} ({self.model_name})"


class Comparison(models.Model):
    """The unit served to annotators: one prompt and 2..K responses in a fixed, randomised order.

    ``holders`` counts annotators who hold a live lease on it or have judged it; ``is_open`` is
    ``holders < project.overlap`` (kept as a column so the assignment index only holds open rows).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comparisons", db_index=False)
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="comparisons")
    responses = models.ManyToManyField(Response, through="ComparisonResponse", related_name="comparisons")
    response_set_hash = models.CharField(max_length=64, help_text="sha256 of the sorted response ids.")
    priority = models.FloatField(default=0.0, help_text="Higher is served first (active learning sets it).")
    random_key = models.FloatField(default=0.0, help_text="Random tie-breaker for serving order.")
    is_gold = models.BooleanField(default=False)
    gold_answer = models.JSONField(null=True, blank=True, help_text='{"winner": "a"} or {"ranking": ["b", "a"]}.')
    judgment_count = models.PositiveIntegerField(default=0)
    holders = models.PositiveIntegerField(default=0)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "response_set_hash"], name="comparison_unique_responses"),
        ]
        indexes = [
            # Serving order: finish started comparisons, then priority, then random. Only open rows.
            models.Index(
                "project",
                "is_gold",
                models.F("judgment_count").desc(),
                models.F("priority").desc(),
                "random_key",
                name="comparison_serving_order",
                condition=Q(is_open=True),
            ),
        ]

    def __str__(self):
        return f"Comparison {self.pk}"


class ComparisonResponse(models.Model):
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="positions", db_index=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="positions")
    position = models.PositiveSmallIntegerField(help_text="0 is shown as A, 1 as B, ...")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["comparison", "position"], name="slot_unique_position"),
            models.UniqueConstraint(fields=["comparison", "response"], name="slot_unique_response"),
        ]


class LeaseState(models.TextChoices):
    ACTIVE = "active"
    JUDGED = "judged"
    SKIPPED = "skipped"
    EXPIRED = "expired"


class Lease(models.Model):
    """One annotator's hold on one comparison; the row stays as the record of what they did with it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="leases")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="leases", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leases")
    state = models.CharField(max_length=8, choices=LeaseState.choices, default=LeaseState.ACTIVE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comparison", "annotator"], name="lease_unique")]
        indexes = [
            models.Index("project", "expires_at", name="lease_active_expiry", condition=Q(state="active")),
            models.Index("annotator", "project", "state", name="lease_by_annotator"),
        ]


class Winner(models.TextChoices):
    A = "a"
    B = "b"
    TIE = "tie"


# Imported labels' client keys start with this (annotators' may not: they never collide), and so do their sources'
# usernames: inactive users, each many unknown people, whom stats and the overview leave out of people's figures.
IMPORTED_KEY_PREFIX = IMPORT_USER_PREFIX = "import:"


class ReviewState(models.TextChoices):
    UNREVIEWED = "", "Not reviewed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Judgment(models.Model):
    """One annotator's preference on one comparison.

    Pairwise: ``winner`` (a/b/tie) and ``strength`` (1..len(scale), null for a tie or no scale).
    Ranking: ``ranking`` lists every position letter, best first; ``winner`` is blank;
    ``ranking_ties`` groups the positions ranked equal (runs of ``ranking``), where the project allows ties.
    ``criteria`` maps criterion name to ``{"winner", "strength"}`` or ``{"ranking"}``.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judgments")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="judgments", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="judgments")
    winner = models.CharField(max_length=3, choices=Winner.choices, blank=True)
    strength = models.PositiveSmallIntegerField(null=True, blank=True)
    ranking = models.JSONField(null=True, blank=True)
    ranking_ties = models.JSONField(null=True, blank=True)  # e.g. [["b", "a"]]; null when no ties
    criteria = models.JSONField(default=dict, blank=True)
    rationale = models.TextField(blank=True)
    time_spent_ms = models.PositiveIntegerField(default=0)
    client_key = models.CharField(max_length=64, unique=True, help_text="Client-made idempotency key.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Review (issue #19): a rejected judgment stays for the audit trail but counts nowhere (stats,
    # exports, overlap). db_default: the hot path and imports insert judgments in plain SQL.
    review = models.CharField(max_length=8, choices=ReviewState.choices, default="", db_default="", blank=True)
    review_note = models.TextField(default="", db_default="", blank=True, help_text="Why it was rejected.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comparison", "annotator"], name="judgment_one_per_annotator"),
        ]
        indexes = [models.Index("project", "created_at", name="judgment_by_project_time")]


class UndoneJudgment(models.Model):
    """The tombstone of an undone judgment: its ``client_key`` stays spent, so a late retry of
    the submit that made it (a queued request, a flaky network) is answered "undone" instead of
    storing the judgment again."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_key = models.CharField(max_length=64, unique=True)
    undone_at = models.DateTimeField(auto_now_add=True)


class FlagReason(models.TextChoices):
    UNSAFE = "unsafe", "Unsafe content"
    BOTH_BAD = "both_bad", "All responses bad"
    BROKEN_PROMPT = "broken_prompt", "Broken prompt"
    OTHER = "other", "Other"


class Flag(models.Model):
    """An annotator's report on a comparison, shown to admins for review."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="flags")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="flags")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    note = models.TextField(blank=True)
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comparison", "annotator", "reason"], name="flag_unique")]


class Demonstration(models.Model):
    """An annotator-written ideal response to a prompt (SFT data). An annotator has one per
    prompt: writing again (after an undo, say) replaces it, and the earlier row is kept with
    ``replaced_by`` set, so a retry of its ``client_key`` still finds it, and out of exports."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="demonstrations")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="demonstrations")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="demonstrations")
    text = models.TextField()
    client_key = models.CharField(max_length=64, unique=True)
    time_spent_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The annotator's later demonstration for the same prompt, which replaced this one.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["annotator", "prompt"], condition=models.Q(replaced_by__isnull=True),
                name="one_current_demonstration_per_annotator_and_prompt",
            )
        ]


class ImportStatus(models.TextChoices):
    QUEUED = "queued"  # a large upload, stored, waiting for a worker
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DataImport(models.Model):
    """What one import brought in (or why nothing was), for the admin's record. A large upload is
    imported by a worker (issue #14): ``status`` and ``lines_read`` follow it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    format = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    with_labels = models.BooleanField(default=False)
    counts = models.JSONField(default=dict, help_text="lines, prompts, responses, comparisons, judgments added.")
    skipped = models.JSONField(default=list, help_text='[{"line": 12, "reason": "..."}]')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.DONE)
    lines_read = models.PositiveIntegerField(default=0, help_text="Progress of a queued import.")
    error = models.TextField(blank=True, help_text="Why it failed (the line and field named).")
    upload_path = models.CharField(max_length=500, blank=True, help_text="A queued upload, relative to ARTIFACT_DIR.")
    finished_at = models.DateTimeField(null=True, blank=True)


class SnapshotStatus(models.TextChoices):
    PENDING = "pending"  # stored, waiting for a worker
    RUNNING = "running"  # a worker (or the command line) is writing its files
    READY = "ready"
    FAILED = "failed"


class DatasetSnapshot(models.Model):
    """An immutable export: the files in the artifact store and everything needed to rebuild them.

    ``pending`` -> ``running`` -> ``ready`` or ``failed``; only a ready snapshot has files, a
    sha256 and row counts, and only a ready one can be trained on.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="snapshots")
    format = models.CharField(max_length=16)
    aggregation = models.CharField(max_length=16)
    options = models.JSONField(default=dict, help_text='{"pairs", "conversational", "include_winners", "file"}')
    filters = models.JSONField(default=dict)
    split_seed = models.IntegerField(default=0)
    validation_fraction = models.FloatField(default=0.1)
    status = models.CharField(max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.PENDING)
    error = models.TextField(blank=True, help_text="Why it failed.")
    sha256 = models.CharField(max_length=64, blank=True, help_text="Empty until ready.")
    row_counts = models.JSONField(default=dict, help_text='{"train": n, "validation": m}')
    path = models.CharField(max_length=500, help_text="Directory relative to ARTIFACT_DIR.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="Claimed by a writer: its rows are read from here on.")
    finished_at = models.DateTimeField(null=True, blank=True)


class ProjectStats(models.Model):
    """The cached result of the stats Celery task; requests read this row, never recompute."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="stats")
    payload = models.JSONField(default=dict)
    judgment_watermark = models.PositiveIntegerField(default=0, help_text="Judgments counted when computed.")
    computed_at = models.DateTimeField(null=True)
    dirty = models.BooleanField(default=True, help_text="Something the stats count changed since the last refresh began.")
    refresh_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the refresh now running began; cleared once its payload is stored."
    )


# Judges are the judges package's; named here too, as every model of the app is.
from labeling.judges.models import Judge, JudgeKind  # noqa: E402, F401
