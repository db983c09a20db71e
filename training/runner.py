"""Executes one claimed run on a worker: the glue between the run row and training.ml.

A heartbeat thread proves the worker alive every few seconds and notices cancellation, so a
run stops within a step of a cancel and a dead worker's run is failed by the reaper.
"""

import logging
import threading
import traceback
from collections import deque
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection

from training import services
from training.models import ModelCheckpoint, RunStatus, Stage, TrainingRun

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5
GENERATE_MAX_PROMPTS = 256  # per generate run; oldest prompts first


class LogTail(logging.Handler):
    """Keeps the last lines logged during a run, for the dashboard."""

    def __init__(self, lines: int = 200):
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=lines)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


class Heartbeat(threading.Thread):
    def __init__(self, run_id: int, tail: LogTail):
        super().__init__(daemon=True, name=f"heartbeat-{run_id}")
        self.run_id, self.tail = run_id, tail
        self.stop_requested = threading.Event()
        self.done = threading.Event()

    def run(self):
        try:
            while not self.done.wait(HEARTBEAT_SECONDS):
                if not services.training_run_heartbeat(run_id=self.run_id, log_tail=self.tail.text()):
                    self.stop_requested.set()
        finally:
            connection.close()  # this thread's own database connection


def execute_run(run_id: int, worker: str) -> str:
    """Claim and execute run ``run_id``; the final status (or 'not-claimed')."""
    close_old_connections()
    if not services.training_run_claim(run_id=run_id, worker=worker):
        return "not-claimed"
    run = TrainingRun.objects.select_related("project", "base_checkpoint", "reward_checkpoint", "snapshot").get(pk=run_id)
    tail = LogTail()
    logging.getLogger().addHandler(tail)
    beat = Heartbeat(run_id, tail)
    beat.start()
    try:
        status, result, error = _execute(run, beat)
    finally:
        beat.done.set()
        beat.join()
        logging.getLogger().removeHandler(tail)
    finished = services.training_run_finish(run_id=run_id, status=status, result=result, error=error, log_tail=tail.text())
    if finished and status == RunStatus.SUCCEEDED:
        _after_success(run, result)
    return status


def _after_success(run: TrainingRun, result: dict) -> None:
    from training.active_learning import wants_priorities
    from training.tasks import score_comparison_priorities

    if result.get("checkpoint") and wants_priorities(run):
        score_comparison_priorities.delay(result["checkpoint"])


def _execute(run: TrainingRun, beat: Heartbeat) -> tuple[str, dict, str]:
    from training.ml.loop import TrainingCancelled  # torch loads here, on the worker only

    def callback(step: int, total: int, metrics: dict) -> bool:
        services.training_run_progress(run_id=run.pk, step=step, total=total, metrics=metrics)
        return not (beat.stop_requested.is_set() or _cancel_requested(run.pk))

    log.info("run %s: %s on %s", run.pk, run.stage, base_model_path(run))
    try:
        result = STAGES[run.stage](run, callback)
    except TrainingCancelled as exc:
        log.info("run %s cancelled at step %s", run.pk, exc)
        return RunStatus.CANCELLED, {}, ""
    except Exception:
        log.exception("run %s failed", run.pk)
        return RunStatus.FAILED, {}, traceback.format_exc()
    return RunStatus.SUCCEEDED, result, ""


def _cancel_requested(run_id: int) -> bool:
    return TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()


def base_model_path(run: TrainingRun) -> str:
    if run.base_checkpoint is not None:
        return services.resolve_model_path(run.base_checkpoint.path)
    return services.resolve_model_path(run.base_model)


def output_dir(run: TrainingRun) -> Path:
    # The creation time makes the name unique even where ids are reused (a restored or reset
    # database), so a run never meets an earlier run's directory.
    return Path(settings.ARTIFACT_DIR) / "checkpoints" / f"run-{run.pk}-{run.created_at:%Y%m%d%H%M%S%f}"


def _summary(result: dict) -> dict:
    """What the run row keeps (the per-step history is in RunMetric rows already)."""
    return {k: v for k, v in result.items() if k != "history"}


def _train(run: TrainingRun, callback, kind: str, train_fn, **extra) -> dict:
    from training.inputs import stage_examples
    from training.ml.config import config_from_dict

    train, val = stage_examples(run)
    out = output_dir(run)
    result = train_fn(config_from_dict(run.stage, run.config), base_model_path(run), train, val, out, callback, **extra)
    checkpoint = services.checkpoint_register(run=run, path=out, kind=kind, metrics=result.get("metrics", {}))
    return {**_summary(result), "checkpoint": checkpoint.pk, "train_examples": len(train), "validation_examples": len(val)}


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


def _train_online(run, callback, train_fn) -> dict:
    """A policy trained against the run's reward model checkpoint."""
    reward_path = services.resolve_model_path(run.reward_checkpoint.path)
    return _train(run, callback, ModelCheckpoint.Kind.POLICY, train_fn, reward_model_path=reward_path)


def run_generate(run, callback):
    from training.generation import add_generated_responses, generation_prompts
    from training.ml.config import config_from_dict
    from training.ml.generate import generate

    config = config_from_dict(Stage.GENERATE, run.config)
    prompts = generation_prompts(run, limit=GENERATE_MAX_PROMPTS)
    samples = generate(config, base_model_path(run), [{"prompt": p.messages} for p in prompts], callback)
    return add_generated_responses(run=run, prompts=prompts, samples=samples)


STAGES = {
    Stage.REWARD: run_reward,
    Stage.SFT: run_sft,
    Stage.DPO: run_dpo,
    Stage.KTO: run_kto,
    Stage.PPO: run_ppo,
    Stage.GRPO: run_grpo,
    Stage.RLOO: run_rloo,
    Stage.GENERATE: run_generate,
}
