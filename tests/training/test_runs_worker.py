"""The worker's side of a run without a worker process: retried writes, the heartbeat thread,
the per-step control (stop, time limit, progress line)."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from training import runner, services
from training.models import RunStatus, TrainingRun


def test_a_write_that_lost_its_connection_is_retried_on_a_fresh_one():
    write = mock.Mock(side_effect=[OperationalError("server closed the connection"), OperationalError("refused"), 7])
    write.__name__ = "write"
    with mock.patch.object(runner.time, "sleep") as sleep, mock.patch.object(runner, "drop_connection") as drop:
        assert runner.with_db_retry(write, run_id=1) == 7
    assert write.call_count == 3 and drop.call_count == 2
    assert [c.args[0] for c in sleep.call_args_list] == list(runner.DB_RETRY_DELAYS[:2])


def test_a_database_down_for_longer_than_the_retries_raises():
    write = mock.Mock(side_effect=OperationalError("refused"), __name__="write")
    with mock.patch.object(runner.time, "sleep"), mock.patch.object(runner, "drop_connection"), \
            pytest.raises(OperationalError):
        runner.with_db_retry(write)
    assert write.call_count == len(runner.DB_RETRY_DELAYS) + 1


def test_other_errors_are_not_retried():
    write = mock.Mock(side_effect=ValueError("a bug"), __name__="write")
    with pytest.raises(ValueError):
        runner.with_db_retry(write)
    assert write.call_count == 1


def test_the_heartbeat_thread_outlives_a_failed_beat():
    beat = runner.Heartbeat(run_id=1, attempt=1, tail=runner.LogTail())
    answers = [OperationalError("terminating connection due to administrator command"), True, False]
    with mock.patch.object(services, "training_run_heartbeat", side_effect=answers), \
            mock.patch.object(runner, "drop_connection") as drop:
        beat.beat()  # the database restarts: logged, the connection dropped, no exception
        assert not beat.stop_requested.is_set() and drop.called
        beat.beat()
        assert not beat.stop_requested.is_set()
        beat.beat()  # the run was cancelled or taken from this attempt
        assert beat.stop_requested.is_set()


def claimed(labelled_project, tiny_reward_model):
    run, _ = services.training_run_create(project=labelled_project, stage="reward", base_model=tiny_reward_model)
    attempt = services.training_run_claim(run_id=run.pk, worker="w")
    return TrainingRun.objects.get(pk=run.pk), attempt


def test_a_run_past_its_time_limit_is_stopped_with_the_reason(labelled_project, tiny_reward_model, settings):
    settings.TRAINING_RUN_TIME_LIMIT = 3600
    run, attempt = claimed(labelled_project, tiny_reward_model)
    beat = runner.Heartbeat(run.pk, attempt, runner.LogTail())
    assert runner.StepControl(run, attempt, beat)(1, 10, {"loss": 0.7}) is True
    run.started_at = timezone.now() - timedelta(hours=2)  # the first attempt's start counts
    control = runner.StepControl(run, attempt, beat)
    assert control(2, 10, {"loss": 0.6}) is False
    assert "time limit exceeded" in control.failure and "TRAINING_RUN_TIME_LIMIT" in control.failure


def test_the_step_control_says_stop_once_the_run_is_no_longer_this_attempts(labelled_project, tiny_reward_model):
    run, attempt = claimed(labelled_project, tiny_reward_model)
    control = runner.StepControl(run, attempt, runner.Heartbeat(run.pk, attempt, runner.LogTail()))
    assert control(1, 10, {"loss": 0.7}) is True
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)  # reaped under it
    assert control(2, 10, {"loss": 0.6}) is False and control.failure == ""


def test_each_step_logs_a_progress_line():
    metrics = {"accuracy": 0.5, "loss": 0.69314, "learning_rate": 1e-5, "samples_per_s": 12.34, "tokens_per_s": 950.0}
    line = runner.progress_line(12, 300, metrics)
    assert line == "step 12/300 loss 0.6931 accuracy 0.5 learning_rate 1e-05 12.3 samples/s 950.0 tokens/s"


def test_the_run_log_keeps_the_runs_own_progress_lines_under_a_quiet_worker():
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.WARNING)  # the demo's worker: --loglevel WARNING
    try:
        with runner.run_log() as tail:
            logging.getLogger("training.runner").info("run 1: step 2/3 loss 0.6931 12.0 samples/s")
            logging.getLogger("a.library").info("library chatter")
            logging.getLogger("a.library").warning("a library warning")
    finally:
        root.setLevel(previous)
    assert "step 2/3 loss 0.6931" in tail.text() and "a library warning" in tail.text()
    assert "library chatter" not in tail.text()
    assert logging.getLogger("training").level == logging.NOTSET  # put back
