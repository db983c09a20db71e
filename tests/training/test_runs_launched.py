"""A run is a launched job: two processes through the real worker and through `train --inline`,
cancelled while both train, and a child that fails without taking its worker down."""

import io
import json
import shutil
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.core.management import call_command

from tests.training.conftest import run_started
from tests.workers import celery_worker, wait_for
from training.models import ModelCheckpoint, RunStatus, TrainingRun

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def dpo_config(**overrides) -> dict:
    return {"max_steps": 2, "batch_size": 2, "max_length": 96, "max_prompt_length": 64, **overrides}


def start_dpo(api, user, project, model, **config):
    return run_started(api, user, project, "dpo", model, dpo_config(**config))


def finished(run_id):
    return TrainingRun.objects.get(pk=run_id).status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


def assert_one_complete_checkpoint(run: TrainingRun, job_tmp: Path) -> None:
    """One checkpoint row, its directory complete, and nothing temporary beside it."""
    checkpoint = ModelCheckpoint.objects.get(run=run)
    directory = Path(settings.ARTIFACT_DIR) / checkpoint.path
    assert {"model.safetensors", "config.json", "metrics.json", "training_config.json"} <= {
        p.name for p in directory.iterdir()
    }
    siblings = [p.name for p in directory.parent.iterdir() if directory.name in p.name]
    assert siblings == [directory.name]  # no .partial staging, no .states
    assert not list(job_tmp.glob("training-job-*"))  # the job directory is gone


@pytest.fixture
def job_tmp(tmp_path, monkeypatch):
    """Where the worker (and this process) put job directories, to see that none is left."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_a_two_process_dpo_run_succeeds_on_the_worker_with_world_size_2_and_one_checkpoint(
    api, admin_user, labelled_project, tiny_policy_model, job_tmp
):
    with celery_worker():
        run_id = start_dpo(api, admin_user, labelled_project, tiny_policy_model, num_processes=2)
        wait_for(lambda: finished(run_id), timeout=300, what="run to finish")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.result["metrics"]["world_size"] == 2
    assert run.progress_step == run.progress_total == 2 and run.metrics.count() == 2
    assert "launching 2 process(es)" in run.log_tail
    assert_one_complete_checkpoint(run, job_tmp)
    trained = json.loads((Path(run.result["output_dir"]) / "training_config.json").read_text())
    assert trained["config"]["num_processes"] == 2


def test_train_inline_launches_the_same_two_processes_in_the_foreground(
    labelled_project, tiny_policy_model, job_tmp
):
    out = io.StringIO()
    call_command(
        "train", project=labelled_project.slug, stage="dpo", base_model=tiny_policy_model,
        config=json.dumps(dpo_config(num_processes=2)), inline=True, stdout=out,
    )
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert json.loads(out.getvalue().strip().splitlines()[-1])["world_size"] == 2
    assert_one_complete_checkpoint(run, job_tmp)


def test_cancel_ends_both_training_processes_within_10_seconds(
    api, admin_user, labelled_project, tiny_policy_model, job_tmp
):
    with celery_worker() as worker:
        run_id = start_dpo(api, admin_user, labelled_project, tiny_policy_model, num_processes=2, max_steps=100_000)
        wait_for(lambda: TrainingRun.objects.get(pk=run_id).progress_step > 0, timeout=240, what="first step")
        job = psutil.Process(worker.pid).children(recursive=True)
        ranks = [p for p in job if p.cmdline()[1:4] == ["-u", "-m", "training.child"]]
        assert len(ranks) == 2, [p.cmdline() for p in job]
        started = time.monotonic()
        assert api(admin_user).post(f"/api/training-runs/{run_id}/cancel/").status_code == 200
        wait_for(lambda: TrainingRun.objects.get(pk=run_id).status == RunStatus.CANCELLED, timeout=10, what="cancel")
        took = time.monotonic() - started
        assert not [p.pid for p in job if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert worker.poll() is None  # the worker lives on
    assert took < 10
    assert not ModelCheckpoint.objects.filter(run_id=run_id).exists()


def test_a_child_that_fails_fails_its_run_with_its_error_and_the_worker_takes_the_next_run(
    api, admin_user, labelled_project, tiny_policy_model, tmp_path, job_tmp
):
    broken = tmp_path / "broken-model"
    shutil.copytree(tiny_policy_model, broken)
    (broken / "model.safetensors").write_text("not weights")
    with celery_worker() as worker:
        failing = start_dpo(api, admin_user, labelled_project, str(broken), num_processes=1)
        wait_for(lambda: finished(failing), timeout=240, what="the broken run to finish")
        good = start_dpo(api, admin_user, labelled_project, tiny_policy_model, num_processes=1)
        wait_for(lambda: finished(good), timeout=240, what="the next run to finish")
        assert worker.poll() is None
    run = TrainingRun.objects.get(pk=failing)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("rank 0: Traceback")
    assert run.error.rstrip().endswith("SafetensorError: Error while deserializing header: header too large")
    assert TrainingRun.objects.get(pk=good).status == RunStatus.SUCCEEDED
    assert not list(job_tmp.glob("training-job-*"))


def test_train_inline_under_a_launcher_is_refused_before_any_run_is_made(labelled_project, monkeypatch):
    """Under torchrun every rank would create a run of its own."""
    from django.core.management.base import CommandError

    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(CommandError, match="without accelerate launch or torchrun"):
        call_command("train", project=labelled_project.slug, stage="dpo", base_model="x", inline=True)
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize("as_typed", [True, False])
def test_train_wait_with_inline_is_refused_as_a_contradiction_before_any_run_is_made(labelled_project, as_typed):
    """--inline runs in the foreground already: --wait with it was accepted, and meant nothing."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--wait and --inline contradict each other: --inline already runs the run here"):
        if as_typed:  # as a shell passes them, through argparse
            call_command("train", "--wait", "--inline", project=labelled_project.slug, stage="dpo", base_model="x")
        else:
            call_command("train", project=labelled_project.slug, stage="dpo", base_model="x", wait=True, inline=True)
    assert not TrainingRun.objects.exists()
