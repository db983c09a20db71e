"""Property-based API tests: schemathesis drives every operation of ``/api/schema/`` in process,
one operation at a time and then in stateful chains (``test_linked_operations_never_fail_the_server``).

Each operation runs as a project admin and as an annotator (token auth), on the populated project
of ``conftest.world``. Generated ids are pointed at that project's real objects (path parameters
always, ids in bodies and queries when they were generated as integers), so requests reach the
services rather than stopping at a 404. The checks:

* no 5xx, ever;
* a documented status has a body and content type that match its schema;
* an undocumented status is a client error (400, 403, 404, 405, 406, 409, 413, 415, 429) with a JSON object
  body: DRF's ``{"detail": ...}`` or ``{"field": [...]}``. The schema documents successes (and a
  few meaningful errors); the error shape is the same everywhere, so it is checked here rather
  than repeated on every operation.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 20  # per operation and role: about 1,300 requests in all, a minute or two on 2 cores
CLIENT_ERRORS = {400, 403, 404, 405, 406, 409, 413, 415, 429}


@pytest.fixture
def api_schema(world):
    """The schema, served by the WSGI app in this thread, so requests share the test's transaction.

    Like Django's test client, the app must not close the connection at the end of each request
    (``close_old_connections`` would, since the test holds it inside a transaction)."""
    from annotation_site.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


class UndocumentedStatus(Failure):
    pass


@schemathesis.check
def undocumented_statuses_are_client_errors_with_a_json_body(ctx, response, case):
    documented = case.operation.definition.raw.get("responses", {})
    if str(response.status_code) in documented:
        return None
    # A path no route matches ("/api/projects/-1/") is checked too: a JSON 404 like any other.
    body = None
    if response.headers.get("content-type", [""])[0].startswith("application/json"):
        body = json.loads(response.content or b"null")
    if response.status_code not in CLIENT_ERRORS or not isinstance(body, dict):
        raise UndocumentedStatus(
            operation=case.operation.label, title="Undocumented status",
            message=f"{response.status_code} is not documented and is not a client error with a JSON object body: "
                    f"{response.content[:300]!r}",
        )
    return None


CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    undocumented_statuses_are_client_errors_with_a_json_body,
]


def real_ids(world, role) -> dict:
    own = world.own(role)
    return {
        "project_id": world.project.pk, "project": world.project.pk,
        "comparison_id": own.to_skip.pk, "comparison": own.to_judge.pk, "prompt": own.to_judge.prompt_id,
        "judgment_id": own.judged.pk, "snapshot_id": world.snapshot.pk, "snapshot": world.snapshot.pk,
        "run_id": world.run.pk, "base_checkpoint": world.checkpoint.pk, "reward_checkpoint": world.checkpoint.pk,
    }


def point_at_real_objects(case, ids: dict) -> None:
    """Small generated ids become the ids of real objects; huge ones and non-integers are kept,
    to probe the edges (an id past the database's integer range must be a 404, not a 500)."""
    for container in (case.path_parameters, case.query, case.body):
        if isinstance(container, dict):
            for name, value in container.items():
                if name in ids and type(value) is int and abs(value) < 2**16:
                    container[name] = ids[name]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_within_its_schema(case, world):
    for role in ("admin", "annotator"):
        token, _ = Token.objects.get_or_create(user=world.users[role])
        point_at_real_objects(case, real_ids(world, role))
        case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)


STATEFUL_SCENARIOS = 25  # per role
STATEFUL_STEPS = 6  # calls per scenario, each but the first able to take ids from an earlier response


def test_linked_operations_never_fail_the_server(api_schema, world):
    """Stateful: chains of calls where each takes ids from an earlier response (links inferred
    from the schema: a created project's id used by its members, imports and runs, ...)."""
    for role in ("admin", "annotator"):
        token, _ = Token.objects.get_or_create(user=world.users[role])
        machine = _workflows(api_schema, {"Authorization": f"Token {token.key}"})
        machine.run(settings=settings(
            max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        ))


def _workflows(api_schema, headers: dict):
    class Workflows(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    return Workflows
