"""The KTO stage: Kahneman-Tversky Optimization (Ethayarajh et al. 2024) against a frozen reference.

KTO learns from unpaired rows, one completion labelled desirable or undesirable for its prompt
(the project's `kto` export). Each completion's log-ratio r = log π/π_ref is pushed above a
reference point z0 when desirable and below it when not; z0 estimates KL(π || π_ref) from the
batch's prompts paired with other rows' completions (data.with_mismatched_completions).

As in DPO, the reference model's log-probs of every completion and every mismatched pair are
computed once, before training, and the reference is then dropped from memory (reference.py). Each step runs
the completions through the policy with gradients and the mismatched pairs without (z0 is not
backpropagated), and applies kto_loss. Reported per step: loss, kl (z0),
desirable_reward and undesirable_reward (the mean implicit reward β r of each kind in the step;
a step whose batch held none of a kind leaves that key out), learning_rate, samples_per_s.
Setup, loop, evaluation and saving are the shared runner's (trainer.py).
"""


import torch

from training.ml.data import KTO_KEYS, collate_kto, encode_kto, with_mismatched_completions
from training.ml.kto_config import KTOConfig
from training.ml.logps import completion_logps, run_pair_logps
from training.ml.reference import policy_and_reference_logps
from training.ml.trainer import Session, Setup, Stage, StageInputs, train_stage


def train_kto(config: KTOConfig, *inputs, **named) -> dict:
    """Train a causal LM with KTO and save it to `output_dir`.

    Arguments after the config: trainer.StageInputs's (base_model_path, train_examples,
    val_examples, output_dir, callback=None, reference_model_path=None). The reference is `reference_model_path`, else a frozen copy of the base model.
    Returns {"status", "output_dir", "steps", "metrics", "history"}; metrics holds the
    last step's loss, kl, desirable_reward, undesirable_reward, learning_rate, samples_per_s,
    tokens_per_s, plus val_desirable_reward and val_undesirable_reward when val_examples has
    rows of that kind. Raises TrainingCancelled when the callback returns False.
    """
    return train_stage(KTO, config, StageInputs(*inputs, **named))


def kto_setup(session: Session, train_examples: list[dict], val_examples: list[dict]) -> Setup:
    """Pair each row with a mismatched completion, encode, load the policy (dropout off) and
    take the reference's log-probs of every completion and mismatched pair."""
    train, val = (
        session.encode(encode_kto, with_mismatched_completions(e)) for e in (train_examples, val_examples)
    )
    model, (ref_train, ref_val) = policy_and_reference_logps(session, [train, val], collate_kto)
    return Setup(model, train, val, collate_kto, ref_train, ref_val)


def kto_step(model, setup: Setup, config: KTOConfig, batch: dict):
    """One micro-batch: (loss, stats, number of completions)."""
    completions, mismatched = halves(batch)
    policy_logps = completion_logps(model, completions)  # (B,)
    with torch.no_grad():  # z0 is detached in the loss, so its forward needs no graph
        policy_kl_logps = completion_logps(model, mismatched)  # (B,)
    ref_logps, ref_kl_logps = (logps[batch["index"]] for logps in setup.reference)
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


def kto_validation(session: Session, model, setup: Setup):
    """val_desirable_reward and val_undesirable_reward: the mean implicit reward β r of the
    validation rows of each kind (a kind with no rows is left out)."""
    logps, beta = run_pair_logps(session, collate_kto), session.config.beta

    def evaluate() -> dict:
        rewards = beta * (logps(model, setup.val_features)[0] - setup.val_reference[0])  # (N,)
        desirable = torch.tensor([f["desirable"] for f in setup.val_features], device=rewards.device)
        named = (("val_desirable_reward", desirable), ("val_undesirable_reward", ~desirable))
        return {name: float(rewards[mask].mean()) for name, mask in named if mask.any()}

    return evaluate


def kto_loss(
    policy_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    policy_kl_logps: torch.Tensor,
    ref_kl_logps: torch.Tensor,
    desirable: torch.Tensor,
    beta: float,
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
):
    """Kahneman-Tversky Optimization loss (Ethayarajh et al. 2024, section 4), as TRL computes it.

        r = log π(y|x)/π_ref(y|x),   z0 = max(0, mean over mismatched pairs (x, y') of r(x, y'))
        L = λ_D (1 - σ(β(r - z0)))  for desirable y,   λ_U (1 - σ(β(z0 - r)))  for undesirable y

    averaged over the batch. z0 estimates KL(π || π_ref) from completions paired with other
    prompts; the paper does not backpropagate through it, so it is detached. Inputs are (B,)
    sequence log-probs (the *_kl_* ones of the mismatched pairs) and a (B,) bool `desirable`.
    Returns (loss, rewards, kl): rewards are the detached implicit rewards β r, kl is z0.
    """
    logratios = policy_logps - ref_logps
    kl = (policy_kl_logps - ref_kl_logps).mean().clamp(min=0).detach()
    desirable_losses = desirable_weight * (1 - torch.sigmoid(beta * (logratios - kl)))
    undesirable_losses = undesirable_weight * (1 - torch.sigmoid(beta * (kl - logratios)))
    loss = torch.where(desirable, desirable_losses, undesirable_losses).mean()
    return loss, beta * logratios.detach(), kl


KTO = Stage("kto", KTO_KEYS, kto_setup, kto_step, kto_validation, uses_reference=True)
