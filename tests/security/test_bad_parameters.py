"""Inputs that were 500s: query parameters that look like integers to ``str.isdigit`` but are not,
form-encoded JSON fields, and model names too long for the filesystem or the column."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "١٢", "--5", "1e3", " 7", "99999999999999999999"])
def test_a_project_query_parameter_that_is_not_an_integer_is_a_400_naming_it(api, world, value):
    response = api(world.users["annotator"]).get("/api/judgments/", {"project": value})
    assert response.status_code == 400, response.content
    assert "project" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/training-runs/", "/api/checkpoints/"])
def test_training_lists_refuse_a_project_that_is_not_an_integer(api, world, path):
    response = api(world.users["admin"]).get(path, {"project": "²"})
    assert response.status_code == 400 and "project" in response.json()["detail"]


@pytest.mark.parametrize("value", ["--5", "²", "x", "5.5"])
def test_metrics_after_that_is_not_an_integer_is_a_400_naming_it(api, world, value):
    response = api(world.users["admin"]).get(f"/api/training-runs/{world.run.pk}/metrics/", {"after": value})
    assert response.status_code == 400 and "after" in response.json()["detail"]


def test_metrics_after_a_negative_step_lists_every_step(api, world):
    response = api(world.users["admin"]).get(f"/api/training-runs/{world.run.pk}/metrics/", {"after": "-5"})
    assert response.status_code == 200 and [m["step"] for m in response.json()] == [1]


def test_the_api_takes_json_not_forms_except_where_files_are_uploaded(api, world):
    response = api(world.users["admin"]).put(
        f"/api/projects/{world.project.pk}/retrain-policy/", {"config": "true"}, format="multipart"
    )
    assert response.status_code == 415


def test_a_retrain_policy_config_that_is_not_an_object_is_a_400(api, world):
    response = api(world.users["admin"]).put(
        f"/api/projects/{world.project.pk}/retrain-policy/", {"base_model": "tiny/model", "config": True}, format="json"
    )
    assert response.status_code == 400 and "config" in str(response.json()), response.content


@pytest.mark.parametrize("base_model", ["/" + "a" * 300, "./" + "b" * 256 + "/model", "org/" + "c" * 600])
def test_a_base_model_too_long_for_the_filesystem_or_the_column_is_a_400(api, world, base_model):
    body = {"project": world.project.pk, "stage": "reward", "base_model": base_model}
    response = api(world.users["admin"]).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400, response.content
    assert "base_model" in str(response.json())
    policy = api(world.users["admin"]).put(
        f"/api/projects/{world.project.pk}/retrain-policy/", {"base_model": base_model}, format="json"
    )
    assert policy.status_code == 400 and "base_model" in str(policy.json())


def test_evaluate_reward_takes_a_superscript_digit_for_a_path_not_a_checkpoint_id(tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text("")
    with pytest.raises(CommandError, match="²: not a checkpoint id or a model directory"):
        call_command("evaluate_reward", "--checkpoint", "²", "--data", str(data), "--format", "hh-rlhf")
