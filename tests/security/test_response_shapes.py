"""Each response body has exactly the fields its OpenAPI schema documents, no more and no fewer.

schemathesis (``test_schemathesis.py``) checks bodies against the schema, but an object schema
there accepts fields it does not name, so a field built by hand and missing from the schema (or a
documented one the code forgot) would pass. Here every object schema is closed
(``additionalProperties: false`` wherever properties are named) and real responses of a
representative set of endpoints, for an admin and an annotator, are validated against it.
"""

import json

import jsonschema
import pytest
from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from labeling.annotation.selectors import annotator_progress
from labeling.projects.overview import project_overview
from labeling.stats.selectors import project_stats_for_viewer
from labeling.stats.services import project_stats_compute, project_stats_store
from tests.factories import new_client_key
from training.api_configs import stage_configs
from training.run_samples import run_samples_record

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def closed(schema):
    """The schema with every named-properties object closed and OpenAPI's ``nullable`` as JSON Schema's null."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: closed(value) for key, value in schema.items() if key not in ("nullable", "properties")}
    if "properties" in schema:  # a map of field names (one may be called "nullable"), not a schema
        out["properties"] = {name: closed(field) for name, field in schema["properties"].items()}
        out.setdefault("additionalProperties", False)
    if schema.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def assert_documented(openapi, method: str, template: str, response) -> None:
    """``response`` fits the closed schema of ``template``'s ``method`` at its status."""
    operation = openapi["paths"][template.split("?")[0]][method]
    media = operation["responses"][str(response.status_code)]["content"]["application/json"]
    schema = {**closed(media["schema"]), "components": closed(openapi["components"])}
    jsonschema.validate(response.json(), schema, cls=jsonschema.Draft7Validator)


def call(user, method: str, template: str, body=None, **ids):
    client = APIClient()
    client.force_authenticate(user)
    return getattr(client, method)(template.format(**ids), body, format="json")


def check(openapi, user, method, template, expected, body=None, **ids):
    response = call(user, method, template, body, **ids)
    assert response.status_code == expected, (template, response.content[:300])
    assert_documented(openapi, method, template, response)
    return response.json()


@pytest.mark.parametrize("role", ["admin", "annotator"])
def test_annotation_responses_have_exactly_their_documented_fields(openapi, world, role):
    user, own, project = world.users[role], world.own(role), world.project.pk
    check(openapi, user, "get", "/api/projects/{project_id}/next-task/", 200, project_id=project)
    judgment = {"comparison": own.to_judge.pk, "winner": "b", "strength": 1, "client_key": new_client_key()}
    check(openapi, user, "post", "/api/judgments/", 201, judgment)
    check(openapi, user, "post", "/api/judgments/", 200, judgment)
    check(openapi, user, "get", "/api/judgments/?project={project}", 200, project=project)
    check(openapi, user, "post", "/api/judgments/{judgment_id}/undo/", 200, judgment_id=own.judged.pk)
    check(openapi, user, "post", "/api/comparisons/{comparison_id}/skip/", 200, {}, comparison_id=own.to_skip.pk)
    check(openapi, user, "post", "/api/comparisons/{comparison_id}/unskip/", 200, {}, comparison_id=own.skipped.pk)
    flag = {"reason": "other", "note": "n"}
    check(openapi, user, "post", "/api/comparisons/{comparison_id}/flag/", 201, flag, comparison_id=own.to_skip.pk)
    demonstration = {"prompt": own.to_skip.prompt_id, "text": "t", "client_key": new_client_key()}
    check(openapi, user, "post", "/api/demonstrations/", 201, demonstration)
    check(openapi, user, "get", "/api/projects/{project_id}/progress/", 200, project_id=project)
    check(openapi, user, "get", "/api/projects/", 200)
    check(openapi, user, "get", "/api/projects/{project_id}/", 200, project_id=project)


@pytest.mark.parametrize("role", ["admin", "annotator"])
def test_stats_responses_have_exactly_their_documented_fields(openapi, world, role):
    user, project = world.users[role], world.project
    pending = check(openapi, user, "get", "/api/projects/{project_id}/stats/", 202, project_id=project.pk)
    assert pending["stale"] is True
    project_stats_store(project=project, payload=project_stats_compute(project))
    stats = check(openapi, user, "get", "/api/projects/{project_id}/stats/", 200, project_id=project.pk)
    assert ("ratings" in stats) == (role == "admin")
    # The serializer renders the cached payload whole: a computed field it does not describe
    # would be dropped from the response, so the computation and the schema must agree.
    cached = project_stats_for_viewer(project=project, user=user, admin=role == "admin")
    assert stats == json.loads(json.dumps(cached, cls=DjangoJSONEncoder))


def test_admin_responses_have_exactly_their_documented_fields(openapi, world):
    admin, project = world.users["admin"], world.project.pk
    check(openapi, admin, "get", "/api/projects/{project_id}/overview/", 200, project_id=project)
    check(openapi, admin, "get", "/api/projects/{project_id}/flags/", 200, project_id=project)
    check(openapi, admin, "post", "/api/flags/{flag_id}/resolve/", 200, flag_id=world.flag.pk)
    detail = "/api/projects/{project_id}/comparisons/{comparison_id}/"
    shown = check(openapi, admin, "get", detail, 200, project_id=project, comparison_id=world.flag.comparison_id)
    assert shown["judgments"] and shown["flags"], "the flagged comparison's judgments and flags are checked too"
    check(openapi, admin, "get", "/api/projects/{project_id}/members/", 200, project_id=project)
    check(openapi, admin, "get", "/api/projects/{project_id}/imports/", 200, project_id=project)
    check(openapi, admin, "get", "/api/projects/{project_id}/snapshots/", 200, project_id=project)
    check(openapi, admin, "get", "/api/projects/{project_id}/export/?format=trl&count=true", 200, project_id=project)
    check(openapi, admin, "get", "/api/snapshots/{snapshot_id}/", 200, snapshot_id=world.snapshot.pk)
    check(openapi, admin, "patch", "/api/projects/{project_id}/", 200, {"name": "Renamed"}, project_id=project)
    member = {"username": "carol", "role": "annotator"}
    check(openapi, admin, "post", "/api/projects/{project_id}/members/", 201, member, project_id=project)
    role = {"role": "reviewer"}
    check(openapi, admin, "patch", "/api/projects/{project_id}/members/{username}/", 200, role, project_id=project, username="carol")


def test_review_responses_have_exactly_their_documented_fields(openapi, world):
    admin, annotator, project = world.users["admin"], world.users["annotator"], world.project.pk
    queue = check(openapi, admin, "get", "/api/projects/{project_id}/review/", 200, project_id=project)
    assert queue["results"], "the queue shows the annotator's judgments to the admin"
    reject = {"review": "rejected", "note": "Against the guidelines."}
    judgment_id = world.own("annotator").judged.pk
    check(openapi, admin, "post", "/api/judgments/{judgment_id}/review/", 200, reject, judgment_id=judgment_id)
    rejected = check(openapi, annotator, "get", "/api/projects/{project_id}/rejected-judgments/", 200, project_id=project)
    assert [r["id"] for r in rejected["results"]] == [judgment_id]


def test_training_responses_have_exactly_their_documented_fields(openapi, world):
    admin, project = world.users["admin"], world.project.pk
    check(openapi, admin, "get", "/api/training-runs/", 200)
    check(openapi, admin, "get", "/api/training-runs/{run_id}/", 200, run_id=world.run.pk)
    check(openapi, admin, "get", "/api/training-runs/{run_id}/metrics/", 200, run_id=world.run.pk)
    run_samples_record(run_id=world.run.pk, step=1, samples=[{"prompt": "Say 1", "response": "a", "score": 0.5, "truncated": False}])
    check(openapi, admin, "get", "/api/training-runs/{run_id}/samples/", 200, run_id=world.run.pk)
    check(openapi, admin, "get", "/api/checkpoints/?project={project}", 200, project=project)
    check(openapi, admin, "get", "/api/projects/{project_id}/retrain-policy/", 200, project_id=project)
    check(openapi, admin, "get", "/api/training-configs/", 200)
    policy = {"enabled": False, "every_n_judgments": 100, "base_model": "tiny/model"}
    check(openapi, admin, "put", "/api/projects/{project_id}/retrain-policy/", 200, policy, project_id=project)
    check(openapi, admin, "post", "/api/training-runs/{run_id}/cancel/", 200, run_id=world.run.pk)


def keys(value):
    """The nested field names of a JSON-like value (list items merged), without the values."""
    if isinstance(value, dict):
        return {name: keys(item) for name, item in value.items()}
    if isinstance(value, list):
        merged = {}
        for item in value:
            merged.update(keys(item) or {})
        return merged
    return None


def test_serializers_render_every_field_their_builders_build(world):
    """Where a serializer renders a dict built elsewhere, a built field it does not describe would
    vanish from the response silently: builder and serializer must name the same fields."""
    admin, project = world.users["admin"], world.project
    built = {
        "/api/projects/{project_id}/overview/": project_overview(project=project),
        "/api/projects/{project_id}/progress/": annotator_progress(project=project, annotator=admin),
        "/api/training-configs/": stage_configs(),
    }
    for template, dict_built in built.items():
        rendered = call(admin, "get", template, project_id=project.pk).json()
        assert keys(rendered) == keys(json.loads(json.dumps(dict_built, cls=DjangoJSONEncoder))), template
