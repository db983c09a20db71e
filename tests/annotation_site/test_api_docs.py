"""The API docs page works offline and behind a strict network: everything it loads is ours."""

import re

import pytest
from django.contrib.staticfiles import finders


@pytest.fixture
def docs_page(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def test_api_docs_reference_no_external_host(docs_page):
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", docs_page)
    references += re.findall(r"""["']((?:https?:)?//[^"']+)["']""", docs_page)
    assert references, "the page should load Swagger UI from somewhere"
    external = [ref for ref in references if re.match(r"(https?:)?//", ref)]
    assert external == []


def test_api_docs_assets_are_served_from_our_static_files(docs_page):
    static = re.findall(r"""["']/static/([^"'?]+)""", docs_page)
    assert any(name.endswith("swagger-ui-bundle.js") for name in static)
    assert all(finders.find(name) for name in static)
