"""A finished run's page: "Run again with these settings" opens the run form filled with the run's
stage, checkpoints, snapshot and settings, starts nothing until Start, and then starts a new run
with what was edited. The page reads each number as the run list does, and a flat curve's axis
gets distinct ticks. Screenshot: test-artifacts/screenshots/run-again-form.png."""

import re

import pytest
from playwright.sync_api import expect

from labeling.models import DatasetSnapshot, SnapshotStatus
from tests.browser.conftest import log_in
from tests.browser.test_run_guardrails import judged_project
from training.ml.config import config_from_dict
from training.models import ModelCheckpoint, RunMetric, RunStatus, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# GRPO's mean reward stuck at ln 2 up to float noise: its axis once looped forever, then read "0.69 0.69 0.69"
FLAT_REWARD = [0.6931471805599453, 0.6931471805599454, 0.6931471805599452, 0.6931471805599453]


def failed_grpo_run(status):
    admin, project = judged_project("again", 30)
    policy = ModelCheckpoint.objects.create(project=project, name="sft-policy", kind="policy", path="/models/sft")
    reward = ModelCheckpoint.objects.create(project=project, name="rm-1", kind="reward", path="/models/rm")
    snapshot = DatasetSnapshot.objects.create(
        project=project, format="trl", aggregation="majority", status=SnapshotStatus.READY, sha256="ab" * 32,
        row_counts={"train": 200, "validation": 20}, path="snapshots/1", options={"criteria": []},
    )
    config = config_from_dict("grpo", {"learning_rate": 5.9e-5, "num_generations": 8}).to_dict()
    run = TrainingRun.objects.create(
        project=project, stage="grpo", status=status, base_model="/models/sft", base_checkpoint=policy,
        reward_checkpoint=reward, snapshot=snapshot, config=config, error="CUDA out of memory",
        progress_step=4, progress_total=40,
    )
    RunMetric.objects.bulk_create(RunMetric(run=run, step=step, values={"reward": value})
                                  for step, value in enumerate(FLAT_REWARD, 1))
    return admin, project, run


@pytest.mark.parametrize("status", [RunStatus.FAILED, RunStatus.CANCELLED])
def test_run_again_opens_the_form_filled_and_starts_only_on_start(page, problems, shoot, status):
    admin, project, run = failed_grpo_run(status)
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training/runs/{run.pk}")
    expect(page.get_by_test_id("run-status")).to_have_text(status)
    # the card reads the learning rate as the run list does, not 0.0000590
    page.locator("details.config-details summary").click()
    expect(page.locator('[data-setting="learning_rate"] strong')).to_have_text("5.9e-5")
    ticks = page.get_by_test_id("chart-reward").locator('text.tick[text-anchor="end"]').all_text_contents()
    assert len(ticks) >= 2 and len(ticks) == len(set(ticks)), ticks

    page.get_by_test_id("run-again").click()
    page.wait_for_url(re.compile(rf"/projects/{project.pk}/dashboard/training\?rerun={run.pk}$"))
    expect(page.get_by_test_id("rerun-note")).to_contain_text(f"The settings of run #{run.pk} ({status})")
    expect(page.get_by_test_id("stage-grpo")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("run-base-checkpoint")).to_have_value(str(run.base_checkpoint_id))
    expect(page.get_by_test_id("run-reward-checkpoint")).to_have_value(str(run.reward_checkpoint_id))
    expect(page.get_by_test_id("run-snapshot")).to_have_value(str(run.snapshot_id))
    form = page.get_by_test_id("run-form")
    expect(form.locator("#cfg-learning_rate")).to_have_value("0.000059")
    expect(form.locator("#cfg-num_generations")).to_have_value("8")
    expect(page.get_by_test_id(f"run-{run.pk}").get_by_test_id("run-settings")).to_contain_text("lr 5.9e-5")
    shoot(page, "run-again-form")
    assert TrainingRun.objects.count() == 1  # nothing is created by opening the form

    form.locator("#cfg-num_generations").fill("4")
    page.get_by_test_id("run-start").click()
    page.wait_for_url(re.compile(r"/dashboard/training/runs/\d+$"))
    again = TrainingRun.objects.exclude(pk=run.pk).get()
    assert page.url.endswith(f"/runs/{again.pk}")
    assert (again.stage, again.base_checkpoint_id, again.reward_checkpoint_id, again.snapshot_id) == (
        "grpo", run.base_checkpoint_id, run.reward_checkpoint_id, run.snapshot_id)
    assert again.base_model == ""  # started from the checkpoint, as the first run was
    assert again.config == {**run.config, "num_generations": 4}
    assert again.status == RunStatus.QUEUED


def test_run_again_from_a_model_path_and_a_finished_run(page, problems):
    admin, project = judged_project("again-sft", 30)
    config = config_from_dict("sft", {"learning_rate": 2e-5, "max_steps": 12}).to_dict()
    run = TrainingRun.objects.create(project=project, stage="sft", status=RunStatus.SUCCEEDED, base_model="org/tiny-base",
                                     config=config, result={"metrics": {"loss": 0.5}})
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training/runs/{run.pk}")
    page.get_by_test_id("run-again").click()
    expect(page.get_by_test_id("stage-sft")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("run-base-model")).to_have_value("org/tiny-base")
    expect(page.locator("#cfg-max_steps")).to_have_value("12")
    assert TrainingRun.objects.count() == 1


def test_an_active_run_has_no_run_again(page, problems):
    admin, project = judged_project("again-live", 30)
    run = TrainingRun.objects.create(project=project, stage="sft", status=RunStatus.RUNNING, base_model="org/tiny-base",
                                     config=config_from_dict("sft", {}).to_dict())
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training/runs/{run.pk}")
    expect(page.get_by_test_id("run-cancel")).to_be_visible()
    expect(page.get_by_test_id("run-again")).to_have_count(0)


def test_a_bad_rerun_address_says_what_is_wrong(page, problems):
    admin, project = judged_project("again-bad", 30)
    training = f"/projects/{project.pk}/dashboard/training"
    log_in(page, admin.username, next_path=f"{training}?rerun=abc")
    expect(page.get_by_role("alert")).to_contain_text('"rerun=abc" in the address names no run')
    page.goto(f"{training}?rerun=99999")
    expect(page.get_by_role("alert")).to_contain_text("Could not load run #99999 to run it again")
    expect(page.get_by_test_id("run-form")).to_be_visible()  # the form still starts a run from scratch
    assert not TrainingRun.objects.exists()
