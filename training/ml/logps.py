"""Sequence log-probs of completions, shared by the preference stages (DPO, KTO) and their
reference handling (reference.py).

Both take batches laid out as data.collate_halves lays them out: one (2B, T) batch of a first
half (DPO's chosen, KTO's completion) then a second (DPO's rejected, KTO's mismatched pair),
prompt and padding labels masked, so one function scores either.
"""

from functools import partial

import torch

from training.ml.data import collate_preferences
from training.ml.loop import make_loader
from training.ml.losses import sequence_logps


def completion_logps(model, inputs: dict) -> torch.Tensor:
    """Sequence log-probs of the completion tokens (prompt and padding masked): (B,)."""
    logits = model(
        input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], use_cache=False
    ).logits  # (B, T, V)
    return sequence_logps(logits, inputs["labels"])


@torch.no_grad()
def pair_logps(
    accelerator, model, features: list[dict], batch_size: int, pad_id: int, collate=None
):
    """Sequence log-probs of every pair's chosen and rejected completion: two (N,) tensors
    on the accelerator's device, indexed by the features' "index".

    `collate` (collate_preferences by default) may be any that stacks two halves the same way,
    such as KTO's completion and its mismatched pair (data.collate_kto).
    """
    chosen = torch.zeros(len(features), device=accelerator.device)
    rejected = torch.zeros(len(features), device=accelerator.device)
    if not features:
        return chosen, rejected
    collate = partial(collate or collate_preferences, pad_id=pad_id)
    loader = accelerator.prepare(make_loader(features, batch_size, collate, seed=0, shuffle=False))
    was_training = model.training
    model.eval()
    for batch in loader:
        with accelerator.autocast():
            logits = model(
                input_ids=batch["input_ids"],
                attention_mask=batch["attention_mask"],
                use_cache=False,
            ).logits  # (2B, T, V)
        pairs = sequence_logps(logits, batch["labels"]).view(2, -1).T  # (B, 2)
        index, pairs = accelerator.gather_for_metrics((batch["index"], pairs))
        chosen[index], rejected[index] = pairs[:, 0], pairs[:, 1]
    model.train(was_training)
    return chosen, rejected


def run_pair_logps(session, collate=None):
    """pair_logps(model, features) at the run's batch size and pad id (`session`: trainer.Session)."""
    return partial(
        pair_logps,
        session.accelerator,
        batch_size=session.config.batch_size,
        pad_id=session.tokenizer.pad_token_id,
        collate=collate,
    )
