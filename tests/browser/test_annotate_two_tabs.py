"""Two tabs of one annotator on one project are given the same comparisons (leases are the user's):
they tell each other what they show and what they judged, so a tab moves past a comparison the
other judged instead of having its own judgment refused, and says when both show the same one."""

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment
from tests.browser.conftest import expect_shown, log_in, press
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCALE = ["slightly better", "better", "much better"]


def test_a_tab_moves_past_what_the_other_judged(page, annotator_user, problems):
    project = ProjectFactory(strength_scale=SCALE)
    add_member(project, annotator_user)
    comparisons = [make_comparison(project, priority=5 - n) for n in range(5)]
    annotate = f"/projects/{project.pk}/annotate"

    log_in(page, annotator_user.username, next_path=annotate)
    expect_shown(page, comparisons[0])
    other = page.context.new_page()
    problems.watch(other)
    other.goto(annotate)
    expect_shown(other, comparisons[0])
    for tab in (page, other):
        expect(tab.get_by_test_id("open-elsewhere")).to_contain_text("open in another tab too")

    press(page, "a", "1", "Enter")
    expect_shown(page, comparisons[1])
    expect_shown(other, comparisons[1])  # moved on by itself, before any work on the judged one
    expect(other.get_by_test_id("toast")).to_contain_text(f"#{comparisons[0].pk} was judged or skipped in another tab")

    press(other, "b", "2", "Enter")  # the annotator goes on in the other tab
    expect_shown(other, comparisons[2])
    expect_shown(page, comparisons[2])
    press(page, "a", "3", "Enter")
    expect_shown(page, comparisons[3])
    expect_shown(other, comparisons[3])
    for tab in (page, other):
        expect(tab.get_by_test_id("save-status")).to_have_text("All saved")
        expect(tab.get_by_test_id("confirmation")).not_to_contain_text("already judged")
    assert {j.comparison_id: (j.winner, j.strength) for j in Judgment.objects.all()} == {
        comparisons[0].pk: ("a", 1), comparisons[1].pk: ("b", 2), comparisons[2].pk: ("a", 3),
    }

    other.close()
    expect(page.get_by_test_id("open-elsewhere")).to_have_count(0)


def test_a_comparison_judged_in_another_session_is_not_reported_submitted(page, annotator_user, chromium, live_server):
    # test_annotate_recovery's two-tab case, where it still happens: tabs of one browser now move
    # past what the other judged, but another browser (another session) cannot tell this one.
    project = ProjectFactory(strength_scale=SCALE)
    add_member(project, annotator_user)
    first, second = (make_comparison(project, priority=2 - n) for n in range(2))
    annotate = f"/projects/{project.pk}/annotate"

    log_in(page, annotator_user.username, next_path=annotate)
    elsewhere = chromium.new_context(base_url=live_server.url)
    try:
        other = elsewhere.new_page()
        log_in(other, annotator_user.username, next_path=annotate)
        expect_shown(page, first)
        expect_shown(other, first)
        expect(other.get_by_test_id("open-elsewhere")).to_have_count(0)  # nothing tells it
        press(page, "a", "1", "Enter")
        expect_shown(page, second)
        expect(page.get_by_test_id("save-status")).to_have_text("All saved")

        press(other, "b", "2", "Enter")
        expect_shown(other, second)  # it is judged: moving on is right
        expect(other.get_by_test_id("confirmation")).to_have_text(f"#{first.pk} already judged in another tab or session")
        expect(other.get_by_test_id("toast")).to_contain_text("already judged in another tab or session")
        expect(other.get_by_test_id("history-button")).to_have_count(0)  # nothing of its own to undo
    finally:
        elsewhere.close()
    judgment = Judgment.objects.get()
    assert (judgment.comparison_id, judgment.winner, judgment.strength) == (first.pk, "a", 1)
