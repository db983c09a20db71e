"""Frozen configs for each training stage, with a default and one line of help per field.

This module imports neither torch nor Django, so the web process can validate a
config before it queues a run:

    config = config_from_dict("dpo", {"beta": 0.1, "learning_rate": 5e-7})

`from_dict` rejects unknown keys, wrong types and out-of-range values with a
`ConfigError` that names the field. `to_dict()` gives the JSON-ready form back.
"""

import dataclasses
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass


class ConfigError(ValueError):
    """A config value is unknown, of the wrong type or out of range; the message names the field."""


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


def at_least_two(value) -> bool:
    """>= 2"""
    return value >= 2


# The most each size field may be (config validation refuses more, naming the field and this):
# a run must end in bounded time and memory, since one run holds the GPU queue for every project.
MAX_STEPS = 1_000_000  # optimizer steps (max_steps, save_steps, eval_steps)
MAX_EPOCHS = 100  # passes over the data (epochs, ppo_epochs)
MAX_BATCH = 4096  # examples per device per step, or per mini-batch
MAX_ACCUMULATION = 1024  # micro-batches per optimizer step
MAX_TOKENS = 131_072  # tokens per sequence (max_length, max_prompt_length): 128k
MAX_NEW_TOKENS = 32_768  # tokens sampled per response
MAX_STATES = 100  # saved training states kept
MAX_SAMPLES = 16  # generate: responses per prompt (C(n, 2) comparisons each)
MAX_GENERATIONS = 256  # GRPO/RLOO responses per prompt


class UpTo:
    """A size check: > 0 and at most `maximum`."""

    def __init__(self, maximum: int):
        self.maximum = maximum
        self.__doc__ = f"> 0 and at most {maximum}"

    def __call__(self, value) -> bool:
        return 0 < value <= self.maximum

    @property
    def bounds(self) -> dict:
        """The same rule as JSON-schema-style bounds, for forms."""
        return {"exclusive_minimum": 0, "maximum": self.maximum}


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


def criterion_problem(criteria, criterion: str | None) -> str | None:
    """Why a reward model trained on `criteria` (empty: not per criterion) cannot score on
    `criterion`; None when it can. A model must be scored on the inputs it was trained on."""
    if criteria and criterion not in criteria:
        return f"must be one of {', '.join(criteria)} (the model judges per criterion), got {criterion!r}"
    if criterion and not criteria:
        return f"must be empty (the model was not trained per criterion), got {criterion!r}"
    return None


def option(default, help: str, check: Callable | None = None):
    """A dataclass field with its help line and an optional range check."""
    return dataclasses.field(default=default, metadata={"help": help, "check": check})


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
                f"{cls.__name__}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
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
        raise ConfigError(f"{type(self).__name__}.{name} {message}")

    def _check_type(self, name: str, value, hint) -> None:
        allowed = typing.get_args(hint) if typing.get_origin(hint) is not None else (hint,)
        if value is None and type(None) in allowed:
            return
        if isinstance(value, bool) and bool not in allowed:
            self._fail(name, f"must be {_describe(allowed)}, got {value!r}")
        if float in allowed and isinstance(value, int) and not isinstance(value, bool):
            object.__setattr__(self, name, float(value))
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

    learning_rate: float = option(1e-5, "Peak AdamW learning rate.", positive)
    batch_size: int = option(
        8,
        "Examples (pairs for reward/DPO, completions for KTO, prompts for PPO/GRPO/RLOO) per "
        "device per step.",
        UpTo(MAX_BATCH),
    )
    gradient_accumulation_steps: int = option(
        1, "Micro-batches summed into one optimizer step.", UpTo(MAX_ACCUMULATION)
    )
    epochs: int = option(
        1, "Passes over the training examples (ignored when max_steps is set).", UpTo(MAX_EPOCHS)
    )
    max_steps: int | None = option(
        None, "Stop after this many optimizer steps; overrides epochs.", UpTo(MAX_STEPS)
    )
    save_steps: int | None = option(
        None,
        "Save the full training state every this many steps (weights, optimizer, schedule, RNG, "
        "data position), so a run whose worker dies resumes there; null = only the final model. "
        "Reward, SFT, DPO and KTO.",
        UpTo(MAX_STEPS),
    )
    save_total_limit: int = option(2, "Saved training states kept, the newest.", UpTo(MAX_STATES))
    eval_steps: int | None = option(
        None,
        "Measure the validation metrics every this many steps, recorded as val_* curves; null = "
        "only after the last step. Reward, SFT, DPO and KTO.",
        UpTo(MAX_STEPS),
    )
    max_length: int = option(
        512, "Most tokens per sequence (prompt + completion + special tokens).", UpTo(MAX_TOKENS)
    )
    max_prompt_length: int = option(
        256, "Most prompt tokens kept; longer prompts lose their oldest tokens.", UpTo(MAX_TOKENS)
    )
    warmup_ratio: float = option(
        0.0, "Share of steps spent warming the learning rate up from 0.", fraction
    )
    weight_decay: float = option(0.0, "AdamW decoupled weight decay.", non_negative)
    max_grad_norm: float | None = option(
        1.0, "Clip the gradient's global norm to this; null turns clipping off.", positive
    )
    seed: int = option(0, "Seed for weight init, shuffling and sampling.", seed_value)
    num_processes: int | None = option(
        None,
        "Processes the run is launched with (accelerate launch), one per GPU; null = one per GPU "
        "this worker may use (CUDA_VISIBLE_DEVICES), 1 on CPU. batch_size is per process.",
        positive,
    )
    num_machines: int = option(
        1,
        "Machines the run spans, each a gpu worker launching num_processes processes; the "
        "workers meet through the database and torchrun's rendezvous. 1 = one worker.",
        positive,
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
    attn_implementation: str | None = option(
        None,
        "Attention kernel: 'eager', 'sdpa' or 'flash_attention_2' (needs the flash-attn "
        "package); null = the model's default.",
        attention_name,
    )
    gradient_checkpointing: bool = option(
        False, "Recompute activations in the backward pass: less memory, about 30% more time."
    )
    lora_r: int = option(
        0, "LoRA rank: 0 = full fine-tuning; > 0 trains rank-r adapters on a frozen base.",
        non_negative,
    )
    lora_alpha: int = option(16, "LoRA scale α (adapters are scaled by α / r).", positive)
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
        if self.max_prompt_length >= self.max_length:
            self._fail(
                "max_prompt_length",
                f"must be below max_length ({self.max_length}), got {self.max_prompt_length}",
            )


@dataclass(frozen=True)
class RewardConfig(TrainConfig):
    """Reward model: sequence classifier trained with the Bradley–Terry loss."""

    use_margin: bool = option(
        False, "Subtract each pair's margin inside the loss (Llama 2); pairs without one use 0."
    )
    use_label_confidence: bool = option(
        True,
        "Soft targets: a pair whose export gave it a label_confidence below 1 (split votes, "
        "Dawid-Skene) is trained towards that probability instead of certainty.",
    )
    pooling: str = option(
        "model",
        "How a sequence becomes one score: 'model' = the architecture's own head (BERT's [CLS] "
        "pooler, a decoder's last token); 'mean' = a linear head on the masked mean of the last "
        "hidden states, for sentence-embedding encoders such as all-MiniLM.",
        pooling_mode,
    )
    criteria: tuple | list = option(
        (),
        "Criteria one model learns to judge (e.g. ['overall', 'harmless']; 'overall' is the main "
        "verdict): every pair is a verdict on one of them and its input names which; empty = the "
        "main verdict only, unnamed.",
        criterion_names,
    )


@dataclass(frozen=True)
class SFTConfig(TrainConfig):
    """Supervised fine-tuning on prompt/completion demonstrations, prompt tokens masked."""

    learning_rate: float = option(2e-5, "Peak AdamW learning rate.", positive)


@dataclass(frozen=True)
class DPOConfig(TrainConfig):
    """Direct Preference Optimization against a frozen copy of the base model."""

    learning_rate: float = option(1e-6, "Peak AdamW learning rate.", positive)
    beta: float = option(
        0.1,
        "DPO temperature β: higher keeps the policy closer to the reference (SimPO's paper uses "
        "2 to 2.5).",
        positive,
    )
    loss_type: str = option(
        "sigmoid",
        "'sigmoid' (DPO), 'ipo' (a squared loss whose log-ratio gap stops at 1/(2β)) or 'simpo' "
        "(reference-free, length-normalised log-probs; no reference model is loaded).",
        dpo_loss_name,
    )
    simpo_gamma: float = option(0.5, "SimPO's target reward margin γ.", non_negative)
    use_label_confidence: bool = option(
        True,
        "Soft targets (sigmoid and simpo): a pair with a label_confidence below 1 is trained "
        "towards that probability instead of certainty.",
    )


@dataclass(frozen=True)
class KTOConfig(TrainConfig):
    """Kahneman-Tversky Optimization on unpaired desirable/undesirable completions, against a
    frozen copy of the base model."""

    learning_rate: float = option(1e-6, "Peak AdamW learning rate.", positive)
    beta: float = option(
        0.1, "KTO temperature β: higher keeps the policy closer to the reference.", positive
    )
    desirable_weight: float = option(
        1.0,
        "λ_D, weight of each desirable completion's loss; raise it when desirable rows are rarer.",
        positive,
    )
    undesirable_weight: float = option(
        1.0,
        "λ_U, weight of each undesirable completion's loss; raise it when undesirable rows are rarer.",
        positive,
    )


@dataclass(frozen=True)
class RolloutConfig(TrainConfig):
    """What the online stages (PPO, GRPO, RLOO) share: sample responses, then `ppo_epochs`
    passes over them in mini-batches with a clipped policy ratio."""

    learning_rate: float = option(1e-6, "Peak AdamW learning rate.", positive)
    max_length: int = option(384, "Most tokens per prompt + response.", UpTo(MAX_TOKENS))
    mini_batch_size: int = option(
        4,
        "Responses per gradient computation inside an epoch, and per forward when the rollouts "
        "are scored (policy, reference, reward model).",
        UpTo(MAX_BATCH),
    )
    ppo_epochs: int = option(4, "Optimisation passes over each step's responses.", UpTo(MAX_EPOCHS))
    max_new_tokens: int = option(64, "Most tokens sampled per response.", UpTo(MAX_NEW_TOKENS))
    temperature: float = option(
        1.0, "Sampling temperature for rollouts; logits are scaled the same in training.", positive
    )
    clip_range: float = option(0.2, "Policy ratio clip ε.", positive)
    reward_criterion: str | None = option(
        None,
        "For a reward model trained per criterion: the criterion it scores rollouts on.",
    )
    missing_eos_penalty: float | None = option(
        None,
        "Subtracted from the score of a response cut at max_new_tokens before it ended (no "
        "eos), so running on does not pay (as TRL's); null or 0 = off.",
        non_negative,
    )
    kl_budget: float | None = option(
        None,
        "Stop the run (saving the policy as it is) once a step's mean KL to the reference per "
        "response passes this; null = no budget.",
        positive,
    )
    gold_reward_checkpoint: int | None = option(
        None,
        "A second, held-out reward model checkpoint (id) that scores every step's responses "
        "too (gold_reward): a proxy reward rising while the gold one falls is reward hacking.",
        positive,
    )
    divergence_window: int = option(
        8, "Steps over which the proxy and gold reward trends are compared.", at_least_two
    )
    stop_on_divergence: bool = option(
        False, "Stop the run when the proxy reward rises while the gold reward falls."
    )
    generation_backend: str = option(
        "auto",
        "What samples the rollouts: 'auto' or 'transformers' (both transformers' generate for "
        "now: vLLM rollouts, which need the new weights after every update, are not wired yet).",
        backend_name,
    )

    def validate(self) -> None:
        super().validate()
        if self.generation_backend == "vllm":
            self._fail("generation_backend", "'vllm' is not available for rollouts yet: use 'auto' or 'transformers'")
        for name in ("save_steps", "eval_steps"):  # their loop (ppo.py, group_rl.py) has neither yet
            if getattr(self, name) is not None:
                self._fail(name, "is not supported by PPO, GRPO or RLOO yet: leave it null")
        responses = self.responses_per_step
        if (
            responses % self.mini_batch_size
            or (responses // self.mini_batch_size) % self.gradient_accumulation_steps
        ):
            self._fail(
                "mini_batch_size",
                f"× gradient_accumulation_steps ({self.gradient_accumulation_steps}) must divide "
                f"the {responses} responses sampled per step, got {self.mini_batch_size}",
            )
        if self.max_prompt_length + self.max_new_tokens > self.max_length:
            self._fail(
                "max_new_tokens",
                f"plus max_prompt_length ({self.max_prompt_length}) must fit in max_length ({self.max_length})",
            )

    @property
    def responses_per_step(self) -> int:
        """Responses sampled per step: one per prompt unless a subclass says otherwise."""
        return self.batch_size

    @property
    def updates_per_step(self) -> int:
        """Optimizer steps per step (per batch of prompts)."""
        return (
            self.ppo_epochs
            * self.responses_per_step
            // (self.mini_batch_size * self.gradient_accumulation_steps)
        )


@dataclass(frozen=True)
class PPOConfig(RolloutConfig):
    """PPO with a value head; reward = reward model score - β·KL to the reference."""

    batch_size: int = option(8, "Prompts rolled out per PPO step.", UpTo(MAX_BATCH))
    beta: float = option(
        0.05, "KL penalty coefficient β against the reference model.", non_negative
    )
    gamma: float = option(1.0, "Discount factor γ for GAE.", unit_interval)
    lam: float = option(0.95, "GAE λ.", unit_interval)
    clip_range_value: float = option(0.2, "Value clip ε around the rollout-time values.", positive)
    value_loss_coef: float = option(
        0.1, "Weight of the value loss in the total loss.", non_negative
    )


@dataclass(frozen=True)
class GroupRLConfig(RolloutConfig):
    """Fields GRPO and RLOO share: num_generations responses per prompt, scored by the reward
    model, each judged against the other responses to its prompt (no value head)."""

    batch_size: int = option(
        8, "Prompts per step; each is sampled num_generations times.", UpTo(MAX_BATCH)
    )
    num_generations: int = option(
        4,
        "Responses sampled per prompt (k); each is judged against the others, so at least 2.",
        generations,
    )
    mini_batch_size: int = option(
        8,
        "Responses (not prompts) per gradient computation inside an epoch, and per forward "
        "when the rollouts are scored (policy, reference, reward model).",
        UpTo(MAX_BATCH),
    )
    ppo_epochs: int = option(
        1,
        "Optimisation passes over each step's responses (μ in the GRPO paper).",
        UpTo(MAX_EPOCHS),
    )
    verifier: str = option(
        "none",
        "Verifiable reward from each prompt's metadata 'verify' (numeric, exact, regex or json "
        "answer checks, 1 when right, 0 otherwise): 'none', 'only' (no reward model), or 'add' "
        "(verifier_weight × the check, added to the reward model's score).",
        verifier_mode,
    )
    verifier_weight: float = option(1.0, "Weight of the verifiable reward with verifier 'add'.", positive)

    @property
    def responses_per_step(self) -> int:
        return self.batch_size * self.num_generations


@dataclass(frozen=True)
class GRPOConfig(GroupRLConfig):
    """GRPO (DeepSeekMath): advantages are scores standardised within each prompt's group;
    clipped per-token loss plus β × KL to the reference."""

    beta: float = option(
        0.04,
        "Weight β of the per-token KL to the reference in the loss (0.04 in DeepSeekMath).",
        non_negative,
    )


@dataclass(frozen=True)
class RLOOConfig(GroupRLConfig):
    """RLOO: reward = score - β·KL to the reference; each response's baseline is the mean reward
    of the other responses to its prompt; the whole response is one action."""

    beta: float = option(
        0.05,
        "KL penalty β: each response's reward loses β × its summed KL to the reference.",
        non_negative,
    )


@dataclass(frozen=True)
class GenerateConfig(Config):
    """Sampling N responses per prompt from a checkpoint."""

    generation_backend: str = option(
        "auto",
        "What samples: 'vllm' (needs the vllm package and a GPU), 'transformers', or 'auto' = "
        "vLLM where it can run, else transformers. Same records and sampling parameters either way.",
        backend_name,
    )
    num_samples: int = option(2, "Responses sampled per prompt.", UpTo(MAX_SAMPLES))
    max_new_tokens: int = option(128, "Most tokens per response.", UpTo(MAX_NEW_TOKENS))
    temperature: float = option(1.0, "Sampling temperature.", positive)
    top_p: float = option(
        1.0, "Nucleus sampling: keep the smallest token set with this much probability.", positive
    )
    batch_size: int = option(8, "Prompts per generate call.", UpTo(MAX_BATCH))
    max_prompt_length: int = option(
        512, "Most prompt tokens kept; longer prompts lose their oldest tokens.", UpTo(MAX_TOKENS)
    )
    seed: int = option(0, "Sampling seed.", seed_value)
    torch_dtype: str = option(
        "auto",
        "How the model is held: 'auto' = the checkpoint's own dtype on GPU and float32 on CPU, "
        "or 'float32', 'bfloat16', 'float16'.",
        dtype_name,
    )
    attn_implementation: str | None = option(
        None,
        "Attention kernel: 'eager', 'sdpa' or 'flash_attention_2' (needs the flash-attn "
        "package); null = the model's default.",
        attention_name,
    )

    def validate(self) -> None:
        if self.top_p > 1:
            self._fail("top_p", f"must be in (0, 1], got {self.top_p}")


STAGE_CONFIGS: dict[str, type[Config]] = {
    "reward": RewardConfig,
    "sft": SFTConfig,
    "dpo": DPOConfig,
    "kto": KTOConfig,
    "ppo": PPOConfig,
    "grpo": GRPOConfig,
    "rloo": RLOOConfig,
    "generate": GenerateConfig,
}


def config_from_dict(stage: str, data: Mapping | None = None) -> Config:
    """The validated config for `stage` ('reward', 'sft', 'dpo', 'kto', 'ppo', 'grpo', 'rloo',
    'generate')."""
    if stage not in STAGE_CONFIGS:
        raise ConfigError(f"unknown stage {stage!r}; known: {', '.join(STAGE_CONFIGS)}")
    return STAGE_CONFIGS[stage].from_dict(data)
