"""The config machinery and the fields every training stage has (TrainConfig): frozen
dataclasses with a default, one line of help and a range check per field. Torch-free, like
every *_config module: the web process validates with them (config.py).

`from_dict` rejects unknown keys, wrong types and out-of-range values with a `ConfigError`
that names the field. `to_dict()` gives the JSON-ready form back.
"""

import dataclasses
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from training.ml.config_limits import (
    MAX_ACCUMULATION,
    MAX_BATCH,
    MAX_COEFFICIENT,
    MAX_EPOCHS,
    MAX_GENERATIONS,
    MAX_LEARNING_RATE,
    MAX_LORA_ALPHA,
    MAX_LORA_RANK,
    MAX_MACHINES,
    MAX_MAGNITUDE,
    MAX_NEW_TOKENS,
    MAX_PROCESSES,
    MAX_SAMPLES,
    MAX_STATES,
    MAX_STEPS,
    MAX_TOKENS,
    MIN_COMPLETION_TOKENS,
    Between,
    UpTo,
)


class ConfigError(ValueError):
    """A config value is unknown, of the wrong type or out of range; the message names the field,
    and ``field`` is its name (the first unknown one's; None for no one field)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def positive(value) -> bool:
    """> 0"""
    return value > 0


def non_negative(value) -> bool:
    """>= 0"""
    return value >= 0


MAX_SEED = 2**31 - 1  # a run's seed is also its snapshot's split_seed, a 32-bit column


def seed_value(value) -> bool:
    """in [0, 2147483647]"""
    return 0 <= value <= MAX_SEED


def fraction(value) -> bool:
    """in [0, 1)"""
    return 0 <= value < 1


def unit_interval(value) -> bool:
    """in [0, 1]"""
    return 0 <= value <= 1


def share(value) -> bool:
    """in (0, 1]"""
    return 0 < value <= 1


def at_least_two(value) -> bool:
    """>= 2"""
    return value >= 2


def generations(value) -> bool:
    """>= 2 and at most 256"""
    return 2 <= value <= MAX_GENERATIONS


def precision(value) -> bool:
    """one of 'no', 'fp16', 'bf16'"""
    return value in ("no", "fp16", "bf16")


def dtype_name(value) -> bool:
    """one of 'auto', 'float32', 'bfloat16', 'float16'"""
    return value in ("auto", "float32", "bfloat16", "float16")


def attention_name(value) -> bool:
    """one of 'eager', 'sdpa', 'flash_attention_2'"""
    return value in ("eager", "sdpa", "flash_attention_2")


ENGINES = ("ddp", "fsdp", "deepspeed_zero2", "deepspeed_zero3")


def engine_name(value) -> bool:
    """one of 'ddp', 'fsdp', 'deepspeed_zero2', 'deepspeed_zero3'"""
    return value in ENGINES


BACKENDS = ("auto", "vllm", "transformers")


def backend_name(value) -> bool:
    """one of 'auto', 'vllm', 'transformers'"""
    return value in BACKENDS


VERIFIER_MODES = ("none", "only", "add")
DPO_LOSSES = ("sigmoid", "ipo", "simpo")


def dpo_loss_name(value) -> bool:
    """one of 'sigmoid', 'ipo', 'simpo'"""
    return value in DPO_LOSSES


def verifier_mode(value) -> bool:
    """one of 'none', 'only', 'add'"""
    return value in VERIFIER_MODES


def pooling_mode(value) -> bool:
    """one of 'model', 'mean'"""
    return value in ("model", "mean")


def criterion_names(value) -> bool:
    """a list of distinct, non-empty strings"""
    return all(isinstance(v, str) and v.strip() for v in value) and len(set(value)) == len(value)


def option(default, help: str, check: Callable | None = None):
    """A dataclass field with its help line and an optional range check."""
    return dataclasses.field(default=default, metadata={"help": help, "check": check})


def batch_option(default: int, help: str):
    """A field counted in examples, prompts or sequences per step or pass."""
    return option(default, help, UpTo(MAX_BATCH))


def steps_option(help: str):
    """A field counted in optimizer steps, off (null) by default."""
    return option(None, help, UpTo(MAX_STEPS))


def learning_rate_option(default: float):
    """The peak learning rate: above 1, AdamW diverges at once."""
    return option(default, "Peak AdamW learning rate.", UpTo(MAX_LEARNING_RATE))


def epochs_option(default: int, help: str):
    """A field counted in passes over data."""
    return option(default, help, UpTo(MAX_EPOCHS))


def tokens_option(default: int, help: str):
    """A field counted in tokens per sequence."""
    return option(default, help, UpTo(MAX_TOKENS))


def prompt_length_option(default: int):
    """max_prompt_length, the same in every config that reads prompts."""
    return tokens_option(default, "Most prompt tokens kept; longer prompts lose their oldest tokens.")


def new_tokens_option(default: int, help: str):
    """A field counted in tokens sampled per response."""
    return option(default, help, UpTo(MAX_NEW_TOKENS))


def samples_option(default: int, help: str):
    """A field counted in responses sampled per prompt."""
    return option(default, help, UpTo(MAX_SAMPLES))


def inference_dtype_option():
    """The torch_dtype field of a config that only runs a model (generate, judge)."""
    return option(
        "auto",
        "How the model is held: 'auto' = the checkpoint's own dtype on GPU and float32 on CPU, "
        "or 'float32', 'bfloat16', 'float16'.",
        dtype_name,
    )


def attention_option():
    """The attn_implementation field, the same in every config that loads a model."""
    return option(
        None,
        "Attention kernel: 'eager', 'sdpa' or 'flash_attention_2' (needs the flash-attn "
        "package); null = the model's default.",
        attention_name,
    )


@dataclass(frozen=True)
class Config:
    """Shared machinery: typed construction from a dict, validation, help text."""

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            self._check_type(field.name, value, hints[field.name])
            check = field.metadata.get("check")
            if check is not None and value is not None and not check(value):
                self._fail(field.name, f"must be {check.__doc__}, got {value!r}")
        self.validate()

    def validate(self) -> None:
        """Rules that tie fields together; subclasses extend it."""

    @classmethod
    def from_dict(cls, data: Mapping | None = None):
        """Build from a JSON-like dict; ints are accepted where floats are expected."""
        data = dict(data or {})
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"{cls.__name__}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}",
                field=unknown[0],
            )
        return cls(**data)

    def to_dict(self) -> dict:
        """JSON-ready: list fields come back as lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def help(cls) -> dict[str, str]:
        """Field name -> one-line help, for CLIs and API docs."""
        return {field.name: field.metadata["help"] for field in dataclasses.fields(cls)}

    def _fail(self, name: str, message: str):
        raise ConfigError(f"{type(self).__name__}.{name} {message}", field=name)

    def _check_type(self, name: str, value, hint) -> None:
        allowed = typing.get_args(hint) if typing.get_origin(hint) is not None else (hint,)
        if value is None and type(None) in allowed:
            return
        if isinstance(value, bool) and bool not in allowed:
            self._fail(name, f"must be {_describe(allowed)}, got {value!r}")
        if float in allowed and isinstance(value, int) and not isinstance(value, bool):
            try:
                object.__setattr__(self, name, float(value))
            except OverflowError:  # 10**400 in the JSON: was a 500, not a 400 naming the field
                self._fail(name, "must be finite, got an integer too large for a float")
            return
        if not isinstance(value, tuple(allowed)):
            self._fail(name, f"must be {_describe(allowed)}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            self._fail(name, f"must be finite, got {value!r}")
        if isinstance(value, list):  # frozen all the way down
            object.__setattr__(self, name, tuple(value))


def _describe(types) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types)


@dataclass(frozen=True)
class TrainConfig(Config):
    """Fields every training stage has."""

    learning_rate: float = learning_rate_option(1e-5)
    batch_size: int = batch_option(
        8,
        "Examples (pairs for reward/DPO, completions for KTO, prompts for PPO/GRPO/RLOO) per "
        "device per step.",
    )
    gradient_accumulation_steps: int = option(1, "Micro-batches summed into one optimizer step.", UpTo(MAX_ACCUMULATION))
    epochs: int = epochs_option(1, "Passes over the training examples (ignored when max_steps is set).")
    max_steps: int | None = steps_option("Stop after this many optimizer steps; overrides epochs.")
    save_steps: int | None = steps_option(
        "Save the full training state every this many steps (weights, optimizer, schedule, RNG, "
        "data position), so a run whose worker dies resumes there; null = only the final model. "
        "Reward, SFT, DPO and KTO.",
    )
    save_total_limit: int = option(2, "Saved training states kept, the newest.", UpTo(MAX_STATES))
    show_samples: bool = option(
        True,
        "SFT, DPO, KTO: greedy responses to a few validation prompts on about 100 evenly spread "
        "steps, shown on the run page; each costs a short generation (off for throughput benches).",
    )
    eval_steps: int | None = steps_option(
        "Measure the validation metrics every this many steps, recorded as val_* curves; null = "
        "only after the last step. Reward, SFT, DPO and KTO.",
    )
    max_length: int = tokens_option(
        512, "Most tokens per sequence (prompt + completion + special tokens).",
    )
    max_prompt_length: int = prompt_length_option(256)
    warmup_ratio: float = option(
        0.0, "Share of steps spent warming the learning rate up from 0.", fraction
    )
    weight_decay: float = option(0.0, "AdamW decoupled weight decay.", Between(0, MAX_COEFFICIENT))
    max_grad_norm: float | None = option(
        1.0, "Clip the gradient's global norm to this; null turns clipping off.", UpTo(MAX_MAGNITUDE)
    )
    seed: int = option(0, "Seed for weight init, shuffling and sampling.", seed_value)
    num_processes: int | None = option(
        None,
        "Processes the run is launched with (accelerate launch), one per GPU; null = one per GPU "
        "this worker may use (CUDA_VISIBLE_DEVICES), 1 on CPU. batch_size is per process.",
        UpTo(MAX_PROCESSES),
    )
    num_machines: int = option(
        1,
        "Machines the run spans, each a gpu worker launching num_processes processes; the "
        "workers meet through the database and torchrun's rendezvous. 1 = one worker.",
        UpTo(MAX_MACHINES),
    )
    distributed: str = option(
        "ddp",
        "Engine: 'ddp' (every GPU holds the whole model), 'fsdp' (FSDP2: parameters, gradients "
        "and optimizer state sharded), 'deepspeed_zero2' (gradients and optimizer state sharded), "
        "'deepspeed_zero3' (all sharded); training/launch_configs/<name>.yaml. Sharding needs GPUs, "
        "DeepSpeed its package.",
        engine_name,
    )
    offload: bool = option(
        False,
        "With fsdp or deepspeed_*: keep sharded parameters and optimizer state in CPU memory "
        "(slower; fits larger models).",
    )
    mixed_precision: str = option(
        "no",
        "Autocast on GPU: 'no', 'fp16' or 'bf16' (passed to accelerate); trained weights and "
        "the optimizer stay float32 either way.",
        precision,
    )
    torch_dtype: str = option(
        "auto",
        "How the frozen parts (reference, LoRA base) are held: 'auto' = the checkpoint's own "
        "dtype on GPU (float32 on CPU, and for a full fine-tune's reference when "
        "mixed_precision is 'no', so it computes as the policy does), or 'float32', "
        "'bfloat16', 'float16'. Fully trained weights are always float32.",
        dtype_name,
    )
    attn_implementation: str | None = attention_option()
    gradient_checkpointing: bool = option(
        False, "Recompute activations in the backward pass: less memory, about 30% more time."
    )
    lora_r: int = option(
        0, "LoRA rank: 0 = full fine-tuning; > 0 trains rank-r adapters on a frozen base.",
        Between(0, MAX_LORA_RANK),
    )
    lora_alpha: int = option(
        16, "LoRA scale α (adapters are scaled by α / r).", UpTo(MAX_LORA_ALPHA)
    )
    lora_dropout: float = option(
        0.05, "Dropout on the LoRA input (off in DPO, KTO, PPO, GRPO, RLOO).", fraction
    )
    lora_target_modules: tuple | list = option(
        (),
        "Module names LoRA adapts (e.g. ['q_proj', 'v_proj']); empty = every linear layer "
        "but the output head (attention and MLP projections).",
        criterion_names,  # the same rule: distinct, non-empty strings
    )
    load_in_4bit: bool = option(
        False, "QLoRA: hold the frozen base in 4-bit NF4 (needs lora_r > 0, a GPU and bitsandbytes)."
    )
    merge_adapters: bool = option(
        True,
        "With LoRA, save the base with the adapters merged in (a full model that loads "
        "anywhere); false saves only the adapters, which need the base at its recorded path.",
    )

    def validate(self) -> None:
        if self.offload and self.distributed == "ddp":
            self._fail("offload", "needs a sharding engine: distributed 'fsdp', 'deepspeed_zero2' or 'deepspeed_zero3'")
        if self.load_in_4bit and not self.lora_r:
            self._fail("load_in_4bit", "needs lora_r > 0 (QLoRA trains adapters on a 4-bit base)")
        if self.load_in_4bit and self.merge_adapters:
            self._fail(
                "merge_adapters",
                "must be false with load_in_4bit: merged into a 4-bit base the adapters would be "
                "rounded away (an adapter checkpoint loads with its base merged in)",
            )
        if self.max_length - self.max_prompt_length < MIN_COMPLETION_TOKENS:  # room for the completion
            self._fail("max_prompt_length", f"must be below max_length ({self.max_length}) by at least {MIN_COMPLETION_TOKENS} "
                       f"tokens (the completion's and the special tokens'), got {self.max_prompt_length}")
