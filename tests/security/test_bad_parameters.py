"""Inputs that were 500s: query parameters that look like integers to ``str.isdigit`` but are not,
form-encoded JSON fields, and model names too long for the filesystem or the column."""

import pytest
from django.core.management import CommandError, call_command

from labeling.annotation.api import JudgmentPagination
from labeling.comparisons.api import ComparisonPagination
from labeling.review.api import ReviewPagination

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "١٢", "--5", "1e3", " 7", "99999999999999999999"])
def test_a_project_query_parameter_that_is_not_an_integer_is_a_400_naming_it(api, world, value):
    response = api(world.users["annotator"]).get("/api/judgments/", {"project": value})
    assert response.status_code == 400, response.content
    assert "project" in response.json()["detail"]


PAGED_LISTS = {  # path template -> the most rows one page may hold
    "/api/judgments/?project={project}&all=1": JudgmentPagination.max_limit,
    "/api/projects/{project}/review/?state=all": ReviewPagination.max_limit,
    "/api/projects/{project}/comparisons/?ordering=id": ComparisonPagination.max_limit,
}


@pytest.mark.parametrize("list_path", PAGED_LISTS)
@pytest.mark.parametrize(("name", "value"), [
    ("limit", "-1"), ("limit", "0"), ("limit", "abc"), ("limit", "²"), ("limit", "100000"), ("limit", "2.5"),
    ("offset", "-1"), ("offset", "x"), ("offset", "--5"),
])
def test_a_page_parameter_that_is_malformed_or_out_of_range_is_a_400_naming_it(api, world, list_path, name, value):
    """DRF's pagination answered these with its default page, and cut a limit over its maximum
    without a word: the client could not tell it got other rows than it asked for."""
    url = list_path.format(project=world.project.pk)
    response = api(world.users["admin"]).get(f"{url}&{name}={value}")
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{name} must be an integer from ")


@pytest.mark.parametrize("list_path", PAGED_LISTS)
def test_a_page_within_the_bounds_is_served_and_the_schema_says_the_bounds(api, world, list_path):
    admin, maximum = world.users["admin"], PAGED_LISTS[list_path]
    url = list_path.format(project=world.project.pk)
    full = api(admin).get(f"{url}&limit={maximum}&offset=0").json()
    assert full["results"] and len(full["results"]) == full["count"]
    last = api(admin).get(f"{url}&limit=1&offset={full['count'] - 1}").json()
    assert [r["id"] for r in last["results"]] == [full["results"][-1]["id"]]
    schema = api(admin).get("/api/schema/?format=json").json()
    template = list_path.split("?")[0].replace("{project}", "{project_id}")
    parameters = {p["name"]: p["schema"] for p in schema["paths"][template]["get"]["parameters"]}
    assert parameters["limit"]["minimum"] == 1 and parameters["limit"]["maximum"] == maximum
    assert parameters["offset"]["minimum"] == 0


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
