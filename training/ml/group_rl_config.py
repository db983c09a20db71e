"""The GRPO and RLOO stages' configs (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    batch_option,
    epochs_option,
    generations,
    option,
    verifier_mode,
)
from training.ml.config_limits import MAX_COEFFICIENT, Between, UpTo
from training.ml.online_config import RolloutConfig


@dataclass(frozen=True)
class GroupRLConfig(RolloutConfig):
    """Fields GRPO and RLOO share: num_generations responses per prompt, scored by the reward
    model, each judged against the other responses to its prompt (no value head)."""

    batch_size: int = batch_option(8, "Prompts per step; each is sampled num_generations times.")
    num_generations: int = option(
        4,
        "Responses sampled per prompt (k); each is judged against the others, so at least 2.",
        generations,
    )
    mini_batch_size: int = batch_option(
        8,
        "Responses (not prompts) per gradient computation inside an epoch, and per forward "
        "when the rollouts are scored (policy, reference, reward model).",
    )
    ppo_epochs: int = epochs_option(
        1,
        "Optimisation passes over each step's responses (μ in the GRPO paper).",
    )
    verifier: str = option(
        "none",
        "Verifiable reward from each prompt's metadata 'verify' (numeric, exact, regex or json "
        "answer checks, 1 when right, 0 otherwise): 'none', 'only' (no reward model), or 'add' "
        "(verifier_weight × the check, added to the reward model's score).",
        verifier_mode,
    )
    verifier_weight: float = option(1.0, "Weight of the verifiable reward with verifier 'add'.", UpTo(MAX_COEFFICIENT))

    @property
    def responses_per_step(self) -> int:
        return self.batch_size * self.num_generations


@dataclass(frozen=True)
class GRPOConfig(GroupRLConfig):
    """GRPO (DeepSeekMath): advantages are scores standardised within each prompt's group;
    clipped per-token loss plus β × KL to the reference."""

    beta: float = option(
        0.04,
        "Weight β of the per-token KL to the reference in the loss (0.04 in DeepSeekMath).",
        Between(0, MAX_COEFFICIENT),
    )


@dataclass(frozen=True)
class RLOOConfig(GroupRLConfig):
    """RLOO: reward = score - β·KL to the reference; each response's baseline is the mean reward
    of the other responses to its prompt; the whole response is one action."""

    beta: float = option(
        0.05,
        "KL penalty β: each response's reward loses β × its summed KL to the reference.",
        Between(0, MAX_COEFFICIENT),
    )
