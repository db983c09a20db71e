"""Reward model: a one-output sequence scorer trained on preference pairs.

`config.pooling` picks the scorer: the architecture's own classification head, or a linear
head on mean-pooled hidden states (reward_model.py); the checkpoint records it.

Loss: Bradley–Terry, -log σ(r_chosen - r_rejected - m) with the Llama 2 margin m when
`config.use_margin` (see losses.bradley_terry_loss). Chosen and rejected go through the
model in one (2B, T) batch. Validation accuracy is measured on `val_examples` after the
last step.

With `config.criteria` set, every pair names the criterion it was judged on and the model
reads it (data.criterion_ids); training_config.json records the criteria, so scoring asks
for one.
"""

from functools import partial
from pathlib import Path

from training.ml.adapters import SEQ_CLS, prepare_trainable
from training.ml.checkpoints import finish_run, load_reward_model
from training.ml.config import RewardConfig
from training.ml.data import (
    PREFERENCE_KEYS,
    check_criteria,
    collate_preferences,
    encode_all,
    encode_preference,
)
from training.ml.evaluate import preference_metrics, score_pairs
from training.ml.loop import (
    Callback,
    begin_run,
    final_metrics,
    prepare_training,
    train_loop,
)
from training.ml.losses import bradley_terry_loss


def train_reward(
    config: RewardConfig,
    base_model_path: str | Path,
    train_examples: list[dict],
    val_examples: list[dict],
    output_dir: str | Path,
    callback: Callback | None = None,
) -> dict:
    """Train a reward model from `base_model_path` and save it to `output_dir`.

    Examples are preference dicts (see data.py). Returns {"status": "succeeded",
    "output_dir", "steps", "metrics", "history"}; metrics holds the last step's loss,
    accuracy, margin, learning_rate, samples_per_s, tokens_per_s plus val_accuracy,
    val_mean_margin and val_count when val_examples is non-empty. Raises
    TrainingCancelled when the callback returns False.
    """
    output_dir, accelerator, tokenizer = begin_run(
        config, base_model_path, train_examples, val_examples, PREFERENCE_KEYS, output_dir
    )
    check_criteria(train_examples, config.criteria, "train")
    check_criteria(val_examples, config.criteria, "validation")
    model = trainable_reward_model(base_model_path, tokenizer, config)

    encode = partial(
        encode_all,
        encode_preference,
        tokenizer,
        max_length=config.max_length,
        max_prompt_length=config.max_prompt_length,
    )
    collate = partial(collate_preferences, pad_id=tokenizer.pad_token_id)
    model, optimizer, scheduler, loader, total_steps = prepare_training(
        accelerator, model, encode(train_examples), collate, config
    )

    compute = partial(reward_step, model, config.use_margin, config.use_label_confidence)
    val_features = encode(val_examples or [])

    def evaluate() -> dict:
        scores = score_pairs(accelerator, model, val_features, config.batch_size, tokenizer.pad_token_id)
        return {f"val_{k}": v for k, v in preference_metrics(*scores).items()}

    evaluate = evaluate if val_features else None
    history = train_loop(
        accelerator, model, optimizer, scheduler, loader, compute, total_steps, config, callback,
        output_dir=output_dir, evaluate=evaluate,
    )
    final = final_metrics(history, evaluate)
    return finish_run(
        accelerator, model, tokenizer, output_dir, "reward", config, base_model_path, history, final
    )


def trainable_reward_model(base_model_path, tokenizer, config: RewardConfig):
    """The scorer to train: float32, or with LoRA a frozen base whose adapters and score head
    train (the mean-pooled head sits outside the adapted backbone; peft keeps a sequence
    classifier's head trainable as a module to save)."""
    model = load_reward_model(base_model_path, tokenizer, config.pooling, config, trainable=True)
    if config.pooling == "mean":
        model.backbone = prepare_trainable(model.backbone, config, None)
        return model
    return prepare_trainable(model, config, SEQ_CLS)


def reward_step(model, use_margin: bool, use_confidence: bool, batch: dict):
    """One micro-batch: (loss, stats, number of pairs)."""
    scores = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    chosen, rejected = scores.squeeze(-1).float().chunk(2)  # (2B,) -> (B,), (B,)
    loss = bradley_terry_loss(
        chosen, rejected, batch["margin"] if use_margin else None, batch["confidence"] if use_confidence else None
    )
    stats = {"accuracy": (chosen > rejected).float().mean(), "margin": (chosen - rejected).mean()}
    return loss, stats, chosen.numel()
