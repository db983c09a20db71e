"""Runs on a real Celery worker process: succeed, cancel, a worker killed mid-run, and a run resumed by\nthe worker that replaces a killed one."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from tests.training.conftest import reward_config, run_started
from tests.workers import celery_worker, wait_for
from training import runner, services
from training.ml.resume import latest_step, saved_steps, state_dir
from training.models import ModelCheckpoint, RunMetric, RunStatus, TrainingRun

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def start_run(api, admin_user, project, model, **config):
    return run_started(api, admin_user, project, "reward", model, reward_config(**config))


def status_of(run_id):
    return TrainingRun.objects.get(pk=run_id).status


def test_reward_run_queued_from_the_api_succeeds_with_metrics_and_a_checkpoint(
    api, admin_user, labelled_project, tiny_reward_model
):
    with celery_worker():  # started first: it purges messages left by earlier tests
        run_id = start_run(api, admin_user, labelled_project, tiny_reward_model)
        wait_for(lambda: status_of(run_id) in ("succeeded", "failed"), timeout=180, what="run to finish")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress_step == run.progress_total == 3
    assert re.search(r"step 3/3 loss [\d.]+ .* samples/s", run.log_tail), run.log_tail  # the stage's own lines
    assert all("loss" in m.values for m in run.metrics.all()) and run.metrics.count() == 3
    checkpoint = ModelCheckpoint.objects.get(run=run)
    assert checkpoint.kind == "reward"
    assert (Path(settings.ARTIFACT_DIR) / checkpoint.path / "model.safetensors").exists()
    assert run.snapshot is not None and run.snapshot.row_counts["train"] > 0
    assert api(admin_user).get(f"/api/training-runs/{run_id}/metrics/?after=1").json()[0]["step"] == 2


def test_cancel_stops_a_running_run_within_seconds(api, admin_user, labelled_project, tiny_reward_model):
    with celery_worker():
        run_id = start_run(api, admin_user, labelled_project, tiny_reward_model, max_steps=100_000)
        wait_for(lambda: TrainingRun.objects.get(pk=run_id).progress_step > 0, timeout=120, what="first step")
        assert api(admin_user).post(f"/api/training-runs/{run_id}/cancel/").status_code == 200
        wait_for(lambda: status_of(run_id) == "cancelled", timeout=15, what="cancellation")
    assert not ModelCheckpoint.objects.filter(run_id=run_id).exists()


def test_worker_killed_mid_run_leaves_the_run_failed_not_running(
    api, admin_user, labelled_project, tiny_reward_model, settings
):
    settings.TRAINING_RUN_MAX_ATTEMPTS = 1  # no second attempt: see the resume test below for those
    with celery_worker() as worker:
        run_id = start_run(api, admin_user, labelled_project, tiny_reward_model, max_steps=100_000)
        wait_for(lambda: TrainingRun.objects.get(pk=run_id).progress_step > 0, timeout=120, what="first step")
        worker.kill()
        worker.wait()
    assert status_of(run_id) == "running"
    wait_for(lambda: services.training_runs_reap(stale_after=timedelta(seconds=2)), timeout=15, what="reaper")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.FAILED and "heartbeats" in run.error and "gave up after 1 attempts" in run.error


def test_a_worker_killed_after_the_second_save_is_replaced_and_the_run_resumes_there(
    api, admin_user, labelled_project, tiny_reward_model
):
    config = {"max_steps": 60, "batch_size": 2, "save_steps": 5}
    with celery_worker() as worker:
        run_id = start_run(api, admin_user, labelled_project, tiny_reward_model, **config)
        out = runner.output_dir(TrainingRun.objects.get(pk=run_id))
        wait_for(lambda: len(saved_steps(state_dir(out))) >= 2, timeout=180, what="the second save")
        worker.kill()
        worker.wait()
    saved = latest_step(out)
    # the steps recorded before the kill: the worker records the job's progress lines as they come,
    # so the last few saved steps may not be recorded yet (the finished run fills them in)
    before = {m.step: m.values for m in RunMetric.objects.filter(run_id=run_id, step__lte=saved)}
    assert status_of(run_id) == "running" and saved < 60 and sorted(before) == list(range(1, len(before) + 1))

    with celery_worker():  # the replacement (started first: it purges the dead worker's message)
        assert wait_for(lambda: services.training_runs_reap(stale_after=timedelta(seconds=2)), timeout=15, what="reaper")
        wait_for(lambda: status_of(run_id) in ("succeeded", "failed"), timeout=240, what="the resumed run")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert (run.attempts, run.resumed_from_step) == (2, saved)
    shown = api(admin_user).get(f"/api/training-runs/{run_id}/").json()
    assert (shown["attempts"], shown["resumed_from_step"]) == (2, saved)
    curve = {m.step: m.values for m in run.metrics.all()}
    assert sorted(curve) == list(range(1, 61))
    assert {step: curve[step] for step in before} == before  # the steps before the save were not trained again
    history = json.loads((Path(settings.ARTIFACT_DIR) / ModelCheckpoint.objects.get(run=run).path / "metrics.json").read_text())
    assert [h["step"] for h in history["history"]] == list(range(1, 61))
    assert not state_dir(out).exists()
