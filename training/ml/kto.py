"""Kahneman-Tversky Optimization (Ethayarajh et al. 2024) against a frozen reference.

KTO learns from unpaired rows, one completion labelled desirable or undesirable for its prompt
(the project's `kto` export). Each completion's log-ratio r = log π/π_ref is pushed above a
reference point z0 when desirable and below it when not; z0 estimates KL(π || π_ref) from the
batch's prompts paired with other rows' completions (data.with_mismatched_completions).

As in dpo.py, the reference model's log-probs of every completion and every mismatched pair are
computed once, before training, and the reference is then dropped from memory. Each step runs
the completions through the policy with gradients and the mismatched pairs without (z0 is not
backpropagated), and applies losses.kto_loss. Reported per step: loss, kl (z0),
desirable_reward and undesirable_reward (the mean implicit reward β r of each kind in the step;
a step whose batch held none of a kind leaves that key out), learning_rate, samples_per_s.
"""

from functools import partial
from pathlib import Path

import torch

from training.ml.checkpoints import finish_run
from training.ml.config import KTOConfig
from training.ml.data import (
    KTO_KEYS,
    collate_kto,
    encode_all,
    encode_kto,
    with_mismatched_completions,
)
from training.ml.dpo import logps_of_each, pair_logps, policy_and_reference_logps
from training.ml.loop import (
    Callback,
    begin_run,
    final_metrics,
    prepare_training,
    train_loop,
)
from training.ml.losses import kto_loss, sequence_logps


def train_kto(
    config: KTOConfig,
    base_model_path: str | Path,
    train_examples: list[dict],
    val_examples: list[dict],
    output_dir: str | Path,
    callback: Callback | None = None,
    reference_model_path: str | Path | None = None,
) -> dict:
    """Train a causal LM with KTO and save it to `output_dir`.

    The reference is `reference_model_path`, else a frozen copy of the base model.
    Returns {"status", "output_dir", "steps", "metrics", "history"}; metrics holds the
    last step's loss, kl, desirable_reward, undesirable_reward, learning_rate, samples_per_s,
    tokens_per_s, plus val_desirable_reward and val_undesirable_reward when val_examples has
    rows of that kind. Raises TrainingCancelled when the callback returns False.
    """
    output_dir, accelerator, tokenizer = begin_run(
        config, base_model_path, train_examples, val_examples, KTO_KEYS, output_dir
    )
    encode = partial(
        encode_all,
        encode_kto,
        tokenizer,
        max_length=config.max_length,
        max_prompt_length=config.max_prompt_length,
    )
    train_features = encode(with_mismatched_completions(train_examples))
    val_features = encode(with_mismatched_completions(val_examples or []))
    logps = partial(
        pair_logps,
        accelerator,
        batch_size=config.batch_size,
        pad_id=tokenizer.pad_token_id,
        collate=collate_kto,
    )

    model, (ref_train, ref_val) = policy_and_reference_logps(
        accelerator,
        config,
        tokenizer,
        base_model_path,
        reference_model_path,
        partial(logps_of_each, logps, [train_features, val_features]),
    )
    collate = partial(collate_kto, pad_id=tokenizer.pad_token_id)
    model, optimizer, scheduler, loader, total_steps = prepare_training(
        accelerator, model, train_features, collate, config
    )

    compute = partial(kto_step, model, ref_train, config)
    def evaluate() -> dict:
        rewards = config.beta * (logps(model, val_features)[0] - ref_val[0])  # (N,)
        desirable = torch.tensor([f["desirable"] for f in val_features], device=rewards.device)
        named = (("val_desirable_reward", desirable), ("val_undesirable_reward", ~desirable))
        return {name: float(rewards[mask].mean()) for name, mask in named if mask.any()}

    evaluate = evaluate if val_features else None
    history = train_loop(
        accelerator, model, optimizer, scheduler, loader, compute, total_steps, config, callback,
        output_dir=output_dir, evaluate=evaluate,
    )
    final = final_metrics(history, evaluate)
    return finish_run(
        accelerator, model, tokenizer, output_dir, "kto", config, base_model_path, history, final
    )


def kto_step(model, reference: tuple, config: KTOConfig, batch: dict):
    """One micro-batch: (loss, stats, number of completions)."""
    completions, mismatched = halves(batch)
    policy_logps = completion_logps(model, completions)  # (B,)
    with torch.no_grad():  # z0 is detached in the loss, so its forward needs no graph
        policy_kl_logps = completion_logps(model, mismatched)  # (B,)
    ref_logps, ref_kl_logps = (logps[batch["index"]] for logps in reference)
    desirable = batch["desirable"]
    loss, rewards, kl = kto_loss(
        policy_logps,
        ref_logps,
        policy_kl_logps,
        ref_kl_logps,
        desirable,
        config.beta,
        config.desirable_weight,
        config.undesirable_weight,
    )
    stats = {
        "kl": kl,
        # 0/0 = NaN when the batch holds none of a kind; the loop leaves it out of the step
        "desirable_reward": (rewards * desirable).sum() / desirable.sum(),
        "undesirable_reward": (rewards * ~desirable).sum() / (~desirable).sum(),
    }
    return loss, stats, desirable.numel()


def halves(batch: dict) -> tuple[dict, dict]:
    """The completions' and the mismatched pairs' inputs from a collate_kto batch, each (B, T')
    with T' its own longest row: the halves run separately, so neither pays for the other's
    padding (the batch is right-padded to the longest of both)."""
    keys = ("input_ids", "attention_mask", "labels")
    first, second = zip(*(batch[key].chunk(2) for key in keys), strict=True)
    return tuple(_trimmed(dict(zip(keys, half, strict=True))) for half in (first, second))


def _trimmed(inputs: dict) -> dict:
    width = int(inputs["attention_mask"].sum(1).max())
    return {key: value[:, :width] for key, value in inputs.items()}


def completion_logps(model, inputs: dict) -> torch.Tensor:
    """Sequence log-probs of the completion tokens (prompt and padding masked): (B,)."""
    logits = model(
        input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], use_cache=False
    ).logits  # (B, T, V)
    return sequence_logps(logits, inputs["labels"])
