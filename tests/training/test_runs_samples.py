"""Shown samples: the few responses a run sampled at a logging step ride with its progress line,
the worker stores them (never the training processes), and the run page reads them a step at a
time."""

import pytest

from training import runner, services
from training.models import RunMetric, RunSample, RunStatus, TrainingRun

pytestmark = pytest.mark.django_db

SHOWN = [
    {"prompt": "Say 1", "response": "<script>alert(1)</script>", "score": 0.25, "truncated": False},
    {"prompt": "Say 2", "response": "b" * 9000, "score": float("nan"), "truncated": "yes"},
]


def claimed(project, model="tiny"):
    run, _ = services.training_run_create(project=project, stage="reward", base_model=model)
    attempt = services.training_run_claim(run_id=run.pk, worker="w")
    return TrainingRun.objects.get(pk=run.pk), attempt


def control_for(run, attempt):
    return runner.StepControl(run, attempt, runner.Heartbeat(run.pk, attempt, runner.LogTail()))


def test_the_worker_stores_a_steps_samples_apart_from_its_metrics(labelled_project, tiny_reward_model):
    run, attempt = claimed(labelled_project, tiny_reward_model)
    control = control_for(run, attempt)
    assert control(1, 4, {"loss": 0.7, "samples": SHOWN}) is True
    assert control(1, 4, {"loss": 0.7, "samples": SHOWN}) is True  # a retried step replaces, never doubles
    assert RunMetric.objects.get(run=run, step=1).values == {"loss": 0.7}
    first, second = RunSample.objects.filter(run=run, step=1).order_by("index")
    assert (first.prompt, first.response, first.score, first.truncated) == ("Say 1", SHOWN[0]["response"], 0.25, False)
    assert len(second.response) == 4000 and second.score is None and second.truncated is None  # checked on arrival


def test_a_nul_a_model_wrote_is_stored_visible(labelled_project, tiny_reward_model):
    """PostgreSQL cannot store NUL, and a tiny random model writes one now and then."""
    run, attempt = claimed(labelled_project, tiny_reward_model)
    nul = {"prompt": "Say\x00 3", "response": "a\x00b", "score": 1.0, "truncated": True}
    assert control_for(run, attempt)(2, 4, {"loss": 0.5, "samples": [nul]}) is True
    stored = RunSample.objects.get(run=run, step=2)
    assert (stored.prompt, stored.response) == ("Say\ufffd 3", "a\ufffdb")


def test_a_stopped_attempt_stores_no_samples(labelled_project, tiny_reward_model):
    run, attempt = claimed(labelled_project, tiny_reward_model)
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)  # reaped under it
    assert control_for(run, attempt)(1, 4, {"loss": 0.7, "samples": SHOWN}) is False
    assert not RunSample.objects.filter(run=run).exists()


def test_the_run_page_reads_the_newest_step_or_the_one_asked(api, admin_user, annotator, labelled_project, tiny_reward_model):
    run, attempt = claimed(labelled_project, tiny_reward_model)
    control = control_for(run, attempt)
    control(1, 4, {"loss": 0.7, "samples": SHOWN})
    control(2, 4, {"loss": 0.6})
    control(3, 4, {"loss": 0.5, "samples": SHOWN[:1]})
    url = f"/api/training-runs/{run.pk}/samples/"
    newest = api(admin_user).get(url).json()
    assert newest["steps"] == [1, 3] and newest["step"] == 3
    assert newest["samples"] == [{"step": 3, "index": 0, **SHOWN[0]}]
    asked = api(admin_user).get(url, {"step": 1}).json()
    assert asked["step"] == 1 and [s["prompt"] for s in asked["samples"]] == ["Say 1", "Say 2"]
    assert api(admin_user).get(url, {"step": 2}).json()["samples"] == []
    assert api(admin_user).get(url, {"step": "x"}).status_code == 400
    assert api(annotator).get(url).status_code == api(annotator).get(f"/api/training-runs/{run.pk}/").status_code == 403


def test_a_run_without_samples_says_so(api, admin_user, labelled_project, tiny_reward_model):
    run, _ = claimed(labelled_project, tiny_reward_model)
    body = api(admin_user).get(f"/api/training-runs/{run.pk}/samples/").json()
    assert body == {"steps": [], "step": None, "samples": []}
