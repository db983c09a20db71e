"""The DPO stage: Direct Preference Optimization (Rafailov et al. 2023) against a frozen reference.

The reference model's log-probs of every chosen and rejected completion are computed
once, before training, and the reference is then dropped from memory (reference.py). Each
step runs chosen and rejected through the policy in one (2B, T) batch and applies dpo_loss
(ipo_loss, simpo_loss: config.loss_type). Reported per step: loss, accuracy (share of pairs whose implicit reward β log π/π_ref is higher for the
chosen response), margin (mean chosen - rejected implicit reward), chosen_reward,
rejected_reward. Setup, loop, evaluation and saving are the shared runner's (trainer.py).
"""


import torch

from training.ml.checkpoints import load_trainable_lm
from training.ml.data import PREFERENCE_KEYS, collate_preferences, encode_preference
from training.ml.dpo_config import DPOConfig
from training.ml.logps import run_pair_logps
from training.ml.loop import disable_dropout
from training.ml.losses import IGNORE_INDEX, sequence_logps, soft_preference_loss
from training.ml.reference import policy_and_reference_logps
from training.ml.trainer import Session, Setup, Stage, StageInputs, train_stage


def train_dpo(config: DPOConfig, *inputs, **named) -> dict:
    """Train a causal LM with DPO and save it to `output_dir`.

    Arguments after the config: trainer.StageInputs's (base_model_path, train_examples,
    val_examples, output_dir, callback=None, reference_model_path=None). The reference is `reference_model_path`, else a frozen copy of the base model.
    Returns {"status", "output_dir", "steps", "metrics", "history"}; metrics holds the
    last step's loss, accuracy, margin, chosen_reward, rejected_reward, learning_rate,
    samples_per_s, tokens_per_s, plus val_accuracy and val_margin when val_examples is
    non-empty. Raises TrainingCancelled when the callback returns False.
    """
    return train_stage(DPO, config, StageInputs(*inputs, **named))


def dpo_setup(session: Session, train_examples: list[dict], val_examples: list[dict]) -> Setup:
    """Encode the pairs, load the policy (dropout off) and take the reference's log-probs of
    every pair; SimPO is reference-free, so no reference is loaded or scored."""
    config, tokenizer = session.config, session.tokenizer
    train, val = (session.encode(encode_preference, e) for e in (train_examples, val_examples))
    if config.loss_type == "simpo":
        model = disable_dropout(load_trainable_lm(session.base_model_path, tokenizer, config))
        return Setup(model, train, val, collate_preferences)
    model, (ref_train, ref_val) = policy_and_reference_logps(session, [train, val])
    return Setup(model, train, val, collate_preferences, ref_train, ref_val)


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


def dpo_step(model, setup: Setup, config: DPOConfig, batch: dict):
    """One micro-batch: (loss, stats, number of pairs)."""
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    ).logits  # (2B, T, V)
    chosen_logps, rejected_logps = sequence_logps(logits, batch["labels"]).chunk(2)  # (B,), (B,)
    loss, chosen_rewards, rejected_rewards = preference_loss(
        config, chosen_logps, rejected_logps, setup.reference, batch
    )
    stats = {
        "accuracy": (chosen_rewards > rejected_rewards).float().mean(),
        "margin": (chosen_rewards - rejected_rewards).mean(),
        "chosen_reward": chosen_rewards.mean(),
        "rejected_reward": rejected_rewards.mean(),
    }
    return loss, stats, chosen_logps.numel()


def dpo_validation(session: Session, model, setup: Setup):
    """val_accuracy and val_margin of the validation pairs' implicit rewards (SimPO's are
    length-normalised)."""
    config, logps = session.config, run_pair_logps(session)

    def evaluate() -> dict:
        policy = logps(model, setup.val_features)
        if config.loss_type == "simpo":
            lengths = completion_lengths(setup.val_features, session.accelerator.device)
            chosen, rejected = (config.beta * lp / n for lp, n in zip(policy, lengths, strict=True))
        else:
            chosen, rejected = implicit_rewards(policy, setup.val_reference, config.beta)
        return {
            "val_accuracy": float((chosen > rejected).float().mean()),
            "val_margin": float((chosen - rejected).mean()),
        }

    return evaluate


def implicit_rewards(policy: tuple, reference: tuple, beta: float):
    """β log π/π_ref for chosen and rejected (section 5 of the DPO paper)."""
    return beta * (policy[0] - reference[0]), beta * (policy[1] - reference[1])


def dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float,
    confidence: torch.Tensor | None = None,
):
    """Direct Preference Optimization loss (Rafailov et al. 2023, eq. 7).

        L = -log σ( β log π(y_w|x)/π_ref(y_w|x) - β log π(y_l|x)/π_ref(y_l|x) )

    The implicit rewards r̂ = β log π/π_ref (section 5) are returned detached for
    reporting: accuracy is the share of pairs with chosen_rewards > rejected_rewards.
    All inputs are (B,) sequence log-probs; an optional per-pair confidence softens the target
    (soft_preference_loss). Returns (loss, chosen_rewards, rejected_rewards).
    """
    chosen_logratios = policy_chosen_logps - ref_chosen_logps
    rejected_logratios = policy_rejected_logps - ref_rejected_logps
    loss = soft_preference_loss(beta * (chosen_logratios - rejected_logratios), confidence)
    return loss, beta * chosen_logratios.detach(), beta * rejected_logratios.detach()


def ipo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float,
):
    """Identity Preference Optimisation (Azar et al. 2023, eq. 17):

        L = ( log π(y_w|x)/π_ref(y_w|x) - log π(y_l|x)/π_ref(y_l|x) - 1/(2β) )²

    A squared loss with a finite target: the log-ratio gap stops growing at 1/(2β), where
    DPO's logistic loss keeps pushing it on deterministic preferences. Inputs and returns as
    dpo_loss (the reported rewards are β log π/π_ref).
    """
    chosen_logratios = policy_chosen_logps - ref_chosen_logps
    rejected_logratios = policy_rejected_logps - ref_rejected_logps
    loss = ((chosen_logratios - rejected_logratios - 1 / (2 * beta)) ** 2).mean()
    return loss, beta * chosen_logratios.detach(), beta * rejected_logratios.detach()


def simpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    chosen_lengths: torch.Tensor,
    rejected_lengths: torch.Tensor,
    beta: float,
    gamma: float,
    confidence: torch.Tensor | None = None,
):
    """SimPO, reference-free (Meng et al. 2024, eq. 6):

        L = -log σ( β/|y_w| log π(y_w|x) - β/|y_l| log π(y_l|x) - γ )

    The reward is the length-normalised log-prob, so no reference model is needed and a
    longer response earns nothing by being longer; γ is the target reward margin. Lengths are
    completion tokens, (B,). Returns (loss, chosen_rewards, rejected_rewards) with the
    rewards β/|y| log π(y|x), detached.
    """
    chosen_rewards = beta * policy_chosen_logps / chosen_lengths.clamp(min=1)
    rejected_rewards = beta * policy_rejected_logps / rejected_lengths.clamp(min=1)
    loss = soft_preference_loss(chosen_rewards - rejected_rewards - gamma, confidence)
    return loss, chosen_rewards.detach(), rejected_rewards.detach()


DPO = Stage("dpo", PREFERENCE_KEYS, dpo_setup, dpo_step, dpo_validation, uses_reference=True)
