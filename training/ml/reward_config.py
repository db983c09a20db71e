"""The reward stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import TrainConfig, criterion_names, option, pooling_mode


@dataclass(frozen=True)
class RewardConfig(TrainConfig):
    """Reward model: sequence classifier trained with the Bradley–Terry loss."""

    use_margin: bool = option(
        False, "Subtract each pair's margin inside the loss (Llama 2); pairs without one use 0."
    )
    use_label_confidence: bool = option(
        True,
        "Soft targets: a pair whose export gave it a label_confidence below 1 (split verdicts, "
        "Dawid-Skene) is trained towards that probability instead of certainty.",
    )
    pooling: str = option(
        "model",
        "How a sequence becomes one score: 'model' = the architecture's own head (BERT's [CLS] "
        "pooler, a decoder's last token); 'mean' = a linear head on the masked mean of the last "
        "hidden states, for sentence-embedding encoders such as all-MiniLM.",
        pooling_mode,
    )
    criteria: tuple | list = option(
        (),
        "Criteria one model learns to judge (e.g. ['overall', 'harmless']; 'overall' is the main "
        "verdict): every pair is a verdict on one of them and its input names which; empty = the "
        "main verdict only, unnamed.",
        criterion_names,
    )
