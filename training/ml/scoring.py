"""Scoring with a reward model, shared by the reward stage's validation, the evaluate stage
and the online stages' rewards: pairs scored in batches, their accuracy and margin, and a
reward function backed by a reward checkpoint, its inputs formatted exactly as in training.

A pair counts as correct when the chosen response scores strictly above the rejected one
(so a pair with identical responses never counts). The margin is score(chosen) -
score(rejected).
"""

from functools import partial
from pathlib import Path

import torch

from training.ml.checkpoints import load_reward_model, load_tokenizer, read_training_config
from training.ml.config import criterion_problem
from training.ml.data import (
    collate_preferences,
    encode_completion,
    pad,
    prompt_ids,
    special_tokens,
)
from training.ml.loop import make_loader
from training.ml.reward_config import RewardConfig


@torch.no_grad()
def score_pairs(accelerator, model, features: list[dict], batch_size: int, pad_id: int):
    """Scores of every pair, in the order of `features`: (chosen (N,), rejected (N,))."""
    collate = partial(collate_preferences, pad_id=pad_id)
    loader = accelerator.prepare(make_loader(features, batch_size, collate, seed=0, shuffle=False))
    was_training = model.training
    model.eval()
    chosen, rejected = [], []
    for batch in loader:
        scores = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        pair_scores = scores.squeeze(-1).float().view(2, -1).T  # (B, 2): chosen, rejected
        pair_scores = accelerator.gather_for_metrics(pair_scores)
        chosen.append(pair_scores[:, 0].cpu())
        rejected.append(pair_scores[:, 1].cpu())
    model.train(was_training)
    return torch.cat(chosen), torch.cat(rejected)


def preference_metrics(chosen: torch.Tensor, rejected: torch.Tensor) -> dict:
    """{"accuracy", "mean_margin", "count"} from the two (N,) score vectors."""
    return {
        "accuracy": float((chosen > rejected).float().mean()),
        "mean_margin": float((chosen - rejected).mean()),
        "count": int(chosen.numel()),
    }


def trained_reward_config(model_path: str | Path) -> dict:
    """The RewardConfig fields a checkpoint was trained with; defaults for one from elsewhere.

    Scoring reads lengths and pooling from here so inputs and head match training.
    """
    return {**RewardConfig().to_dict(), **read_training_config(model_path).get("config", {})}


def load_reward_fn(model_path: str | Path, device, criterion: str | None = None):
    """A reward function `(prompts, completions, finished=None) -> (B,) scores` backed by a
    reward checkpoint.

    Inputs are formatted with the reward model's own tokenizer and its training lengths,
    so a policy with a different tokenizer can still be scored. A model trained per
    criterion scores on `criterion`, which must be one of its criteria.
    """
    trained = trained_reward_config(model_path)
    problem = criterion_problem(trained["criteria"], criterion)
    if problem:
        raise ValueError(f"reward model {model_path}: reward_criterion {problem}")
    tokenizer = load_tokenizer(model_path)
    model = load_reward_model(model_path, tokenizer, trained["pooling"])
    model = model.to(device).eval().requires_grad_(False)
    special = special_tokens(tokenizer)

    @torch.no_grad()
    def score(prompts: list[list[dict]], completions: list[str], finished=None) -> torch.Tensor:
        """`finished`, one bool per completion (default all True), says which ended: one that
        did not (a rollout cut at max_new_tokens) is scored without eos, as TRL scores it."""
        ended = [True] * len(completions) if finished is None else [bool(f) for f in finished]
        sequences = [
            encode_completion(
                tokenizer,
                prompt_ids(tokenizer, messages, trained["max_prompt_length"], special, criterion),
                completion,
                trained["max_length"],
                special,
                ended=done,
            )
            for messages, completion, done in zip(prompts, completions, ended, strict=True)
        ]
        input_ids, attention_mask = pad(sequences, tokenizer.pad_token_id)
        logits = model(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)
        ).logits
        return logits.squeeze(-1).float()  # (B,)

    return score
