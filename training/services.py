"""The life of a training run: create (validated) -> dispatch -> claim -> heartbeat -> finish.

The row is the source of truth. A worker owns a run only after ``training_run_claim`` changed
its status from queued to running; a duplicate delivery of the same task finds nothing to
claim and exits. Workers prove they are alive through ``heartbeat_at``; the reaper fails runs
whose heartbeats stopped.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from labeling.errors import Conflict, InvalidInput
from labeling.exporters import ExportOptions
from labeling.models import SnapshotStatus
from labeling.services.exports import check_criteria
from training.inputs import ONLINE_RL, SNAPSHOT_FORMAT
from training.ml.config import ConfigError, config_from_dict, criterion_problem
from training.models import (
    FINISHED_STATUSES,
    ModelCheckpoint,
    RetrainPolicy,
    RunMetric,
    RunStatus,
    Stage,
    TrainingRun,
)

log = logging.getLogger(__name__)
HEARTBEAT_STALE_AFTER = timedelta(minutes=2)
LOG_TAIL_CHARS = 8000


def resolve_model_path(path_or_id: str) -> str:
    """A checkpoint's stored path is relative to ARTIFACT_DIR; absolute paths and hub ids pass through."""
    if not path_or_id or Path(path_or_id).is_absolute() or not (settings.ARTIFACT_DIR / path_or_id).exists():
        return path_or_id
    return str(settings.ARTIFACT_DIR / path_or_id)


def _check_base(base_model: str, base_checkpoint, project) -> None:
    if base_checkpoint is None and not base_model:
        raise InvalidInput("give base_model (a local path or hub id) or base_checkpoint")
    if base_model and _in_artifact_store(base_model) and not _own_checkpoint(base_model, project):
        raise InvalidInput(
            "base_model points into the artifact store at no checkpoint of this project; "
            "start from one of this project's checkpoints with base_checkpoint"
        )
    looks_local = base_model.startswith((".", "/", "~"))
    if base_checkpoint is None and looks_local and not Path(base_model).expanduser().exists():
        raise InvalidInput(f"base_model path '{base_model}' does not exist on this server")


def _in_artifact_store(base_model: str) -> bool:
    """Whether ``base_model`` would load from ARTIFACT_DIR, read as the worker reads it
    (``resolve_model_path``), with "..", "~" and links followed. Checkpoints there belong to
    projects, and are reached by id (``base_checkpoint``), whose project is checked."""
    path = Path(resolve_model_path(base_model)).expanduser()
    if not (path.is_absolute() or path.exists()):
        return False  # a hub id
    return path.resolve().is_relative_to(Path(settings.ARTIFACT_DIR).resolve())


def _own_checkpoint(base_model: str, project) -> bool:
    """Whether ``base_model`` is the directory of one of ``project``'s checkpoints (by another name)."""
    if project is None:
        return False
    wanted = Path(resolve_model_path(base_model)).expanduser().resolve()
    paths = ModelCheckpoint.objects.filter(project=project).values_list("path", flat=True)
    return any(Path(resolve_model_path(path)).expanduser().resolve() == wanted for path in paths)


def validate_run(
    *, stage: str, base_model: str, base_checkpoint, reward_checkpoint, config: dict, project=None
) -> dict:
    """Check everything a worker would trip over, before anything is queued; the normalised config."""
    if stage not in Stage.values:
        raise InvalidInput(f"stage must be one of {', '.join(Stage.values)}")
    _check_base(base_model, base_checkpoint, project)
    if stage in ONLINE_RL and reward_checkpoint is None:
        raise InvalidInput(f"a {stage} run needs reward_checkpoint (a reward model checkpoint)")
    if reward_checkpoint is not None and reward_checkpoint.kind != ModelCheckpoint.Kind.REWARD:
        raise InvalidInput(f"checkpoint {reward_checkpoint.pk} is not a reward model")
    try:
        normalised = config_from_dict(stage, config or {}).to_dict()
    except ConfigError as exc:
        raise InvalidInput(f"config: {exc}") from None
    if project is not None and normalised.get("criteria"):
        check_criteria(project, ExportOptions("trl", criteria=normalised["criteria"]))
    if stage in ONLINE_RL:
        _check_reward_criterion(reward_checkpoint, normalised["reward_criterion"])
    return normalised


def _check_reward_criterion(reward_checkpoint, criterion: str | None) -> None:
    """A reward model trained per criterion scores on one of them; one trained without, on none."""
    if reward_checkpoint.run is None:  # registered by hand: the worker checks its training_config.json
        return
    problem = criterion_problem(reward_checkpoint.criteria, criterion)
    if problem:
        raise InvalidInput(f"config: reward checkpoint {reward_checkpoint.pk}: reward_criterion {problem}")


def _check_snapshot(stage: str, snapshot, config: dict) -> None:
    """A run reads a ready snapshot (one still being written has no files yet) in its stage's format,
    exported with the criteria the run trains on."""
    if snapshot.status != SnapshotStatus.READY:
        raise Conflict(f"snapshot {snapshot.pk} is {snapshot.status}: only ready snapshots can be trained on")
    wanted = SNAPSHOT_FORMAT.get(stage)
    if wanted and snapshot.format != wanted:
        raise InvalidInput(f"a {stage} run reads a {wanted} snapshot; snapshot {snapshot.pk} is {snapshot.format}")
    criteria, exported = list(config.get("criteria") or []), snapshot.options.get("criteria", [])
    if criteria != exported:
        raise InvalidInput(
            f"config.criteria {criteria} differs from the criteria snapshot {snapshot.pk} was exported with "
            f"({exported}): leave the snapshot out and the run exports its own"
        )


def _check_data(project, stage: str, snapshot, config: dict) -> None:
    """Runs without a snapshot export the project's data when they start: refuse now if there is none."""
    if snapshot is not None:
        _check_snapshot(stage, snapshot, config)
    if snapshot is not None or stage == Stage.GENERATE:
        if stage == Stage.GENERATE and not project.prompts.exists():
            raise InvalidInput("the project has no prompts to generate responses for")
        return
    if stage == Stage.SFT and project.demonstrations.exists():
        return
    if not project.judgments.exists():
        raise InvalidInput(f"the project has no judgments yet: nothing to train a {stage} run on")


def training_run_create(
    *, project, stage: str, user=None, base_model: str = "", base_checkpoint=None, reward_checkpoint=None,
    snapshot=None, config: dict | None = None,
) -> TrainingRun:
    """Validate and store a queued run, then hand it to the gpu queue once the row is committed."""
    normalised = validate_run(
        stage=stage, base_model=base_model, base_checkpoint=base_checkpoint,
        reward_checkpoint=reward_checkpoint, config=config or {}, project=project,
    )
    _check_data(project, stage, snapshot, normalised)
    with transaction.atomic():
        run = TrainingRun.objects.create(
            project=project, stage=stage, created_by=user, base_model=base_model, base_checkpoint=base_checkpoint,
            reward_checkpoint=reward_checkpoint, snapshot=snapshot, config=normalised,
        )
        transaction.on_commit(lambda: training_run_dispatch(run.pk))
    return run


def training_run_dispatch(run_id: int) -> bool:
    """Send the run's task to the broker. If the broker is down the run stays queued with no
    ``dispatched_at``; ``dispatch_pending_runs`` retries it when the broker is back."""
    from training.tasks import run_training

    try:
        run_training.apply_async(args=[run_id], retry=False)
    except OperationalError as exc:
        log.warning("broker unavailable, run %s stays queued for later dispatch: %s", run_id, exc)
        return False
    TrainingRun.objects.filter(pk=run_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return True


def dispatch_pending_runs() -> int:
    pending = TrainingRun.objects.filter(status=RunStatus.QUEUED, dispatched_at__isnull=True, cancel_requested=False)
    return sum(training_run_dispatch(pk) for pk in pending.values_list("pk", flat=True))


def training_run_claim(*, run_id: int, worker: str) -> bool:
    """queued -> running for exactly one worker; False means someone else has it (or it was cancelled)."""
    now = timezone.now()
    return bool(
        TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED, cancel_requested=False).update(
            status=RunStatus.RUNNING, worker=worker, started_at=now, heartbeat_at=now
        )
    )


def training_run_heartbeat(*, run_id: int, log_tail: str | None = None) -> bool:
    """Record that the worker lives; False when the run should stop (cancel requested or no longer running)."""
    fields = {"heartbeat_at": timezone.now()}
    if log_tail is not None:
        fields["log_tail"] = log_tail[-LOG_TAIL_CHARS:]
    TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(**fields)
    return TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, cancel_requested=False).exists()


def training_run_progress(*, run_id: int, step: int, total: int, metrics: dict) -> None:
    """One step's progress and metrics (idempotent per step)."""
    RunMetric.objects.update_or_create(run_id=run_id, step=step, defaults={"values": metrics})
    TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        progress_step=step, progress_total=total, heartbeat_at=timezone.now()
    )


def training_run_finish(*, run_id: int, status: str, result: dict | None = None, error: str = "", log_tail: str = "") -> bool:
    """running -> a final status; False if the run had already finished (e.g. reaped)."""
    assert status in FINISHED_STATUSES
    fields = {"status": status, "finished_at": timezone.now(), "error": error[-LOG_TAIL_CHARS:], "result": result or {}}
    if log_tail:
        fields["log_tail"] = log_tail[-LOG_TAIL_CHARS:]
    return bool(TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(**fields))


def training_run_cancel(*, run: TrainingRun) -> TrainingRun:
    """A queued run is cancelled at once; a running one stops at its next step (seconds)."""
    if run.status in FINISHED_STATUSES:
        raise Conflict(f"run {run.pk} has already {run.status}")
    now = timezone.now()
    TrainingRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.CANCELLED, cancel_requested=True, finished_at=now
    )
    TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(cancel_requested=True)
    run.refresh_from_db()
    return run


def training_runs_reap(*, stale_after: timedelta = HEARTBEAT_STALE_AFTER) -> list[int]:
    """Fail running runs whose worker stopped sending heartbeats (it died, or lost its machine)."""
    cutoff = timezone.now() - stale_after
    stale = list(TrainingRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", "heartbeat_at"))
    reaped = []
    for pk, last in stale:
        reason = f"worker stopped sending heartbeats (last at {last.isoformat()}); it probably died"
        if TrainingRun.objects.filter(pk=pk, status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=reason
        ):
            reaped.append(pk)
    return reaped


def checkpoint_register(*, run: TrainingRun, path: Path, kind: str, metrics: dict) -> ModelCheckpoint:
    relative = path.relative_to(settings.ARTIFACT_DIR) if path.is_relative_to(settings.ARTIFACT_DIR) else path
    return ModelCheckpoint.objects.create(
        project=run.project, run=run, kind=kind, path=str(relative), metrics=metrics,
        name=f"{run.project.slug}-{run.stage}-run{run.pk}",
    )


def retrain_policy_set(*, project, enabled: bool, every_n_judgments: int, base_model: str, config: dict,
                       set_priority: bool) -> RetrainPolicy:
    """Create or change the project's policy; its base model and config are validated like a run's."""
    if every_n_judgments < 1:
        raise InvalidInput("every_n_judgments must be at least 1")
    normalised = validate_run(
        stage=Stage.REWARD, base_model=base_model, base_checkpoint=None, reward_checkpoint=None, config=config,
        project=project,
    )
    policy, _ = RetrainPolicy.objects.update_or_create(
        project=project,
        defaults={"enabled": enabled, "every_n_judgments": every_n_judgments, "base_model": base_model,
                  "config": normalised, "set_priority": set_priority},
    )
    return policy
