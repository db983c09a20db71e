"""Every API route and method, as each of the cast, gets exactly the status it should.

The cast: ``anonymous``; ``annotator`` of the project; ``outsider``, an annotator of another
project; ``admin``, an admin member of the project (not staff, not superuser). Requests name real
objects: members act on their own, anonymous and the outsider on the annotator's. Each request
is well formed, so the admin's 2xx shows that a refusal in the same row is about who asks, not
what was sent.

``MATRIX`` is checked against the URL resolver: a route or method added without a row here
fails ``test_every_api_route_and_method_has_a_row``, and so does a row for a route that is gone.
Anonymous requests get 401 with ``WWW-Authenticate: Token``: token authentication is listed
first (DRF answers 401 only when the first class names a scheme; session authentication names
none, and anonymous calls got 403 while it came first).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import client_for
from tests.factories import new_client_key

ROLES = ("anonymous", "annotator", "outsider", "admin")
METHODS = ("get", "post", "put", "patch", "delete")
HH_LINE = b'{"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: Go away"}\n'


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # as the resolver spells it
    expected: tuple[int, int, int, int]  # in ROLES order
    request: Callable  # (world, role) -> (url, body or None, format)


def project_url(tail=""):
    return lambda w, role: (f"/api/projects/{w.project.pk}/{tail}", None, None)


def fixed(url, body=None, fmt="json"):
    return lambda w, role: (url(w, role) if callable(url) else url, body(w, role) if callable(body) else body, fmt)


def judgment_body(w, role):
    return {"comparison": w.own(role).to_judge.pk, "winner": "a", "strength": 2, "client_key": new_client_key()}


def run_body(w, role):
    # force: the world has a handful of judgments, below training/guardrails.py's minimum
    return {"project": w.project.pk, "stage": "reward", "base_model": "tiny/hub-model", "force": True}


POLICY = {"enabled": False, "every_n_judgments": 100, "base_model": "tiny/hub-model", "config": {}, "set_priority": False}
P = "api/projects/<int:project_id>/"
OK = (200, 200, 200, 200)
MEMBERS = (401, 200, 404, 200)  # any member of the project
ADMINS = (401, 403, 404, 200)  # its admins only
ADMINS_CREATE = (401, 403, 404, 201)

MATRIX = [
    Row("post", "api/auth/token/", (400, 400, 400, 400),
        fixed("/api/auth/token/", {"username": "ann-annotator", "password": "not-the-password"})),
    Row("delete", "api/auth/token/", (401, 204, 204, 204), fixed("/api/auth/token/")),  # one's own token
    Row("get", "api/schema/", OK, fixed("/api/schema/")),  # public: lists routes, holds no data
    Row("get", "api/docs/", OK, fixed("/api/docs/")),
    Row("get", "api/projects/", (401, 200, 200, 200), fixed("/api/projects/")),
    Row("post", "api/projects/", (401, 403, 403, 403),  # staff only; a project admin is not staff
        fixed("/api/projects/", {"slug": "fresh", "name": "Fresh"})),
    Row("get", P, MEMBERS, project_url()),
    Row("patch", P, ADMINS, fixed(lambda w, r: f"/api/projects/{w.project.pk}/", {"name": "Renamed"})),
    Row("get", P + "members/", ADMINS, project_url("members/")),
    Row("post", P + "members/", ADMINS_CREATE,
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/members/", {"username": "carol", "role": "annotator"})),
    Row("patch", P + "members/<str:username>/", ADMINS,
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/members/ann-annotator/", {"role": "reviewer"})),
    Row("delete", P + "members/<str:username>/", (401, 403, 404, 204),
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/members/ann-annotator/")),
    Row("get", P + "imports/", ADMINS, project_url("imports/")),
    Row("post", P + "imports/", ADMINS_CREATE,
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/imports/",
              lambda w, r: {"file": SimpleUploadedFile("pairs.jsonl", HH_LINE), "format": "hh-rlhf"}, "multipart")),
    Row("get", P + "next-task/", MEMBERS, project_url("next-task/")),
    Row("get", P + "progress/", MEMBERS, project_url("progress/")),
    Row("get", P + "flags/", ADMINS, project_url("flags/")),
    Row("get", P + "overview/", ADMINS, project_url("overview/")),
    # Review (issue #19): the project's reviewers and admins; every member sees their own rejections.
    Row("get", P + "review/", ADMINS, project_url("review/")),
    Row("get", P + "rejected-judgments/", MEMBERS, project_url("rejected-judgments/")),
    Row("post", "api/judgments/<int:judgment_id>/review/", ADMINS,
        fixed(lambda w, r: f"/api/judgments/{w.holdings['annotator'].judged.pk}/review/",
              {"review": "rejected", "note": "Against the guidelines."})),
    # Members read the stats (annotators only their own row); none are cached yet here, so 202.
    Row("get", P + "stats/", (401, 202, 404, 202), project_url("stats/")),
    Row("get", P + "export/", ADMINS, fixed(lambda w, r: f"/api/projects/{w.project.pk}/export/?format=trl")),
    Row("get", P + "snapshots/", ADMINS, project_url("snapshots/")),
    Row("post", P + "snapshots/", (401, 403, 404, 202),  # queued: a worker writes it
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/snapshots/", {"format": "trl"})),
    Row("get", P + "retrain-policy/", ADMINS, project_url("retrain-policy/")),
    Row("put", P + "retrain-policy/", ADMINS,
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/retrain-policy/", POLICY)),
    Row("get", "api/judgments/", MEMBERS, fixed(lambda w, r: f"/api/judgments/?project={w.project.pk}")),
    Row("post", "api/judgments/", (401, 201, 404, 201), fixed("/api/judgments/", judgment_body)),
    Row("post", "api/judgments/<int:judgment_id>/undo/", (401, 200, 404, 200),
        fixed(lambda w, r: f"/api/judgments/{w.own(r).judged.pk}/undo/")),
    Row("post", "api/comparisons/<int:comparison_id>/skip/", (401, 200, 404, 200),
        fixed(lambda w, r: f"/api/comparisons/{w.own(r).to_skip.pk}/skip/", {})),
    Row("post", "api/comparisons/<int:comparison_id>/unskip/", (401, 200, 404, 200),
        fixed(lambda w, r: f"/api/comparisons/{w.own(r).skipped.pk}/unskip/", {})),
    Row("post", "api/flags/<int:flag_id>/withdraw/", (401, 204, 404, 204),
        fixed(lambda w, r: f"/api/flags/{w.own(r).flag.pk}/withdraw/")),
    Row("post", "api/comparisons/<int:comparison_id>/flag/", (401, 201, 404, 201),
        fixed(lambda w, r: f"/api/comparisons/{w.own(r).to_skip.pk}/flag/", {"reason": "unsafe"})),
    Row("post", "api/demonstrations/", (401, 201, 404, 201),
        fixed("/api/demonstrations/", lambda w, r: {"prompt": w.own(r).to_judge.prompt_id, "text": "Ideal.",
                                                   "client_key": new_client_key()})),
    Row("get", "api/snapshots/<int:snapshot_id>/", ADMINS, fixed(lambda w, r: f"/api/snapshots/{w.snapshot.pk}/")),
    Row("post", "api/flags/<int:flag_id>/resolve/", ADMINS, fixed(lambda w, r: f"/api/flags/{w.flag.pk}/resolve/")),
    Row("get", P + "comparisons/", ADMINS, project_url("comparisons/?flagged=true&ordering=-judgment_count")),
    Row("get", P + "comparisons/<int:comparison_id>/", ADMINS,
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/comparisons/{w.flag.comparison_id}/")),
    Row("put", P + "comparisons/<int:comparison_id>/gold/", ADMINS,
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/comparisons/{w.flag.comparison_id}/gold/", {"winner": "a"})),
    Row("delete", P + "comparisons/<int:comparison_id>/gold/", ADMINS,
        fixed(lambda w, r: f"/api/projects/{w.project.pk}/comparisons/{w.flag.comparison_id}/gold/")),
    Row("get", "api/training-configs/", (401, 200, 200, 200), fixed("/api/training-configs/")),
    # The unfiltered list is each caller's own admin projects' runs: empty for the annotators.
    Row("get", "api/training-runs/", (401, 200, 200, 200), fixed("/api/training-runs/")),
    Row("post", "api/training-runs/", ADMINS_CREATE, fixed("/api/training-runs/", run_body)),
    Row("get", "api/training-runs/<int:run_id>/", ADMINS, fixed(lambda w, r: f"/api/training-runs/{w.run.pk}/")),
    Row("post", "api/training-runs/<int:run_id>/cancel/", ADMINS,
        fixed(lambda w, r: f"/api/training-runs/{w.run.pk}/cancel/")),
    Row("get", "api/training-runs/<int:run_id>/metrics/", ADMINS,
        fixed(lambda w, r: f"/api/training-runs/{w.run.pk}/metrics/")),
    Row("get", "api/training-runs/<int:run_id>/samples/", ADMINS,
        fixed(lambda w, r: f"/api/training-runs/{w.run.pk}/samples/")),
    Row("get", "api/checkpoints/", ADMINS, fixed(lambda w, r: f"/api/checkpoints/?project={w.project.pk}")),
    Row("get", "api/checkpoints/<int:checkpoint_id>/report/", ADMINS,
        fixed(lambda w, r: f"/api/checkpoints/{w.checkpoint.pk}/report/")),
]


def api_routes() -> set[tuple[str, str]]:
    """(method, route) for every view under /api/, read from the URL resolver."""
    found = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
                assert view is not None, f"{route}: a function view; give it a class so its methods are known"
                found.update((method, route) for method in METHODS if hasattr(view, method))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_api_route_and_method_has_a_row():
    rows = {(row.method, row.route) for row in MATRIX}
    assert len(rows) == len(MATRIX), "a route and method appears twice"
    routes = api_routes()
    assert not routes - rows, f"no authorization row for {sorted(routes - rows)}: add one to MATRIX"
    assert not rows - routes, f"rows for routes that no longer exist: {sorted(rows - routes)}"


@pytest.mark.parametrize("row", MATRIX, ids=[f"{r.method.upper()} {r.route}" for r in MATRIX])
def test_each_role_gets_exactly_the_expected_status(row, world):
    """One row, all four roles, each on the same starting data (a savepoint rolled back after each)."""
    got = {}
    for role in ROLES:
        with transaction.atomic():
            url, body, fmt = row.request(world, role)
            client = client_for(world.users[role])
            call = getattr(client, row.method)
            response = call(url, body, format=fmt) if body is not None else call(url)
            got[role] = response.status_code
            transaction.set_rollback(True)
    expected = dict(zip(ROLES, row.expected, strict=True))
    assert got == expected, f"{row.method.upper()} {row.route}: expected {expected}, got {got}"


# --- object-level checks the status alone does not show -------------------------------------------


def test_one_annotator_cannot_act_on_anothers_judgment_or_lease(world, api, second_annotator):
    theirs = world.own("annotator")
    other = api(second_annotator)
    assert other.post(f"/api/judgments/{theirs.judged.pk}/undo/").status_code == 404
    assert other.post(f"/api/comparisons/{theirs.to_skip.pk}/skip/", {}).status_code == 409  # no lease of theirs
    submit = {"comparison": theirs.to_judge.pk, "winner": "b", "strength": 1, "client_key": new_client_key()}
    assert other.post("/api/judgments/", submit, format="json").status_code == 409
    # Replaying someone else's client_key returns nothing of theirs.
    replay = {**submit, "client_key": theirs.judged.client_key, "comparison": theirs.judged.comparison_id}
    response = other.post("/api/judgments/", replay, format="json")
    assert response.status_code == 409 and "annotator" not in response.json()


def test_annotators_list_only_their_own_judgments(world, api, annotator):
    listed = api(annotator).get(f"/api/judgments/?project={world.project.pk}").json()["results"]
    assert {j["annotator"] for j in listed} == {annotator.username}
    assert api(annotator).get(f"/api/judgments/?project={world.project.pk}&all=1").status_code == 403
    assert api(annotator).get(f"/api/judgments/?project={world.project.pk}&annotator=ada-admin").status_code == 403


def test_lists_never_show_another_projects_objects(world, api, outsider, annotator):
    assert world.project.slug not in [p["slug"] for p in api(outsider).get("/api/projects/").json()]
    assert api(outsider).get("/api/training-runs/").json() == []
    assert api(annotator).get("/api/training-runs/").json() == []  # runs are for the project's admins
    assert api(outsider).get(f"/api/judgments/?project={world.project.pk}").status_code == 404


def test_next_task_serves_only_the_callers_projects(world, api, outsider):
    elsewhere = outsider.projects.get()
    assert api(outsider).get(f"/api/projects/{elsewhere.pk}/next-task/").status_code == 204  # nothing there
    assert api(outsider).get(f"/api/projects/{world.project.pk}/next-task/").status_code == 404


def test_django_admin_is_for_staff_only(world, client):
    for role in ("annotator", "admin"):  # a project admin is not staff
        client.force_login(world.users[role])
        for url in ("/admin/", "/admin/labeling/judgment/", "/admin/auth/user/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (role, url)
