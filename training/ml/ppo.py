"""PPO for language models (Ziegler et al. 2019; Ouyang et al. 2022), written out in full.

PPO is no longer in TRL (removed in 1.13), so this is our own compact version. One step:

1. roll out: sample one response per prompt from the policy (temperature sampling);
2. score: the reward model (or an injected reward function) scores each response;
   per-token reward = -β·(log π - log π_ref), plus the score on the last response token;
3. GAE over response tokens with the value head's estimates (losses.gae);
4. `ppo_epochs` passes over the rollouts in mini-batches: clipped policy loss plus
   value_loss_coef × clipped value loss (losses.ppo_policy_loss / ppo_value_loss).

The value head is a linear layer on the policy's last hidden state (a shared trunk).
Log-probs are taken from logits / temperature, the distribution the rollouts came from.
A response cut at max_new_tokens (no eos) loses missing_eos_penalty from its score.
Rollouts are scored (policy, reference, reward) mini_batch_size responses at a time.
Reported per step: reward (mean score, penalty included), kl (mean summed KL per response),
entropy (mean per token), policy_loss, value_loss, clip_fraction, response_length,
truncation_rate (share of responses cut at max_new_tokens), learning_rate, samples_per_s.

group_rl.py (GRPO, RLOO) reuses the sampling and scoring (rollouts.py) and the update loop
below with its own advantages and losses.
"""

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from training.ml.adapters import reference_view
from training.ml.checkpoints import finish_run, load_causal_lm, load_trainable_lm
from training.ml.config import PPOConfig
from training.ml.data import PROMPT_KEYS, prompt_ids, special_tokens
from training.ml.evaluate import load_reward_fn
from training.ml.generation_view import generation_view
from training.ml.loop import (
    Callback,
    TrainingDiverged,
    begin_run,
    disable_dropout,
    make_loader,
    make_optimizer,
    report,
)
from training.ml.losses import (
    entropy_from_logits,
    gae,
    kl_per_token,
    masked_mean,
    masked_whiten,
    ppo_policy_loss,
    ppo_value_loss,
)
from training.ml.reward_monitor import RewardMonitor
from training.ml.rollouts import (
    in_micro_batches,
    response_logps,
    rollout_stats,
    sample_responses,
    score_responses,
    seed_rollouts,
)
from training.ml.verifiers import check_verifiable, verifier_reward

# reward_fn(prompts, completions) -> one score per completion
RewardFn = Callable[[list[list[dict]], list[str]], list[float]]


class PolicyWithValueHead(torch.nn.Module):
    """A causal LM plus a scalar value per position, read from its last hidden state."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm
        self.value_head = torch.nn.Linear(lm.config.get_text_config().hidden_size, 1)
        torch.nn.init.zeros_(self.value_head.weight)
        torch.nn.init.zeros_(self.value_head.bias)

    def forward(self, input_ids, attention_mask):
        out = lm_forward(self.lm, input_ids, attention_mask, output_hidden_states=True)
        values = self.value_head(out.hidden_states[-1].float()).squeeze(-1)  # (B, T)
        return out.logits, values


def lm_forward(lm, input_ids, attention_mask, **kwargs):
    """The LM's output on left-padded sequences, with positions that count real tokens only."""
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    return lm(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids,
        use_cache=False,
        **kwargs,
    )


def train_ppo(
    config: PPOConfig,
    base_model_path: str | Path,
    train_examples: list[dict],
    val_examples: list[dict],
    output_dir: str | Path,
    callback: Callback | None = None,
    reward_model_path: str | Path | None = None,
    reward_fn: RewardFn | None = None,
    *,
    gold_reward_model_path: str | Path | None = None,
    gold_reward_fn: RewardFn | None = None,
) -> dict:
    """Optimise the policy at `base_model_path` on {"prompt": messages} examples with PPO.

    The score comes from `reward_model_path` (a reward-stage checkpoint; inputs formatted
    as in its training) or from `reward_fn` (tests, rule-based rewards): give exactly one.
    The reference is a frozen copy of the base model. Saves the policy (plus
    value_head.safetensors) to output_dir. metrics adds val_reward (mean score of one
    sample per validation prompt) when val_examples is non-empty. A gold reward (a held-out
    model's path or a function) scores every step's responses too (reward_monitor.py). Raises
    TrainingCancelled when the callback returns False.
    """
    run = start_online_run(
        config,
        base_model_path,
        train_examples,
        val_examples,
        output_dir,
        reward_model_path,
        reward_fn,
        wrap=PolicyWithValueHead,
        gold_reward_model_path=gold_reward_model_path,
        gold_reward_fn=gold_reward_fn,
    )
    roll = partial(
        rollout, run.accelerator, run.model, run.reference, run.tokenizer, run.reward_fn, config
    )
    history = ppo_loop(
        run, roll, config, callback, minibatch_loss=ppo_minibatch_loss, describe=rollout_stats
    )
    final = dict(history[-1])
    if val_examples:
        val = prompt_features(run.tokenizer, val_examples, config.max_prompt_length)
        batches = [val[i : i + config.batch_size] for i in range(0, len(val), config.batch_size)]
        final["val_reward"] = float(torch.cat([roll(b)["scores"] for b in batches]).mean())
    unwrapped = run.accelerator.unwrap_model(run.model)
    save_head = partial(save_value_head, unwrapped.value_head)
    return finish_run(
        run.accelerator,
        unwrapped.lm,
        run.tokenizer,
        run.output_dir,
        "ppo",
        config,
        base_model_path,
        history,
        final,
        save_extra=save_head,
    )


@dataclass
class OnlineRun:
    """What an online RL stage trains with, prepared by start_online_run."""

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


def start_online_run(
    config,
    base_model_path,
    train_examples: list[dict],
    val_examples: list[dict],
    output_dir,
    reward_model_path,
    reward_fn: RewardFn | None,
    wrap: Callable = lambda lm: lm,
    gold_reward_model_path=None,
    gold_reward_fn: RewardFn | None = None,
) -> OnlineRun:
    """Check the inputs, load the policy (dropout off), its frozen reference and the reward,
    and prepare the prompt loader and optimizer: the setup PPO, GRPO and RLOO share.

    `wrap` builds the trained module around each causal LM (PPO adds a value head). With LoRA
    the reference is None: the policy with its adapters off (adapters.reference_view).
    """
    verifier = getattr(config, "verifier", "none")  # GRPO and RLOO only
    if verifier == "only" and (reward_model_path or reward_fn):
        raise ValueError("verifier 'only' scores with the prompts' checks: give no reward model")
    if verifier != "only" and (reward_model_path is None) == (reward_fn is None):
        raise ValueError("give exactly one of reward_model_path and reward_fn")
    if verifier != "none":
        check_verifiable(train_examples, "train")
        check_verifiable(val_examples or [], "validation")
    output_dir, accelerator, tokenizer = begin_run(
        config, base_model_path, train_examples, val_examples, PROMPT_KEYS, output_dir
    )
    if reward_fn is not None:
        reward_fn = text_reward(reward_fn)
    elif reward_model_path is not None:
        reward_fn = load_reward_fn(reward_model_path, accelerator.device, config.reward_criterion)
    if verifier != "none":
        checks = verifier_reward([*train_examples, *(val_examples or [])])
        reward_fn = checks if verifier == "only" else add_rewards(reward_fn, checks, config.verifier_weight)
    model = wrap(disable_dropout(load_trainable_lm(base_model_path, tokenizer, config)))
    reference = None
    if not config.lora_r:
        # Frozen, so not wrapped by accelerate (DDP refuses modules with nothing to train).
        reference = wrap(load_causal_lm(base_model_path, tokenizer, config))
        reference = reference.eval().requires_grad_(False).to(accelerator.device)

    features = prompt_features(tokenizer, train_examples, config.max_prompt_length)
    loader = make_loader(features, config.batch_size, list, config.seed)
    per_step = config.batch_size * accelerator.num_processes
    total_steps = config.max_steps or config.epochs * math.ceil(len(features) / per_step)
    optimizer, scheduler = make_optimizer(model, config, total_steps * config.updates_per_step)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    seed_rollouts(accelerator, config.seed)
    return OnlineRun(
        accelerator,
        tokenizer,
        reward_fn,
        model,
        reference,
        loader,
        optimizer,
        scheduler,
        total_steps,
        output_dir,
        gold_reward(accelerator, config, gold_reward_model_path, gold_reward_fn),
    )


def gold_reward(accelerator, config, model_path, reward_fn) -> Callable | None:
    """The held-out reward that watches the proxy (reward_monitor.py), from a checkpoint or a function."""
    if reward_fn is not None:
        return text_reward(reward_fn)
    if model_path is not None:
        return load_reward_fn(model_path, accelerator.device, config.reward_criterion)
    return None


def add_rewards(first: Callable, second: Callable, weight: float) -> Callable:
    """first + weight × second, both called as the loop calls rewards."""

    def reward(prompts, completions, finished):
        scores = first(prompts, completions, finished)
        checks = second(prompts, completions, finished)
        return [float(a) + weight * b for a, b in zip(scores, checks, strict=True)]

    return reward


def text_reward(reward_fn: RewardFn) -> Callable:
    """An injected (prompts, completions) reward, called as the loop calls rewards, with
    `finished` too: a rule reads the text, a reward model also sees whether it ended."""
    return lambda prompts, completions, finished: reward_fn(prompts, completions)


def prompt_features(tokenizer, examples: list[dict], max_prompt_length: int) -> list[dict]:
    """Each prompt's messages (for the reward) and token ids (for sampling)."""
    special = special_tokens(tokenizer)
    return [
        {
            "prompt": e["prompt"],
            "ids": prompt_ids(tokenizer, e["prompt"], max_prompt_length, special),
        }
        for e in examples
    ]


def ppo_loop(run: OnlineRun, roll, config, callback, *, minibatch_loss, describe):
    """Roll out, then update, until total_steps; returns the per-step metrics history.

    `roll(prompts)` gives a batch of rollouts, `minibatch_loss(model, batch, rows, config)`
    the (loss, stats) of some of them, `describe(accelerator, batch)` the rollout metrics
    (group_rl.py passes its own). samples_per_s counts sampled responses.
    """
    accelerator, model, optimizer, scheduler = (
        run.accelerator,
        run.model,
        run.optimizer,
        run.scheduler,
    )
    loader, total_steps = run.loader, run.total_steps
    history, step, epoch, samples, start = [], 0, 0, 0, time.perf_counter()
    monitor = RewardMonitor.from_config(config)
    while step < total_steps:
        loader.set_epoch(epoch)
        for prompts in loader:
            batch = roll(prompts)
            gold = None if run.gold_reward_fn is None else gold_score(run, prompts, batch, config)
            learning_rate = scheduler.get_last_lr()[0]
            stats = ppo_update(
                accelerator, model, optimizer, scheduler, batch, config, minibatch_loss
            )
            step += 1
            samples += batch["mask"].shape[0] * accelerator.num_processes
            metrics = {
                **describe(accelerator, batch),
                **stats,
                "learning_rate": learning_rate,
                "samples_per_s": samples / (time.perf_counter() - start),
            }
            if gold is not None:
                metrics["gold_reward"] = gold
            loss = stats["policy_loss"] + stats.get("value_loss", 0.0)
            if not math.isfinite(loss):
                raise TrainingDiverged(step, loss)
            stop = monitor.observe(metrics)
            history.append({"step": step, **metrics})
            report(accelerator, callback, step, total_steps, metrics)
            if stop:  # every rank reads the same reduced metrics, so all stop here together
                history[-1].update(monitor.summary(stop))
                return history
            if step >= total_steps:
                break
        epoch += 1
    history[-1].update(monitor.summary(None))
    return history


def gold_score(run: OnlineRun, prompts: list[dict], batch: dict, config) -> float:
    """The held-out reward's mean score of this step's responses, over every process.

    Rows are prompt-major (GRPO and RLOO sample each prompt num_generations times in a row)."""
    per_prompt = batch["mask"].shape[0] // len(prompts)
    repeated = [prompt for prompt in prompts for _ in range(per_prompt)]
    scores = score_responses(run.tokenizer, run.gold_reward_fn, repeated, batch, config)
    return run.accelerator.reduce(scores.mean().reshape(1), reduction="mean").item()


def response_forward(model, sequences, attention_mask, prompt_width: int, temperature: float):
    """Logits (B, R, V), log-probs (B, R) and values (B, R) of the response tokens.

    The token at position t is predicted at t-1, and its value is the value of the state
    before it was chosen, so both are read one position to the left.
    """
    logits, values = model(sequences, attention_mask)
    logits, logps = response_logps(logits, sequences, prompt_width, temperature)
    return logits, logps, values[:, prompt_width - 1 : -1]


@torch.no_grad()
def rollout(
    accelerator, model, reference, tokenizer, reward_fn, config, prompts: list[dict]
) -> dict:
    """Sample, score and compute advantages for a batch of prompts; tensors (B, R) or (B,)."""
    batch = sample_and_evaluate(accelerator, model, reference, tokenizer, config, prompts)
    scores = score_responses(tokenizer, reward_fn, prompts, batch, config)
    return {**batch, **advantages_from_scores(batch, scores, config)}


def sample_and_evaluate(accelerator, model, reference, tokenizer, config, prompts) -> dict:
    """Sampled responses with the policy's log-probs and values and the reference's log-probs."""
    policy = accelerator.unwrap_model(model)
    policy.eval()
    with generation_view(accelerator, model) as whole:  # weights gathered once, not per token
        batch = sample_responses(whole.lm, tokenizer, [p["ids"] for p in prompts], config)

    def logps_and_values(model, rows: slice):
        _, logps, values = response_forward(
            model,
            batch["sequences"][rows],
            batch["attention_mask"][rows],
            batch["prompt_width"],
            config.temperature,
        )
        return logps, values.float()

    size, count = config.mini_batch_size, batch["mask"].shape[0]
    with accelerator.autocast():
        logps, values = in_micro_batches(partial(logps_and_values, policy), size, count)
        with reference_view(policy, reference) as frozen:
            ref_logps, _ = in_micro_batches(partial(logps_and_values, frozen), size, count)
    policy.train()
    return {**batch, "logps": logps, "ref_logps": ref_logps, "values": values}


def advantages_from_scores(batch: dict, scores: torch.Tensor, config) -> dict:
    """Per-token rewards -β·KL plus the score on each response's last token, then GAE."""
    mask = batch["mask"]
    kl = kl_per_token(batch["logps"], batch["ref_logps"]) * mask  # (B, R)
    rewards = -config.beta * kl
    last = (mask.sum(-1).long() - 1).clamp(min=0)  # index of each response's last token
    rewards[torch.arange(len(scores), device=mask.device), last] += scores
    advantages, returns = gae(rewards, batch["values"], mask, config.gamma, config.lam)
    return {
        "advantages": masked_whiten(advantages, mask),
        "returns": returns,
        "scores": scores,
        "kl": kl,
    }


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


def ppo_minibatch_loss(model, batch: dict, rows, config):
    """Clipped policy loss + value_loss_coef × clipped value loss on the selected rollouts."""
    mask = batch["mask"][rows]
    logits, logps, values = response_forward(
        model,
        batch["sequences"][rows],
        batch["attention_mask"][rows],
        batch["prompt_width"],
        config.temperature,
    )
    policy_loss, clip_fraction = ppo_policy_loss(
        logps, batch["logps"][rows], batch["advantages"][rows], mask, config.clip_range
    )
    value_loss = ppo_value_loss(
        values, batch["values"][rows], batch["returns"][rows], mask, config.clip_range_value
    )
    stats = {
        "policy_loss": policy_loss.detach(),
        "value_loss": value_loss.detach(),
        "clip_fraction": clip_fraction,
        "entropy": masked_mean(entropy_from_logits(logits.detach(), config.temperature), mask),
    }
    return policy_loss + config.value_loss_coef * value_loss, stats


def save_value_head(value_head, directory: Path) -> None:
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in value_head.state_dict().items()},
        str(directory / "value_head.safetensors"),
    )
