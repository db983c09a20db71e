"""The judge stage's revise mode on the dashboard: the run form offers it beside the judge's base
and lists only causal LMs for it; a revising run's page links the snapshots it wrote."""

import re

import pytest
from playwright.sync_api import expect

from labeling.models import Project
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member, make_comparison
from training.models import ModelCheckpoint, RunStatus, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_run_form_starts_a_revising_judge_from_a_causal_lm(page):
    admin = UserFactory(username="ada-admin")
    project = Project.objects.create(slug="cai", name="CAI", guidelines="Be kind.")
    add_member(project, admin, role="admin")
    make_comparison(project)
    lm = ModelCheckpoint.objects.create(project=project, name="tiny-lm", kind="policy", path="/nowhere/lm")
    rm = ModelCheckpoint.objects.create(project=project, name="tiny-rm", kind="reward", path="/nowhere/rm")

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training")
    page.get_by_test_id("stage-judge").click()
    base = page.get_by_test_id("run-base-checkpoint")
    expect(base).to_have_value(str(rm.pk))  # the newest checkpoint a judge takes
    expect(page.get_by_test_id("run-judge-mode-judge")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("run-judge-mode-revise").click()
    expect(base).to_have_value(str(lm.pk))  # revising writes with a causal LM
    expect(base.locator("option", has_text="tiny-rm")).to_have_count(0)
    expect(page.get_by_test_id("run-judge-mode")).to_contain_text("(revision, original) pairs")
    expect(page.locator("#cfg-mode")).to_have_count(0)  # not repeated among the settings
    page.get_by_test_id("run-start").click()
    page.wait_for_url(re.compile(r"/dashboard/training/runs/\d+$"))
    run = TrainingRun.objects.get(project=project, stage="judge")
    assert (run.base_checkpoint_id, run.config["mode"]) == (lm.pk, "revise")


def test_a_revising_runs_page_links_the_snapshots_it_wrote(page):
    admin = UserFactory(username="ada-admin")
    project = Project.objects.create(slug="cai", name="CAI")
    add_member(project, admin, role="admin")
    result = {"mode": "revise", "comparisons": 8, "responses": 16, "revised": 14, "empty": 1, "identical": 1,
              "snapshot": 41, "pairs_snapshot": 42, "demonstrations": 14, "pairs": 14, "metrics": {"revised": 14}}
    run = TrainingRun.objects.create(project=project, stage="judge", base_model="", status=RunStatus.SUCCEEDED,
                                     created_by=admin, config={"mode": "revise"}, result=result)

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training/runs/{run.pk}")
    card = page.get_by_test_id("run-result")
    expect(card).to_contain_text("revised 14")
    expect(card).to_contain_text("identical 1")
    sft = card.get_by_test_id("run-written-snapshot")
    expect(sft).to_have_text("wrote snapshot #41")
    expect(card.get_by_test_id("run-written-pairs_snapshot")).to_have_text("wrote pairs snapshot #42")
    sft.click()
    page.wait_for_url(re.compile(rf"/projects/{project.pk}/dashboard/data/snapshots$"))
    expect(page.get_by_test_id("snapshot-panel")).to_be_visible()
