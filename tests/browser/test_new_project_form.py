"""The new-project form in a real browser: a ranking project is created as chosen, with no strength
scale (it has no meaning there) and without fixing the number of responses by hand."""

import pytest
from playwright.sync_api import expect

from labeling.models import Project
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_to_ranking_needs_no_fixing_and_stores_no_scale(page):
    staff = UserFactory(username="ada-admin", is_staff=True)
    log_in(page, staff.username, next_path="/projects/new")
    page.get_by_test_id("project-name").fill("Rank four")
    kind, responses = page.get_by_label("Comparison kind"), page.get_by_label("Responses per comparison")
    scale = page.get_by_label("Strength scale")
    expect(scale).to_be_visible()
    kind.select_option("ranking")
    expect(responses).to_have_value("3")
    expect(scale).to_have_count(0)
    expect(page.get_by_test_id("project-create")).to_be_enabled()
    responses.fill("4")
    kind.select_option("pairwise")
    expect(scale).to_be_visible()  # as it was
    kind.select_option("ranking")
    expect(responses).to_have_value("4")  # as typed
    page.get_by_test_id("project-create").click()
    page.wait_for_url("**/dashboard/**")

    project = Project.objects.get(slug="rank-four")
    assert (project.task_type, project.responses_per_comparison, project.strength_scale) == ("ranking", 4, [])
