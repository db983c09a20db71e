"""Someone sent a link to a project they are not a member of: the annotation screen says so and
offers the way back (it said "project not found" and offered only to try again)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_outsider_is_told_they_are_not_an_annotator_of_the_project(page, annotator_user):
    project = ProjectFactory()
    make_comparison(project)
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    error = page.get_by_test_id("load-error")
    expect(error).to_contain_text("this project does not exist, or you are not one of its annotators")
    error.get_by_role("link", name="Back to projects").click()
    page.wait_for_url("**/")
    expect(page.get_by_test_id("comparison")).to_have_count(0)
