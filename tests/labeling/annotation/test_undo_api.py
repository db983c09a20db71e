"""Undo of a skip or a flag through the API, as the annotation screen's "Undo last" uses it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import Comparison, Flag, Lease, LeaseState
from tests.factories import make_comparison

pytestmark = pytest.mark.django_db


@pytest.fixture
def comparison(api, project, annotator):
    make_comparison(project, texts=["Paris.", "London."])
    return api(annotator).get(f"/api/projects/{project.pk}/next-task/").json()


def post(api, user, url, body=None):
    return api(user).post(url, body or {}, format="json")


def test_unskip_gives_the_same_comparison_back_leased_with_its_seat(api, project, comparison, annotator):
    post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/")
    assert Comparison.objects.get().holders == 0
    response = post(api, annotator, f"/api/comparisons/{comparison['id']}/unskip/")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["responses"]) == (comparison["id"], comparison["responses"])
    assert Lease.objects.get(annotator=annotator).state == LeaseState.ACTIVE
    assert Comparison.objects.get().holders == 1
    assert api(annotator).get(f"/api/projects/{project.pk}/next-task/").json()["id"] == comparison["id"]


def test_unskip_of_a_flag_and_skip_withdraws_that_flag(api, comparison, annotator):
    post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/", {"reason": "both_bad"})
    assert post(api, annotator, f"/api/comparisons/{comparison['id']}/unskip/", {"reason": "both_bad"}).status_code == 200
    assert not Flag.objects.exists()


def test_unskip_of_what_was_not_skipped_is_409(api, comparison, annotator):
    response = post(api, annotator, f"/api/comparisons/{comparison['id']}/unskip/")
    assert (response.status_code, response.json()["reason"]) == (409, "not_skipped")


def test_unskip_after_the_window_is_409_and_changes_nothing(api, comparison, annotator):
    post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/")
    Lease.objects.update(updated_at=timezone.now() - timedelta(minutes=11))
    response = post(api, annotator, f"/api/comparisons/{comparison['id']}/unskip/")
    assert (response.status_code, response.json()["reason"]) == (409, "edit_window_passed")
    assert Lease.objects.get(annotator=annotator).state == LeaseState.SKIPPED


def test_unskip_of_a_comparison_others_filled_meanwhile_is_409(api, project, comparison, annotator, second_annotator):
    post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/")
    assert api(second_annotator).get(f"/api/projects/{project.pk}/next-task/").json()["id"] == comparison["id"]
    response = post(api, annotator, f"/api/comparisons/{comparison['id']}/unskip/")
    assert (response.status_code, response.json()["reason"]) == (409, "full")
    assert Lease.objects.get(annotator=annotator).state == LeaseState.SKIPPED


def test_another_annotator_cannot_unskip_my_skip(api, comparison, annotator, second_annotator):
    post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/")
    assert post(api, second_annotator, f"/api/comparisons/{comparison['id']}/unskip/").status_code in {404, 409}
    assert Lease.objects.get(annotator=annotator).state == LeaseState.SKIPPED


def test_a_flag_is_withdrawn_by_its_annotator_only(api, comparison, annotator, second_annotator):
    flag = post(api, annotator, f"/api/comparisons/{comparison['id']}/flag/", {"reason": "unsafe"}).json()
    assert post(api, second_annotator, f"/api/flags/{flag['id']}/withdraw/").status_code == 404
    assert post(api, annotator, f"/api/flags/{flag['id']}/withdraw/").status_code == 204
    assert not Flag.objects.exists()


def test_a_resolved_flag_cannot_be_withdrawn(api, comparison, annotator, admin_user):
    flag = post(api, annotator, f"/api/comparisons/{comparison['id']}/flag/", {"reason": "unsafe"}).json()
    assert post(api, admin_user, f"/api/flags/{flag['id']}/resolve/").status_code == 200
    response = post(api, annotator, f"/api/flags/{flag['id']}/withdraw/")
    assert (response.status_code, response.json()["reason"]) == (409, "resolved")
    assert Flag.objects.exists()
