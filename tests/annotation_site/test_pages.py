"""The browser shell and the session login pages (annotation_site/pages.py)."""

import json
import re

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHELL = '<!doctype html><html><head><script type="module" src="/static/assets/app.js"></script></head><body><div id="app"></div></body></html>'


@pytest.fixture
def built(tmp_path, settings):
    (tmp_path / "index.html").write_text(SHELL)
    settings.FRONTEND_DIST = tmp_path
    return tmp_path


@pytest.fixture
def signed_in(annotator):
    client = Client()
    client.force_login(annotator)
    return client


def test_the_app_sends_anonymous_visitors_to_log_in(built):
    response = Client().get("/projects/3/annotate")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/projects/3/annotate"


@pytest.mark.parametrize("path", ["/", "/projects/3/annotate", "/projects/3/anything/else"])
def test_every_client_route_gets_the_built_shell_with_the_session(built, signed_in, annotator, path):
    response = signed_in.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="app"></div>' in html
    session = re.search(r'<script id="session" type="application/json">(.*?)</script>', html)
    assert json.loads(session.group(1)) == {"username": annotator.username, "is_staff": False}
    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_missing_build_says_how_to_make_it(tmp_path, settings, signed_in):
    settings.FRONTEND_DIST = tmp_path / "nowhere"
    response = signed_in.get("/")
    assert response.status_code == 503
    assert b"npm run build" in response.content


def test_log_in_and_out_with_the_form():
    user = UserFactory(username="lin")
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/?next=/projects/1/annotate")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    wrong = client.post("/login/", {"username": "lin", "password": "nope", "csrfmiddlewaretoken": token})
    assert b"did not match" in wrong.content
    response = client.post(
        "/login/",
        {"username": "lin", "password": "correct-horse-battery", "next": "/projects/1/annotate", "csrfmiddlewaretoken": token},
    )
    assert response["Location"] == "/projects/1/annotate"
    assert client.session["_auth_user_id"] == str(user.pk)
    token = client.cookies["csrftoken"].value
    response = client.post("/logout/", {"csrfmiddlewaretoken": token})
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_log_in_refuses_an_offsite_next():
    UserFactory(username="lin")
    response = Client().post("/login/", {"username": "lin", "password": "correct-horse-battery", "next": "https://evil.example/"})
    assert response["Location"] == "/"
