"""The SFT stage: next-token loss on the completion, prompt tokens masked.

Each example is {"prompt": messages, "completion": str}; the loss is the mean
cross-entropy over completion tokens (and the end-of-sequence token, so the model
learns to stop), with prompt and padding labels set to -100. Setup, loop, evaluation and
saving are the shared runner's (trainer.py).
"""

from functools import partial

import torch

from training.ml.checkpoints import load_trainable_lm
from training.ml.data import SFT_KEYS, collate_sft, encode_sft
from training.ml.loop import make_loader
from training.ml.losses import token_logps_and_mask
from training.ml.sft_config import SFTConfig
from training.ml.trainer import Session, Setup, Stage, StageInputs, train_stage


def train_sft(config: SFTConfig, *inputs, **named) -> dict:
    """Fine-tune a causal LM on demonstrations and save it to `output_dir`.

    Arguments after the config: trainer.StageInputs's (base_model_path, train_examples,
    val_examples, output_dir, callback=None).
    Returns {"status", "output_dir", "steps", "metrics", "history"}; metrics holds the
    last step's loss, learning_rate, samples_per_s, tokens_per_s, plus val_loss when
    val_examples is non-empty. Raises TrainingCancelled when the callback returns False.
    """
    return train_stage(SFT, config, StageInputs(*inputs, **named))


def sft_setup(session: Session, train_examples: list[dict], val_examples: list[dict]) -> Setup:
    """Load the causal LM to train and encode the demonstrations."""
    model = load_trainable_lm(session.base_model_path, session.tokenizer, session.config)
    train, val = (session.encode(encode_sft, e) for e in (train_examples, val_examples))
    return Setup(model, train, val, collate_sft)


def completion_nll(model, batch: dict):
    """Summed negative log-likelihood of the completion tokens, and how many there were."""
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    ).logits  # (B, T, V)
    token_logps, mask = token_logps_and_mask(logits, batch["labels"])  # (B, T-1) each
    return -(token_logps * mask).sum(), mask.sum()


def sft_step(model, setup: Setup, config: SFTConfig, batch: dict):
    """One micro-batch: (mean token loss, stats, number of examples)."""
    nll, tokens = completion_nll(model, batch)
    return nll / tokens.clamp(min=1), {}, batch["input_ids"].shape[0]


def sft_validation(session: Session, model, setup: Setup):
    """val_loss, over a validation loader prepared once, after the training one."""
    collate = partial(collate_sft, pad_id=session.tokenizer.pad_token_id)
    loader = make_loader(setup.val_features, session.config.batch_size, collate, 0, False)
    loader = session.accelerator.prepare(loader)
    return lambda: {"val_loss": validation_loss(session.accelerator, model, loader)}


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


SFT = Stage("sft", SFT_KEYS, sft_setup, sft_step, sft_validation)
