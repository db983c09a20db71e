"""Executes one claimed run on a worker: the glue between the run row and training.ml.

A heartbeat thread proves the worker alive every few seconds and notices cancellation, so a
run stops within a step of a cancel and a dead worker's run is re-queued by the reaper (and
resumes from its last saved state). Every write names the attempt the worker claimed, so a
worker whose run was taken from it (reaped, cancelled) stops at its next step.

The database may go away for a few seconds (a restart, a failover) without failing a run:
the worker's writes are retried on fresh connections (``with_db_retry``), and a heartbeat that
fails is logged and tried again at the next beat.
"""

import contextlib
import json
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
)
from django.utils import timezone

from training import services
from training.best_of_n_run import run_best_of_n
from training.guardrails import (
    data_problems,
    data_warnings,
    empty_refusal,
    refusal,
    result_warnings,
)
from training.models import ModelCheckpoint, RunStatus, Stage, TrainingRun
from training.run_log import LogTail, run_log
from training.run_samples import run_samples_record, split_samples
from training.validation import model_root_problem, resolve_model_path

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5
METRICS = "metrics.json"  # training.ml.checkpoints.METRICS, named here so the web side never loads torch
TRAINING_CONFIG = "training_config.json"  # training.ml.checkpoints.TRAINING_CONFIG
# Seconds between tries of a write that lost its connection: 31.5 s in all, longer than a
# PostgreSQL restart or a managed failover takes.
DB_RETRY_DELAYS = (0.5, 1, 2, 4, 8, 16)


def with_db_retry(write, /, **kwargs):
    """``write(**kwargs)``, tried again on a fresh connection while the database is unreachable.

    Only for writes that are safe to repeat (conditional updates, upserts by key): a write
    whose commit reached the server before the connection dropped runs twice. Only connection
    errors (OperationalError, InterfaceError) are retried; anything else is a bug, raised at once.
    """
    for delay in (*DB_RETRY_DELAYS, None):
        try:
            return write(**kwargs)
        except (OperationalError, InterfaceError) as exc:
            if delay is None:
                raise
            log.warning("database unreachable (%s); retrying %s in %s s", exc, write.__name__, delay)
            drop_connection()
            time.sleep(delay)


def drop_connection() -> None:
    """Forget this thread's connection (Django does not reconnect a broken one by itself)."""
    with contextlib.suppress(DatabaseError):
        connection.close()


class Heartbeat(threading.Thread):
    def __init__(self, run_id: int, attempt: int, tail: LogTail):
        super().__init__(daemon=True, name=f"heartbeat-{run_id}")
        self.run_id, self.attempt, self.tail = run_id, attempt, tail
        self.stop_requested = threading.Event()
        self.done = threading.Event()

    def run(self):
        try:
            while not self.done.wait(HEARTBEAT_SECONDS):
                self.beat()
        finally:
            drop_connection()  # this thread's own database connection

    def beat(self) -> None:
        """One heartbeat. A failed one is logged and the next beat tries again on a new
        connection: a database restart must not silence the worker for good."""
        try:
            alive = services.training_run_heartbeat(run_id=self.run_id, attempt=self.attempt, log_tail=self.tail.text())
        except Exception as exc:  # noqa: BLE001 - the thread must outlive any one failure
            log.warning("run %s: heartbeat failed (%s); trying again in %s s", self.run_id, exc, HEARTBEAT_SECONDS)
            drop_connection()
            return
        if not alive:
            self.stop_requested.set()


@dataclass
class AttemptEnd:
    """How one attempt of a run ended: what training_run_finish records."""

    status: str
    result: dict = field(default_factory=dict)
    error: str = ""
    checkpoint: dict | None = None  # {"path", "kind", "metrics"}, registered as the run finishes
    warnings: list[str] = field(default_factory=list)


def execute_run(run_id: int, worker: str) -> str:
    """Claim and execute run ``run_id``; the final status (or 'not-claimed', or 'lost' when the
    run was taken from this worker before it finished)."""
    close_old_connections()
    attempt = with_db_retry(services.training_run_claim, run_id=run_id, worker=worker)
    if not attempt:
        return "not-claimed"
    run = TrainingRun.objects.select_related("project", "base_checkpoint", "reward_checkpoint", "snapshot").get(pk=run_id)
    with run_log() as tail:
        beat = Heartbeat(run_id, attempt, tail)
        beat.start()
        try:
            ending = _execute(run, attempt, beat)
        finally:
            beat.done.set()
            beat.join()
    finished = with_db_retry(
        services.training_run_finish, run_id=run_id, attempt=attempt, status=ending.status, result=ending.result,
        error=ending.error, log_tail=tail.text(), checkpoint=ending.checkpoint, warnings=ending.warnings or None,
    )
    if not finished:
        return "lost"
    _clean_up(run)
    if ending.status == RunStatus.SUCCEEDED:
        _after_success(run)
    return ending.status


def _clean_up(run: TrainingRun) -> None:
    """The run is over: its periodic states (resume.py) will not be resumed from."""
    if run.stage not in (Stage.GENERATE, Stage.JUDGE):
        from training.ml.resume import remove_states

        remove_states(output_dir(run))


def _after_success(run: TrainingRun) -> None:
    from training.active_learning import wants_priorities
    from training.tasks import score_comparison_priorities

    checkpoint = ModelCheckpoint.objects.filter(run=run).values_list("pk", flat=True).first()
    if checkpoint and wants_priorities(run):
        score_comparison_priorities.delay(checkpoint)


class StepControl:
    """The stage's per-step callback: records progress, logs a progress line, and says stop
    when the run was cancelled, taken from this attempt, or ran past its time limit."""

    def __init__(self, run: TrainingRun, attempt: int, beat: Heartbeat):
        self.run, self.attempt, self.beat = run, attempt, beat
        started = run.started_at or timezone.now()  # the first attempt's start: the limit is per run
        self.deadline = started + timedelta(seconds=settings.TRAINING_RUN_TIME_LIMIT)
        self.failure = ""  # why it stopped, when that is a failure rather than a cancel

    def __call__(self, step: int, total: int, metrics: dict) -> bool:
        metrics, samples = split_samples(metrics)  # a few of the step's responses, for the run page
        log.info("run %s: %s", self.run.pk, progress_line(step, total, metrics))
        owned = with_db_retry(
            services.training_run_progress, run_id=self.run.pk, attempt=self.attempt, step=step, total=total,
            metrics=metrics,
        )
        if owned and samples:
            with_db_retry(run_samples_record, run_id=self.run.pk, step=step, samples=samples)
        if timezone.now() > self.deadline:
            limit = settings.TRAINING_RUN_TIME_LIMIT
            self.failure = f"time limit exceeded: still training at step {step} of {total} after {limit} s (TRAINING_RUN_TIME_LIMIT)"
            return False
        return owned and not self.beat.stop_requested.is_set()


def progress_line(step: int, total: int, metrics: dict) -> str:
    """"step 12/300 loss 0.6931 accuracy 0.5 learning_rate 1e-05 12.3 samples/s 950.0 tokens/s": the
    loss first, then the other metrics as they come, then the speeds."""
    parts = [f"step {step}/{total}"]
    names = sorted((k for k in metrics if k not in SPEEDS), key=lambda k: k != "loss")  # stable: loss first
    parts += [f"{k} {metrics[k]:.4g}" for k in names if isinstance(metrics[k], int | float)]
    parts += [f"{metrics[k]:.1f} {k.removesuffix('_per_s')}/s" for k in SPEEDS if k in metrics]
    return " ".join(parts)


SPEEDS = ("samples_per_s", "tokens_per_s")


def _execute(run: TrainingRun, attempt: int, beat: Heartbeat) -> AttemptEnd:
    from training.launch import ChildFailed, LaunchError
    from training.ml.loop import TrainingCancelled  # torch loads here, on the worker only

    control = StepControl(run, attempt, beat)
    if run.base_checkpoint is None and (problem := model_root_problem(run.base_model)):
        log.error("run %s: %s", run.pk, problem)
        return AttemptEnd(RunStatus.FAILED, error=problem)
    log.info("run %s: %s on %s (attempt %s)", run.pk, run.stage, base_model_path(run), attempt)
    try:
        return STAGES[run.stage](run, control)
    except TrainingCancelled as exc:
        if control.failure:
            log.error("run %s: %s", run.pk, control.failure)
            return AttemptEnd(RunStatus.FAILED, error=control.failure)
        log.info("run %s stopped at step %s", run.pk, exc.step)
        return AttemptEnd(RunStatus.CANCELLED)
    except (ChildFailed, LaunchError) as exc:  # the training processes' own error, not this process's
        log.error("run %s failed: %s", run.pk, exc)
        return AttemptEnd(RunStatus.FAILED, error=str(exc))
    except Exception:
        log.exception("run %s failed", run.pk)
        return AttemptEnd(RunStatus.FAILED, error=traceback.format_exc())


def base_model_path(run: TrainingRun) -> str:
    if run.base_checkpoint is not None:
        return resolve_model_path(run.base_checkpoint.path)
    return resolve_model_path(run.base_model)


def output_dir(run: TrainingRun) -> Path:
    # The creation time makes the name unique even where ids are reused (a restored or reset
    # database), so a run never meets an earlier run's directory.
    return Path(settings.ARTIFACT_DIR) / "checkpoints" / f"run-{run.pk}-{run.created_at:%Y%m%d%H%M%S%f}"


def _train(run: TrainingRun, control: StepControl, kind: str, train_fn, **extra) -> AttemptEnd:
    from training.inputs import stage_examples
    from training.jobs import launched_stage
    from training.ml.config import config_from_dict
    from training.ml.resume import latest_step

    train, val = stage_examples(run)
    if empty := empty_refusal(run.stage, len(train)):
        return AttemptEnd(RunStatus.FAILED, error=empty)
    problems = data_problems(run.stage, len(train), len(val))
    if problems and not run.force:
        return AttemptEnd(RunStatus.FAILED, error=refusal(run.stage, problems))
    warnings = data_warnings(run.stage, len(train), len(val))
    out = output_dir(run)
    if (out / METRICS).exists():  # a previous attempt wrote the checkpoint and died before recording it
        log.info("run %s: the checkpoint of an earlier attempt is complete; recording it", run.pk)
        return _warned(_finished(out, kind, train, val, recovered=True), run.stage, warnings)
    resumed = latest_step(out)
    if resumed is not None:
        log.info("run %s: resuming at step %s from its last saved state", run.pk, resumed)
        with_db_retry(services.training_run_resumed, run_id=run.pk, attempt=control.attempt, step=resumed)
    config = config_from_dict(run.stage, run.config)
    launched_stage(
        run, control, train_fn, {"train": train, "validation": val}, config=config, model_path=base_model_path(run),
        num_processes=config.num_processes, output_dir=out, extra=extra,
    )
    return _warned(_finished(out, kind, train, val), run.stage, warnings)


def _finished(out: Path, kind: str, train: list, val: list, recovered: bool = False) -> AttemptEnd:
    """How a run whose checkpoint ``out`` is complete ended, read from its metrics.json;
    world_size is the number of processes that trained it (its training_config.json).
    ``recovered``: an earlier attempt wrote it, this one trained nothing (the run page says so)."""
    metrics = json.loads((out / METRICS).read_text())
    trained = json.loads((out / TRAINING_CONFIG).read_text())["config"]
    metrics["final"]["world_size"] = (trained.get("num_processes") or 1) * trained.get("num_machines", 1)
    summary = {"output_dir": str(out), "steps": len(metrics["history"]), "metrics": metrics["final"],
               "train_examples": len(train), "validation_examples": len(val), **({"recovered": True} if recovered else {})}
    checkpoint = {"path": out, "kind": kind, "metrics": metrics["final"], "history": metrics["history"]}
    return AttemptEnd(RunStatus.SUCCEEDED, summary, checkpoint=checkpoint)


def _warned(ending: AttemptEnd, stage: str, warnings: list[str]) -> AttemptEnd:
    """``ending`` with the run's data warnings and those its scores call for (guardrails.py)."""
    ending.warnings = [*warnings, *result_warnings(stage, ending.result.get("metrics", {}))]
    return ending


def run_reward(run, callback):
    from training.ml.reward import train_reward

    return _train(run, callback, ModelCheckpoint.Kind.REWARD, train_reward)


def run_sft(run, callback):
    from training.ml.sft import train_sft

    return _train(run, callback, ModelCheckpoint.Kind.POLICY, train_sft)


def run_dpo(run, callback):
    from training.ml.dpo import train_dpo

    return _train(run, callback, ModelCheckpoint.Kind.POLICY, train_dpo)


def run_kto(run, callback):
    from training.ml.kto import train_kto

    return _train(run, callback, ModelCheckpoint.Kind.POLICY, train_kto)


def run_ppo(run, callback):
    from training.ml.ppo import train_ppo

    return _train_online(run, callback, train_ppo)


def run_grpo(run, callback):
    from training.ml.group_rl import train_grpo

    return _train_online(run, callback, train_grpo)


def run_rloo(run, callback):
    from training.ml.group_rl import train_rloo

    return _train_online(run, callback, train_rloo)


def _train_online(run, callback, train_fn) -> AttemptEnd:
    """A policy trained against the run's reward model checkpoint (none with verifier 'only')."""
    reward, gold_id = run.reward_checkpoint, run.config.get("gold_reward_checkpoint")
    paths = {"reward_model_path": resolve_model_path(reward.path) if reward is not None else None}
    if gold_id is not None:  # checked when the run was created
        paths["gold_reward_model_path"] = resolve_model_path(ModelCheckpoint.objects.get(pk=gold_id).path)
    return _train(run, callback, ModelCheckpoint.Kind.POLICY, train_fn, **paths)


def run_generate(run, callback):
    from training.generation import add_generated_responses, generation_prompts
    from training.jobs import launched_stage
    from training.ml.config import config_from_dict
    from training.ml.generate import generate

    config = config_from_dict(Stage.GENERATE, run.config)
    prompts, warnings = generation_prompts(run, limit=config.max_prompts)
    examples = {"prompts": [{"prompt": p.messages} for p in prompts]}
    # one process: generate samples every prompt on the first device, as judge and best_of_n do
    samples = launched_stage(run, callback, generate, examples, config=config, model_path=base_model_path(run),
                             num_processes=1)["samples"]
    added = add_generated_responses(run=run, prompts=prompts, samples=samples)
    return AttemptEnd(RunStatus.SUCCEEDED, added, warnings=warnings)


def run_judge(run, callback):
    """A checkpoint judges the project's comparisons (training/judging.py); no checkpoint comes out."""
    from training.jobs import launched_stage
    from training.judging import judge_inputs, run_judge_of, store_judge_verdicts
    from training.ml.config import config_from_dict
    from training.ml.judge import judge

    config = config_from_dict(Stage.JUDGE, run.config)
    if config.mode == "revise":  # the causal LM writes revisions into a snapshot: training/revising.py
        from training.revising import run_revise

        return run_revise(run, callback, config)
    judge_row = run_judge_of(run, config)
    comparisons, rubric = judge_inputs(run, judge_row, config)
    extra = {"rubric": rubric, "endpoint": settings.JUDGE_ENDPOINT_URL if config.endpoint_model else None}
    verdicts = []
    if comparisons:  # one process: every rank would judge every comparison
        verdicts = launched_stage(run, callback, judge, {"prompts": comparisons}, config=config,
                                  model_path=base_model_path(run), num_processes=1, extra=extra)["samples"]
    return AttemptEnd(RunStatus.SUCCEEDED, store_judge_verdicts(judge_row, verdicts, config.which))


STAGES = {
    Stage.REWARD: run_reward,
    Stage.SFT: run_sft,
    Stage.DPO: run_dpo,
    Stage.KTO: run_kto,
    Stage.PPO: run_ppo,
    Stage.GRPO: run_grpo,
    Stage.RLOO: run_rloo,
    Stage.GENERATE: run_generate,
    Stage.JUDGE: run_judge,
    Stage.BEST_OF_N: run_best_of_n,
}
