"""Evaluating a reward checkpoint on preference pairs: accuracy, mean margin and count, the
inputs formatted exactly as in training; scoring.py scores them and says what counts.
"""

from pathlib import Path

import torch
from accelerate import Accelerator

from training.ml.checkpoints import load_reward_model, load_tokenizer
from training.ml.data import (
    PREFERENCE_KEYS,
    check_criteria,
    check_examples,
    encode_all,
    encode_preference,
)
from training.ml.scoring import preference_metrics, score_pairs, trained_reward_config


def evaluate_reward(model_path: str | Path, examples: list[dict], **scoring) -> dict:
    """Accuracy, mean margin and count of a reward checkpoint on preference examples, scored
    by score_preferences (its keyword options: batch_size, max_length, max_prompt_length,
    criterion)."""
    return preference_metrics(*score_preferences(model_path, examples, **scoring))


def score_preferences(
    model_path: str | Path,
    examples: list[dict],
    batch_size: int = 16,
    max_length: int | None = None,
    max_prompt_length: int | None = None,
    criterion: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every pair's scores, (chosen (N,), rejected (N,)).

    Lengths and pooling default to those the checkpoint was trained with (its
    training_config.json), else to RewardConfig's defaults, so inputs are truncated and
    scored exactly as in training. A model trained per criterion needs one for every pair:
    the example's own "criterion", else `criterion`.
    """
    check_examples(examples, PREFERENCE_KEYS, "evaluation")
    trained = trained_reward_config(model_path)
    if criterion:
        examples = [{**e, "criterion": e.get("criterion") or criterion} for e in examples]
    check_criteria(examples, trained["criteria"], "evaluation")
    max_length = max_length or trained["max_length"]
    max_prompt_length = max_prompt_length or trained["max_prompt_length"]
    accelerator = Accelerator()
    tokenizer = load_tokenizer(model_path)
    model = accelerator.prepare(load_reward_model(model_path, tokenizer, trained["pooling"]))
    features = encode_all(encode_preference, tokenizer, examples, max_length, max_prompt_length)
    return score_pairs(accelerator, model, features, batch_size, tokenizer.pad_token_id)
