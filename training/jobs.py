"""A run's training from the worker's side: launch it (training/launch.py), follow it, record it.

The worker's process keeps what it did before the launch moved training out of it: the claim,
the heartbeat, every database write (rank 0's progress lines become ``StepControl`` calls, so
they are retried, checked against the attempt and against the time limit as before) and the
run's log (every line the job prints is logged here, where the run's LogTail collects it).

A run on several machines (``num_machines``) has one part per machine. The worker that claimed
the run is part 0: it publishes where its rank 0 listens and the job (``rendezvous``), hands
parts 1.. to the gpu queue and waits until other workers joined them (``execute_part``), then
every part launches its processes into one torchrun world. A part that never arrives fails the
run after TRAINING_RENDEZVOUS_TIMEOUT, with the reason.
"""

import dataclasses
import logging
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from training import services
from training.launch import (
    Launch,
    LaunchError,
    check_engine,
    engine_config_file,
    engine_flags,
    resolve_num_processes,
    run_job,
    visible_gpus,
)
from training.models import RunStatus, TrainingRun

log = logging.getLogger(__name__)
child_log = logging.getLogger("training.child")
POLL_SECONDS = 1.0


def job_launch(config, num_processes: int | None) -> Launch:
    """How a run with ``config`` is launched on this worker (raises LaunchError if it cannot be)."""
    gpus = visible_gpus()
    count = resolve_num_processes(num_processes, gpus)
    precision = getattr(config, "mixed_precision", "no") if gpus else "no"
    distributed = getattr(config, "distributed", "ddp")  # generate has neither field: one process
    check_engine(distributed, gpus)
    return Launch(num_processes=count, config_file=engine_config_file(distributed), use_cpu=not gpus,
                  mixed_precision=precision, engine_flags=engine_flags(distributed, getattr(config, "offload", False)))


def across_machines(launch: Launch, machines: int, rank: int, address: str, port: int) -> Launch:
    """``launch`` (this machine's processes) as machine ``rank`` of ``machines``."""
    return dataclasses.replace(launch, num_processes=launch.num_processes * machines, num_machines=machines,
                               machine_rank=rank, main_address=address, main_port=port)


def launched_stage(run, control, function, examples: dict, *, config, model_path, num_processes: int | None = None,
                   output_dir=None, extra: dict | None = None) -> dict:
    """Run ``function`` (a stage of training.ml) for ``run`` as a launched job; what it left
    (training.launch.run_job). ``control`` is the runner's StepControl: it records each step and
    says stop; a cancel seen by the heartbeat or the time limit stops the job between steps too.

    Raises TrainingCancelled when the job was stopped (``control.failure`` says why when that
    is a failure), ChildFailed when it exited with an error, LaunchError when it cannot start."""
    from training.ml.loop import TrainingCancelled

    launch = job_launch(config, num_processes)
    recorded = config.to_dict()
    if "num_processes" in recorded:  # the count it ran with goes into its training_config.json
        recorded["num_processes"] = launch.num_processes
    job = {
        "stage": run.stage, "config": recorded, "function": f"{function.__module__}:{function.__name__}",
        "model_path": str(model_path), "output_dir": str(output_dir or ""), "extra": extra or {},
    }
    machines = recorded.get("num_machines", 1)
    if machines > 1:
        launch = _gather_parts(run, control, launch, machines, job)
    last = {"step": 0, "total": 0}

    def on_progress(step: int, total: int, metrics: dict) -> bool:
        last.update(step=step, total=total)
        return control(step, total, metrics)

    log.info("run %s: launching %s process(es), %s", run.pk, launch.num_processes, launch.config_file.stem)
    left = run_job(job, examples, launch, on_progress=on_progress, should_stop=lambda: _should_stop(control),
                   on_line=lambda line: child_log.info("%s", line))
    if left is None:
        raise TrainingCancelled(last["step"], last["total"])
    return left


def _should_stop(control) -> bool:
    """Between the job's steps: a cancel or a lost run (the heartbeat), or the time limit."""
    if timezone.now() > control.deadline:
        limit = settings.TRAINING_RUN_TIME_LIMIT
        control.failure = f"time limit exceeded: still training after {limit} s (TRAINING_RUN_TIME_LIMIT)"
        return True
    return control.beat.stop_requested.is_set()


def _gather_parts(run, control, launch: Launch, machines: int, job: dict) -> Launch:
    """Part 0: publish the rendezvous, hand parts 1.. to the gpu queue, wait for them to join."""
    from training.ml.loop import TrainingCancelled
    from training.runner import with_db_retry
    from training.tasks import run_training_part

    launch = across_machines(launch, machines, 0, settings.TRAINING_RENDEZVOUS_HOST, launch.main_port)
    with_db_retry(services.training_run_rendezvous_publish, run_id=run.pk, attempt=control.attempt,
                  address=launch.main_address, port=launch.main_port, job=job)
    for part in range(1, machines):
        run_training_part.apply_async(args=[run.pk, control.attempt, part], queue="gpu")
    timeout = settings.TRAINING_RENDEZVOUS_TIMEOUT
    deadline = time.monotonic() + timeout
    log.info("run %s: waiting up to %s s for %s more part(s) to join", run.pk, timeout, machines - 1)
    while (joined := TrainingRun.objects.values_list("parts_joined", flat=True).get(pk=run.pk)) < machines - 1:
        if _should_stop(control):
            raise TrainingCancelled(0, 0)
        if time.monotonic() > deadline:
            raise LaunchError(
                f"{machines - 1 - joined} of the run's {machines} parts never joined within {timeout} s "
                "(TRAINING_RENDEZVOUS_TIMEOUT): no other gpu worker took them; start more gpu workers "
                "or lower num_machines"
            )
        time.sleep(POLL_SECONDS)
    return launch


def execute_part(run_id: int, attempt: int, part: int) -> str:
    """A worker's share of a run on several machines: join ``attempt`` as machine ``part`` and
    launch this machine's processes into the run's world. Rank 0 (part 0's worker) records
    everything; this part only follows its processes and stops them when the run stops.
    Returns 'gone' when the attempt ended before the part could join, else 'done'."""
    close_old_connections()
    rendezvous = _join(run_id, attempt)
    if rendezvous is None:
        return "gone"
    from training.inputs import stage_examples
    from training.ml.config import config_from_dict

    run = TrainingRun.objects.select_related("project", "snapshot").get(pk=run_id)
    job = rendezvous["job"]
    running = _still_running(run_id, attempt)
    try:
        config = config_from_dict(run.stage, job["config"])
        here = job_launch(config, config.num_processes)
        launch = across_machines(here, config.num_machines, part, rendezvous["address"], rendezvous["port"])
        train, val = stage_examples(run)
        log.info("run %s: part %s launching %s process(es)", run_id, part, here.num_processes)
        run_job(job, {"train": train, "validation": val}, launch, on_progress=lambda **event: True,
                should_stop=lambda: not running(), on_line=lambda line: child_log.info("%s", line))
    except Exception:  # part 0 fails the run: its ranks lose this part's
        log.exception("run %s: part %s failed", run_id, part)
    return "done"


def _join(run_id: int, attempt: int) -> dict | None:
    deadline = time.monotonic() + settings.TRAINING_RENDEZVOUS_TIMEOUT
    while time.monotonic() < deadline:
        rendezvous = services.training_run_part_join(run_id=run_id, attempt=attempt)
        if rendezvous is not None:
            return rendezvous
        if not TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, attempts=attempt).exists():
            return None
        time.sleep(POLL_SECONDS)
    return None


def _still_running(run_id: int, attempt: int, every: float = 2.0):
    """A should_stop for a part: whether the attempt still runs, asked at most every ``every`` s.

    A cancel request alone does not stop a part: part 0 stops the world (its rank 0 goes, and
    the other ranks fail on their next collective), so the run is recorded as cancelled. Were
    this part to stop first, rank 0 would die of the lost peer and the cancel read as a failure.
    A part whose ranks hang on a peer that never answers stops once part 0 recorded the end."""
    state = {"checked": 0.0, "running": True}

    def running() -> bool:
        if time.monotonic() - state["checked"] >= every:
            state["checked"] = time.monotonic()
            state["running"] = TrainingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, attempts=attempt).exists()
        return state["running"]

    return running
