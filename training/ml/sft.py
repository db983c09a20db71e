"""Supervised fine-tuning: next-token loss on the completion, prompt tokens masked.

Each example is {"prompt": messages, "completion": str}; the loss is the mean
cross-entropy over completion tokens (and the end-of-sequence token, so the model
learns to stop), with prompt and padding labels set to -100.
"""

from functools import partial
from pathlib import Path

import torch

from training.ml.checkpoints import finish_run, load_trainable_lm
from training.ml.config import SFTConfig
from training.ml.data import SFT_KEYS, collate_sft, encode_all, encode_sft
from training.ml.loop import (
    Callback,
    begin_run,
    final_metrics,
    make_loader,
    prepare_training,
    train_loop,
)
from training.ml.losses import token_logps_and_mask


def train_sft(
    config: SFTConfig,
    base_model_path: str | Path,
    train_examples: list[dict],
    val_examples: list[dict],
    output_dir: str | Path,
    callback: Callback | None = None,
) -> dict:
    """Fine-tune a causal LM on demonstrations and save it to `output_dir`.

    Returns {"status", "output_dir", "steps", "metrics", "history"}; metrics holds the
    last step's loss, learning_rate, samples_per_s, tokens_per_s, plus val_loss when
    val_examples is non-empty. Raises TrainingCancelled when the callback returns False.
    """
    output_dir, accelerator, tokenizer = begin_run(
        config, base_model_path, train_examples, val_examples, SFT_KEYS, output_dir
    )
    model = load_trainable_lm(base_model_path, tokenizer, config)

    encode = partial(
        encode_all,
        encode_sft,
        tokenizer,
        max_length=config.max_length,
        max_prompt_length=config.max_prompt_length,
    )
    collate = partial(collate_sft, pad_id=tokenizer.pad_token_id)
    model, optimizer, scheduler, loader, total_steps = prepare_training(
        accelerator, model, encode(train_examples), collate, config
    )

    compute = partial(sft_step, model)
    evaluate = None
    if val_examples:
        val_loader = accelerator.prepare(
            make_loader(encode(val_examples), config.batch_size, collate, 0, False)
        )

        def evaluate() -> dict:
            return {"val_loss": validation_loss(accelerator, model, val_loader)}

    history = train_loop(
        accelerator, model, optimizer, scheduler, loader, compute, total_steps, config, callback,
        output_dir=output_dir, evaluate=evaluate,
    )
    final = final_metrics(history, evaluate)
    return finish_run(
        accelerator, model, tokenizer, output_dir, "sft", config, base_model_path, history, final
    )


def completion_nll(model, batch: dict):
    """Summed negative log-likelihood of the completion tokens, and how many there were."""
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    ).logits  # (B, T, V)
    token_logps, mask = token_logps_and_mask(logits, batch["labels"])  # (B, T-1) each
    return -(token_logps * mask).sum(), mask.sum()


def sft_step(model, batch: dict):
    """One micro-batch: (mean token loss, stats, number of examples)."""
    nll, tokens = completion_nll(model, batch)
    return nll / tokens.clamp(min=1), {}, batch["input_ids"].shape[0]


@torch.no_grad()
def validation_loss(accelerator, model, loader) -> float:
    """Token-weighted mean loss over the whole validation set."""
    model.eval()
    totals = torch.zeros(2, device=accelerator.device)
    for batch in loader:
        nll, tokens = completion_nll(model, batch)
        totals += torch.stack([nll, tokens])
    model.train()
    totals = accelerator.reduce(totals, reduction="sum")
    return float(totals[0] / totals[1].clamp(min=1))
