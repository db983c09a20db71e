"""The GRPO and RLOO stages: online RL from a reward model without a critic, written out in full.

Both sample `num_generations` (k) responses to every prompt and judge each response against
the other responses to the same prompt, so, unlike PPO, they train no value head. They share
PPO's sampling and scoring (rollouts.py) and runner (online.py: setup, the loop of rollouts and
`ppo_update`, evaluation, saving); TRL has both trainers, but ours reuse that code.
One step:

1. roll out: each of `batch_size` prompts is sampled k times with the policy. Rows are
   prompt-major (the responses to prompt p are rows p·k to p·k + k - 1), so the scores
   reshape to a (prompts, k) table;
2. score: the reward model (or an injected reward function) scores each response; the
   policy's log-probs at sampling time (π_old) and the frozen reference's are taken once;
3. one advantage per response, from its group:
   GRPO (Shao et al. 2024, DeepSeekMath): (score - group mean) / (group std + eps);
   RLOO (Ahmadian et al. 2024): reward r = score - β Σ_t (log π_old - log π_ref), then
   r minus the mean reward of the other k - 1 responses;
4. `ppo_epochs` shuffled passes over the responses in mini-batches (online.ppo_update):
   GRPO: clipped surrogate on every token plus β × the k3 KL to the reference (grpo_loss);
   RLOO: clipped surrogate on the whole response's log-ratio (rloo_loss).

So GRPO puts the KL in the loss and RLOO in the reward, as their papers do.
Reported per step: reward (mean score, less missing_eos_penalty for responses cut at
max_new_tokens, as in PPO), reward_std (mean standard deviation of the scores within a group:
0 means every group's responses scored alike, so the step had nothing to learn from), kl
(mean summed k3 KL estimate per response at sampling, as PPO reports it), entropy (mean per token),
policy_loss, clip_fraction, response_length, truncation_rate, learning_rate, samples_per_s
(responses). metrics adds val_reward (mean score of one sample per validation prompt).
"""

from collections.abc import Callable
from functools import partial

import torch

from training.ml.generation_view import generation_view
from training.ml.group_rl_config import GroupRLConfig, GRPOConfig, RLOOConfig
from training.ml.losses import (
    entropy_from_logits,
    kl_k3,
    kl_per_token,
    masked_mean,
    ppo_policy_loss,
)
from training.ml.online import OnlineInputs, OnlineRun, OnlineStage, train_online
from training.ml.rollouts import (
    lm_forward,
    response_logps,
    rollout_stats,
    sample_and_score,
    sample_responses,
    score_responses,
)


def train_grpo(config: GRPOConfig, *inputs, **named) -> dict:
    """Optimise the policy at `base_model_path` on {"prompt": messages} examples with GRPO.

    Arguments (online.OnlineInputs's) and result as ppo.train_ppo's (give exactly one of reward_model_path and reward_fn); saves the policy
    alone. Raises TrainingCancelled when the callback returns False.
    """
    return train_online(GRPO, config, OnlineInputs(*inputs, **named))


def train_rloo(config: RLOOConfig, *inputs, **named) -> dict:
    """Optimise the policy at `base_model_path` on {"prompt": messages} examples with RLOO.

    Arguments and result as train_grpo's; saves the policy alone. Raises TrainingCancelled
    when the callback returns False.
    """
    return train_online(RLOO, config, OnlineInputs(*inputs, **named))


@torch.no_grad()
def group_rollout(advantages: Callable, run: OnlineRun, config: GroupRLConfig, prompts: list[dict]) -> dict:
    """Sample num_generations responses per prompt, score them, and give each an advantage.

    Tensors are (B, R) or (B,) over B = len(prompts) × num_generations prompt-major rows.
    """
    repeated = [prompt for prompt in prompts for _ in range(config.num_generations)]

    def logps(model, batch: dict, rows: slice):
        return (logits_and_logps(model, batch, config.temperature, rows)[1],)

    batch, (policy_logps,), (ref_logps,) = sample_and_score(run, config, [p["ids"] for p in repeated], logps)
    batch["logps"], batch["ref_logps"] = policy_logps, ref_logps
    scores = score_responses(run.tokenizer, run.reward_fn, repeated, batch, config)  # (B,)
    batch["scores"] = scores
    batch["kl"] = kl_per_token(batch["logps"], batch["ref_logps"]) * batch["mask"]  # (B, R)
    batch["score_std"] = scores.view(-1, config.num_generations).std(-1)  # (P,)
    batch["advantages"] = advantages(batch, config)
    return batch


def logits_and_logps(model, batch: dict, temperature: float, rows=slice(None)):
    """Logits (b, R, V; unscaled) and log-probs under logits / temperature (b, R) of the
    selected rows' responses."""
    sequences = batch["sequences"][rows]
    logits = lm_forward(model, sequences, batch["attention_mask"][rows]).logits
    return response_logps(logits, sequences, batch["prompt_width"], temperature)


def grpo_rollout_advantages(batch: dict, config: GRPOConfig) -> torch.Tensor:
    """Each score standardised within its prompt's group: (B,). The KL is left to the loss."""
    scores = batch["scores"].view(-1, config.num_generations)  # (P, k)
    return grpo_advantages(scores).flatten()


def rloo_rollout_advantages(batch: dict, config: RLOOConfig) -> torch.Tensor:
    """Reward = score - β × summed KL at sampling, less the mean reward of the group's others: (B,)."""
    rewards = batch["scores"] - config.beta * batch["kl"].sum(-1)  # (B,)
    return rloo_advantages(rewards.view(-1, config.num_generations)).flatten()


def grpo_minibatch_loss(model, batch: dict, rows, config: GRPOConfig):
    """GRPO's loss on the selected responses: clipped per-token surrogate + β × k3 KL."""
    mask = batch["mask"][rows]
    logits, logps = logits_and_logps(model, batch, config.temperature, rows)
    loss, policy_loss, clip_fraction, _ = grpo_loss(
        logps,
        batch["logps"][rows],
        batch["ref_logps"][rows],
        batch["advantages"][rows],
        mask,
        config.clip_range,
        config.beta,
    )
    return loss, policy_stats(logits, mask, policy_loss, clip_fraction, config.temperature)


def rloo_minibatch_loss(model, batch: dict, rows, config: RLOOConfig):
    """RLOO's loss on the selected responses: clipped surrogate on each response's log-ratio."""
    mask = batch["mask"][rows]
    logits, logps = logits_and_logps(model, batch, config.temperature, rows)
    loss, clip_fraction = rloo_loss(
        logps, batch["logps"][rows], batch["advantages"][rows], mask, config.clip_range
    )
    return loss, policy_stats(logits, mask, loss.detach(), clip_fraction, config.temperature)


def policy_stats(logits, mask, policy_loss, clip_fraction, temperature: float) -> dict:
    """What a mini-batch reports: its policy loss, clip fraction and mean entropy per token
    of the sampling distribution softmax(logits / temperature)."""
    return {
        "policy_loss": policy_loss,
        "clip_fraction": clip_fraction,
        "entropy": masked_mean(entropy_from_logits(logits.detach(), temperature), mask),
    }


def group_rollout_stats(accelerator, batch: dict) -> dict:
    """PPO's rollout metrics plus reward_std, the mean within-group std of the scores."""
    local = batch["score_std"].mean().unsqueeze(0)  # (1,): reduce gathers along a dimension
    reward_std = accelerator.reduce(local, reduction="mean")
    return {**rollout_stats(accelerator, batch), "reward_std": float(reward_std)}


@torch.no_grad()
def mean_score(run: OnlineRun, config: GroupRLConfig, features: list[dict]) -> float:
    """Mean score of one sampled response per prompt (val_reward)."""
    accelerator, model, tokenizer = run.accelerator, run.model, run.tokenizer
    policy = accelerator.unwrap_model(model)
    policy.eval()
    scores = []
    for first in range(0, len(features), config.batch_size):
        prompts = features[first : first + config.batch_size]
        with generation_view(accelerator, model) as whole:
            batch = sample_responses(whole, tokenizer, [p["ids"] for p in prompts], config, run.engine)
        scores.append(score_responses(tokenizer, run.reward_fn, prompts, batch, config))
    policy.train()
    return float(torch.cat(scores).mean())


def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """REINFORCE leave-one-out advantages (Kool et al. 2019; Ahmadian et al. 2024, "RLOO").

        A_i = r_i - 1/(k-1) Σ_{j≠i} r_j

    over the k responses to one prompt: each response's baseline is the mean reward of the
    others, so it does not depend on the response itself and the estimate stays unbiased.
    Input (P, k) rewards, one row per prompt, k >= 2. Returns (P, k).
    """
    k = rewards.shape[-1]
    baselines = (rewards.sum(-1, keepdim=True) - rewards) / (k - 1)  # (P, k)
    return rewards - baselines


def grpo_advantages(scores: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """Group-relative advantages (Shao et al. 2024, DeepSeekMath, section 4.1.2).

        A_i = (r_i - mean(r)) / (std(r) + eps)

    over the k responses to one prompt; std is Bessel-corrected, as TRL's GRPOTrainer,
    and eps keeps a group of equal rewards at advantage 0 instead of 0/0. Input (P, k)
    scores, one row per prompt, k >= 2. Returns (P, k).
    """
    mean = scores.mean(-1, keepdim=True)
    std = scores.std(-1, keepdim=True)  # (P, 1)
    return (scores - mean) / (std + eps)


def grpo_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_range: float,
    beta: float,
):
    """GRPO objective (DeepSeekMath eq. 3), negated: the clipped surrogate on every token
    with its response's advantage, plus β × the k3 KL to the reference.

        L = -E_t[ min(ρ_t A, clip(ρ_t, 1-ε, 1+ε) A) - β KL_k3(t) ]

    Tokens are averaged over the whole batch, as ppo_policy_loss does and TRL's default
    "dapo" loss, not first within each response (the paper's 1/|o_i|), which weighs a
    long response's tokens less and so lets long, bad responses off lightly (Liu et al.
    2025, "Dr. GRPO"). Token inputs (B, T), advantages (B,). Returns (loss, policy_loss,
    clip_fraction, kl): the last three detached, kl the mean k3 estimate per token.
    """
    token_advantages = advantages.unsqueeze(-1).expand_as(logps)  # (B, T)
    policy_loss, clip_fraction = ppo_policy_loss(
        logps, old_logps, token_advantages, mask, clip_range
    )
    kl = masked_mean(kl_k3(logps, ref_logps), mask)
    return policy_loss + beta * kl, policy_loss.detach(), clip_fraction, kl.detach()


def rloo_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_range: float,
):
    """RLOO's policy loss: PPO's clipped surrogate with the whole response as one action.

        ρ = π(y|x) / π_old(y|x) = exp(Σ_t log π(y_t) - Σ_t log π_old(y_t))
        L = -E[ min(ρ A, clip(ρ, 1-ε, 1+ε) A) ]

    Ahmadian et al. 2024 model the response as a single action with one reward, and so
    does this ratio (TRL's RLOOTrainer takes the same sequence-level ratio). While ρ = 1
    (the first update on fresh rollouts) the gradient is plain REINFORCE, -A ∇ log π(y|x);
    the clip keeps further mini-batches and epochs on the same rollouts from moving the
    policy far. Token inputs (B, T), advantages (B,). Returns (loss, clip_fraction), the
    share of responses where clipping bit.
    """
    sequence_logps = (logps * mask).sum(-1, keepdim=True)  # (B, 1)
    old_sequence_logps = (old_logps * mask).sum(-1, keepdim=True)  # (B, 1)
    return ppo_policy_loss(
        sequence_logps,
        old_sequence_logps,
        advantages.unsqueeze(-1),
        torch.ones_like(sequence_logps),
        clip_range,
    )


GRPO = OnlineStage(
    "grpo", partial(group_rollout, grpo_rollout_advantages), grpo_minibatch_loss, group_rollout_stats, mean_score
)
RLOO = OnlineStage(
    "rloo", partial(group_rollout, rloo_rollout_advantages), rloo_minibatch_loss, group_rollout_stats, mean_score
)
