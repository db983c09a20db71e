"""GET /api/training-configs/: each stage's config fields, defaults and bounds for the run form."""

import dataclasses

import pytest

from training.ml.config import STAGE_CONFIGS, config_from_dict

pytestmark = pytest.mark.django_db


def configs(api, user) -> dict:
    response = api(user).get("/api/training-configs/")
    assert response.status_code == 200, response.content
    return {stage["stage"]: stage for stage in response.json()}


def fields_of(stage: dict) -> dict:
    return {field["name"]: field for field in stage["fields"]}


def test_every_stage_lists_every_field_with_its_default(api, annotator):
    stages = configs(api, annotator)
    assert list(stages) == ["reward", "sft", "dpo", "kto", "ppo", "grpo", "rloo", "generate", "judge", "best_of_n"]
    for name, config_class in STAGE_CONFIGS.items():
        listed = fields_of(stages[name])
        assert list(listed) == [f.name for f in dataclasses.fields(config_class)]
        assert {k: v["default"] for k, v in listed.items()} == config_class().to_dict()


def test_the_defaults_as_listed_make_a_valid_config(api, annotator):
    for name, stage in configs(api, annotator).items():
        config_from_dict(name, {f["name"]: f["default"] for f in stage["fields"]})


@pytest.mark.parametrize("stage", ["dpo", "kto"])
def test_preference_optimisation_stages_start_from_a_policy_with_a_small_learning_rate(api, annotator, stage):
    listed = configs(api, annotator)[stage]
    assert fields_of(listed)["learning_rate"]["default"] == 1e-6 and fields_of(listed)["beta"]["default"] == 0.1
    assert listed["base_kinds"] == ["policy"] and listed["produces"] == "policy"
    assert not listed["needs_reward_checkpoint"]


def test_kto_reads_kto_snapshots_and_weighs_each_kind(api, annotator):
    kto = configs(api, annotator)["kto"]
    assert kto["snapshot_format"] == "kto"
    assert {name: field["default"] for name, field in fields_of(kto).items() if name.endswith("_weight")} == {
        "desirable_weight": 1.0, "undesirable_weight": 1.0,
    }


@pytest.mark.parametrize("stage", ["ppo", "grpo", "rloo"])
def test_online_rl_stages_need_a_reward_model_and_read_prompts_of_trl_snapshots(api, annotator, stage):
    listed = configs(api, annotator)[stage]
    assert listed["needs_reward_checkpoint"] and listed["snapshot_format"] == "trl"
    assert listed["base_kinds"] == ["policy"] and listed["produces"] == "policy"


@pytest.mark.parametrize(("stage", "beta"), [("grpo", 0.04), ("rloo", 0.05)])
def test_group_rl_stages_list_their_group_size_with_its_bounds(api, annotator, stage, beta):
    fields = fields_of(configs(api, annotator)[stage])
    assert fields["num_generations"] | {"help": ""} == {
        "name": "num_generations", "type": "integer", "nullable": False, "default": 4, "help": "",
        "constraint": ">= 2 and at most 256", "minimum": 2, "maximum": 256,
    }
    assert fields["beta"]["default"] == beta and "value_loss_coef" not in fields


def test_stage_defaults_differ_where_the_method_needs_it(api, annotator):
    stages = configs(api, annotator)
    assert fields_of(stages["dpo"])["learning_rate"]["default"] == 1e-6
    assert fields_of(stages["sft"])["learning_rate"]["default"] == 2e-5
    assert fields_of(stages["dpo"])["beta"]["default"] == 0.1 and "beta" not in fields_of(stages["reward"])


def test_fields_carry_type_nullability_bounds_and_help(api, annotator):
    reward = fields_of(configs(api, annotator)["reward"])
    assert reward["learning_rate"] | {"help": ""} == {
        "name": "learning_rate", "type": "float", "nullable": False, "default": 1e-5, "help": "",
        "constraint": "> 0 and at most 1.0", "exclusive_minimum": 0, "maximum": 1.0,
    }
    assert reward["max_steps"]["nullable"] and reward["max_steps"]["type"] == "integer"
    assert reward["warmup_ratio"]["minimum"] == 0 and reward["warmup_ratio"]["exclusive_maximum"] == 1
    assert reward["mixed_precision"]["choices"] == ["no", "fp16", "bf16"]
    assert reward["torch_dtype"]["choices"] == ["auto", "float32", "bfloat16", "float16"]
    assert reward["attn_implementation"]["nullable"] and "sdpa" in reward["attn_implementation"]["choices"]
    assert (reward["lora_r"]["default"], reward["lora_target_modules"]["type"]) == (0, "string_list")
    assert reward["use_margin"]["type"] == "boolean" and reward["use_margin"]["constraint"] == ""
    assert (reward["criteria"]["type"], reward["criteria"]["default"]) == ("string_list", [])
    assert all(field["help"] for field in reward.values())


def test_stages_say_what_they_start_from_and_make(api, annotator):
    stages = configs(api, annotator)
    assert stages["ppo"]["needs_reward_checkpoint"] and not stages["dpo"]["needs_reward_checkpoint"]
    assert stages["reward"]["produces"] == "reward" and stages["generate"]["produces"] == "responses"
    assert stages["sft"]["snapshot_format"] == "sft" and stages["generate"]["snapshot_format"] is None
    assert "policy" in stages["reward"]["base_kinds"] and stages["dpo"]["base_kinds"] == ["policy"]


def test_anonymous_is_refused(api):
    assert api(None).get("/api/training-configs/").status_code in (401, 403)


def test_judge_stage_reads_a_reward_model_or_causal_lm_and_offers_which_comparisons(api, annotator):
    judge = configs(api, annotator)["judge"]
    assert judge["base_kinds"] == ["reward", "policy"] and judge["produces"] == "judgments"
    assert not judge["needs_reward_checkpoint"] and judge["snapshot_format"] is None
    assert fields_of(judge)["which"]["choices"] == ["all", "unjudged", "sample"]
    assert fields_of(judge)["which"]["default"] == "unjudged"


def test_the_judge_stage_says_what_each_mode_reads_and_produces(api, annotator):
    """Mode 'revise' writes a snapshot from a causal LM, not judgments: the listing says so per mode."""
    stages = configs(api, annotator)
    assert stages["judge"]["modes"] == [
        {"mode": "judge", "base_kinds": ["reward", "policy"], "produces": "judgments"},
        {"mode": "revise", "base_kinds": ["policy"], "produces": "snapshot"},
    ]
    assert fields_of(stages["judge"])["mode"]["choices"] == [mode["mode"] for mode in stages["judge"]["modes"]]
    assert all(stage["modes"] == [] for name, stage in stages.items() if name != "judge")
