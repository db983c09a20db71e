"""Comparisons judged offline stay judged when the tab is closed and the project opened again: the
judgments (and the ideal responses written with them) wait in the stored write queue, and the
reopened page must neither show those comparisons again nor bring back their typed text."""

import json

import pytest
from playwright.sync_api import expect

from labeling.models import Demonstration, Judgment
from tests.browser.conftest import expect_shown, log_in, press
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCALE = ["slightly better", "better", "much better"]
IDEALS = ["The ideal answer to the first.", "The ideal answer to the second."]


def unsent(page) -> list:
    return page.evaluate("Object.keys(localStorage).filter(k => k.includes('unsent')).map(k => localStorage[k])")


def test_comparisons_judged_offline_are_not_shown_again_after_the_tab_is_reopened(page, annotator_user, problems):
    project = ProjectFactory(strength_scale=SCALE, collect_demonstrations=True)
    add_member(project, annotator_user)
    comparisons = [make_comparison(project, priority=5 - n) for n in range(5)]
    annotate = f"/projects/{project.pk}/annotate"

    log_in(page, annotator_user.username, next_path=annotate)
    expect_shown(page, comparisons[0])
    expect(page.locator(".next-ready")).to_have_text("Next ready")
    context = page.context
    context.set_offline(True)
    for comparison, ideal in zip(comparisons[:2], IDEALS, strict=True):
        expect_shown(page, comparison)
        press(page, "a", "1", "w")
        page.keyboard.type(ideal)
        press(page, "Control+Enter")
    expect(page.get_by_test_id("waiting")).to_contain_text("4 unsaved")  # two judgments, two ideal responses
    page.close()

    context.set_offline(False)
    reopened = context.new_page()
    problems.watch(reopened)
    reopened.goto(annotate)
    # The stored queue sends both judgments while the page asks what to show: not the second again.
    expect_shown(reopened, comparisons[2])
    expect(reopened.get_by_test_id("demonstration")).to_have_value("")
    expect(reopened.get_by_test_id("save-status")).to_have_text("All saved")
    assert {j.comparison_id: j.winner for j in Judgment.objects.all()} == {comparisons[0].pk: "a", comparisons[1].pk: "a"}
    # One ideal response per prompt, none sent twice (a second would replace the first).
    assert sorted((d.prompt_id, d.text, d.replaced_by_id) for d in Demonstration.objects.all()) == [
        (comparisons[0].prompt_id, IDEALS[0], None), (comparisons[1].prompt_id, IDEALS[1], None),
    ]
    assert [json.loads(text) for text in unsent(reopened)] == [{}]

    press(reopened, "b", "2", "Enter")
    expect_shown(reopened, comparisons[3])
    expect(reopened.get_by_test_id("save-status")).to_have_text("All saved")
    assert not reopened.get_by_test_id("toast").filter(has_text="already judged").count()
    assert Judgment.objects.get(comparison=comparisons[2]).winner == "b"


def test_an_ideal_response_goes_only_with_a_judgment_the_server_stores(page, annotator_user, chromium, live_server):
    project = ProjectFactory(strength_scale=SCALE, collect_demonstrations=True)
    add_member(project, annotator_user)
    first, second = (make_comparison(project, priority=2 - n) for n in range(2))
    annotate = f"/projects/{project.pk}/annotate"

    log_in(page, annotator_user.username, next_path=annotate)
    expect_shown(page, first)
    elsewhere = chromium.new_context(base_url=live_server.url)  # another session: nothing shared with this one
    try:
        laptop = elsewhere.new_page()
        log_in(laptop, annotator_user.username, next_path=annotate)
        expect_shown(laptop, first)
        press(laptop, "a", "1", "w")
        laptop.keyboard.type(IDEALS[0])
        press(laptop, "Control+Enter")
        expect_shown(laptop, second)
        expect(laptop.get_by_test_id("save-status")).to_have_text("All saved")
    finally:
        elsewhere.close()

    press(page, "b", "2", "w")
    page.keyboard.type("Written here too, but judged there first.")
    press(page, "Control+Enter")
    expect(page.get_by_test_id("confirmation")).to_have_text(f"#{first.pk} already judged in another tab or session")
    expect(page.locator(".save-failed")).to_contain_text("1 not saved")  # the judgment; its ideal response is not sent
    page.wait_for_function(f"localStorage['preference-studio:writes:{annotator_user.username}'] === '[]'")
    assert [(d.text, d.replaced_by_id) for d in Demonstration.objects.all()] == [(IDEALS[0], None)]
