"""The KTO stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import TrainConfig, learning_rate_option, option
from training.ml.config_limits import MAX_COEFFICIENT, UpTo


@dataclass(frozen=True)
class KTOConfig(TrainConfig):
    """Kahneman-Tversky Optimization on unpaired desirable/undesirable completions, against a
    frozen copy of the base model."""

    learning_rate: float = learning_rate_option(1e-6)
    beta: float = option(
        0.1, "KTO temperature β: higher keeps the policy closer to the reference.", UpTo(MAX_COEFFICIENT)
    )
    desirable_weight: float = option(
        1.0,
        "λ_D, weight of each desirable completion's loss; raise it when desirable rows are rarer.",
        UpTo(MAX_COEFFICIENT),
    )
    undesirable_weight: float = option(
        1.0,
        "λ_U, weight of each undesirable completion's loss; raise it when undesirable rows are rarer.",
        UpTo(MAX_COEFFICIENT),
    )
