"""The SFT stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import TrainConfig, option, positive


@dataclass(frozen=True)
class SFTConfig(TrainConfig):
    """Supervised fine-tuning on prompt/completion demonstrations, prompt tokens masked."""

    learning_rate: float = option(2e-5, "Peak AdamW learning rate.", positive)
