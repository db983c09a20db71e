"""What every rank of a launched run executes: ``python -m training.child JOB_DIR``.

The worker (training/launch.py) writes JOB_DIR before it launches:

    job.json        {"stage", "config", "function": "module:name", "model_path", "output_dir",
                     "extra": {keyword arguments}, "num_processes"}
    examples.json   {"train": [...], "validation": [...]}, or {"prompts": [...]} for generate (judge: the comparisons)

Each rank checks that it was launched into the world size the run asks for, then calls the
stage's function of training.ml with the same arguments. Rank 0 alone gets the progress
callback, which prints one PROGRESS line per step for the worker to record; the stage
functions write the checkpoint from rank 0 alone (checkpoints.finish_run). A generate job's
samples are written by rank 0 to samples.json. A rank that raises writes its traceback to
error-rank-N.txt, which the worker quotes when it fails the run.

Like training.ml, this imports no Django: the training processes never touch the database.
"""

import importlib
import json
import logging
import os
import signal
import sys
import traceback
from pathlib import Path

from training.launch import ENGINE_VARIABLES, ERROR_FILE, PROGRESS, SAMPLES, die_with_parent

ERROR_TRACE_LINES = 40


class WorldSizeMismatch(RuntimeError):
    """The processes that started do not form the world the run asked for."""


def report_progress(step: int, total: int, metrics: dict) -> bool:
    """Rank 0's callback: one line the worker parses; the worker stops the job to cancel it."""
    print(PROGRESS + json.dumps({"step": step, "total": total, "metrics": metrics}), flush=True)
    return True


def check_world_size(expected: int):
    """The accelerate state of this rank, after checking it is one of `expected` processes.

    A launch that silently fell back to one process per rank (accelerate on CPU without
    ACCELERATE_USE_CPU) gives `expected` main processes racing on one output directory."""
    import torch
    from accelerate import PartialState

    state = PartialState(cpu=not torch.cuda.is_available())
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if state.num_processes != expected or launched != expected:
        raise WorldSizeMismatch(
            f"world size mismatch: the run asks for num_processes {expected}, but this process "
            f"is one of {state.num_processes} in accelerate's state ({state.distributed_type}) and "
            f"WORLD_SIZE is {launched}: the launch did not start the processes the run needs"
        )
    return state


def check_engine(distributed: str) -> None:
    """The launcher set up the engine the run asks for (an engine accelerate dropped would train
    as ddp, unsharded, without a word)."""
    for engine, variable in ENGINE_VARIABLES.items():
        wanted, present = engine == distributed, os.environ.get(variable, "false").lower() == "true"
        if wanted and not present:
            raise RuntimeError(f"the run asks for distributed '{distributed}' but the launcher did not set {variable}")
        if present and variable != ENGINE_VARIABLES.get(distributed):
            raise RuntimeError(f"the run asks for distributed '{distributed}' but the launcher set {variable}")


def run(job_dir: Path, job: dict, is_main: bool):
    from training.ml.config import config_from_dict

    config = config_from_dict(job["stage"], job["config"])
    check_engine(getattr(config, "distributed", "ddp"))
    module, name = job["function"].split(":")
    function = getattr(importlib.import_module(module), name)
    examples = json.loads((job_dir / "examples.json").read_text())
    callback = report_progress if is_main else None
    if "prompts" in examples:  # generate, judge: one process, the worker stores what it returns
        samples = function(config, job["model_path"], examples["prompts"], callback, **job["extra"])
        if is_main:
            (job_dir / SAMPLES).write_text(json.dumps(samples))
        return
    function(
        config, job["model_path"], examples["train"], examples["validation"], job["output_dir"],
        callback, **job["extra"],
    )


def write_error(job_dir: Path) -> None:
    rank = os.environ.get("RANK", "0")
    lines = traceback.format_exc().rstrip().splitlines()[-ERROR_TRACE_LINES:]
    (job_dir / ERROR_FILE.format(rank=rank)).write_text(f"rank {rank}: " + "\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    job_dir = Path(argv[0])
    die_with_parent(signal.SIGTERM)  # torchrun's agent gone: so is this rank
    job = json.loads((job_dir / "job.json").read_text())
    try:
        state = check_world_size(job["num_processes"])
        logging.basicConfig(
            level=logging.INFO if state.is_main_process else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        run(job_dir, job, state.is_main_process)
    except Exception:
        write_error(job_dir)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
