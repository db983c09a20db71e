"""A run whose worker died after it wrote its checkpoint: the next attempt records that
checkpoint without training again, and the run reads as finished (its progress is its last
step, its result says the checkpoint was recovered, not retrained)."""

import json
from datetime import timedelta

from django.utils import timezone

from tests.training.conftest import reward_config
from tests.training.test_runs import create, train_now
from training import runner, services
from training.models import RunStatus, TrainingRun


def test_a_recovered_checkpoint_finishes_the_run_at_its_last_step(labelled_project, tiny_reward_model, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    run = create(labelled_project, base_model=tiny_reward_model, config=reward_config(max_steps=8))
    attempt = services.training_run_claim(run_id=run.pk, worker="lost")
    for step in range(1, 8):
        services.training_run_progress(run_id=run.pk, attempt=attempt, step=step, total=8, metrics={"loss": 0.7})
    out = runner.output_dir(run)  # step 8 trained and saved; the worker died before it said so
    out.mkdir(parents=True)
    history = [{"step": step, "loss": 0.7} for step in range(1, 9)]
    (out / runner.METRICS).write_text(json.dumps({"final": {"loss": 0.7, "val_accuracy": 0.9}, "history": history}))
    (out / runner.TRAINING_CONFIG).write_text(json.dumps({"config": run.config}))
    assert services.training_runs_reap(stale_after=timedelta(seconds=-1)) == [run.pk]

    result = train_now(TrainingRun.objects.get(pk=run.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2
    assert (run.progress_step, run.progress_total) == (8, 8)
    assert result["recovered"] is True and run.resumed_from_step is None
    assert run.metrics.count() == 8


def test_attempts_that_saved_further_are_not_held_against_the_run(labelled_project, tiny_reward_model, settings):
    """Three worker restarts (an upgrade, a reboot) failed a run resuming fine each time: "gave up
    after 3 attempts" with state saved up to step 45. An attempt that saved past where it resumed
    is progress; one that did not still counts."""
    settings.TRAINING_RUN_MAX_ATTEMPTS = 2
    run = create(labelled_project, base_model=tiny_reward_model, config=reward_config(max_steps=200, save_steps=5))

    def lose(reached: int, resumed: int | None):
        attempt = services.training_run_claim(run_id=run.pk, worker="w")
        if resumed:
            services.training_run_resumed(run_id=run.pk, attempt=attempt, step=resumed)
        TrainingRun.objects.filter(pk=run.pk).update(progress_step=reached, heartbeat_at=timezone.now() - timedelta(minutes=10))
        assert services.training_runs_reap() == [run.pk]
        return TrainingRun.objects.get(pk=run.pk)

    assert lose(15, None).status == RunStatus.QUEUED
    assert lose(25, 15).status == RunStatus.QUEUED  # the second of two attempts, but it saved step 25
    assert lose(49, 25).status == RunStatus.QUEUED  # and a third: 45 saved
    stuck = lose(48, 45)  # resumed at 45, lost before saving 50: nothing gained
    assert stuck.status == RunStatus.FAILED and "gave up after 4 attempts" in stuck.error
