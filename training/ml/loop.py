"""The training loop of the offline stages (reward, SFT, DPO, KTO; trainer.py runs it), the
parts every stage shares (accelerator, optimizer, loader), and the progress contract.

Callback contract (every stage):

    callback(step: int, total_steps: int, metrics: dict[str, float]) -> bool

It is called once per optimizer step, on the main process only, after the step. Returning
`False` (exactly False) cancels: the stage raises `TrainingCancelled` and writes nothing to
output_dir. Any other return value, None included, continues. In a multi-process run the
main process's answer is broadcast so every process stops at the same step. On some steps
of the stages that sample (SFT, DPO, KTO, PPO, GRPO, RLOO) metrics also holds
sampling.SAMPLES_KEY: a list of shown samples for the run page, not a float.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState, GradientState
from accelerate.utils import broadcast, set_seed
from transformers import get_linear_schedule_with_warmup

from training.ml.checkpoints import (
    check_model_options,
    check_output_dir,
    load_tokenizer,
)
from training.ml.data import check_examples
from training.ml.resume import (
    load_pending,
    next_place,
    resume_point,
    save_training_state,
    trainer_state,
)

Callback = Callable[[int, int, dict], bool]


@dataclass(frozen=True)
class RunInputs:
    """What every training stage trains from besides its config, in its entry point's argument
    order (trainer.StageInputs and online.OnlineInputs add their stages' own)."""

    base_model_path: str | Path
    train_examples: list[dict]
    val_examples: list[dict]
    output_dir: str | Path
    callback: Callback | None = None


class TrainingCancelled(Exception):
    """The callback returned False; nothing was written to output_dir."""

    def __init__(self, step: int, total_steps: int):
        super().__init__(f"training cancelled by callback at step {step} of {total_steps}")
        self.step = step
        self.total_steps = total_steps


class TrainingDiverged(Exception):
    """A step's loss was NaN or infinite; nothing was written to output_dir."""

    def __init__(self, step: int, loss: float):
        super().__init__(
            f"training diverged: the loss was {loss} at step {step} (try a lower learning_rate, "
            "or look for broken rows in the data)"
        )
        self.step = step


def make_accelerator(config) -> Accelerator:
    """Seeded accelerator: cuda when available, else cpu; `accelerate launch` adds processes.

    On GPU it autocasts as config.mixed_precision says; the weights it trains stay float32.

    accelerate keeps its settings in process-wide singletons, and refuses a second run with
    another mixed_precision in the same process. A worker process trains run after run,
    so outside a distributed launch each run starts from fresh state.
    """
    if not torch.distributed.is_initialized():
        AcceleratorState._reset_state(reset_partial_state=True)
        GradientState._reset_state()
    set_seed(config.seed)
    return Accelerator(
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        mixed_precision=config.mixed_precision if torch.cuda.is_available() else "no",
    )


def begin_run(
    config, base_model_path, train_examples, val_examples, keys: dict, output_dir
) -> tuple[Path, Accelerator, object]:
    """What every stage does first, before it loads a model: check the examples have `keys`
    (data.check_examples) and that this machine can load the model as asked
    (checkpoints.check_model_options), claim an empty output_dir, then build the seeded
    accelerator and load the tokenizer. Returns (output_dir, accelerator, tokenizer)."""
    check_examples(train_examples, keys, "train")
    if val_examples:
        check_examples(val_examples, keys, "validation")
    check_model_options(config)
    output_dir = check_output_dir(output_dir)
    return output_dir, make_accelerator(config), load_tokenizer(base_model_path)


def count_total_steps(config, num_examples: int, num_processes: int) -> int:
    """Optimizer steps: max_steps if set, else epochs over the data."""
    if config.max_steps is not None:
        return config.max_steps
    per_step = config.batch_size * config.gradient_accumulation_steps * num_processes
    return config.epochs * max(math.ceil(num_examples / per_step), 1)


def make_optimizer(model, config, total_steps: int):
    """AdamW over trainable parameters with linear warmup then linear decay to zero."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    warmup = int(config.warmup_ratio * total_steps)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup, total_steps)
    return optimizer, scheduler


def disable_dropout(model):
    """Zero every dropout rate: DPO and PPO compare log-probs across forwards, so they must agree."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    return model


def make_loader(features: list[dict], batch_size: int, collate, seed: int, shuffle: bool = True):
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(
        features, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, generator=generator
    )


def report(
    accelerator, callback: Callback | None, step: int, total_steps: int, metrics: dict
) -> None:
    """Call the callback on the main process; raise TrainingCancelled everywhere if it says stop."""
    keep_going = True
    if accelerator.is_main_process and callback is not None:
        keep_going = callback(step, total_steps, metrics) is not False
    if accelerator.num_processes > 1:
        flag = torch.tensor([float(keep_going)], device=accelerator.device)
        keep_going = bool(broadcast(flag, from_process=0).item())
    if not keep_going:
        raise TrainingCancelled(step, total_steps)


def mean_across_processes(accelerator, stats: list[dict]) -> dict[str, float]:
    """Average per-micro-batch tensors over every micro-batch of every process.

    A NaN stat means the micro-batch had nothing to measure (KTO's undesirable_reward in a
    batch of desirable rows only): it is averaged over the others, and a stat no micro-batch
    measured is left out, so no NaN reaches the callback (PostgreSQL's JSON refuses NaN).
    """
    keys = sorted(stats[0])
    values = torch.stack([torch.stack([s[k].detach().float() for s in stats]) for k in keys])
    measured = ~values.isnan()  # (K, micro-batches), as values
    totals = torch.stack([values.where(measured, 0.0).sum(-1), measured.sum(-1).float()])  # (2, K)
    totals = accelerator.reduce(totals.to(accelerator.device), reduction="sum").tolist()
    return {k: s / n for k, s, n in zip(keys, *totals, strict=True) if n}


class Throughput:
    """Samples and non-pad tokens per second since the loop started, over all processes."""

    def __init__(self, num_processes: int):
        self.num_processes = num_processes
        self.start = time.perf_counter()
        self.samples = 0
        self.tokens = 0

    def add(self, samples: int, tokens: int) -> dict[str, float]:
        self.samples += samples * self.num_processes
        self.tokens += tokens * self.num_processes
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        return {"samples_per_s": self.samples / elapsed, "tokens_per_s": self.tokens / elapsed}


class Prepared(NamedTuple):
    """A stage's training parts, passed through accelerate (prepare_training)."""

    model: Any
    optimizer: Any
    scheduler: Any
    loader: Any
    total_steps: int


def prepare_training(accelerator, model, features: list[dict], collate, config) -> Prepared:
    """Loader, step count, optimizer and schedule for `features`, all passed through accelerate."""
    loader = make_loader(features, config.batch_size, collate, config.seed)
    total_steps = count_total_steps(config, len(features), accelerator.num_processes)
    optimizer, scheduler = make_optimizer(model, config, total_steps)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    return Prepared(model, optimizer, scheduler, loader, total_steps)


def train_loop(
    accelerator, prepared: Prepared, compute, config, callback, output_dir=None, evaluate=None
):
    """Run optimizer steps until total_steps; returns the per-step metrics history.

    `compute(batch) -> (loss, stats, samples)` does one micro-batch forward; stats are
    scalar tensors to report (averaged over the step), samples counts examples (pairs).
    `evaluate() -> {"val_<name>": float}`, called on every process, runs every
    config.eval_steps steps; its metrics join that step's, so validation curves are recorded.

    With `output_dir`, the full training state is saved every config.save_steps steps
    (resume.py), and a loop that finds a saved state of output_dir resumes from it: weights,
    optimizer, schedule and RNG as saved, the data at the same place in the same shuffle,
    and the history so far, so the steps and the curve continue where they stopped.
    """
    loader, total_steps = prepared.loader, prepared.total_steps
    saved = resume_point(accelerator, prepared.scheduler, loader, output_dir)
    history, step, epoch, skip = saved["history"], saved["step"], saved["epoch"], saved["batch"]
    stats, throughput = [], Throughput(accelerator.num_processes)
    prepared.model.train()
    while step < total_steps:
        loader.set_epoch(epoch)
        for index, batch in enumerate(loader):
            if index < skip:  # trained on before the resume; the shuffle is replayed, not the steps
                continue
            load_pending(accelerator, saved)  # after the epoch's shuffle was drawn: the RNG last
            speed = micro_step(accelerator, prepared, compute, batch, config, stats, throughput)
            if speed is None:
                continue
            step += 1
            metrics = step_metrics(accelerator, stats, speed, step, config, evaluate)
            history.append({"step": step, **metrics})
            stats.clear()
            report(accelerator, callback, step, total_steps, metrics)
            if step >= total_steps:
                break
            if output_dir is not None and config.save_steps and step % config.save_steps == 0:
                place = next_place(epoch, index, len(loader))
                save_training_state(accelerator, output_dir, trainer_state(step, place, history), config.save_total_limit)
        epoch, skip = epoch + 1, 0
    return history


def micro_step(accelerator, prepared: Prepared, compute, batch, config, stats: list, throughput):
    """One micro-batch's forward and backward, its stats appended to `stats`; on the micro-batch
    that ends an accumulation also the optimizer step. Returns that step's throughput and
    learning rate, or None mid-accumulation."""
    model, optimizer, scheduler = prepared.model, prepared.optimizer, prepared.scheduler
    with accelerator.accumulate(model):
        loss, batch_stats, samples = compute(batch)
        accelerator.backward(loss)
        stats.append({"loss": loss.detach(), **batch_stats})
        speed = throughput.add(samples, int(batch["attention_mask"].sum()))
        if not accelerator.sync_gradients:
            return None
        if config.max_grad_norm is not None:
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        learning_rate = scheduler.get_last_lr()[0]  # the rate this step used
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return {**speed, "learning_rate": learning_rate}


def step_metrics(accelerator, stats: list, speed: dict, step: int, config, evaluate) -> dict:
    """A step's metrics: its micro-batches' stats averaged over processes, the throughput and
    learning rate, and the validation metrics every config.eval_steps. Raises TrainingDiverged
    on a NaN or infinite loss."""
    metrics = {**mean_across_processes(accelerator, stats), **speed}
    loss = metrics.get("loss", math.nan)  # left out when every micro-batch was NaN
    if not math.isfinite(loss):
        raise TrainingDiverged(step, loss)
    if evaluate is not None and config.eval_steps and step % config.eval_steps == 0:
        metrics.update(evaluate())
    return metrics


def final_metrics(history: list[dict], evaluate=None) -> dict:
    """The last step's metrics, with the validation metrics after it (measured now unless the
    last step measured them already, every eval_steps)."""
    final = dict(history[-1])
    if evaluate is not None and not any(key.startswith("val_") for key in final):
        final.update(evaluate())
    return final
