"""The run page's Samples card: the newest logging step's sampled responses with their scores,
and any earlier step's from the step selector; no card for a run that sampled nothing."""

import pytest
from playwright.sync_api import expect

from labeling.models import Project
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member
from training.models import RunStatus, TrainingRun
from training.run_samples import run_samples_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_run_page_shows_the_newest_steps_samples_and_any_step_chosen(page, shoot):
    admin = UserFactory(username="ada-admin")
    project = Project.objects.create(slug="rl", name="RL")
    add_member(project, admin, role="admin")
    run = TrainingRun.objects.create(project=project, stage="ppo", base_model="tiny", status=RunStatus.SUCCEEDED,
                                     created_by=admin, progress_step=20, progress_total=20)
    quiet = TrainingRun.objects.create(project=project, stage="reward", base_model="tiny", status=RunStatus.SUCCEEDED,
                                       created_by=admin)
    run_samples_record(run_id=run.pk, step=10, samples=[
        {"prompt": "Say 1", "response": "an early answer", "score": 0.125, "truncated": False},
    ])
    run_samples_record(run_id=run.pk, step=20, samples=[
        {"prompt": "Say 2", "response": "a late answer", "score": 0.75, "truncated": True},
        {"prompt": "Say 3", "response": "another", "score": -0.5, "truncated": False},
    ])

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training/runs/{run.pk}")
    card = page.get_by_test_id("run-samples")
    expect(card.get_by_test_id("run-sample")).to_have_count(2)
    expect(card.get_by_test_id("sample-response").first).to_have_text("a late answer")
    expect(card.get_by_test_id("run-sample").first).to_contain_text("score 0.75")
    # as every number on the run pages reads (logic/format's figure): 0.75, not toPrecision's 0.750
    expect(card.get_by_test_id("run-sample").first.locator(".chip strong").first).to_have_text("0.75")
    expect(card.get_by_test_id("run-sample").first).to_contain_text("truncated")
    card.scroll_into_view_if_needed()
    shoot(page, "run-samples")

    card.get_by_test_id("samples-step").select_option("10")
    expect(card.get_by_test_id("run-sample")).to_have_count(1)
    expect(card.get_by_test_id("sample-prompt")).to_have_text("Say 1")
    expect(card.get_by_test_id("run-sample")).not_to_contain_text("truncated")

    page.goto(f"/projects/{project.pk}/dashboard/training/runs/{quiet.pk}")
    expect(page.get_by_test_id("run-detail")).to_be_visible()
    page.wait_for_timeout(500)
    assert page.get_by_test_id("run-samples").count() == 0
