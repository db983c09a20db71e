"""Export and snapshot requests as an integrator sends them.

exclude_annotators takes usernames (as judgments and the stats name people) or ids, each one of
the project's people; anything else a 400 naming it (the API took ids only, which nothing shows,
and an id of nobody wrote a snapshot identical to the unfiltered one). A refused dispatch is
answered as failed; a snapshot states only the representation its files have."""

import pytest

from labeling.models import DatasetSnapshot
from tests.factories import UserFactory, make_comparison
from tests.labeling.exports.test_exports import EXPORT_URL, body, jsonl, judge

pytestmark = pytest.mark.django_db


@pytest.fixture
def labelled(project, annotator, second_annotator):
    """Two comparisons, each judged by both annotators."""
    comparisons = [make_comparison(project), make_comparison(project)]
    for comparison in comparisons:
        judge(comparison, annotator, "a", 2)
        judge(comparison, second_annotator, "b", 1)
    return comparisons


def exported(api, user, project, query):
    return jsonl(body(api(user).get(EXPORT_URL.format(project.pk) + "?format=raw" + query)))


def test_the_export_leaves_out_annotators_named_by_username_or_id(api, admin_user, labelled, annotator):
    project = labelled[0].project
    everyone = exported(api, admin_user, project, "")
    by_name = exported(api, admin_user, project, f"&exclude_annotators={annotator.username}")
    assert 0 < len(by_name) < len(everyone)
    assert exported(api, admin_user, project, f"&exclude_annotators={annotator.pk}") == by_name


@pytest.mark.parametrize("who", ["nobody", "999999", "99999999999999999999", "stranger"])
def test_an_unknown_or_outside_annotator_is_a_400_naming_them(api, admin_user, labelled, who):
    UserFactory(username="stranger")  # a user, but not one of this project's people
    project = labelled[0].project
    response = api(admin_user).get(EXPORT_URL.format(project.pk), {"format": "raw", "exclude_annotators": who})
    assert response.status_code == 400
    assert response.json()["field"] == "exclude_annotators" and repr(who) in response.json()["detail"]
    snapshot = api(admin_user).post(f"/api/projects/{project.pk}/snapshots/",
                                    {"format": "trl", "filters": {"exclude_annotators": [who]}}, format="json")
    assert snapshot.status_code == 400 and repr(who) in snapshot.json()["detail"]
    assert not DatasetSnapshot.objects.exists()


def test_a_snapshot_keeps_the_ids_of_the_annotators_named(api, admin_user, labelled, annotator):
    project = labelled[0].project
    response = api(admin_user).post(f"/api/projects/{project.pk}/snapshots/",
                                    {"format": "trl", "filters": {"exclude_annotators": [annotator.username]}},
                                    format="json")
    assert response.status_code == 202, response.content
    assert response.json()["filters"]["exclude_annotators"] == [annotator.pk]


def test_a_filter_given_beside_the_options_says_where_it_belongs(api, admin_user, labelled):
    project = labelled[0].project
    response = api(admin_user).post(f"/api/projects/{project.pk}/snapshots/",
                                    {"format": "trl", "min_agreement": 0.5}, format="json")
    assert response.status_code == 400 and 'give it inside "filters"' in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_the_answer_to_a_snapshot_the_broker_refused_says_failed(api, admin_user, labelled, monkeypatch):
    """Committed for real, the dispatch runs before the answer is written: it said "pending" for a
    snapshot already failed."""
    from kombu.exceptions import OperationalError

    from labeling import tasks

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.snapshot_build, "apply_async", refuse)
    project = labelled[0].project
    response = api(admin_user).post(f"/api/projects/{project.pk}/snapshots/", {"format": "trl"}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "failed"
    assert "broker unavailable" in response.json()["error"]


def test_an_sft_snapshot_does_not_claim_a_representation_it_does_not_have(api, admin_user, labelled):
    """sft rows are message lists whatever is asked: its snapshot said "conversational": false."""
    project = labelled[0].project
    response = api(admin_user).post(f"/api/projects/{project.pk}/snapshots/",
                                    {"format": "sft", "conversational": False, "include_winners": True}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["options"]["conversational"] is None
