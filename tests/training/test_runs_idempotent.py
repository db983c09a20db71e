"""Creating a run with a client_key: a retry (the response was lost) gets the first run back and
starts nothing; the key reused for another request is refused."""

import threading
import uuid
from unittest import mock

import pytest
from django.db import connections

from training import services
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


def body(project, model, **extra) -> dict:
    return {"project": project.pk, "stage": "reward", "base_model": model, **extra}


def test_a_retry_with_the_same_key_returns_the_first_run_and_dispatches_it_once(
    api, labelled_project, admin_user, tiny_reward_model, django_capture_on_commit_callbacks,
):
    key = str(uuid.uuid4())
    with mock.patch.object(services, "training_run_dispatch") as dispatch:
        with django_capture_on_commit_callbacks(execute=True):
            first = api(admin_user).post("/api/training-runs/", body(labelled_project, tiny_reward_model, client_key=key), format="json")
        with django_capture_on_commit_callbacks(execute=True):
            retry = api(admin_user).post("/api/training-runs/", body(labelled_project, tiny_reward_model, client_key=key), format="json")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"] and retry.json()["client_key"] == key
    assert TrainingRun.objects.filter(project=labelled_project).count() == 1
    dispatch.assert_called_once_with(first.json()["id"])


def test_the_key_reused_for_another_request_is_refused_and_starts_nothing(api, labelled_project, admin_user, tiny_reward_model):
    key = str(uuid.uuid4())
    first = api(admin_user).post("/api/training-runs/", body(labelled_project, tiny_reward_model, client_key=key), format="json")
    other = body(labelled_project, tiny_reward_model, client_key=key, config={"epochs": 2})
    response = api(admin_user).post("/api/training-runs/", other, format="json")
    assert response.status_code == 409
    assert f"already used for run {first.json()['id']}" in response.json()["detail"]
    assert TrainingRun.objects.filter(project=labelled_project).count() == 1


def test_a_retry_after_the_run_started_and_froze_its_snapshot_still_gets_the_run(labelled_project, tiny_reward_model):
    run, created = services.training_run_create(project=labelled_project, stage="reward", base_model=tiny_reward_model, client_key="k1")
    TrainingRun.objects.filter(pk=run.pk).update(status="running")  # what starting changes on the row
    again, created_again = services.training_run_create(
        project=labelled_project, stage="reward", base_model=tiny_reward_model, client_key="k1")
    assert (again.pk, created, created_again) == (run.pk, True, False)


def test_without_a_key_each_create_is_a_new_run(labelled_project, tiny_reward_model):
    created = [services.training_run_create(project=labelled_project, stage="reward", base_model=tiny_reward_model)[1]
               for _ in range(2)]
    assert created == [True, True] and TrainingRun.objects.filter(project=labelled_project).count() == 2


@pytest.mark.parametrize("key", ["", "k" * 65])
def test_a_malformed_key_is_refused_naming_it(api, labelled_project, admin_user, tiny_reward_model, key):
    response = api(admin_user).post("/api/training-runs/", body(labelled_project, tiny_reward_model, client_key=key), format="json")
    assert response.status_code == 400 and "client_key" in str(response.json())
    assert not TrainingRun.objects.filter(project=labelled_project).exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_identical_creates_at_the_same_moment_make_one_run(api, labelled_project, admin_user, tiny_reward_model):
    project, admin = labelled_project, admin_user
    start, statuses, ids = threading.Barrier(2), [], []

    def create():
        try:
            start.wait()
            response = api(admin).post("/api/training-runs/", body(project, tiny_reward_model, client_key="same"), format="json")
            statuses.append(response.status_code)
            ids.append(response.json()["id"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [200, 201] and len(set(ids)) == 1
    assert TrainingRun.objects.filter(project=project).count() == 1
