"""The API's JSON parser refuses, as a 400 naming the cause, what DRF's let through to a 500:
JSON nested deeper than Python's decoder recurses (a 500 from a 200 kB body), and strings holding
a lone surrogate, which were stored and then broke every response that showed them."""

import pytest

from labeling.models import Project
from training.models import RetrainPolicy, TrainingRun

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
NEW_PROJECT = '{"slug": "sur1", "name": "s", "task_type": "pairwise", '


@pytest.mark.parametrize("path", ["/api/judgments/", "/api/demonstrations/", "/api/training-runs/"])
def test_json_nested_too_deeply_is_a_400_naming_the_cause(api, admin_user, path):
    response = api(admin_user).post(path, '{"comparison": ' + DEEP + "}", content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.fixture
def staff(admin_user):
    admin_user.is_staff = True
    admin_user.save()
    return admin_user


# raw bodies: json.dumps would refuse nothing, but a client's encoder may write these escapes
@pytest.mark.parametrize(("body", "where"), [
    (NEW_PROJECT + r'"criteria": ["helpful", "\udc00"]}', "criteria[1]"),
    (NEW_PROJECT + r'"strength_scale": ["a \uD800 b", "better"]}', "strength_scale[0]"),
    (NEW_PROJECT + r'"criteria": ["\ude00\ud83d"]}', "criteria[0]"),  # the two halves of a pair, in the wrong order
])
def test_a_new_project_with_a_lone_surrogate_is_a_400_naming_the_field_and_is_not_stored(api, staff, project, body, where):
    response = api(staff).post("/api/projects/", body, content_type="application/json")
    assert response.status_code == 400 and f"{where}: a lone surrogate" in response.json()["detail"]
    assert not Project.objects.filter(slug="sur1").exists()
    assert api(staff).get("/api/projects/").status_code == 200


def test_a_lone_surrogate_in_a_run_or_policy_config_is_a_400_naming_its_path(api, admin_user, project):
    run = f'{{"project": {project.pk}, "stage": "reward", "base_model": "tiny/m", "config": {{"criteria": ["\\udc00"]}}}}'
    response = api(admin_user).post("/api/training-runs/", run, content_type="application/json")
    assert response.status_code == 400 and "config.criteria[0]: a lone surrogate" in response.json()["detail"]
    policy = '{"base_model": "tiny/m", "config": {"ok": {"\\udc00": 1}}}'  # a key: its path shows the escape
    response = api(admin_user).put(f"/api/projects/{project.pk}/retrain-policy/", policy, content_type="application/json")
    assert response.status_code == 400 and "config.ok.\\udc00: a lone surrogate" in response.json()["detail"]
    assert not TrainingRun.objects.exists() and not RetrainPolicy.objects.exists()


def test_an_escaped_surrogate_pair_is_one_character_and_accepted(api, staff):
    response = api(staff).post("/api/projects/", NEW_PROJECT + r'"criteria": ["\ud83d\ude00", "\uD83D\uDE00!"]}',
                               content_type="application/json")
    assert response.status_code == 201, response.json()
    assert Project.objects.get(slug="sur1").criteria == ["\U0001f600", "\U0001f600!"]


def test_a_lone_surrogate_in_a_body_of_another_charset_is_refused_too(api, staff):
    """The quick scan reads UTF-8 bytes; a body in UTF-16 (which Django honours) is checked whole."""
    body = (NEW_PROJECT + r'"criteria": ["\udc00"]}').encode("utf-16")
    response = api(staff).post("/api/projects/", body, content_type="application/json; charset=utf-16")
    assert response.status_code == 400 and "criteria[0]: a lone surrogate" in response.json()["detail"]
    assert not Project.objects.filter(slug="sur1").exists()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("field", ["gold_rate", "criteria"])
def test_nan_and_infinity_in_a_body_are_a_400_and_store_nothing(api, staff, number, field):
    """Neither is JSON: DRF's parser refuses the constants, the fields a number that overflows to inf."""
    value = number if field == "gold_rate" else f"[{number}]"
    response = api(staff).post("/api/projects/", NEW_PROJECT + f'"{field}": {value}}}', content_type="application/json")
    assert response.status_code == 400
    assert not Project.objects.filter(slug="sur1").exists()
