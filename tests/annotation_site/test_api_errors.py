"""Paths under /api/ that no route takes (annotation_site/api_errors.py): a JSON 404 in the API's
error shape, never Django's HTML page or APPEND_SLASH's redirect. POST /api/judgments (no slash)
was a 500 under DEBUG, where Django refuses to redirect a POST, and a 301 in production, which
clients follow as a GET without the body. Paths outside /api/ keep Django's behaviour."""

from urllib.parse import unquote

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def signed_in(annotator):
    client = Client(enforce_csrf_checks=True)  # as a browser session: no CSRF 403 comes first
    client.force_login(annotator)
    return client


def not_found(response) -> str:
    assert response.status_code == 404, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_found"
    return body["detail"]


@pytest.mark.parametrize("path", ["/api/judgments", "/api/auth/token", "/api/projects/1/next-task"])
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_a_route_without_its_slash_is_a_json_404_that_names_the_route(signed_in, debug, method, path):
    response = getattr(signed_in, method)(path, {"comparison": 1}, content_type="application/json")
    assert not response.has_header("Location")
    assert not_found(response).endswith(f"did you mean {path}/?")


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/no-such-thing", "/api/projects/-1/", "/api", "/api/", "/api/a%0Ab/"])
def test_an_unknown_api_path_is_a_json_404_without_a_suggestion(signed_in, debug, path):
    detail = not_found(signed_in.get(path))
    assert unquote(path) in detail and "did you mean" not in detail
    assert not_found(signed_in.post(path, {}, content_type="application/json")) == detail


def test_anonymous_callers_get_the_same_json_404():
    assert not_found(Client().post("/api/judgments", {}, content_type="application/json")).endswith(
        "did you mean /api/judgments/?"
    )


def test_the_catch_all_is_not_in_the_schema(api, admin_user):
    paths = api(admin_user).get("/api/schema/?format=json").json()["paths"]
    assert all(path.startswith("/api/") and "(" not in path for path in paths)


def test_paths_outside_the_api_keep_djangos_slash_redirect_and_html_404(signed_in, debug):
    admin = signed_in.get("/admin")
    assert admin.status_code == 301 and admin["Location"] == "/admin/"
    missing = signed_in.get("/no-such-page/")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("text/html")
    assert signed_in.get("/healthz").status_code == 200


def test_drfs_own_refusals_carry_a_code_as_every_error_does(annotator):
    """401 and 405 answered {"detail"} alone, where the README promises {"detail", "code"}."""
    anonymous = Client().get("/api/projects/").json()
    assert anonymous["code"] == "not_authenticated" and anonymous["detail"]
    bad_token = Client(HTTP_AUTHORIZATION="Token nope").get("/api/projects/").json()
    assert bad_token == {"detail": "Invalid token.", "code": "authentication_failed"}
    token = Client().post("/api/auth/token/", {"username": annotator.username, "password": "correct-horse-battery"}).json()["token"]
    wrong_method = Client(HTTP_AUTHORIZATION=f"Token {token}").delete("/api/training-configs/").json()
    assert wrong_method["code"] == "method_not_allowed" and "DELETE" in wrong_method["detail"]
