"""The DPO stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    TrainConfig,
    dpo_loss_name,
    learning_rate_option,
    option,
)
from training.ml.config_limits import MAX_COEFFICIENT, Between, UpTo


@dataclass(frozen=True)
class DPOConfig(TrainConfig):
    """Direct Preference Optimization against a frozen copy of the base model."""

    learning_rate: float = learning_rate_option(1e-6)
    beta: float = option(
        0.1,
        "DPO temperature β: higher keeps the policy closer to the reference (SimPO's paper uses "
        "2 to 2.5).",
        UpTo(MAX_COEFFICIENT),
    )
    loss_type: str = option(
        "sigmoid",
        "'sigmoid' (DPO), 'ipo' (a squared loss whose log-ratio gap stops at 1/(2β)) or 'simpo' "
        "(reference-free, length-normalised log-probs; no reference model is loaded).",
        dpo_loss_name,
    )
    simpo_gamma: float = option(0.5, "SimPO's target reward margin γ.", Between(0, MAX_COEFFICIENT))
    use_label_confidence: bool = option(
        True,
        "Soft targets (sigmoid and simpo): a pair with a label_confidence below 1 is trained "
        "towards that probability instead of certainty.",
    )
