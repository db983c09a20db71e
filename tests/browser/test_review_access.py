"""An annotator who opens the review screen is told at once that reviewing is for reviewers and
admins, without the filters of a queue they cannot see (they were shown, beside the refusal)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("member", [True, False], ids=["annotator", "outsider"])
def test_the_review_screen_refuses_plainly(page, annotator_user, member):
    project = ProjectFactory()
    make_comparison(project)
    if member:
        add_member(project, annotator_user)
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/review")
    refused = page.get_by_test_id("review-refused")
    expect(refused).to_contain_text("you annotate here" if member else "not one of its members")
    expect(page.get_by_test_id("review-screen").locator("select, input")).to_have_count(0)
