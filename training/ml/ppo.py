"""The PPO stage: PPO for language models (Ziegler et al. 2019; Ouyang et al. 2022), written out in full.

PPO is no longer in TRL (removed in 1.13), so this is our own compact version. One step:

1. roll out: sample one response per prompt from the policy (temperature sampling);
2. score: the reward model (or an injected reward function) scores each response;
   per-token reward = -β·(log π - log π_ref), plus the score on the last response token;
3. GAE over response tokens with the value head's estimates (gae, below);
4. `ppo_epochs` passes over the rollouts in mini-batches: clipped policy loss plus
   value_loss_coef × clipped value loss (losses.ppo_policy_loss, ppo_value_loss below).

The value head is a linear layer on the policy's last hidden state (a shared trunk).
Log-probs are taken from logits / temperature, the distribution the rollouts came from.
A response cut at max_new_tokens (no eos) loses missing_eos_penalty from its score.
Rollouts are scored (policy, reference, reward) mini_batch_size responses at a time.
Reported per step: reward (mean score, penalty included), kl (mean summed k3 KL estimate per response),
entropy (mean per token), policy_loss, value_loss, clip_fraction, response_length,
truncation_rate (share of responses cut at max_new_tokens), learning_rate, samples_per_s.

Setup, the loop of rollouts and updates, evaluation and saving are the shared runner's
(online.py), which GRPO and RLOO (group_rl.py) run with their own advantages and losses.
"""

from functools import partial
from pathlib import Path

import torch
from safetensors.torch import save_file

from training.ml.losses import (
    entropy_from_logits,
    kl_per_token,
    masked_mean,
    masked_whiten,
    ppo_policy_loss,
)
from training.ml.online import OnlineInputs, OnlineRun, OnlineStage, train_online
from training.ml.ppo_config import PPOConfig
from training.ml.rollouts import (
    lm_forward,
    response_logps,
    rollout_stats,
    sample_and_score,
    score_responses,
)


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


def train_ppo(config: PPOConfig, *inputs, **named) -> dict:
    """Optimise the policy at `base_model_path` on {"prompt": messages} examples with PPO.

    Arguments after the config: online.OnlineInputs's (base_model_path, train_examples,
    val_examples, output_dir, callback=None, reward_model_path=None, reward_fn=None; by name
    only: gold_reward_model_path, gold_reward_fn).
    The score comes from `reward_model_path` (a reward-stage checkpoint; inputs formatted
    as in its training) or from `reward_fn` (tests, rule-based rewards): give exactly one.
    The reference is a frozen copy of the base model. Saves the policy (plus
    value_head.safetensors) to output_dir. metrics adds val_reward (mean score of one
    sample per validation prompt) when val_examples is non-empty. A gold reward (a held-out
    model's path or a function) scores every step's responses too (reward_monitor.py). Raises
    TrainingCancelled when the callback returns False.
    """
    return train_online(PPO, config, OnlineInputs(*inputs, **named))


@torch.no_grad()
def ppo_rollout(run: OnlineRun, config: PPOConfig, prompts: list[dict]) -> dict:
    """Sample, score and compute advantages for a batch of prompts; tensors (B, R) or (B,)."""
    batch = sample_and_evaluate(run, config, prompts)
    scores = score_responses(run.tokenizer, run.reward_fn, prompts, batch, config)
    return {**batch, **advantages_from_scores(batch, scores, config)}


def sample_and_evaluate(run: OnlineRun, config: PPOConfig, prompts: list[dict]) -> dict:
    """Sampled responses with the policy's log-probs and values and the reference's log-probs."""

    def logps_and_values(model, batch: dict, rows: slice):
        _, logps, values = response_forward(model, batch, config.temperature, rows)
        return logps, values.float()

    ids = [p["ids"] for p in prompts]
    batch, (logps, values), (ref_logps, _) = sample_and_score(
        run, config, ids, logps_and_values, lm=lambda whole: whole.lm
    )
    return {**batch, "logps": logps, "ref_logps": ref_logps, "values": values}


def response_forward(model, batch: dict, temperature: float, rows=slice(None)):
    """Logits (b, R, V), log-probs (b, R) and values (b, R) of the selected rows' responses.

    The token at position t is predicted at t-1, and its value is the value of the state
    before it was chosen, so both are read one position to the left.
    """
    sequences, width = batch["sequences"][rows], batch["prompt_width"]
    logits, values = model(sequences, batch["attention_mask"][rows])
    logits, logps = response_logps(logits, sequences, width, temperature)
    return logits, logps, values[:, width - 1 : -1]


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


def ppo_minibatch_loss(model, batch: dict, rows, config):
    """Clipped policy loss + value_loss_coef × clipped value loss on the selected rollouts."""
    mask = batch["mask"][rows]
    logits, logps, values = response_forward(model, batch, config.temperature, rows)
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


def ppo_val_reward(run: OnlineRun, config: PPOConfig, features: list[dict]) -> float:
    """Mean score of one rollout per validation prompt (val_reward)."""
    batches = [features[i : i + config.batch_size] for i in range(0, len(features), config.batch_size)]
    return float(torch.cat([ppo_rollout(run, config, b)["scores"] for b in batches]).mean())


def policy_and_value_head(run: OnlineRun) -> tuple:
    """What PPO saves: the policy's causal LM, and its value head beside it."""
    unwrapped = run.accelerator.unwrap_model(run.model)
    return unwrapped.lm, partial(save_value_head, unwrapped.value_head)


def save_value_head(value_head, directory: Path) -> None:
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in value_head.state_dict().items()},
        str(directory / "value_head.safetensors"),
    )


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    mask: torch.Tensor,
    gamma: float,
    lam: float,
):
    """Generalized advantage estimation (Schulman et al. 2016, eq. 16; PPO paper eq. 11-12).

        δ_t = r_t + γ V(s_{t+1}) - V(s_t),   A_t = Σ_l (γλ)^l δ_{t+l}

    Inputs are (B, T) over response tokens; V after the last real token is 0 (the episode
    ends). Returns (advantages, returns) with returns = A + V, the value-function target.
    """
    values = values * mask
    rewards = rewards * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])  # (B,)
    for t in reversed(range(rewards.shape[1])):
        next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = (delta + gamma * lam * running) * mask[:, t]
        advantages[:, t] = running
    return advantages, advantages + values


def ppo_value_loss(
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    clip_range_value: float,
) -> torch.Tensor:
    """Clipped value loss  ½ E_t[ max((V - R)², (clip(V, V_old ± ε) - R)²) ].

    The value clipping of OpenAI baselines' PPO2, as used for RLHF by Ziegler et al. 2019
    and the "N implementation details of RLHF with PPO" (Huang et al. 2024). Inputs (B, T).
    """
    clipped = old_values + torch.clamp(values - old_values, -clip_range_value, clip_range_value)
    worst = torch.max((values - returns) ** 2, (clipped - returns) ** 2)
    return 0.5 * masked_mean(worst, mask)


PPO = OnlineStage(
    "ppo", ppo_rollout, ppo_minibatch_loss, rollout_stats, ppo_val_reward,
    wrap=PolicyWithValueHead, saved=policy_and_value_head,
)
