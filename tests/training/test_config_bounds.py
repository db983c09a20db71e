"""Every float field of a training config is bounded (finite, > 0 where 0 means nothing, at most a
generous maximum), and a length config leaves the completion room; each refusal names its field,
as ``config.<name>`` in the API's 400, which the run form shows beside that input."""

import dataclasses
import typing

import pytest

from training.api_configs import config_field
from training.ml import config as ml_config
from training.ml.config_limits import (
    MAX_COEFFICIENT,
    MAX_MAGNITUDE,
    MAX_TEMPERATURE,
    MIN_COMPLETION_TOKENS,
)

TRAINING_STAGES = sorted(s for s, c in ml_config.STAGE_CONFIGS.items() if issubclass(c, ml_config.TrainConfig))


@pytest.mark.parametrize("stage", sorted(ml_config.STAGE_CONFIGS))
def test_every_float_field_has_a_maximum_the_form_applies(stage):
    config_class = ml_config.STAGE_CONFIGS[stage]
    hints = typing.get_type_hints(config_class)
    fields = [config_field(f, hints[f.name]) for f in dataclasses.fields(config_class)]
    unbounded = [f["name"] for f in fields if f["type"] == "float" and "maximum" not in f and "exclusive_maximum" not in f]
    assert unbounded == []


@pytest.mark.parametrize(("stage", "field", "value", "says"), [
    ("dpo", "beta", 5000, "must be > 0 and at most 1000, got 5000"),
    ("dpo", "simpo_gamma", 1e4, "must be >= 0 and at most 1000"),
    ("kto", "beta", 1e4, "must be > 0 and at most 1000"),
    ("kto", "desirable_weight", 1e4, "must be > 0 and at most 1000"),
    ("kto", "undesirable_weight", 1e4, "must be > 0 and at most 1000"),
    ("reward", "weight_decay", 1e4, "must be >= 0 and at most 1000"),
    ("sft", "max_grad_norm", 1e7, "must be > 0 and at most 1000000"),
    ("ppo", "temperature", 50, "must be > 0 and at most 10"),
    ("ppo", "clip_range", 1e4, "must be > 0 and at most 1000"),
    ("ppo", "clip_range_value", 1e7, "must be > 0 and at most 1000000"),
    ("ppo", "value_loss_coef", 1e4, "must be >= 0 and at most 1000"),
    ("ppo", "beta", 1e4, "must be >= 0 and at most 1000"),
    ("ppo", "kl_budget", 1e7, "must be > 0 and at most 1000000"),
    ("ppo", "missing_eos_penalty", 1e7, "must be >= 0 and at most 1000000"),
    ("grpo", "beta", 1e4, "must be >= 0 and at most 1000"),
    ("rloo", "beta", 1e4, "must be >= 0 and at most 1000"),
    ("grpo", "verifier_weight", 1e4, "must be > 0 and at most 1000"),
    ("generate", "temperature", 11, "must be > 0 and at most 10"),
    ("generate", "temperature", 0, "must be > 0 and at most 10"),
    ("best_of_n", "missing_eos_penalty", 1e7, "must be >= 0 and at most 1000000"),
    ("judge", "temperature", 11, "must be >= 0 and at most 10"),
    ("judge", "tie_margin", 1e7, "must be >= 0 and at most 1000000"),
    ("judge", "strength_step", 0, "must be > 0 and at most 1000000"),
    ("dpo", "beta", float("inf"), "must be finite"),
    pytest.param("dpo", "beta", 10**400, "must be finite, got an integer too large for a float", id="dpo-beta-10**400"),  # was an OverflowError
])
def test_a_float_out_of_its_bounds_is_refused_naming_the_field(stage, field, value, says):
    with pytest.raises(ml_config.ConfigError, match=rf"\.{field} {says}") as refused:
        ml_config.config_from_dict(stage, {field: value})
    assert refused.value.field == field


def test_the_maxima_are_generous_beside_the_values_people_use():
    for stage, values in {
        "dpo": {"beta": 2.5, "simpo_gamma": 1.6}, "kto": {"desirable_weight": 1.33, "undesirable_weight": 4},
        "ppo": {"temperature": 2, "clip_range": 0.3, "kl_budget": 500, "missing_eos_penalty": 5, "max_grad_norm": 100},
        "judge": {"temperature": 1, "tie_margin": 0.5, "strength_step": 2}, "reward": {"weight_decay": 0.1},
    }.items():
        ml_config.config_from_dict(stage, values)
    assert (MAX_TEMPERATURE, MAX_COEFFICIENT, MAX_MAGNITUDE) == (10, 1000, 1_000_000)


@pytest.mark.parametrize("stage", TRAINING_STAGES)
def test_a_length_config_that_leaves_no_room_for_the_completion_is_refused_naming_both_fields(stage):
    with pytest.raises(ml_config.ConfigError, match=r"\.max_prompt_length must be below max_length \(2\) by at least 8 tokens") as refused:
        ml_config.config_from_dict(stage, {"max_length": 2, "max_prompt_length": 1})
    assert refused.value.field == "max_prompt_length"


def test_a_length_config_with_the_least_room_is_accepted():
    config = ml_config.config_from_dict("dpo", {"max_length": 72, "max_prompt_length": 72 - MIN_COMPLETION_TOKENS})
    assert config.max_length - config.max_prompt_length == MIN_COMPLETION_TOKENS
    with pytest.raises(ml_config.ConfigError, match=r"DPOConfig\.max_prompt_length .*got 65"):
        ml_config.config_from_dict("dpo", {"max_length": 72, "max_prompt_length": 65})


def post_run(api, user, project, model, config):
    body = {"project": project.pk, "stage": "reward", "base_model": model, "config": config}
    return api(user).post("/api/training-runs/", body, format="json")


@pytest.mark.parametrize(("config", "field", "says"), [
    ({"max_length": 2, "max_prompt_length": 1}, "config.max_prompt_length", "must be below max_length (2) by at least 8 tokens"),
    ({"weight_decay": 5000}, "config.weight_decay", "RewardConfig.weight_decay must be >= 0 and at most 1000, got 5000"),
    ({"max_grad_norm": 10**400}, "config.max_grad_norm", "must be finite, got an integer too large for a float"),
])
def test_the_api_400_names_the_field_for_the_run_form(api, admin_user, labelled_project, tiny_reward_model, config, field, says):
    response = post_run(api, admin_user, labelled_project, tiny_reward_model, config)
    assert response.status_code == 400, response.content[:500]
    assert response.json()["field"] == field and says in response.json()["detail"]
    # the run form strips "config: RewardConfig.<name> " and shows the rest beside the input named by field
    assert response.json()["detail"].startswith(f"config: RewardConfig.{field.removeprefix('config.')} ")


def test_the_config_api_gives_the_form_the_float_maxima(api, annotator):
    stages = {s["stage"]: {f["name"]: f for f in s["fields"]} for s in api(annotator).get("/api/training-configs/").json()}
    assert stages["dpo"]["beta"]["maximum"] == MAX_COEFFICIENT and stages["dpo"]["beta"]["exclusive_minimum"] == 0
    assert stages["generate"]["temperature"]["maximum"] == MAX_TEMPERATURE
    assert stages["judge"]["temperature"]["minimum"] == 0  # 0 = greedy there
