"""Loading models from local checkpoints and writing a run's artifacts atomically.

Models load with `use_safetensors=True`: a checkpoint that only has pickled weights is
refused rather than unpickled. A run writes into a hidden sibling directory and renames it
to `output_dir` once everything is on disk, so `output_dir` either holds a complete
checkpoint or does not exist; every file is fsynced before the rename, and the rename after it.

A finished `output_dir` holds:
    model.safetensors (or shards), config.json    the weights, loadable with from_pretrained
    tokenizer files                               the tokenizer it was trained with
    training_config.json                          {"stage", "config", "base_model_path", "adapter"}
    metrics.json                                  {"final": {...}, "history": [{"step", ...}]}
    value_head.safetensors                        PPO only
    reward_head.safetensors                       reward models with pooling "mean" (reward_model.py)

With LoRA and merge_adapters false, the weights are peft's adapter_config.json and
adapter_model.safetensors instead, and training_config.json says "adapter": true: loading
such a checkpoint loads its base_model_path (itself possibly an adapter checkpoint) and
merges the adapters in, so it serves as any stage's base, for scoring and for generation.

Precision: weights an optimizer steps are loaded in float32 (AdamW on bf16 weights loses
updates below the weights' 8-bit mantissa: DPO at lr 1e-6 learns nothing); frozen parts
(a reference, a reward model being scored, a LoRA base) are held as `torch_dtype` says.
"""

import importlib.util
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

from durable import fsync_tree, replace_directory
from training.ml.adapters import CAUSAL_LM, merged, prepare_trainable
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


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def held_dtype(torch_dtype: str, path: str | Path) -> torch.dtype:
    """The dtype frozen weights are held in: `torch_dtype`, where "auto" is the checkpoint's own
    dtype on GPU and float32 on CPU (half-precision matmuls there are slow and gain nothing)."""
    if torch_dtype != "auto":
        return DTYPES[torch_dtype]
    if not torch.cuda.is_available():
        return torch.float32
    trained = read_training_config(path)
    if trained.get("adapter"):
        return held_dtype(torch_dtype, trained["base_model_path"])
    # AutoConfig also reads a hub checkpoint, and turns the saved name into a torch.dtype.
    saved = AutoConfig.from_pretrained(str(path)).dtype
    return saved if saved in DTYPES.values() else torch.float32


def load_options(config, path: str | Path, trainable: bool) -> dict:
    """from_pretrained keywords for a model from `path` under `config` (None: frozen, defaults).

    Fully trained weights are float32; frozen ones (LoRA's base too) take held_dtype, in 4 bits
    with config.load_in_4bit. The reference of a full fine-tune without autocast
    (mixed_precision "no") is float32 under "auto": it must compute as the policy does, or
    their log-probs differ before the first step (in bf16 by more than DPO's signal).
    """
    options = {}  # use_safetensors=True is passed at the one from_pretrained call (from_checkpoint)
    if getattr(config, "attn_implementation", None):
        options["attn_implementation"] = config.attn_implementation
    full_fine_tune = config is not None and getattr(config, "lora_r", None) == 0
    if trainable and full_fine_tune:
        return {**options, "dtype": torch.float32}
    torch_dtype = getattr(config, "torch_dtype", "auto")
    if torch_dtype == "auto" and full_fine_tune and config.mixed_precision == "no":
        torch_dtype = "float32"
    dtype = held_dtype(torch_dtype, path)
    if trainable and config.load_in_4bit:
        from transformers import BitsAndBytesConfig

        quantization = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype if dtype != torch.float32 else torch.bfloat16,
        )
        options |= {"quantization_config": quantization, "device_map": {"": torch.cuda.current_device()}}
    return {**options, "dtype": dtype}


def check_model_options(config) -> None:
    """Refuse, before anything loads, options this machine cannot run (named in the message)."""
    wants_flash = getattr(config, "attn_implementation", None) == "flash_attention_2"
    if wants_flash and importlib.util.find_spec("flash_attn") is None:
        raise ValueError(
            "attn_implementation 'flash_attention_2' needs the flash-attn package, which is "
            "not installed on this worker; use 'sdpa' or 'eager'"
        )
    if getattr(config, "load_in_4bit", False):
        if not torch.cuda.is_available():
            raise ValueError("load_in_4bit (QLoRA) needs a CUDA GPU; this worker has none")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ValueError(
                "load_in_4bit (QLoRA) needs the bitsandbytes package, which is not installed "
                "on this worker"
            )


def from_checkpoint(model_class, path: str | Path, options: dict, **extra):
    """model_class.from_pretrained(path), or for an adapter checkpoint its base with the
    adapters merged in."""
    trained = read_training_config(path)
    if not trained.get("adapter"):
        return model_class.from_pretrained(str(path), use_safetensors=True, **options, **extra)
    if "quantization_config" in options:
        raise ValueError(
            f"{path} holds LoRA adapters; QLoRA (load_in_4bit) cannot merge them into a 4-bit "
            "base: start from a merged checkpoint (merge_adapters true)"
        )
    from peft import PeftModel

    if not (Path(path) / "adapter_model.safetensors").is_file():
        # peft would fall back to a pickled adapter_model.bin; our checkpoints never hold one
        raise ValueError(f"{path} holds LoRA adapters but no adapter_model.safetensors: refused")
    base = from_checkpoint(model_class, trained["base_model_path"], options, **extra)
    return merged(PeftModel.from_pretrained(base, str(path)))


def load_causal_lm(path: str | Path, tokenizer, config=None, trainable: bool = False):
    """A causal LM from `path`, held as load_options says (config None: frozen, defaults)."""
    options = load_options(config, path, trainable)
    model = from_checkpoint(AutoModelForCausalLM, path, options)
    model.config.pad_token_id = tokenizer.pad_token_id
    return model


def load_trainable_lm(path: str | Path, tokenizer, config):
    """The causal LM a stage trains: float32 weights, or a frozen base with float32 LoRA
    adapters (adapters.prepare_trainable); gradient checkpointing as config says."""
    model = load_causal_lm(path, tokenizer, config, trainable=True)
    return prepare_trainable(model, config, CAUSAL_LM)


def load_reward_model(
    path: str | Path, tokenizer, pooling: str = "model", config=None, trainable: bool = False
):
    """A one-output scorer whose `.logits` is (B, 1), pooled as RewardConfig.pooling says.

    "model": the architecture's own sequence classifier; "mean": MeanPooledRewardModel.
    A checkpoint without that head (a plain LM or encoder) gets a new one. Held as
    load_options says; a new head is float32.
    """
    options = load_options(config, path, trainable)
    if pooling == "mean":
        model = MeanPooledRewardModel(from_checkpoint(AutoModel, path, options))
        model.load_head(path)
    else:
        model = from_checkpoint(
            AutoModelForSequenceClassification, path, options, num_labels=1
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
        # Every file durable before the rename publishes them (the durable package): a checkpoint that
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
    With LoRA the adapters are merged into the base first, unless config.merge_adapters is
    false: then only they are saved, and training_config.json says "adapter": true.
    """
    adapter = bool(config.lora_r) and not config.merge_adapters
    if config.lora_r and config.merge_adapters:
        model = merged(accelerator.unwrap_model(model))
    accelerator.wait_for_everyone()
    with staged_output(output_dir, accelerator.is_main_process) as staging:
        save_pretrained(accelerator, model, tokenizer, staging)
        if accelerator.is_main_process:
            if save_extra is not None:
                save_extra(staging)
            trained = {"stage": stage, "config": config.to_dict(), "adapter": adapter}
            write_json(staging / TRAINING_CONFIG, {**trained, "base_model_path": str(base_model_path)})
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
