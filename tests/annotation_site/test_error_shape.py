"""Every 400 reads the same way: a serializer's ``{field: [messages]}`` also carries ``detail``,
``code`` and ``field``, as a domain error's does, so a client needs one parser, not two (an API
walkthrough met both shapes for the same field: ``overlap`` -1 and 0)."""

import pytest

from labeling.models import DatasetSnapshot, Project

pytestmark = pytest.mark.django_db


def test_a_serializers_refusal_names_its_field_in_the_domain_shape_and_keeps_its_own(api, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    response = api(admin_user).post("/api/projects/", {"slug": "s", "name": "S", "overlap": "many"}, format="json")
    body = response.json()
    assert response.status_code == 400 and (body["code"], body["field"]) == ("invalid", "overlap")
    assert body["detail"].startswith("overlap: ") and body["overlap"]  # DRF's own key stays
    assert not Project.objects.filter(slug="s").exists()


def test_the_same_field_refused_by_the_serializer_or_the_service_reads_the_same(api, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    bodies = [api(admin_user).post("/api/projects/", {"slug": f"s{i}", "name": "S", "overlap": value}, format="json").json()
              for i, value in enumerate(("many", 0))]
    assert [(b["code"], b["field"]) for b in bodies] == [("invalid", "overlap"), ("invalid", "overlap")]
    assert all("overlap" in b["detail"] for b in bodies)


def test_a_nested_refusal_names_its_path(api, admin_user, project):
    response = api(admin_user).post(f"/api/projects/{project.pk}/snapshots/",
                                    {"format": "trl", "filters": {"min_agreemnt": 0.8}}, format="json")
    body = response.json()
    assert response.status_code == 400 and body["field"] == "filters.min_agreemnt"
    assert body["detail"] == "filters.min_agreemnt: unknown field: not an export option or filter"
    assert not DatasetSnapshot.objects.exists()


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_the_database_away_is_a_json_503_to_retry_not_an_html_500(api, admin_user, error):
    """An operator stopped PostgreSQL: every API call answered "Server Error (500)" as HTML."""
    from unittest import mock

    from django import db

    user = api(admin_user)  # logged in before the database goes
    with mock.patch("labeling.projects.api.project_list_for", side_effect=getattr(db, error)("server closed the connection")):
        response = user.get("/api/projects/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json() == {"detail": "the database is unavailable; try again shortly", "code": "database_unavailable"}
