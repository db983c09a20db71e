"""The run form and run page on too little data: the server's refusal names the minimum, the
admin may train anyway, and the run page shows why its result must be read with care."""

import re

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment, Project
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member, make_comparison, new_client_key
from training.models import TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def judged_project(slug: str, judgments: int):
    """An admin, and a project of theirs with this many judged comparisons (A wins each)."""
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = Project.objects.create(slug=slug, name=slug.capitalize())
    add_member(project, admin, role="admin")
    for _ in range(judgments):
        Judgment.objects.create(project=project, comparison=make_comparison(project), annotator=admin, winner="a",
                                client_key=new_client_key())
    return admin, project


def test_a_run_on_six_pairs_is_refused_then_forced_and_shown_with_its_warning(page):
    admin, _ = judged_project("tiny-data", 6)
    log_in(page, admin.username)
    page.get_by_test_id("dashboard-tiny-data").click()
    page.get_by_test_id("tab-training").click()
    page.get_by_test_id("stage-reward").click()
    page.get_by_test_id("run-base-model").fill("tiny/hub-model")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-form-error")).to_contain_text("6 decided pairs")
    expect(page.get_by_test_id("run-form-error")).to_contain_text("16 training + 2 validation")
    assert not TrainingRun.objects.exists()

    page.get_by_test_id("run-force").locator("input").check()
    page.get_by_test_id("run-start").click()
    page.wait_for_url(re.compile(r"/dashboard/training/runs/\d+$"))
    expect(page.get_by_test_id("run-warnings")).to_contain_text("forced to train on too little data")
    assert TrainingRun.objects.get().force is True
