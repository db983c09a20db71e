"""Periodic training states and resuming from them (`save_steps`, `save_total_limit`).

A run writing `output_dir` keeps its states beside it, in `<output_dir>.states/step-<N>/`:

    accelerate's save_state files    model weights (safetensors), optimizer, scheduler, RNG states
    trainer_state.json               {"step", "epoch", "batch", "history"}: where the data was and
                                     the metrics so far, so a resumed curve continues the old one;
                                     an online stage adds "monitor" (reward_monitor.py's state)

A state is written under a `.partial` name, fsynced, then renamed, so a `step-<N>` directory is
always complete; the newest `save_total_limit` are kept. States are training-time files: the
finished checkpoint is `output_dir` itself, and `remove_states` clears them once it is written.
Only this module's writer fills these directories, so loading them (accelerate unpickles the RNG
states) reads nothing a user supplied.
"""

import json
import shutil
from pathlib import Path

from durable import fsync_tree, replace_directory

TRAINER_STATE = "trainer_state.json"
PREFIX = "step-"


def state_dir(output_dir: str | Path) -> Path:
    """Where the run that writes `output_dir` keeps its periodic states."""
    output_dir = Path(output_dir)
    return output_dir.with_name(f"{output_dir.name}.states")


def saved_steps(states: Path) -> list[int]:
    """Steps with a complete saved state, oldest first (partial writes are ignored)."""
    if not states.is_dir():
        return []
    steps = [
        int(p.name[len(PREFIX):]) for p in states.iterdir()
        if p.name.startswith(PREFIX) and p.name[len(PREFIX):].isdigit() and (p / TRAINER_STATE).exists()
    ]
    return sorted(steps)


def latest_step(output_dir: str | Path) -> int | None:
    """The step a run writing `output_dir` would resume from, or None (it starts at step 0)."""
    steps = saved_steps(state_dir(output_dir))
    return steps[-1] if steps else None


def step_path(states: Path, step: int) -> Path:
    return states / f"{PREFIX}{step:09d}"


def read_trainer_state(output_dir: str | Path) -> tuple[Path, dict] | None:
    """(directory, trainer state) of the newest complete state, or None."""
    step = latest_step(output_dir)
    if step is None:
        return None
    path = step_path(state_dir(output_dir), step)
    return path, json.loads((path / TRAINER_STATE).read_text())


def save_training_state(accelerator, output_dir: Path, trainer_state: dict, keep: int) -> Path:
    """Write the full state atomically (every process must call it); keep the newest `keep`."""
    states = state_dir(output_dir)
    final = step_path(states, trainer_state["step"])
    partial = final.with_name(f"{final.name}.partial")
    if accelerator.is_main_process:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(partial))
    if accelerator.is_main_process:
        (partial / TRAINER_STATE).write_text(json.dumps(trainer_state))
        fsync_tree(partial)
        replace_directory(partial, final)
        for old in saved_steps(states)[:-keep]:
            shutil.rmtree(step_path(states, old), ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def trainer_state(step: int, place: tuple[int, int], history: list[dict], **extra) -> dict:
    """What is saved beside the weights: the step, where the data was (epoch, batch), the
    metrics so far and what else the loop keeps across steps (`extra`)."""
    return {"step": step, "epoch": place[0], "batch": place[1], "history": history, **extra}


def next_place(epoch: int, index: int, batches: int) -> tuple[int, int]:
    """(epoch, batch) after batch `index` of `batches` in `epoch`: where a resumed loop starts."""
    return (epoch, index + 1) if index + 1 < batches else (epoch + 1, 0)


def resume_point(accelerator, scheduler, loader, output_dir) -> dict:
    """Where a training loop starts: step 0, or the newest saved state of `output_dir` with the
    loader replayed through the epochs before it (the shuffle of an epoch depends on the
    ones drawn before it). "path" is the state to load once the epoch's shuffle is drawn
    (load_pending); the scheduler is registered, so it is saved and loaded with the rest."""
    start = {"step": 0, "epoch": 0, "batch": 0, "history": []}
    if output_dir is None:
        return start
    accelerator.register_for_checkpointing(scheduler)
    found = read_trainer_state(output_dir)
    if found is None:
        return start
    path, state = found
    for epoch in range(state["epoch"]):
        loader.set_epoch(epoch)
        for _ in loader:
            pass
    return {**state, "path": str(path)}


def load_pending(accelerator, saved: dict) -> None:
    """Load the state `resume_point` found, once (weights, optimizer, schedule, RNG): called at
    the first batch trained after the resume, after the epoch's shuffle was drawn, so the RNG
    is restored last."""
    if saved.get("path"):
        accelerator.load_state(saved.pop("path"))


def remove_states(output_dir: str | Path) -> None:
    """Drop a run's periodic states (once it has finished, one way or another)."""
    shutil.rmtree(state_dir(output_dir), ignore_errors=True)
