"""The shared runner of the online stages (PPO, GRPO, RLOO): setup, loop, evaluation, saving
and metrics, the stage's own parts plugged in.

A stage module gives an `OnlineStage`: its name and

    rollout(run, config, prompts) -> batch     sample, score (rollouts.py) and give advantages;
    minibatch_loss(model, batch, rows, config) -> (loss, stats)   its loss on some rollouts;
    describe(accelerator, batch) -> metrics    what a step's rollouts report (rollout_stats);
    validate(run, config, features) -> float   val_reward, the mean score on validation prompts;
    wrap(lm) -> module                         what is trained around the causal LM (PPO's
                                               value head), and saved(run) -> (model, save_extra).

`train_online` does the rest: check the reward source and inputs, load the policy, its
reference and the reward (reference.py, rewards.py), prepare the prompt loader and optimizer,
then per step roll out, update in `ppo_epochs` passes of mini-batches (ppo_update), report
through the callback (a few of the step's rollouts with it, sampling.samples_due), watch for
reward hacking (reward_monitor.py), save periodic states (resume.py), and write the checkpoint.
"""

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import torch

from training.ml.checkpoints import finish_run
from training.ml.data import PROMPT_KEYS, prompt_ids, special_tokens
from training.ml.loop import (
    RunInputs,
    TrainingDiverged,
    begin_run,
    make_loader,
    make_optimizer,
    report,
)
from training.ml.reference import online_policy_and_reference
from training.ml.resume import (
    load_pending,
    next_place,
    resume_point,
    save_training_state,
    trainer_state,
)
from training.ml.reward_monitor import RewardMonitor
from training.ml.rewards import RewardFn, check_reward_source, gold_reward, reward_source
from training.ml.rollouts import rollout_samples, score_responses, seed_rollouts
from training.ml.sampling import SAMPLES_KEY, samples_due
from training.ml.vllm_rollouts import rollout_engine


@dataclass(frozen=True)
class OnlineInputs(RunInputs):
    """What an online stage trains from, besides its config: the arguments of train_ppo,
    train_grpo and train_rloo, in their order. Give exactly one of reward_model_path (a reward
    checkpoint) and reward_fn (tests, rule-based rewards), none with verifier 'only'; a gold
    reward (a held-out checkpoint or a function) scores every step's responses too."""

    reward_model_path: str | Path | None = None
    reward_fn: RewardFn | None = None
    gold_reward_model_path: str | Path | None = field(default=None, kw_only=True)
    gold_reward_fn: RewardFn | None = field(default=None, kw_only=True)


@dataclass
class OnlineRun:
    """What an online stage trains with, prepared by start_online_run."""

    accelerator: Any
    tokenizer: Any
    reward_fn: Callable  # (prompts, completions, finished) -> scores
    model: torch.nn.Module  # prepared by accelerate
    reference: torch.nn.Module | None  # frozen, on the accelerator's device; None: LoRA's base
    loader: Any
    optimizer: Any
    scheduler: Any
    total_steps: int
    output_dir: Path
    gold_reward_fn: Callable | None = None  # a held-out reward model watching for reward hacking
    engine: Any = None  # vllm_rollouts.VllmRollouts when vLLM samples the rollouts, else None


def whole_model(run: OnlineRun) -> tuple:
    """What most stages save: the trained policy itself, nothing beside it."""
    return run.model, None


@dataclass(frozen=True)
class OnlineStage:
    """One online stage's own parts (see the module docstring)."""

    name: str  # recorded in training_config.json
    rollout: Callable
    minibatch_loss: Callable
    describe: Callable
    validate: Callable
    wrap: Callable = lambda lm: lm
    saved: Callable = whole_model


def train_online(stage: OnlineStage, config, inputs: OnlineInputs) -> dict:
    """Train `stage` on {"prompt": messages} examples and save the policy; the result every
    stage returns, metrics with val_reward when there are validation prompts."""
    run = start_online_run(config, inputs, stage.wrap)
    roll = partial(stage.rollout, run, config)
    validate = None
    if inputs.val_examples:
        val = prompt_features(run.tokenizer, inputs.val_examples, config.max_prompt_length)
        validate = partial(stage.validate, run, config, val)
    history = online_loop(
        run, roll, config, inputs.callback, stage.minibatch_loss, stage.describe, run.output_dir, validate
    )
    final = dict(history[-1])
    if validate is not None and "val_reward" not in final:  # unless the last step measured it
        final["val_reward"] = validate()
    model, save_extra = stage.saved(run)
    return finish_run(
        run.accelerator, model, run.tokenizer, run.output_dir, stage.name, config,
        inputs.base_model_path, history, final, save_extra=save_extra,
    )


def start_online_run(config, inputs: OnlineInputs, wrap: Callable) -> OnlineRun:
    """Check the inputs, load the policy (dropout off), its frozen reference and the reward,
    and prepare the prompt loader and optimizer."""
    train, val = inputs.train_examples, inputs.val_examples or []
    check_reward_source(config, inputs.reward_model_path, inputs.reward_fn, train, val)
    output_dir, accelerator, tokenizer = begin_run(
        config, inputs.base_model_path, train, val, PROMPT_KEYS, inputs.output_dir
    )
    device = accelerator.device
    reward_fn = reward_source(config, device, inputs.reward_model_path, inputs.reward_fn, [*train, *val])
    model, reference = online_policy_and_reference(config, inputs.base_model_path, tokenizer, accelerator, wrap)
    features = prompt_features(tokenizer, train, config.max_prompt_length)
    loader = make_loader(features, config.batch_size, list, config.seed)
    per_step = config.batch_size * accelerator.num_processes
    total_steps = config.max_steps or config.epochs * math.ceil(len(features) / per_step)
    optimizer, scheduler = make_optimizer(model, config, total_steps * config.updates_per_step)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    seed_rollouts(accelerator, config.seed)
    gold = gold_reward(config, device, inputs.gold_reward_model_path, inputs.gold_reward_fn)
    engine = rollout_engine(config, inputs.base_model_path, accelerator, accelerator.unwrap_model(model))
    return OnlineRun(
        accelerator, tokenizer, reward_fn, model, reference, loader, optimizer, scheduler,
        total_steps, output_dir, gold, engine,
    )


def prompt_features(tokenizer, examples: list[dict], max_prompt_length: int) -> list[dict]:
    """Each prompt's messages (for the reward) and token ids (for sampling)."""
    special = special_tokens(tokenizer)
    return [
        {"prompt": e["prompt"], "ids": prompt_ids(tokenizer, e["prompt"], max_prompt_length, special)}
        for e in examples
    ]


@dataclass
class OnlineLoop:
    """What online_loop carries from step to step: the step, its metrics so far, the reward
    monitor, the responses sampled since it (re)started, and the stage's parts."""

    run: OnlineRun
    config: Any
    roll: Callable  # prompts -> batch of rollouts
    minibatch_loss: Callable
    describe: Callable
    validate: Callable | None = None  # () -> val_reward, every config.eval_steps
    history: list = field(default_factory=list)
    step: int = 0
    monitor: RewardMonitor | None = None
    samples: int = 0
    start: float = field(default_factory=time.perf_counter)


def online_loop(run: OnlineRun, roll, config, callback, minibatch_loss, describe, output_dir=None,
                validate=None) -> list[dict]:
    """Roll out, then update, until total_steps; returns the per-step metrics history.

    `roll(prompts)` gives a batch of rollouts, `minibatch_loss(model, batch, rows, config)`
    the (loss, stats) of some of them, `describe(accelerator, batch)` the rollout metrics,
    `validate()` val_reward every config.eval_steps. samples_per_s counts sampled responses.

    With `output_dir`, the full training state (weights and value head, optimizer, schedule,
    RNG, the prompt loader's place, the reward monitor) is saved every config.save_steps steps
    (resume.py), and a loop that finds a saved state of output_dir resumes from it, its curve
    continuing the one before.
    """
    loop = OnlineLoop(run, config, roll, minibatch_loss, describe, validate)
    saved = resume_point(run.accelerator, run.scheduler, run.loader, output_dir)
    loop.history, loop.step, epoch, skip = saved["history"], saved["step"], saved["epoch"], saved["batch"]
    loop.monitor = replace(RewardMonitor.from_config(config), **saved.get("monitor", {}))
    while loop.step < run.total_steps:
        run.loader.set_epoch(epoch)
        for index, prompts in enumerate(run.loader):
            if index < skip:  # trained on before the resume; the shuffle is replayed, not the steps
                continue
            load_pending(run.accelerator, saved)
            stop = online_step(loop, prompts, callback)
            if stop or loop.step >= run.total_steps:  # every rank reads the same reduced metrics
                loop.history[-1].update(loop.monitor.summary(stop))
                return loop.history
            if output_dir is not None and config.save_steps and loop.step % config.save_steps == 0:
                place = next_place(epoch, index, len(run.loader))
                state = trainer_state(loop.step, place, loop.history, monitor=monitor_state(loop.monitor))
                save_training_state(run.accelerator, output_dir, state, config.save_total_limit)
        epoch, skip = epoch + 1, 0
    loop.history[-1].update(loop.monitor.summary(None))
    return loop.history


def online_step(loop: OnlineLoop, prompts: list[dict], callback) -> str | None:
    """One step: roll out, update, measure (gold and validation when due) and report; the
    reward monitor's reason to stop, or None."""
    run, config = loop.run, loop.config
    batch = loop.roll(prompts)
    evaluating = bool(config.eval_steps) and (loop.step + 1) % config.eval_steps == 0
    gold = None
    if run.gold_reward_fn is not None and (evaluating or not config.eval_steps):
        gold = gold_score(run, prompts, batch, config)
    learning_rate = run.scheduler.get_last_lr()[0]
    stats = ppo_update(run.accelerator, run.model, run.optimizer, run.scheduler, batch, config, loop.minibatch_loss)
    if run.engine is not None:  # the next rollout batch pushes the updated weights first
        run.engine.stale = True
    loop.step += 1
    loop.samples += batch["mask"].shape[0] * run.accelerator.num_processes
    metrics = {**loop.describe(run.accelerator, batch), **stats, "learning_rate": learning_rate,
               "samples_per_s": loop.samples / (time.perf_counter() - loop.start)}
    if gold is not None:
        metrics["gold_reward"] = gold
    loss = stats["policy_loss"] + stats.get("value_loss", 0.0)
    if not math.isfinite(loss):
        raise TrainingDiverged(loop.step, loss)
    if evaluating and loop.validate is not None:
        metrics["val_reward"] = loop.validate()
    stop = loop.monitor.observe(metrics)
    loop.history.append({"step": loop.step, **metrics})
    shown = metrics
    if run.accelerator.is_main_process and samples_due(loop.step, run.total_steps):
        shown = {**metrics, SAMPLES_KEY: rollout_samples(run.tokenizer, prompts, batch)}
    report(run.accelerator, callback, loop.step, run.total_steps, shown)
    return stop


def monitor_state(monitor: RewardMonitor) -> dict:
    """What the reward monitor has seen, saved with a training state (its settings are the config's)."""
    return {"proxy": monitor.proxy, "gold": monitor.gold, "divergent_steps": monitor.divergent_steps}


def gold_score(run: OnlineRun, prompts: list[dict], batch: dict, config) -> float:
    """The held-out reward's mean score of this step's responses, over every process.

    Rows are prompt-major (GRPO and RLOO sample each prompt num_generations times in a row)."""
    per_prompt = batch["mask"].shape[0] // len(prompts)
    repeated = [prompt for prompt in prompts for _ in range(per_prompt)]
    scores = score_responses(run.tokenizer, run.gold_reward_fn, repeated, batch, config)
    return run.accelerator.reduce(scores.mean().reshape(1), reduction="mean").item()


def ppo_update(
    accelerator, model, optimizer, scheduler, batch: dict, config, minibatch_loss
) -> dict:
    """`ppo_epochs` shuffled passes over the rollouts; returns mean losses and statistics.

    Gradients are all-reduced between processes only on the mini-batch that ends an
    accumulation (no_sync around the others' forward and backward, where DDP decides).
    """
    stats = []
    for _ in range(config.ppo_epochs):
        order = torch.randperm(batch["mask"].shape[0], device=batch["mask"].device)
        for number, rows in enumerate(order.split(config.mini_batch_size), start=1):
            steps = number % config.gradient_accumulation_steps == 0
            with contextlib.nullcontext() if steps else accelerator.no_sync(model):
                loss, mini_stats = minibatch_loss(model, batch, rows, config)
                accelerator.backward(loss)  # divides by gradient_accumulation_steps
            stats.append(mini_stats)
            if steps:
                if config.max_grad_norm is not None:
                    accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
    keys = sorted(stats[0])
    local = torch.stack([torch.stack([s[k] for s in stats]).mean() for k in keys])
    return dict(zip(keys, accelerator.reduce(local, reduction="mean").tolist(), strict=True))
