import dataclasses

import pytest

from training.ml.config import (
    STAGE_CONFIGS,
    ConfigError,
    DPOConfig,
    GRPOConfig,
    KTOConfig,
    PPOConfig,
    RewardConfig,
    RLOOConfig,
    config_from_dict,
)


@pytest.mark.parametrize("stage", sorted(STAGE_CONFIGS))
def test_defaults_are_valid_and_every_field_has_help(stage):
    config = config_from_dict(stage, {})
    help_lines = type(config).help()
    assert set(help_lines) == {f.name for f in dataclasses.fields(config)}
    assert all(line.strip() for line in help_lines.values())


def test_from_dict_round_trips_through_to_dict():
    config = DPOConfig.from_dict({"beta": 0.2, "learning_rate": 1e-6, "max_steps": 5})
    assert DPOConfig.from_dict(config.to_dict()) == config


def test_kto_weights_must_be_positive():
    with pytest.raises(ConfigError, match=r"KTOConfig\.undesirable_weight "):
        KTOConfig.from_dict({"undesirable_weight": 0})
    assert KTOConfig.from_dict({"desirable_weight": 1.33}).desirable_weight == 1.33


def test_unknown_key_is_rejected_by_name():
    with pytest.raises(ConfigError, match="unknown field.*lerning_rate"):
        RewardConfig.from_dict({"lerning_rate": 1e-5})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"max_steps": -3}, "max_steps"),
        ({"warmup_ratio": 1.0}, "warmup_ratio"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"mixed_precision": "fp8"}, "mixed_precision"),
        ({"use_margin": "yes"}, "use_margin"),
        ({"pooling": "cls"}, "pooling"),
        ({"seed": 2**31}, "seed"),  # it is also the snapshot's split_seed, a 32-bit column
        ({"num_processes": 10_000}, "num_processes"),  # a worker launched them all
        ({"num_machines": 10_000}, "num_machines"),
        ({"learning_rate": 16}, "learning_rate"),  # "0x10" read as a number
        ({"criteria": ["helpful", "helpful"]}, "criteria"),
        ({"criteria": "helpful"}, "criteria"),
        ({"max_length": 64, "max_prompt_length": 64}, "max_prompt_length"),
        ({"torch_dtype": "fp16"}, "torch_dtype"),
        ({"attn_implementation": "flash"}, "attn_implementation"),
        ({"lora_r": -1}, "lora_r"),
        ({"lora_dropout": 1.0}, "lora_dropout"),
        ({"lora_target_modules": ["q_proj", "q_proj"]}, "lora_target_modules"),
        ({"load_in_4bit": True}, "load_in_4bit"),  # QLoRA needs adapters: lora_r > 0
        ({"load_in_4bit": True, "lora_r": 8}, "merge_adapters"),  # would round adapters away
    ],
)
def test_bad_values_are_rejected_naming_the_field(data, field):
    with pytest.raises(ConfigError, match=rf"RewardConfig\.{field} "):
        RewardConfig.from_dict(data)


def test_ints_are_accepted_for_float_fields():
    config = DPOConfig.from_dict({"beta": 1})
    assert config.beta == 1.0 and isinstance(config.beta, float)


def test_null_turns_off_optional_fields():
    assert RewardConfig.from_dict({"max_grad_norm": None, "max_steps": None}).max_grad_norm is None


def test_ppo_mini_batches_must_divide_the_rollout_batch():
    with pytest.raises(ConfigError, match="PPOConfig.mini_batch_size"):
        PPOConfig.from_dict({"batch_size": 8, "mini_batch_size": 3})
    with pytest.raises(ConfigError, match="PPOConfig.mini_batch_size"):
        PPOConfig.from_dict(
            {"batch_size": 8, "mini_batch_size": 4, "gradient_accumulation_steps": 4}
        )
    assert (
        PPOConfig.from_dict(
            {"batch_size": 8, "mini_batch_size": 2, "ppo_epochs": 2}
        ).updates_per_step
        == 8
    )


def test_ppo_prompt_and_response_must_fit_max_length():
    with pytest.raises(ConfigError, match="PPOConfig.max_new_tokens"):
        PPOConfig.from_dict({"max_length": 100, "max_prompt_length": 80, "max_new_tokens": 30})


@pytest.mark.parametrize("config_class", [GRPOConfig, RLOOConfig])
def test_group_rl_needs_at_least_two_responses_per_prompt(config_class):
    name = config_class.__name__
    with pytest.raises(ConfigError, match=rf"{name}\.num_generations must be >= 2 and at most 256, got 1"):
        config_class.from_dict({"num_generations": 1})
    assert config_class.from_dict({"num_generations": 2}).num_generations == 2


@pytest.mark.parametrize("config_class", [GRPOConfig, RLOOConfig])
def test_group_rl_mini_batches_count_responses_not_prompts(config_class):
    # 4 prompts × 3 responses = 12 rows per step
    with pytest.raises(
        ConfigError, match=rf"{config_class.__name__}\.mini_batch_size .*the 12 responses sampled per step, got 8"
    ):
        config_class.from_dict({"batch_size": 4, "num_generations": 3, "mini_batch_size": 8})
    with pytest.raises(ConfigError, match="mini_batch_size"):
        config_class.from_dict(
            {
                "batch_size": 4,
                "num_generations": 3,
                "mini_batch_size": 6,
                "gradient_accumulation_steps": 4,
            }
        )
    config = config_class.from_dict(
        {"batch_size": 4, "num_generations": 3, "mini_batch_size": 6, "ppo_epochs": 2}
    )
    assert config.responses_per_step == 12 and config.updates_per_step == 4


def test_group_rl_defaults_follow_their_papers():
    assert GRPOConfig().beta == 0.04 and RLOOConfig().beta == 0.05  # DeepSeekMath; TRL's RLOO
    assert GRPOConfig().num_generations == RLOOConfig().num_generations == 4
    with pytest.raises(ConfigError, match=r"RLOOConfig\.max_new_tokens"):
        RLOOConfig.from_dict({"max_length": 100, "max_prompt_length": 80, "max_new_tokens": 30})
    with pytest.raises(ConfigError, match=r"GRPOConfig\.beta "):
        GRPOConfig.from_dict({"beta": -0.1})


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RewardConfig().learning_rate = 1.0


def test_unknown_stage_is_rejected():
    with pytest.raises(ConfigError, match="unknown stage 'orpo'"):
        config_from_dict("orpo", {})


def test_config_module_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, training.ml.config; print('torch' in sys.modules or 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_offload_needs_a_sharding_engine_and_engines_are_named():
    with pytest.raises(ConfigError, match=r"DPOConfig\.offload needs a sharding engine"):
        config_from_dict("dpo", {"offload": True})
    assert config_from_dict("dpo", {"distributed": "fsdp", "offload": True}).offload
    with pytest.raises(ConfigError, match=r"distributed must be one of 'ddp', 'fsdp'"):
        config_from_dict("dpo", {"distributed": "megatron"})
