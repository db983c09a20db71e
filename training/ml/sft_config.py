"""The SFT stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import TrainConfig, learning_rate_option


@dataclass(frozen=True)
class SFTConfig(TrainConfig):
    """Supervised fine-tuning on prompt/completion demonstrations, prompt tokens masked."""

    learning_rate: float = learning_rate_option(2e-5)
