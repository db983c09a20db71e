"""A reward checkpoint's report page (issue #18): reads only, no torch.

The report itself is report.json beside the checkpoint's weights, written by the reward run that
made it (training.ml.reward.ValidationReport: its validation pairs, scored once at the end) or
by ``evaluate_reward --report --save`` for a file. Agreement with the project's human majority
comes from judge runs of the checkpoint: the page finds its judge in the project's stats by the
judge's annotator id, which a judge run's result records (training/judging.py).
"""

import json
import logging
from pathlib import Path

from django.db.models import Q

from labeling.access import access_project
from labeling.errors import NotFound
from training.ml.reward_report import REPORT_FILE
from training.models import ModelCheckpoint, RunStatus, Stage, TrainingRun
from training.validation import resolve_model_path

log = logging.getLogger(__name__)


def access_checkpoint_by_id(user, checkpoint_id: int) -> ModelCheckpoint:
    """The checkpoint if ``user`` administers its project, as for the checkpoint list (else not
    found: a checkpoint of no project is shown to no one here)."""
    checkpoint = ModelCheckpoint.objects.select_related("run").filter(pk=checkpoint_id).first()
    if checkpoint is None or checkpoint.project_id is None:
        raise NotFound("checkpoint not found")
    access_project(user, checkpoint.project_id, admin=True)
    return checkpoint


def report_path(checkpoint: ModelCheckpoint) -> Path | None:
    """Where the checkpoint's report.json is, or None for one that is not a local directory (a
    hub id: never a path read relative to the web process's working directory)."""
    path = Path(resolve_model_path(checkpoint.path))
    return path / REPORT_FILE if path.is_absolute() else None


def checkpoint_report(checkpoint: ModelCheckpoint) -> dict | None:
    """The checkpoint's report, or None: not a reward model, none written yet, or unreadable
    (logged: a report is a convenience, its absence never fails the page)."""
    path = report_path(checkpoint) if checkpoint.kind == ModelCheckpoint.Kind.REWARD else None
    if path is None or not path.is_file():
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("checkpoint %s: unreadable %s (%s)", checkpoint.pk, path, exc)
        return None
    return report if isinstance(report, dict) else None


def judging_runs(checkpoint: ModelCheckpoint):
    """The checkpoint's judge runs that give verdicts: not the judge stage's 'revise' mode, which
    writes a snapshot and labels nothing."""
    gives_verdicts = Q(config__mode="judge") | ~Q(config__has_key="mode")  # runs from before modes judged
    return TrainingRun.objects.filter(gives_verdicts, stage=Stage.JUDGE, base_checkpoint=checkpoint)


def checkpoint_judge_run(checkpoint: ModelCheckpoint) -> TrainingRun | None:
    """The newest judge run of the checkpoint, whatever its status (the page follows a live one)."""
    return judging_runs(checkpoint).order_by("-created_at").first()


def checkpoint_judge_annotator(checkpoint: ModelCheckpoint) -> int | None:
    """The user id its judge labels comparisons as, from its newest succeeded judge run; None
    when it never judged this project's comparisons."""
    runs = judging_runs(checkpoint).filter(status=RunStatus.SUCCEEDED)
    result = runs.order_by("-finished_at").values_list("result", flat=True).first() or {}
    annotator = result.get("annotator")
    return annotator if isinstance(annotator, int) else None


def checkpoint_report_payload(checkpoint: ModelCheckpoint) -> dict:
    """What GET /api/checkpoints/{id}/report/ answers (report_api.CheckpointReportSerializer)."""
    judge_run = checkpoint_judge_run(checkpoint)
    return {
        "checkpoint": checkpoint,
        "report": checkpoint_report(checkpoint),
        "judge_annotator": checkpoint_judge_annotator(checkpoint),
        "judge_run": judge_run.pk if judge_run else None,
        "judge_run_status": judge_run.status if judge_run else None,
    }
