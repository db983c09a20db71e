"""A config's 400 names its field as ``config.<name>`` (the path a serializer's 400 gives a nested
field), so the run form puts it beside its input; and the retraining policy's partial update."""

import pytest

from tests.training.conftest import reward_config
from training.models import RetrainPolicy


def post_run(api, user, project, model, config, stage="reward"):
    body = {"project": project.pk, "stage": stage, "base_model": model, "config": config}
    return api(user).post("/api/training-runs/", body, format="json")


@pytest.mark.parametrize(("config", "field", "says"), [
    ({"max_steps": -1}, "config.max_steps", "RewardConfig.max_steps must be > 0"),
    ({"learning_rate": "fast"}, "config.learning_rate", "must be float, got 'fast'"),
    ({"max_prompt_length": 600}, "config.max_prompt_length", "must be below max_length (512)"),
    ({"learning_rat": 1e-4}, "config.learning_rat", "unknown field(s) learning_rat"),
    ({"lora_r": 100_000}, "config.lora_r", "lora_r must be >= 0 and at most 1024"),
])
def test_a_config_400_names_its_field(api, admin_user, labelled_project, tiny_reward_model, config, field, says):
    response = post_run(api, admin_user, labelled_project, tiny_reward_model, config)
    assert response.status_code == 400
    assert response.json()["field"] == field and says in response.json()["detail"]


def test_a_config_that_is_no_object_names_config(api, admin_user, labelled_project, tiny_reward_model):
    response = post_run(api, admin_user, labelled_project, tiny_reward_model, [1])
    assert response.status_code == 400 and response.json()["field"] == "config"


def test_a_generate_top_p_above_one_names_it(api, admin_user, labelled_project, tiny_policy_model):
    response = post_run(api, admin_user, labelled_project, tiny_policy_model, {"top_p": 1.5}, stage="generate")
    assert response.status_code == 400 and response.json()["field"] == "config.top_p"
    assert "top_p must be in (0, 1], got 1.5" in response.json()["detail"]


def put_policy(api, user, project, body):
    return api(user).put(f"/api/projects/{project.pk}/retrain-policy/", body, format="json")


def test_a_policy_update_keeps_the_fields_it_leaves_out(api, admin_user, labelled_project, tiny_reward_model):
    first = {"enabled": True, "every_n_judgments": 30, "base_model": tiny_reward_model, "config": reward_config()}
    assert put_policy(api, admin_user, labelled_project, first).status_code == 200
    response = put_policy(api, admin_user, labelled_project, {"enabled": False})
    assert response.status_code == 200, response.json()
    policy = RetrainPolicy.objects.get(project=labelled_project)
    assert (policy.enabled, policy.every_n_judgments, policy.base_model) == (False, 30, tiny_reward_model)
    assert policy.config["max_steps"] == 3
    assert put_policy(api, admin_user, labelled_project, {"enabled": True}).json()["enabled"] is True


def test_a_policy_is_turned_off_though_its_base_model_is_gone(api, admin_user, labelled_project):
    RetrainPolicy.objects.create(project=labelled_project, enabled=True, base_model="/nonexistent/removed-model")
    assert put_policy(api, admin_user, labelled_project, {"enabled": False}).status_code == 200
    response = put_policy(api, admin_user, labelled_project, {"enabled": True})
    assert response.status_code == 400 and "does not exist" in response.json()["detail"]
    assert RetrainPolicy.objects.get(project=labelled_project).enabled is False


def test_a_policy_off_still_has_its_config_checked(api, admin_user, labelled_project):
    response = put_policy(api, admin_user, labelled_project, {"enabled": False, "config": {"max_steps": 0}})
    assert response.status_code == 400 and response.json()["field"] == "config.max_steps"


@pytest.mark.parametrize("every", [0, -1])
def test_a_policy_retrains_after_at_least_one_judgment(api, admin_user, labelled_project, tiny_reward_model, every):
    body = {"enabled": True, "every_n_judgments": every, "base_model": tiny_reward_model}
    response = put_policy(api, admin_user, labelled_project, body)
    assert response.status_code == 400 and response.json()["field"] == "every_n_judgments"
    assert "greater than or equal to 1" in response.json()["detail"]
