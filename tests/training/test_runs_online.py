"""Online runs (PPO, GRPO) through the worker: their sampled responses reach the run page through
rank 0's progress lines, and a PPO run whose worker is killed after its second save resumes there
on the replacement, its curve continuing."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from tests.training.test_runs import create, train_now
from tests.workers import celery_worker, wait_for
from training import runner, services
from training.ml.resume import latest_step, saved_steps, state_dir
from training.models import ModelCheckpoint, RunMetric, RunSample, RunStatus, TrainingRun

ROLLOUTS = {"batch_size": 2, "mini_batch_size": 2, "ppo_epochs": 1, "max_new_tokens": 4, "max_length": 72,
            "max_prompt_length": 64}


def reward_checkpoint(project, path):
    return ModelCheckpoint.objects.create(project=project, name="r", kind="reward", path=path)


@pytest.mark.django_db
def test_a_grpo_runs_sampled_responses_are_stored_per_step(
    labelled_project, tiny_policy_model, tiny_reward_model, settings, tmp_path
):
    settings.ARTIFACT_DIR = tmp_path
    config = {**ROLLOUTS, "max_steps": 2, "num_generations": 2, "mini_batch_size": 4}
    run = create(labelled_project, stage="grpo", base_model=tiny_policy_model,
                 reward_checkpoint=reward_checkpoint(labelled_project, tiny_reward_model), config=config)
    train_now(run)
    shown = RunSample.objects.filter(run=run)
    assert sorted({s.step for s in shown}) == [1, 2] and shown.filter(step=1).count() == 2  # one per prompt
    assert all(s.prompt and s.score is not None and s.truncated is not None for s in shown)
    assert all("samples" not in m.values for m in RunMetric.objects.filter(run=run))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_ppo_run_whose_worker_is_killed_after_the_second_save_resumes_there(
    api, admin_user, labelled_project, tiny_policy_model, tiny_reward_model
):
    reward = reward_checkpoint(labelled_project, tiny_reward_model)
    body = {"project": labelled_project.pk, "stage": "ppo", "base_model": tiny_policy_model, "reward_checkpoint": reward.pk,
            "config": {**ROLLOUTS, "max_steps": 60, "save_steps": 5}}
    with celery_worker() as worker:
        response = api(admin_user).post("/api/training-runs/", body, format="json")
        assert response.status_code == 201, response.json()
        run_id = response.json()["id"]
        out = runner.output_dir(TrainingRun.objects.get(pk=run_id))
        wait_for(lambda: len(saved_steps(state_dir(out))) >= 2, timeout=180, what="the second save")
        worker.kill()
        worker.wait()
    saved = latest_step(out)
    before = {m.step: m.values for m in RunMetric.objects.filter(run_id=run_id, step__lte=saved)}
    assert saved < 60 and sorted(before) == list(range(1, len(before) + 1))

    with celery_worker():  # the replacement (started first: it purges the dead worker's message)
        assert wait_for(lambda: services.training_runs_reap(stale_after=timedelta(seconds=2)), timeout=15, what="reaper")
        wait_for(lambda: TrainingRun.objects.get(pk=run_id).status in ("succeeded", "failed"), timeout=240,
                 what="the resumed run")
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert (run.attempts, run.resumed_from_step) == (2, saved)
    curve = {m.step: m.values for m in run.metrics.all()}
    assert sorted(curve) == list(range(1, 61))
    assert {step: curve[step] for step in before} == before  # the steps before the save were not trained again
    checkpoint = Path(settings.ARTIFACT_DIR) / ModelCheckpoint.objects.get(run=run).path
    history = json.loads((checkpoint / "metrics.json").read_text())["history"]
    assert [h["step"] for h in history] == list(range(1, 61))
    assert (checkpoint / "value_head.safetensors").exists() and not state_dir(out).exists()
    assert RunSample.objects.filter(run=run, step=60).exists()  # the resumed attempt shows its samples too
