"""Loading models from local checkpoints and writing a run's artifacts atomically.

Models load with `use_safetensors=True`: a checkpoint that only has pickled weights is
refused rather than unpickled. A run writes into a hidden sibling directory and renames it
to `output_dir` once everything is on disk, so `output_dir` either holds a complete
checkpoint or does not exist; every file is fsynced before the rename, and the rename after it.

A finished `output_dir` holds:
    model.safetensors (or shards), config.json    the weights, loadable with from_pretrained
    tokenizer files                               the tokenizer it was trained with
    training_config.json                          {"stage", "config", "base_model_path"}
    metrics.json                                  {"final": {...}, "history": [{"step", ...}]}
    value_head.safetensors                        PPO only
    reward_head.safetensors                       reward models with pooling "mean" (reward_model.py)
"""

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

from training.ml.durable import fsync_tree, replace_directory
from training.ml.resume import remove_states
from training.ml.reward_model import MeanPooledRewardModel

TRAINING_CONFIG = "training_config.json"
METRICS = "metrics.json"


def load_tokenizer(path: str | Path):
    """The checkpoint's tokenizer, with eos standing in for a missing pad token."""
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_causal_lm(path: str | Path, tokenizer):
    model = AutoModelForCausalLM.from_pretrained(str(path), use_safetensors=True)
    model.config.pad_token_id = tokenizer.pad_token_id
    return model


def load_reward_model(path: str | Path, tokenizer, pooling: str = "model"):
    """A one-output scorer whose `.logits` is (B, 1), pooled as RewardConfig.pooling says.

    "model": the architecture's own sequence classifier; "mean": MeanPooledRewardModel.
    A checkpoint without that head (a plain LM or encoder) gets a new one.
    """
    if pooling == "mean":
        model = MeanPooledRewardModel(AutoModel.from_pretrained(str(path), use_safetensors=True))
        model.load_head(path)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            str(path), num_labels=1, use_safetensors=True
        )
    # Llama-style classifiers score the last non-pad token, so they must know the pad id.
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.use_cache = False  # a scorer never generates; a KV cache would only cost time
    return model


def check_output_dir(output_dir: str | Path) -> Path:
    """Refuse to train into a directory that already holds something (checked before training)."""
    output_dir = Path(output_dir)
    if output_dir.exists() and any(output_dir.iterdir()):
        raise FileExistsError(f"output directory {output_dir} is not empty")
    return output_dir


@contextmanager
def staged_output(output_dir: Path, is_main_process: bool = True) -> Iterator[Path]:
    """Yield a staging directory that becomes `output_dir` only if the block completes.

    The staging name is fixed (not random) so every process of a distributed run agrees
    on it; a leftover from a crashed run is cleared first.
    """
    staging = output_dir.with_name(f".{output_dir.name}.partial")
    if is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        if is_main_process:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if is_main_process:
        # Every file durable before the rename publishes them (durable.py): a checkpoint that
        # exists under its final name is complete, even after a power loss.
        fsync_tree(staging)
        replace_directory(staging, output_dir)  # output_dir is absent or empty, see check_output_dir


def save_pretrained(accelerator, model, tokenizer, directory: Path) -> None:
    """Weights as safetensors plus the tokenizer; every process must call it (FSDP/DeepSpeed)."""
    state_dict = accelerator.get_state_dict(model)
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).save_pretrained(
            directory, state_dict=state_dict, safe_serialization=True
        )
        tokenizer.save_pretrained(directory)


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_training_config(checkpoint: str | Path) -> dict:
    """What the checkpoint was trained with, or {} for a checkpoint from elsewhere."""
    path = Path(checkpoint) / TRAINING_CONFIG
    return json.loads(path.read_text()) if path.exists() else {}


def finish_run(
    accelerator,
    model,
    tokenizer,
    output_dir: Path,
    stage: str,
    config,
    base_model_path,
    history: list[dict],
    final: dict,
    save_extra=None,
) -> dict:
    """Write weights, tokenizer, training_config.json and metrics.json; return the result dict.

    `save_extra(directory)` (PPO's value head) runs on the main process inside the staging dir.
    """
    accelerator.wait_for_everyone()
    with staged_output(output_dir, accelerator.is_main_process) as staging:
        save_pretrained(accelerator, model, tokenizer, staging)
        if accelerator.is_main_process:
            if save_extra is not None:
                save_extra(staging)
            write_json(
                staging / TRAINING_CONFIG,
                {
                    "stage": stage,
                    "config": config.to_dict(),
                    "base_model_path": str(base_model_path),
                },
            )
            write_json(staging / METRICS, {"final": final, "history": history})
    if accelerator.is_main_process:
        remove_states(output_dir)  # the periodic states (resume.py) are spent once this exists
    accelerator.wait_for_everyone()
    return {
        "status": "succeeded",
        "output_dir": str(output_dir),
        "steps": len(history),
        "metrics": final,
        "history": history,
    }
