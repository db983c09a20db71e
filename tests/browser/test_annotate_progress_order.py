"""The progress counts in the top bar follow the newest answer: an older answer that arrives last
(asked before a judgment landed) no longer puts back a count one too high."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCALE = ["slightly better", "better", "much better"]


def test_an_older_progress_answer_arriving_last_is_dropped(page, annotator_user):
    project = ProjectFactory(strength_scale=SCALE)
    add_member(project, annotator_user)
    first, second, _ = (make_comparison(project, priority=3 - n) for n in range(3))
    progress_path = f"/api/projects/{project.pk}/progress/"
    held = []

    def answer_first_read_last(route):
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))  # the page's first read, as the server answers it now, is delivered last

    page.route(re.compile(re.escape(progress_path) + r"(\?.*)?$"), answer_first_read_last)
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    shown = page.get_by_test_id("comparison")
    expect(shown).to_have_attribute("data-comparison", str(first.pk))
    page.keyboard.press("a")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    remaining = page.context.request.get(progress_path).json()["remaining"]
    meter = page.get_by_test_id("progress")
    expect(meter).to_contain_text(f"{remaining} left")

    assert len(held) == 1
    route, answer = held[0]
    with page.expect_response(lambda response: progress_path in response.url):
        route.fulfill(response=answer)  # asked before the judgment: one more left then
    page.wait_for_timeout(200)
    expect(meter).to_contain_text(f"{remaining} left")
    expect(meter).to_contain_text("1 today")
