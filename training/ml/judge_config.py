"""The judge stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    Config,
    UpTo,
    attention_option,
    batch_option,
    inference_dtype_option,
    new_tokens_option,
    option,
    seed_value,
    tokens_option,
)
from training.ml.config_limits import MAX_MAGNITUDE, MAX_TEMPERATURE, Between

JUDGE_WHICH = ("all", "unjudged", "sample")
JUDGE_MODES = ("judge", "revise")
MAX_JUDGED = 100_000  # comparisons one judge run reads


def judge_which(value) -> bool:
    """one of 'all', 'unjudged', 'sample'"""
    return value in JUDGE_WHICH


def judge_mode(value) -> bool:
    """one of 'judge', 'revise'"""
    return value in JUDGE_MODES


@dataclass(frozen=True)
class JudgeConfig(Config):
    """Judge: a reward model or causal LM checkpoint labels the project's comparisons as a judge;
    or, in mode 'revise', a causal LM critiques and revises their responses into a snapshot."""

    mode: str = option(
        "judge",
        "'judge': give verdicts, stored as the judge's judgments; 'revise' (a causal LM checkpoint "
        "only): critique each response of the comparisons against each of the project's "
        "principles and rewrite it (Constitutional AI's supervised phase), the revisions written "
        "to a new snapshot as SFT demonstrations and (revision, original) preference pairs.",
        judge_mode,
    )
    which: str = option(
        "unjudged",
        "Comparisons judged: 'all', 'unjudged' (those this judge has no judgment on yet) or "
        "'sample' (sample_size of them, drawn with seed).",
        judge_which,
    )
    sample_size: int = option(100, "Comparisons drawn when which is 'sample'.", UpTo(MAX_JUDGED))
    seed: int = option(0, "Seed of the sample.", seed_value)
    tie_margin: float = option(
        0.0,
        "A verdict is a tie when the judge's margin (a reward model's score difference, a causal "
        "LM's log-odds of A over B) is below this and the project allows ties; 0 = never a tie.",
        Between(0, MAX_MAGNITUDE),
    )
    strength_step: float = option(
        1.0,
        "Margin per step up the project's strength scale: a margin below it is the weakest "
        "strength, each further step one stronger, capped at the scale's strongest.",
        UpTo(MAX_MAGNITUDE),
    )
    endpoint_model: str = option(
        "",
        "Judge with this model of the OpenAI-compatible endpoint the site administrator "
        "configured (JUDGE_ENDPOINT_URL) instead of a checkpoint; empty = the run's checkpoint judges.",
    )
    batch_size: int = batch_option(8, "Sequences scored per forward pass.")
    max_length: int = tokens_option(
        1024,
        "Causal LM judge: most tokens per question; a longer conversation loses its oldest turns. "
        "A reward model reads its inputs at the lengths it was trained with.",
    )
    max_new_tokens: int = new_tokens_option(
        128, "Revise: most tokens of each critique and each revision.",
    )
    temperature: float = option(
        0.0, "Revise: sampling temperature of critiques and revisions (seeded with seed); 0 = greedy.",
        Between(0, MAX_TEMPERATURE),
    )
    torch_dtype: str = inference_dtype_option()
    attn_implementation: str | None = attention_option()

    def validate(self) -> None:
        if self.mode != "revise":
            return
        if self.endpoint_model:
            self._fail("mode", "'revise' writes with a causal LM checkpoint, not an endpoint: leave endpoint_model empty")
        if self.max_new_tokens >= self.max_length:
            self._fail(
                "max_new_tokens",
                f"must be below max_length ({self.max_length}): a revision's question and its answer share it",
            )
