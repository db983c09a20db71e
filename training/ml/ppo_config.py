"""The PPO stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    batch_option,
    option,
    unit_interval,
)
from training.ml.config_limits import MAX_COEFFICIENT, MAX_MAGNITUDE, Between, UpTo
from training.ml.online_config import RolloutConfig


@dataclass(frozen=True)
class PPOConfig(RolloutConfig):
    """PPO with a value head; reward = reward model score - β·KL to the reference."""

    batch_size: int = batch_option(8, "Prompts rolled out per PPO step.")
    beta: float = option(
        0.05, "KL penalty coefficient β against the reference model.", Between(0, MAX_COEFFICIENT)
    )
    gamma: float = option(1.0, "Discount factor γ for GAE.", unit_interval)
    lam: float = option(0.95, "GAE λ.", unit_interval)
    clip_range_value: float = option(0.2, "Value clip ε around the rollout-time values.", UpTo(MAX_MAGNITUDE))
    value_loss_coef: float = option(
        0.1, "Weight of the value loss in the total loss.", Between(0, MAX_COEFFICIENT)
    )
