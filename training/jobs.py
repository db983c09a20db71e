"""A run's training from the worker's side: launch it (training/launch.py), follow it, record it.

The worker's process keeps what it did before the launch moved training out of it: the claim,
the heartbeat, every database write (rank 0's progress lines become ``StepControl`` calls, so
they are retried, checked against the attempt and against the time limit as before) and the
run's log (every line the job prints is logged here, where the run's LogTail collects it).
"""

import logging

from django.conf import settings
from django.utils import timezone

from training.launch import (
    Launch,
    check_engine,
    engine_config_file,
    engine_flags,
    resolve_num_processes,
    run_job,
    visible_gpus,
)

log = logging.getLogger(__name__)
child_log = logging.getLogger("training.child")


def job_launch(config, num_processes: int | None) -> Launch:
    """How a run with ``config`` is launched on this worker (raises LaunchError if it cannot be)."""
    gpus = visible_gpus()
    count = resolve_num_processes(num_processes, gpus)
    precision = getattr(config, "mixed_precision", "no") if gpus else "no"
    distributed = getattr(config, "distributed", "ddp")  # generate has neither field: one process
    check_engine(distributed, gpus)
    return Launch(num_processes=count, config_file=engine_config_file(distributed), use_cpu=not gpus,
                  mixed_precision=precision, engine_flags=engine_flags(distributed, getattr(config, "offload", False)))


def launched_stage(run, control, function, examples: dict, *, config, model_path, num_processes: int | None = None,
                   output_dir=None, extra: dict | None = None) -> dict:
    """Run ``function`` (a stage of training.ml) for ``run`` as a launched job; what it left
    (training.launch.run_job). ``control`` is the runner's StepControl: it records each step and
    says stop; a cancel seen by the heartbeat or the time limit stops the job between steps too.

    Raises TrainingCancelled when the job was stopped (``control.failure`` says why when that
    is a failure), ChildFailed when it exited with an error."""
    from training.ml.loop import TrainingCancelled

    launch = job_launch(config, num_processes)
    recorded = config.to_dict()
    if "num_processes" in recorded:  # the count it ran with goes into its training_config.json
        recorded["num_processes"] = launch.num_processes
    job = {
        "stage": run.stage, "config": recorded, "function": f"{function.__module__}:{function.__name__}",
        "model_path": str(model_path), "output_dir": str(output_dir or ""), "extra": extra or {},
    }
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
