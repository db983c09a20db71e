"""The life of a training run: create (validated) -> dispatch -> claim -> heartbeat -> finish.

The row is the source of truth. A worker owns a run only after ``training_run_claim`` changed
its status from queued to running; a duplicate delivery of the same task finds nothing to
claim and exits. Workers prove they are alive through ``heartbeat_at``; the reaper fails runs
whose heartbeats stopped.
"""

import hashlib
import json
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotation_site.celery import celery_send
from labeling.errors import Conflict, InvalidInput
from training.amounts import amount_check
from training.models import (
    FINISHED_STATUSES,
    ModelCheckpoint,
    RetrainPolicy,
    RunMetric,
    RunStatus,
    Stage,
    TrainingRun,
)
from training.validation import data_check, idle_policy_check, queue_check, validate_run

log = logging.getLogger(__name__)
HEARTBEAT_STALE_AFTER = timedelta(minutes=2)
LOG_TAIL_CHARS = 8000
RUN_KEY_MAX = TrainingRun._meta.get_field("client_key").max_length


def training_run_create(
    *, project, stage: str, user=None, base_model: str = "", base_checkpoint=None, reward_checkpoint=None,
    snapshot=None, config: dict | None = None, force: bool = False, client_key: str | None = None,
) -> tuple[TrainingRun, bool]:
    """Validate and store a queued run, then hand it to the gpu queue once the row is committed;
    returns the run and whether this call created it.

    ``force`` trains on fewer examples than the minimum (the run then carries a warning).
    ``client_key`` makes the create idempotent: a retry with the same key and the same request
    gets the first run back and starts nothing (a lost response must not cost a second run's
    GPU hours); the same key with another request is refused.
    """
    _check_run_key(client_key)
    normalised = validate_run(
        stage=stage, base_model=base_model, base_checkpoint=base_checkpoint,
        reward_checkpoint=reward_checkpoint, config=config or {}, project=project,
    )
    request = _request_hash(stage, base_model, base_checkpoint, reward_checkpoint, snapshot, normalised, force)
    if (first := _run_with_key(project, client_key, request)) is not None:
        return first, False
    data_check(project, stage, snapshot, normalised)
    warnings = amount_check(project, stage, snapshot, normalised, force)
    with transaction.atomic():
        # one creator at a time per project (SQLite: the write lock IMMEDIATE takes), so a
        # concurrent create with the same key is found here once the first has committed
        type(project).objects.select_for_update().filter(pk=project.pk).first()
        if (first := _run_with_key(project, client_key, request)) is not None:
            return first, False
        queue_check(project)
        run = TrainingRun.objects.create(
            project=project, stage=stage, created_by=user, base_model=base_model, base_checkpoint=base_checkpoint,
            reward_checkpoint=reward_checkpoint, snapshot=snapshot, config=normalised, force=force,
            warnings=warnings, client_key=client_key or "", client_request=request if client_key else "",
        )
        transaction.on_commit(lambda: training_run_dispatch(run.pk))
    return run, True


def _check_run_key(client_key) -> None:
    if client_key is not None and not (isinstance(client_key, str) and 0 < len(client_key) <= RUN_KEY_MAX):
        raise InvalidInput(f"client_key must be a non-empty string of at most {RUN_KEY_MAX} characters")


def _request_hash(stage, base_model, base_checkpoint, reward_checkpoint, snapshot, config, force) -> str:
    """What a create asked for, as a hash: the row cannot say it (a run given no snapshot gets
    one when it starts)."""
    request = [stage, base_model, *(getattr(row, "pk", None) for row in (base_checkpoint, reward_checkpoint, snapshot)),
               config, force]
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _run_with_key(project, client_key: str | None, request: str) -> TrainingRun | None:
    """The run an earlier create with ``client_key`` made; None for no key or a new one.
    Refuses the key when that create asked for something else."""
    if client_key is None:
        return None
    run = TrainingRun.objects.filter(project=project, client_key=client_key).first()
    if run is None:
        return None
    if run.client_request != request:
        raise Conflict(
            f"this client_key was already used for run {run.pk}, created from another request; nothing started "
            "(a new run needs a new client_key)",
            reason="client_key_reused",
        )
    return run


def training_run_dispatch(run_id: int) -> bool:
    """Send the run's task to the broker. If the broker is down the run stays queued with no
    ``dispatched_at``; ``dispatch_pending_runs`` retries it when the broker is back."""
    from training.tasks import run_training

    if celery_send(run_training, run_id, "run"):
        return False
    TrainingRun.objects.filter(pk=run_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return True


def dispatch_pending_runs() -> int:
    pending = TrainingRun.objects.filter(status=RunStatus.QUEUED, dispatched_at__isnull=True, cancel_requested=False)
    return sum(training_run_dispatch(pk) for pk in pending.values_list("pk", flat=True))


def training_run_claim(*, run_id: int, worker: str) -> int:
    """queued -> running for exactly one worker: the attempt it claimed (1, 2, ...), or 0 when
    someone else has it (or it was cancelled). The attempt number is the worker's ticket: every
    later write names it, so a worker whose run was reaped and re-queued cannot write over the
    attempt that replaced it."""
    now = timezone.now()
    claimed = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED, cancel_requested=False).update(
        status=RunStatus.RUNNING, worker=worker, heartbeat_at=now, attempts=F("attempts") + 1,
        resumed_from_step=None, started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())),
    )
    return TrainingRun.objects.values_list("attempts", flat=True).get(pk=run_id) if claimed else 0


def _owned(run_id: int, attempt: int | None):
    """The run while it is running as ``attempt`` (any attempt when None)."""
    runs = TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING)
    return runs if attempt is None else runs.filter(attempts=attempt)


def training_run_heartbeat(*, run_id: int, log_tail: str | None = None, attempt: int | None = None) -> bool:
    """Record that the worker lives; False when the run should stop (cancel requested, or no
    longer running as this attempt: reaped, re-queued or finished)."""
    fields = {"heartbeat_at": timezone.now()}
    if log_tail is not None:
        fields["log_tail"] = log_tail[-LOG_TAIL_CHARS:]
    _owned(run_id, attempt).update(**fields)
    return _owned(run_id, attempt).filter(cancel_requested=False).exists()


def training_run_progress(*, run_id: int, step: int, total: int, metrics: dict, attempt: int | None = None) -> bool:
    """One step's progress and metrics (idempotent per step, so safe to retry). False when the
    run should stop, as for the heartbeat; a stopped attempt's metrics are not stored."""
    if not _owned(run_id, attempt).update(progress_step=step, progress_total=total, heartbeat_at=timezone.now()):
        return False
    RunMetric.objects.update_or_create(run_id=run_id, step=step, defaults={"values": metrics})
    return not TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()


def training_run_resumed(*, run_id: int, attempt: int, step: int) -> None:
    """The attempt resumes from the state saved at ``step``."""
    _owned(run_id, attempt).update(resumed_from_step=step)


def training_run_rendezvous_publish(*, run_id: int, attempt: int, address: str, port: int, job: dict) -> bool:
    """Part 0 of a run on several machines says where its rank 0 listens and what every part
    runs (``job``, training/child.py); no part has joined this attempt yet. False when the
    attempt no longer owns the run."""
    rendezvous = {"attempt": attempt, "address": address, "port": port, "job": job}
    return bool(_owned(run_id, attempt).update(rendezvous=rendezvous, parts_joined=0))


def training_run_part_join(*, run_id: int, attempt: int) -> dict | None:
    """A worker joins ``attempt`` of the run with one more part: the rendezvous to launch
    with, or None while part 0 has not published it (or the attempt is over). One conditional
    update, so two workers joining at once are both counted."""
    joined = _owned(run_id, attempt).filter(rendezvous__attempt=attempt).update(parts_joined=F("parts_joined") + 1)
    return TrainingRun.objects.values_list("rendezvous", flat=True).get(pk=run_id) if joined else None


def training_run_finish(
    *, run_id: int, status: str, result: dict | None = None, error: str = "", log_tail: str = "",
    attempt: int | None = None, checkpoint: dict | None = None, warnings: list[str] | None = None,
) -> bool:
    """running -> a final status; False if this attempt no longer owns the run (reaped,
    re-queued, finished otherwise), and then nothing is written. Safe to retry: a repeat of a
    finish that committed answers True and writes nothing.

    A succeeded run's ``checkpoint`` (``{"path", "kind", "metrics"}``) is registered in the same
    transaction: never a succeeded run without its checkpoint, nor a checkpoint of a run that
    did not succeed. Its id goes into ``result["checkpoint"]``.
    """
    assert status in FINISHED_STATUSES
    result, checkpoint = dict(result or {}), dict(checkpoint) if checkpoint else None
    history = checkpoint.pop("history", None) if checkpoint else None
    fields = {"status": status, "finished_at": timezone.now(), "error": error[-LOG_TAIL_CHARS:]}
    if log_tail:
        fields["log_tail"] = log_tail[-LOG_TAIL_CHARS:]
    if warnings is not None:
        fields["warnings"] = warnings
    with transaction.atomic():
        run = _owned(run_id, attempt).select_for_update().select_related("project").first()
        if run is None:  # True when this very write committed before its connection dropped (retried)
            return attempt is not None and TrainingRun.objects.filter(pk=run_id, status=status, attempts=attempt).exists()
        if checkpoint is not None:
            result["checkpoint"] = checkpoint_register(run=run, **checkpoint).pk
        if history:  # its progress is its last step, which a worker lost before recording may not have said
            _record_missing_steps(run_id, history)
            last = max(row["step"] for row in history)
            fields.update(progress_step=last, progress_total=max(run.progress_total, last))
        TrainingRun.objects.filter(pk=run_id).update(**fields, result=result)
    return True


def _record_missing_steps(run_id: int, history: list[dict]) -> None:
    """Store the steps of the checkpoint's history that no progress write recorded: a worker lost
    between a periodic save and recording its last steps leaves a hole the resumed run does not
    train again (its history comes from the saved state)."""
    recorded = set(RunMetric.objects.filter(run_id=run_id).values_list("step", flat=True))
    RunMetric.objects.bulk_create(
        [RunMetric(run_id=run_id, step=row["step"], values={k: v for k, v in row.items() if k != "step"})
         for row in history if row["step"] not in recorded],
        ignore_conflicts=True,
    )


def training_run_cancel(*, run: TrainingRun) -> TrainingRun:
    """A queued run is cancelled at once; a running one stops at its next step (seconds)."""
    if run.status in FINISHED_STATUSES:
        raise Conflict(f"run {run.pk} has already ended: {run.status}")
    now = timezone.now()
    TrainingRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.CANCELLED, cancel_requested=True, finished_at=now
    )
    TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(cancel_requested=True)
    run.refresh_from_db()
    return run


def training_runs_reap(*, stale_after: timedelta = HEARTBEAT_STALE_AFTER) -> list[int]:
    """Runs whose worker stopped sending heartbeats (it died, or lost its machine): re-queued, to
    resume from their last saved state (``save_steps``), until TRAINING_RUN_MAX_ATTEMPTS attempts
    have lost their worker; then failed with the reason. An attempt that saved a state past the one
    it resumed from is not held against that budget: restarts of the workers (an upgrade, a host
    reboot) failed a long run that was resuming fine. A run whose cancel was requested is
    cancelled. Each change is conditional on the attempt that went quiet, so a worker that comes
    back finds its run taken (its next progress write says stop)."""
    cutoff = timezone.now() - stale_after
    stale = TrainingRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
    reaped = []
    rows = stale.values_list("pk", "heartbeat_at", "attempts", "cancel_requested", "progress_step", "resumed_from_step", "config")
    for pk, last, attempt, cancel, step, resumed, config in rows:
        lost = f"attempt {attempt}: the worker stopped sending heartbeats (last at {last.isoformat()}); it probably died"
        if cancel:
            fields = {"status": RunStatus.CANCELLED, "finished_at": timezone.now(), "error": lost}
        elif attempt < settings.TRAINING_RUN_MAX_ATTEMPTS or _saved_past(step, resumed, config):
            fields = {"status": RunStatus.QUEUED, "worker": "", "heartbeat_at": None, "dispatched_at": None,
                      "error": f"{lost}; re-queued to resume from its last saved state"}
        else:
            fields = {"status": RunStatus.FAILED, "finished_at": timezone.now(),
                      "error": f"{lost}; gave up after {attempt} attempts (TRAINING_RUN_MAX_ATTEMPTS)"}
        if stale.filter(pk=pk, attempts=attempt).update(**fields):
            reaped.append(pk)
            if fields["status"] == RunStatus.QUEUED:
                training_run_dispatch(pk)  # or dispatch_pending_runs, if the broker is down
    return reaped


def _saved_past(step: int, resumed: int | None, config: dict) -> bool:
    """Whether an attempt that reached ``step`` saved a state (every ``save_steps``) past the one
    it resumed from: the next attempt starts further on, so the run is getting somewhere."""
    every = (config or {}).get("save_steps") or 0
    return bool(every) and step // every * every > (resumed or 0)


def checkpoint_register(*, run: TrainingRun, path: Path | str, kind: str, metrics: dict) -> ModelCheckpoint:
    path = Path(path)
    relative = path.relative_to(settings.ARTIFACT_DIR) if path.is_relative_to(settings.ARTIFACT_DIR) else path
    return ModelCheckpoint.objects.create(
        project=run.project, run=run, kind=kind, path=str(relative), metrics=metrics,
        name=f"{run.project.slug}-{run.stage}-run{run.pk}",
    )


def retrain_policy_set(*, project, enabled: bool, every_n_judgments: int, base_model: str, config: dict,
                       set_priority: bool) -> RetrainPolicy:
    """Create or change the project's policy; an enabled one's base model and config are validated
    like a run's. A disabled one's config alone: turning a policy off must work whatever became of
    its base model (removed, or none given yet), and it is checked again when turned on."""
    if every_n_judgments < 1:
        raise InvalidInput("every_n_judgments must be at least 1", field="every_n_judgments")
    if enabled:
        normalised = validate_run(
            stage=Stage.REWARD, base_model=base_model, base_checkpoint=None, reward_checkpoint=None, config=config,
            project=project,
        )
    else:
        normalised = idle_policy_check(base_model, config)
    policy, _ = RetrainPolicy.objects.update_or_create(
        project=project,
        defaults={"enabled": enabled, "every_n_judgments": every_n_judgments, "base_model": base_model,
                  "config": normalised, "set_priority": set_priority},
    )
    return policy
