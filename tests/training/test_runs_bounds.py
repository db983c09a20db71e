"""Every size field of a training config has a documented maximum, enforced before a run is
queued: one run must not hold the GPU queue for every project."""

import dataclasses
import typing

import pytest

from labeling.errors import InvalidInput
from tests.training.test_runs import create
from training.ml import config as ml_config

SIZE_FIELDS = {
    "batch_size", "mini_batch_size", "gradient_accumulation_steps", "epochs", "ppo_epochs", "max_steps",
    "save_steps", "eval_steps", "save_total_limit", "max_length", "max_prompt_length", "max_new_tokens",
    "num_samples", "num_generations", "lora_r", "lora_alpha", "divergence_window", "sample_size", "max_prompts",
}


NOT_SIZES = {"seed", "split_seed", "gold_reward_checkpoint"}  # a 32-bit seed (bounded), a checkpoint's id


@pytest.mark.parametrize("stage", sorted(ml_config.STAGE_CONFIGS))
def test_every_size_field_has_a_maximum(stage):
    hints = typing.get_type_hints(ml_config.STAGE_CONFIGS[stage])
    for field in dataclasses.fields(ml_config.STAGE_CONFIGS[stage]):
        if field.name in SIZE_FIELDS or (int in typing.get_args(hints[field.name]) + (hints[field.name],)
                                         and field.name not in NOT_SIZES):
            check = field.metadata["check"]
            assert "at most" in check.__doc__, (stage, field.name, check.__doc__)


def test_max_steps_of_two_billion_is_refused_naming_the_field_and_the_maximum(labelled_project, tiny_reward_model):
    with pytest.raises(InvalidInput, match=r"RewardConfig\.max_steps must be > 0 and at most 1000000, got 2000000000"):
        create(labelled_project, base_model=tiny_reward_model, config={"max_steps": 2_000_000_000})


@pytest.mark.parametrize(("stage", "field", "too_big"), [
    ("sft", "max_length", 131_073), ("ppo", "max_new_tokens", 40_000), ("grpo", "num_generations", 257),
    ("generate", "num_samples", 17), ("dpo", "epochs", 101), ("kto", "batch_size", 5000),
    ("sft", "lora_r", 100_000), ("reward", "lora_alpha", 4097), ("ppo", "divergence_window", 10_001),
])
def test_each_maximum_is_enforced(stage, field, too_big):
    with pytest.raises(ml_config.ConfigError, match=rf"\.{field} must be .*at most"):
        ml_config.config_from_dict(stage, {field: too_big})


def test_the_config_api_gives_forms_the_maximum(api, annotator):
    stages = {s["stage"]: {f["name"]: f for f in s["fields"]} for s in api(annotator).get("/api/training-configs/").json()}
    assert stages["reward"]["max_steps"]["maximum"] == ml_config.MAX_STEPS
    assert stages["reward"]["batch_size"]["exclusive_minimum"] == 0  # still "must be > 0" on the form
    assert stages["grpo"]["num_generations"]["maximum"] == ml_config.MAX_GENERATIONS
    assert (stages["sft"]["lora_r"]["minimum"], stages["sft"]["lora_r"]["maximum"]) == (0, ml_config.MAX_LORA_RANK)
    assert stages["generate"]["top_p"]["maximum"] == 1 and stages["generate"]["top_p"]["constraint"] == "in (0, 1]"


def test_lora_rank_zero_is_still_full_fine_tuning():
    assert ml_config.config_from_dict("sft", {"lora_r": 0}).lora_r == 0


def test_a_time_limit_above_the_brokers_visibility_timeout_refuses_to_start(tmp_path):
    from tests.annotation_site.test_settings import manage

    result = manage("check", VAR_DIR=str(tmp_path), TRAINING_RUN_TIME_LIMIT="200000", CELERY_VISIBILITY_TIMEOUT="172800")
    assert result.returncode != 0
    assert "TRAINING_RUN_TIME_LIMIT (200000 s) must be below CELERY_VISIBILITY_TIMEOUT (172800 s)" in result.stderr
