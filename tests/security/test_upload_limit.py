"""MAX_UPLOAD_MB holds on the browser's path: a logged-in session posting an import with its CSRF
token is refused before the body is read. DRF's CSRF check reads ``request.POST``, which used to
parse (and spool to disk) the whole multipart body before the import view's own size check."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory

from annotation_site.body_limit import BodyLimitMiddleware
from labeling.models import DataImport

pytestmark = pytest.mark.django_db

HH_LINE = b'{"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: Go away"}\n'


def logged_in_browser(user) -> tuple[Client, str]:
    """A browser that signed in through the login page and holds its CSRF token, as the frontend does."""
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login/")
    token = browser.cookies["csrftoken"].value
    signed_in = browser.post("/login/", {"username": user.username, "password": "correct-horse-battery",
                                         "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 302
    return browser, browser.cookies["csrftoken"].value


def test_an_upload_over_the_limit_through_a_session_is_refused_before_it_is_parsed(world, settings, monkeypatch):
    settings.MAX_UPLOAD_MB = 1
    browser, token = logged_in_browser(world.users["admin"])
    monkeypatch.setattr(MultiPartParser, "parse", lambda *a, **k: pytest.fail("the body was parsed"))
    big = SimpleUploadedFile("big.jsonl", HH_LINE * (1024 * 1024 // len(HH_LINE) + 100))
    response = browser.post(f"/api/projects/{world.project.pk}/imports/", {"file": big, "format": "hh-rlhf"},
                            HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 413
    assert response.json() == {"detail": "request body is larger than the 1 MB limit", "code": "too_large"}
    assert not DataImport.objects.exists()


def test_an_upload_under_the_limit_through_a_session_is_imported(world, settings):
    settings.MAX_UPLOAD_MB = 1
    browser, token = logged_in_browser(world.users["admin"])
    small = SimpleUploadedFile("small.jsonl", HH_LINE)
    response = browser.post(f"/api/projects/{world.project.pk}/imports/", {"file": small, "format": "hh-rlhf"},
                            HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


def test_a_chunked_body_without_a_length_is_refused_not_read_as_empty(settings):
    request = RequestFactory().post("/api/projects/1/imports/", data=b"x" * 100, content_type="application/json",
                                    HTTP_TRANSFER_ENCODING="chunked")
    del request.META["CONTENT_LENGTH"]
    response = BodyLimitMiddleware(lambda r: pytest.fail("the request went on"))(request)
    assert response.status_code == 411 and b"Content-Length" in response.content
