"""The run form when the answer to "start" is lost: clicking again starts no second run."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_run_guardrails import judged_project
from training.models import TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_starting_again_after_a_lost_answer_opens_the_run_the_first_click_made(page):
    admin, _ = judged_project("lossy", 30)
    lost = []

    def lose_the_first_answer(route):
        if route.request.method != "POST" or lost:
            route.continue_()
            return
        route.fetch()  # the server creates the run ...
        lost.append(True)
        route.abort("connectionreset")  # ... and the browser never hears of it

    page.route("**/api/training-runs/", lose_the_first_answer)
    log_in(page, admin.username)
    page.get_by_test_id("dashboard-lossy").click()
    page.get_by_test_id("tab-training").click()
    page.get_by_test_id("stage-reward").click()
    page.get_by_test_id("run-base-model").fill("tiny/hub-model")
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-form-error")).to_contain_text("the run may have started. Start again")
    assert TrainingRun.objects.count() == 1

    page.get_by_test_id("run-start").click()
    page.wait_for_url(re.compile(r"/dashboard/training/runs/\d+$"))
    run = TrainingRun.objects.get()
    assert page.url.endswith(f"/runs/{run.pk}") and run.client_key
