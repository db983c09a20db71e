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
