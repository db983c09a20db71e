"""Frozen configs for each training stage, with a default and one line of help per field.

Each stage's config lives beside its stage, in a torch-free `<stage>_config` module
(reward_config.py, dpo_config.py, ..., online_config.py for what PPO, GRPO and RLOO share),
built on config_base.py (the machinery, the range checks and TrainConfig's shared fields).
This module names them all by stage and imports neither torch nor Django, so the web process
can validate a config before it queues a run:

    config = config_from_dict("dpo", {"beta": 0.1, "learning_rate": 5e-7})

`from_dict` rejects unknown keys, wrong types and out-of-range values with a `ConfigError`
that names the field. `to_dict()` gives the JSON-ready form back. Every config, check and
limit is importable from here.
"""

from collections.abc import Mapping

from training.ml.best_of_n_config import BestOfNConfig
from training.ml.config_base import (
    BACKENDS,
    DPO_LOSSES,
    ENGINES,
    MAX_SEED,
    VERIFIER_MODES,
    Config,
    ConfigError,
    TrainConfig,
    at_least_two,
    attention_name,
    backend_name,
    criterion_names,
    dpo_loss_name,
    dtype_name,
    engine_name,
    fraction,
    generations,
    non_negative,
    option,
    pooling_mode,
    positive,
    precision,
    seed_value,
    share,
    unit_interval,
    verifier_mode,
)
from training.ml.config_limits import (
    MAX_ACCUMULATION,
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_GENERATIONS,
    MAX_LEARNING_RATE,
    MAX_LORA_ALPHA,
    MAX_LORA_RANK,
    MAX_NEW_TOKENS,
    MAX_SAMPLES,
    MAX_STATES,
    MAX_STEPS,
    MAX_TOKENS,
    MAX_WINDOW,
    Between,
    UpTo,
)
from training.ml.dpo_config import DPOConfig
from training.ml.generate_config import GenerateConfig
from training.ml.group_rl_config import GroupRLConfig, GRPOConfig, RLOOConfig
from training.ml.judge_config import JUDGE_MODES, JUDGE_WHICH, JudgeConfig, judge_mode, judge_which
from training.ml.kto_config import KTOConfig
from training.ml.online_config import RolloutConfig
from training.ml.ppo_config import PPOConfig
from training.ml.reward_config import RewardConfig
from training.ml.sft_config import SFTConfig

__all__ = [
    "ConfigError",
    "positive",
    "non_negative",
    "MAX_SEED",
    "seed_value",
    "fraction",
    "unit_interval",
    "share",
    "at_least_two",
    "MAX_STEPS",
    "MAX_EPOCHS",
    "MAX_BATCH",
    "MAX_ACCUMULATION",
    "MAX_TOKENS",
    "MAX_NEW_TOKENS",
    "MAX_STATES",
    "MAX_SAMPLES",
    "MAX_GENERATIONS",
    "MAX_LEARNING_RATE",
    "MAX_LORA_RANK",
    "MAX_LORA_ALPHA",
    "MAX_WINDOW",
    "Between",
    "UpTo",
    "generations",
    "precision",
    "dtype_name",
    "attention_name",
    "ENGINES",
    "engine_name",
    "BACKENDS",
    "backend_name",
    "VERIFIER_MODES",
    "DPO_LOSSES",
    "JUDGE_WHICH",
    "judge_which",
    "JUDGE_MODES",
    "judge_mode",
    "dpo_loss_name",
    "verifier_mode",
    "pooling_mode",
    "criterion_names",
    "criterion_problem",
    "option",
    "Config",
    "TrainConfig",
    "BestOfNConfig",
    "DPOConfig",
    "GenerateConfig",
    "GroupRLConfig",
    "JudgeConfig",
    "GRPOConfig",
    "RLOOConfig",
    "KTOConfig",
    "RolloutConfig",
    "PPOConfig",
    "RewardConfig",
    "SFTConfig",
    "STAGE_CONFIGS",
    "config_from_dict",
]

STAGE_CONFIGS: dict[str, type[Config]] = {
    "reward": RewardConfig,
    "sft": SFTConfig,
    "dpo": DPOConfig,
    "kto": KTOConfig,
    "ppo": PPOConfig,
    "grpo": GRPOConfig,
    "rloo": RLOOConfig,
    "generate": GenerateConfig,
    "judge": JudgeConfig,
    "best_of_n": BestOfNConfig,
}


def criterion_problem(criteria, criterion: str | None) -> str | None:
    """Why a reward model trained on `criteria` (empty: not per criterion) cannot score on
    `criterion`; None when it can. A model must be scored on the inputs it was trained on."""
    if criteria and criterion not in criteria:
        return f"must be one of {', '.join(criteria)} (the model judges per criterion), got {criterion!r}"
    if criterion and not criteria:
        return f"must be empty (the model was not trained per criterion), got {criterion!r}"
    return None


def config_from_dict(stage: str, data: Mapping | None = None) -> Config:
    """The validated config for `stage` ('reward', 'sft', 'dpo', 'kto', 'ppo', 'grpo', 'rloo',
    'generate', 'judge')."""
    if stage not in STAGE_CONFIGS:
        raise ConfigError(f"unknown stage {stage!r}; known: {', '.join(STAGE_CONFIGS)}")
    return STAGE_CONFIGS[stage].from_dict(data)
