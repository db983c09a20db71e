"""Direct Preference Optimization (Rafailov et al. 2023) against a frozen reference.

The reference model's log-probs of every chosen and rejected completion are computed
once, before training, and the reference is then dropped from memory: it never changes,
so a second forward per step would be wasted. Each step runs chosen and rejected through
the policy in one (2B, T) batch and applies losses.dpo_loss. Reported per step:
loss, accuracy (share of pairs whose implicit reward β log π/π_ref is higher for the
chosen response), margin (mean chosen - rejected implicit reward), chosen_reward,
rejected_reward.
"""

from functools import partial
from pathlib import Path

import torch

from training.ml.adapters import reference_view
from training.ml.checkpoints import finish_run, load_causal_lm, load_trainable_lm
from training.ml.config import DPOConfig
from training.ml.data import (
    PREFERENCE_KEYS,
    collate_preferences,
    encode_all,
    encode_preference,
)
from training.ml.loop import (
    Callback,
    begin_run,
    disable_dropout,
    final_metrics,
    make_loader,
    prepare_training,
    train_loop,
)
from training.ml.losses import IGNORE_INDEX, dpo_loss, ipo_loss, sequence_logps, simpo_loss


def train_dpo(
    config: DPOConfig,
    base_model_path: str | Path,
    train_examples: list[dict],
    val_examples: list[dict],
    output_dir: str | Path,
    callback: Callback | None = None,
    reference_model_path: str | Path | None = None,
) -> dict:
    """Train a causal LM with DPO and save it to `output_dir`.

    The reference is `reference_model_path`, else a frozen copy of the base model.
    Returns {"status", "output_dir", "steps", "metrics", "history"}; metrics holds the
    last step's loss, accuracy, margin, chosen_reward, rejected_reward, learning_rate,
    samples_per_s, tokens_per_s, plus val_accuracy and val_margin when val_examples is
    non-empty. Raises TrainingCancelled when the callback returns False.
    """
    output_dir, accelerator, tokenizer = begin_run(
        config, base_model_path, train_examples, val_examples, PREFERENCE_KEYS, output_dir
    )
    encode = partial(
        encode_all,
        encode_preference,
        tokenizer,
        max_length=config.max_length,
        max_prompt_length=config.max_prompt_length,
    )
    train_features, val_features = encode(train_examples), encode(val_examples or [])
    logps = partial(
        pair_logps, accelerator, batch_size=config.batch_size, pad_id=tokenizer.pad_token_id
    )

    if config.loss_type == "simpo":  # reference-free: no reference is loaded or scored
        model = disable_dropout(load_trainable_lm(base_model_path, tokenizer, config))
        ref_train = ref_val = None
    else:
        model, (ref_train, ref_val) = policy_and_reference_logps(
            accelerator,
            config,
            tokenizer,
            base_model_path,
            reference_model_path,
            partial(logps_of_each, logps, [train_features, val_features]),
        )
    collate = partial(collate_preferences, pad_id=tokenizer.pad_token_id)
    model, optimizer, scheduler, loader, total_steps = prepare_training(
        accelerator, model, train_features, collate, config
    )

    compute = partial(dpo_step, model, ref_train, config)

    def evaluate() -> dict:
        if config.loss_type == "simpo":
            lengths = completion_lengths(val_features, accelerator.device)
            chosen, rejected = (config.beta * lp / n for lp, n in zip(logps(model, val_features), lengths, strict=True))
        else:
            chosen, rejected = implicit_rewards(logps(model, val_features), ref_val, config.beta)
        return {
            "val_accuracy": float((chosen > rejected).float().mean()),
            "val_margin": float((chosen - rejected).mean()),
        }

    evaluate = evaluate if val_features else None
    history = train_loop(
        accelerator, model, optimizer, scheduler, loader, compute, total_steps, config, callback,
        output_dir=output_dir, evaluate=evaluate,
    )
    final = final_metrics(history, evaluate)
    return finish_run(
        accelerator, model, tokenizer, output_dir, "dpo", config, base_model_path, history, final
    )


def policy_and_reference_logps(
    accelerator, config, tokenizer, base_model_path, reference_model_path, reference_logps
):
    """The policy to train (dropout off) and `reference_logps(reference)`, taken before training.

    With LoRA and no reference_model_path the reference is the policy with its adapters off
    (one copy of the base). Otherwise it is loaded frozen (held as config.torch_dtype says),
    used, and dropped before the policy loads, so the two are never in memory together.
    """
    if config.lora_r and reference_model_path is None:
        model = disable_dropout(load_trainable_lm(base_model_path, tokenizer, config))
        if not config.load_in_4bit:  # a 4-bit model is placed on its GPU as it loads
            model = model.to(accelerator.device)
        with reference_view(model) as reference:
            return model, reference_logps(reference)
    # Frozen, so not wrapped by accelerate (DDP refuses modules with nothing to train).
    reference = load_causal_lm(reference_model_path or base_model_path, tokenizer, config)
    reference = reference.requires_grad_(False).to(accelerator.device)
    ref_logps = reference_logps(reference)
    del reference
    accelerator.free_memory()
    return disable_dropout(load_trainable_lm(base_model_path, tokenizer, config)), ref_logps


def logps_of_each(logps, feature_sets: list, model) -> list:
    """logps(model, features) for each feature set."""
    return [logps(model, features) for features in feature_sets]


def completion_lengths(features: list[dict], device) -> tuple[torch.Tensor, torch.Tensor]:
    """Completion tokens of each pair's chosen and rejected side, (N,) each (SimPO's |y|)."""
    chosen = [len(f["chosen_ids"]) - f["prompt_length"] for f in features]
    rejected = [len(f["rejected_ids"]) - f["prompt_length"] for f in features]
    return torch.tensor(chosen, device=device).clamp(min=1), torch.tensor(rejected, device=device).clamp(min=1)


def preference_loss(config, chosen_logps, rejected_logps, reference: tuple | None, batch: dict):
    """config.loss_type's loss of one micro-batch: (loss, chosen_rewards, rejected_rewards)."""
    confidence = batch["confidence"] if config.use_label_confidence else None
    if config.loss_type == "simpo":
        lengths = (batch["labels"][:, 1:] != IGNORE_INDEX).sum(-1).chunk(2)  # (B,), (B,)
        return simpo_loss(chosen_logps, rejected_logps, *lengths, config.beta, config.simpo_gamma, confidence)
    ref_chosen, ref_rejected = (logps[batch["index"]] for logps in reference)
    if config.loss_type == "ipo":
        return ipo_loss(chosen_logps, rejected_logps, ref_chosen, ref_rejected, config.beta)
    return dpo_loss(chosen_logps, rejected_logps, ref_chosen, ref_rejected, config.beta, confidence)


def dpo_step(model, reference: tuple | None, config, batch: dict):
    """One micro-batch: (loss, stats, number of pairs)."""
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    ).logits  # (2B, T, V)
    chosen_logps, rejected_logps = sequence_logps(logits, batch["labels"]).chunk(2)  # (B,), (B,)
    loss, chosen_rewards, rejected_rewards = preference_loss(
        config, chosen_logps, rejected_logps, reference, batch
    )
    stats = {
        "accuracy": (chosen_rewards > rejected_rewards).float().mean(),
        "margin": (chosen_rewards - rejected_rewards).mean(),
        "chosen_reward": chosen_rewards.mean(),
        "rejected_reward": rejected_rewards.mean(),
    }
    return loss, stats, chosen_logps.numel()


@torch.no_grad()
def pair_logps(
    accelerator, model, features: list[dict], batch_size: int, pad_id: int, collate=None
):
    """Sequence log-probs of every pair's chosen and rejected completion: two (N,) tensors
    on the accelerator's device, indexed by the features' "index".

    `collate` (collate_preferences by default) may be any that stacks two halves the same way,
    such as KTO's completion and its mismatched pair (data.collate_kto).
    """
    chosen = torch.zeros(len(features), device=accelerator.device)
    rejected = torch.zeros(len(features), device=accelerator.device)
    if not features:
        return chosen, rejected
    collate = partial(collate or collate_preferences, pad_id=pad_id)
    loader = accelerator.prepare(make_loader(features, batch_size, collate, seed=0, shuffle=False))
    was_training = model.training
    model.eval()
    for batch in loader:
        with accelerator.autocast():
            logits = model(
                input_ids=batch["input_ids"],
                attention_mask=batch["attention_mask"],
                use_cache=False,
            ).logits  # (2B, T, V)
        pairs = sequence_logps(logits, batch["labels"]).view(2, -1).T  # (B, 2)
        index, pairs = accelerator.gather_for_metrics((batch["index"], pairs))
        chosen[index], rejected[index] = pairs[:, 0], pairs[:, 1]
    model.train(was_training)
    return chosen, rejected


def implicit_rewards(policy: tuple, reference: tuple, beta: float):
    """β log π/π_ref for chosen and rejected (section 5 of the DPO paper)."""
    return beta * (policy[0] - reference[0]), beta * (policy[1] - reference[1])
