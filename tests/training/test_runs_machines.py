"""A run on two machines: two gpu workers on localhost (one process each, gloo) meet through the
database and torchrun's rendezvous; with one worker missing the run fails after the timeout."""

import psutil
import pytest

from tests.training.test_runs_launched import (
    assert_one_complete_checkpoint,
    finished,
    job_tmp,
    start_dpo,
)
from tests.workers import celery_worker, wait_for
from training.models import RunStatus, TrainingRun

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
__all__ = ["job_tmp"]  # the fixture, used below


def test_two_workers_complete_one_two_machine_dpo_run(
    api, admin_user, labelled_project, tiny_policy_model, job_tmp, monkeypatch
):
    monkeypatch.setenv("TRAINING_RENDEZVOUS_HOST", "127.0.0.1")
    monkeypatch.setenv("TRAINING_RENDEZVOUS_TIMEOUT", "240")
    with celery_worker(), celery_worker():
        run_id = start_dpo(api, admin_user, labelled_project, tiny_policy_model, num_processes=1, num_machines=2)
        wait_for(lambda: finished(run_id), timeout=420, what="the two-machine run to finish")
        # part 0 records the end; part 1's worker follows its rank out a moment later
        wait_for(lambda: not list(job_tmp.glob("training-job-*")), timeout=30, what="part 1 to remove its job directory")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.result["metrics"]["world_size"] == 2 and run.parts_joined == 1
    assert run.rendezvous["address"] == "127.0.0.1" and run.rendezvous["attempt"] == 1
    assert_one_complete_checkpoint(run, job_tmp)


def test_a_part_no_worker_takes_fails_the_run_after_the_rendezvous_timeout(
    api, admin_user, labelled_project, tiny_policy_model, job_tmp, monkeypatch
):
    monkeypatch.setenv("TRAINING_RENDEZVOUS_HOST", "127.0.0.1")
    monkeypatch.setenv("TRAINING_RENDEZVOUS_TIMEOUT", "10")
    with celery_worker():  # one worker: it holds part 0 while part 1 waits in the queue
        run_id = start_dpo(api, admin_user, labelled_project, tiny_policy_model, num_processes=1, num_machines=2)
        wait_for(lambda: finished(run_id), timeout=180, what="the run to fail")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.FAILED
    assert run.error == (
        "1 of the run's 2 parts never joined within 10 s (TRAINING_RENDEZVOUS_TIMEOUT): no other gpu "
        "worker took them; start more gpu workers or lower num_machines"
    )


def test_cancel_ends_the_processes_of_every_part(
    api, admin_user, labelled_project, tiny_policy_model, job_tmp, monkeypatch
):
    monkeypatch.setenv("TRAINING_RENDEZVOUS_HOST", "127.0.0.1")
    monkeypatch.setenv("TRAINING_RENDEZVOUS_TIMEOUT", "240")
    with celery_worker() as first, celery_worker() as second:
        run_id = start_dpo(
            api, admin_user, labelled_project, tiny_policy_model, num_processes=1, num_machines=2, max_steps=100_000
        )
        wait_for(lambda: TrainingRun.objects.get(pk=run_id).progress_step > 0, timeout=300, what="first step")
        job = [p for w in (first, second) for p in psutil.Process(w.pid).children(recursive=True)]
        ranks = [p for p in job if p.cmdline()[1:4] == ["-u", "-m", "training.child"]]
        assert len(ranks) == 2, [p.cmdline() for p in job]  # one on each worker
        assert api(admin_user).post(f"/api/training-runs/{run_id}/cancel/").status_code == 200
        wait_for(lambda: finished(run_id), timeout=10, what="cancel")
        run = TrainingRun.objects.get(pk=run_id)
        assert run.status == RunStatus.CANCELLED, run.error  # not failed by a rank that lost its peer
        wait_for(lambda: not [p for p in job if p.is_running() and p.status() != psutil.STATUS_ZOMBIE],
                 timeout=10, what="every process of both parts to end")
        assert first.poll() is None and second.poll() is None
