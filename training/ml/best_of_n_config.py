"""The best-of-N stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    UpTo,
    option,
    samples_option,
    seed_value,
)
from training.ml.config_limits import MAX_MAGNITUDE, Between
from training.ml.generate_config import GenerateConfig

MAX_BEST_OF_N_PROMPTS = 10_000  # snapshot prompts one run samples for


@dataclass(frozen=True)
class BestOfNConfig(GenerateConfig):
    """Best-of-N: sample N responses per snapshot prompt, keep the reward model's best."""

    num_samples: int = samples_option(4, "N: responses sampled per prompt.")
    reward_criterion: str | None = option(
        None, "For a reward model trained per criterion: the criterion it scores samples on."
    )
    missing_eos_penalty: float | None = option(
        None,
        "Subtracted from the score of a sample cut at max_new_tokens before it ended, so an "
        "unfinished answer does not win by length; null or 0 = off.",
        Between(0, MAX_MAGNITUDE),
    )
    max_prompts: int = option(
        256, "Most snapshot prompts sampled for (train split first).", UpTo(MAX_BEST_OF_N_PROMPTS)
    )
    new_comparisons: bool = option(
        False,
        "Also add each prompt's best sample against the policy's first sample as a new "
        "comparison, for people to verify the selection.",
    )
    split_seed: int = option(
        0, "Seed of the new snapshots' train/validation split by prompt.", seed_value
    )

    def validate(self) -> None:
        super().validate()
        if self.num_samples < 2:
            self._fail("num_samples", f"best-of-N needs at least 2 samples, got {self.num_samples}")
