"""A snapshot is not written again when nothing changed: the same options over the same rows reuse
the ready snapshot (same sha256, no second directory); a new judgment, a review reject or an undo
that changes the rows makes a new one. The content hash decides, so no change can be missed."""

from pathlib import Path

import pytest

from annotation_site.celery import app as celery_app
from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create, judgment_undo
from labeling.exports.snapshots import snapshot_verify
from labeling.models import DatasetSnapshot
from labeling.review.services import judgment_review
from tests.factories import make_comparison, make_prompt, new_client_key
from tests.labeling.exports.builders import snapshot_of

pytestmark = pytest.mark.django_db
OPTIONS = {"format": "trl", "split_seed": 2, "validation_fraction": 0.25}


@pytest.fixture
def artifacts(settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    return settings.ARTIFACT_DIR


def judged(project, annotator, n=6, winner="a"):
    """``n`` comparisons (a prompt each), leased and judged by ``annotator``; their judgments."""
    made = []
    for i in range(n):
        make_comparison(project, prompt=make_prompt(project, f"Prompt {i} {winner}"), texts=[f"{i} good", f"{i} bad"])
        comparison = comparison_lease_next(project=project, annotator=annotator)
        judgment, _ = judgment_create(annotator=annotator, comparison_id=comparison.pk, client_key=new_client_key(), winner=winner, strength=2)
        made.append(judgment)
    return made


def directories(artifacts) -> list[str]:
    return sorted(p.name for p in (artifacts / "snapshots").iterdir())


def test_the_same_options_over_the_same_rows_reuse_the_snapshot(artifacts, project, annotator):
    judged(project, annotator)
    first = snapshot_of(project=project, **OPTIONS)
    again = snapshot_of(project=project, **OPTIONS)
    assert again.pk == first.pk and again.sha256 == first.sha256
    assert DatasetSnapshot.objects.count() == 1 and directories(artifacts) == [Path(first.path).name]
    other_seed = snapshot_of(project=project, **{**OPTIONS, "split_seed": 3})
    assert other_seed.pk != first.pk and len(directories(artifacts)) == 2


def test_a_new_judgment_makes_a_new_snapshot(artifacts, project, annotator):
    judged(project, annotator)
    first = snapshot_of(project=project, **OPTIONS)
    judged(project, annotator, n=1, winner="b")
    second = snapshot_of(project=project, **OPTIONS)
    assert second.pk != first.pk and second.sha256 != first.sha256
    assert sum(second.row_counts.values()) == sum(first.row_counts.values()) + 1
    assert len(directories(artifacts)) == 2 and snapshot_verify(first) and snapshot_verify(second)


def test_a_review_reject_makes_a_new_snapshot(artifacts, project, annotator, admin_user):
    judgments = judged(project, annotator)
    first = snapshot_of(project=project, **OPTIONS)
    judgment_review(judgment=judgments[0], reviewer=admin_user, review="rejected", note="not read")
    second = snapshot_of(project=project, **OPTIONS)
    assert second.pk != first.pk and sum(second.row_counts.values()) == sum(first.row_counts.values()) - 1


def test_an_undo_makes_a_new_snapshot(artifacts, project, annotator):
    judgments = judged(project, annotator)
    first = snapshot_of(project=project, **OPTIONS)
    judgment_undo(annotator=annotator, judgment_id=judgments[-1].pk)
    second = snapshot_of(project=project, **OPTIONS)
    assert second.pk != first.pk and sum(second.row_counts.values()) == sum(first.row_counts.values()) - 1


@pytest.fixture
def eager_celery(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)


def test_the_api_says_a_requested_snapshot_was_reused(
    api, artifacts, project, annotator, admin_user, eager_celery, django_capture_on_commit_callbacks
):
    judged(project, annotator)
    url = f"/api/projects/{project.pk}/snapshots/"
    created = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            created.append(api(admin_user).post(url, OPTIONS, format="json").json())
    first, second = (api(admin_user).get(f"/api/snapshots/{c['id']}/").json() for c in created)
    assert (first["status"], first["reused"], first["reused_from"]) == ("ready", False, None)
    assert (second["status"], second["reused"], second["reused_from"]) == ("ready", True, first["id"])
    assert (second["sha256"], second["row_counts"], second["path"]) == (first["sha256"], first["row_counts"], first["path"])
    assert directories(artifacts) == [Path(first["path"]).name]
    listed = api(admin_user).get(url).json()
    assert [(s["id"], s["reused_from"]) for s in listed] == [(second["id"], first["id"]), (first["id"], None)]
    assert snapshot_verify(DatasetSnapshot.objects.get(pk=second["id"]))
