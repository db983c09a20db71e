"""The reward stage: a one-output sequence scorer trained on preference pairs.

`config.pooling` picks the scorer: the architecture's own classification head, or a linear
head on mean-pooled hidden states (reward_model.py); the checkpoint records it.

Loss: Bradley–Terry, -log σ(r_chosen - r_rejected - m) with the Llama 2 margin m when
`config.use_margin` (bradley_terry_loss, below). Chosen and rejected go through the
model in one (2B, T) batch. Validation accuracy is measured on `val_examples` after the
last step (scoring.score_pairs); those last scores also make the checkpoint's report.json
(reward_report.pairs_report, what `evaluate_reward --report` prints for the same pairs), at no
extra cost: the pairs are scored once.

With `config.criteria` set, every pair names the criterion it was judged on and the model
reads it (data.criterion_ids); training_config.json records the criteria, so scoring asks
for one. Setup, loop, evaluation and saving are the shared runner's (trainer.py).
"""


import json
from pathlib import Path

import torch

from training.ml.adapters import SEQ_CLS, prepare_trainable
from training.ml.checkpoints import load_reward_model
from training.ml.data import (
    PREFERENCE_KEYS,
    check_criteria,
    collate_preferences,
    encode_preference,
)
from training.ml.losses import soft_preference_loss
from training.ml.reward_config import RewardConfig
from training.ml.reward_report import REPORT_FILE, pairs_report
from training.ml.scoring import preference_metrics, score_pairs
from training.ml.trainer import Session, Setup, Stage, StageInputs, train_stage


def train_reward(config: RewardConfig, *inputs, **named) -> dict:
    """Train a reward model from `base_model_path` and save it to `output_dir`.

    Arguments after the config: trainer.StageInputs's (base_model_path, train_examples,
    val_examples, output_dir, callback=None). Examples are preference dicts (see data.py). Returns {"status": "succeeded",
    "output_dir", "steps", "metrics", "history"}; metrics holds the last step's loss,
    accuracy, margin, learning_rate, samples_per_s, tokens_per_s plus val_accuracy,
    val_mean_margin and val_count when val_examples is non-empty. Raises
    TrainingCancelled when the callback returns False.
    """
    return train_stage(REWARD, config, StageInputs(*inputs, **named))


def reward_setup(session: Session, train_examples: list[dict], val_examples: list[dict]) -> Setup:
    """Check the pairs' criteria, load the scorer, encode the pairs."""
    config = session.config
    check_criteria(train_examples, config.criteria, "train")
    check_criteria(val_examples, config.criteria, "validation")
    model = trainable_reward_model(session.base_model_path, session.tokenizer, config)
    train, val = (session.encode(encode_preference, e) for e in (train_examples, val_examples))
    return Setup(model, train, val, collate_preferences, save_extra=ValidationReport(val_examples))


def trainable_reward_model(base_model_path, tokenizer, config: RewardConfig):
    """The scorer to train: float32, or with LoRA a frozen base whose adapters and score head
    train (the mean-pooled head sits outside the adapted backbone; peft keeps a sequence
    classifier's head trainable as a module to save)."""
    model = load_reward_model(base_model_path, tokenizer, config.pooling, config, trainable=True)
    if config.pooling == "mean":
        model.backbone = prepare_trainable(model.backbone, config, None)
        return model
    return prepare_trainable(model, config, SEQ_CLS)


def reward_step(model, setup: Setup, config: RewardConfig, batch: dict):
    """One micro-batch: (loss, stats, number of pairs)."""
    scores = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    chosen, rejected = scores.squeeze(-1).float().chunk(2)  # (2B,) -> (B,), (B,)
    margin = batch["margin"] if config.use_margin else None
    confidence = batch["confidence"] if config.use_label_confidence else None
    loss = bradley_terry_loss(chosen, rejected, margin, confidence)
    stats = {"accuracy": (chosen > rejected).float().mean(), "margin": (chosen - rejected).mean()}
    return loss, stats, chosen.numel()


def reward_validation(session: Session, model, setup: Setup):
    """val_accuracy, val_mean_margin and val_count of the validation pairs."""

    def evaluate() -> dict:
        pad_id, batch_size = session.tokenizer.pad_token_id, session.config.batch_size
        scores = score_pairs(session.accelerator, model, setup.val_features, batch_size, pad_id)
        setup.save_extra.margins = (scores[0] - scores[1]).numpy()  # the last scores make the report
        return {f"val_{k}": v for k, v in preference_metrics(*scores).items()}

    return evaluate


class ValidationReport:
    """Writes report.json into the checkpoint (finish_run's save_extra, main process only): the
    report of the validation pairs from their last scores, those of the model saved; nothing
    without validation pairs."""

    def __init__(self, val_examples: list[dict]):
        self.val_examples, self.margins = val_examples, None

    def __call__(self, directory: Path) -> None:
        if self.margins is None:
            return
        report = {"split": "validation", **pairs_report(self.val_examples, self.margins)}
        (Path(directory) / REPORT_FILE).write_text(json.dumps(report))


def bradley_terry_loss(
    chosen_rewards: torch.Tensor,
    rejected_rewards: torch.Tensor,
    margin: torch.Tensor | None = None,
    confidence: torch.Tensor | None = None,
) -> torch.Tensor:
    """Reward-model loss  -log σ(r(x, y_c) - r(x, y_r) - m(r)),  averaged over pairs.

    Bradley–Terry preference likelihood as used by Ouyang et al. 2022 (InstructGPT,
    eq. 1); the optional margin m(r) is Llama 2's (Touvron et al. 2023, eq. 2): a pair
    rated "much better" must be separated by more. An optional per-pair confidence (the
    export's label_confidence) softens the target (soft_preference_loss).
    Shapes: (B,), (B,), optional (B,), optional (B,).
    """
    logits = chosen_rewards - rejected_rewards
    if margin is not None:
        logits = logits - margin
    return soft_preference_loss(logits, confidence)


REWARD = Stage("reward", PREFERENCE_KEYS, reward_setup, reward_step, reward_validation)
