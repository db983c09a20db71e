"""Annotation recovers in a real browser: a reopened judgment corrected with the keys, the dock
after an undo, a lost connection, and a comparison judged in two tabs at once."""

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment
from tests.browser.conftest import expect_shown, log_in, press
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCALE = ["slightly better", "better", "much better"]


def stored(comparison) -> tuple:
    judgment = Judgment.objects.get(comparison=comparison)
    return judgment.winner, judgment.strength, judgment.criteria


def test_keys_after_undo_or_reopen_correct_the_overall_verdict(page, annotator_user):
    project = ProjectFactory(criteria=["helpful", "harmless"], strength_scale=SCALE)
    add_member(project, annotator_user)
    first, second, third = (make_comparison(project, priority=3 - n) for n in range(3))

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect_shown(page, first)
    press(page, "a", "2", "Enter")
    expect_shown(page, second)
    press(page, "u")
    expect_shown(page, first)
    # The reopened draft starts on Overall, as a fresh one: b, 3 correct the overall verdict.
    expect(page.locator(".dock-row.is-active")).to_have_attribute("data-criterion", "overall")
    press(page, "b", "3", "Enter")
    expect_shown(page, second)

    press(page, "a", "1", "Enter")
    expect_shown(page, third)
    press(page, "h")
    page.get_by_test_id(f"history-{second.pk}").get_by_role("button").click()
    expect_shown(page, second)
    press(page, "b", "2", "Enter")
    expect_shown(page, third)
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")

    # The criteria follow the corrected overall verdict, as on a fresh comparison.
    assert stored(first) == ("b", 3, {"helpful": {"winner": "b", "strength": 3}, "harmless": {"winner": "b", "strength": 3}})
    assert stored(second) == ("b", 2, {"helpful": {"winner": "b", "strength": 2}, "harmless": {"winner": "b", "strength": 2}})


def test_the_dock_says_what_undo_took_back(page, annotator_user):
    project = ProjectFactory(strength_scale=SCALE)
    add_member(project, annotator_user)
    first, second, third = (make_comparison(project, priority=3 - n) for n in range(3))

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect_shown(page, first)
    press(page, "a", "1", "Enter")
    expect_shown(page, second)
    expect(page.get_by_test_id("confirmation")).to_have_text(f"✓ #{first.pk} submitted")
    press(page, "s")
    expect_shown(page, third)
    expect(page.get_by_test_id("confirmation")).to_have_text(f"#{second.pk} skipped")

    press(page, "u")
    expect_shown(page, second)
    expect(page.get_by_test_id("confirmation")).to_have_text(f"↺ #{second.pk} reopened")
    expect(page.get_by_test_id("undo")).to_contain_text(f"Undo submit #{first.pk}")
    press(page, "u")
    expect_shown(page, first)
    expect(page.get_by_test_id("confirmation")).to_have_text(f"↺ #{first.pk} reopened")
    expect(page.get_by_test_id("undo")).to_have_count(0)
    press(page, "a", "1", "Enter")
    expect_shown(page, second)
    expect(page.get_by_test_id("undo")).to_contain_text(f"Undo submit #{first.pk}")


def test_a_lost_connection_is_said_and_the_next_comparison_comes_back_with_it(page, annotator_user, shoot):
    project = ProjectFactory(strength_scale=SCALE)
    add_member(project, annotator_user)
    comparisons = [make_comparison(project, priority=10 - n) for n in range(10)]

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect_shown(page, comparisons[0])
    expect(page.locator(".next-ready")).to_have_text("Next ready")
    page.context.set_offline(True)
    press(page, "a", "1", "Enter")
    expect_shown(page, comparisons[1])  # leased ahead before the connection went
    press(page, "b", "1", "Enter")
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_contain_text("Offline: waiting for the connection to load the next comparison")
    expect(waiting).to_contain_text("2 unsaved")
    shoot(page, "annotate-offline")

    page.context.set_offline(False)
    expect_shown(page, comparisons[2])
    expect(page.locator(".next-ready")).to_have_text("Next ready")
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    assert {j.comparison_id: j.winner for j in Judgment.objects.all()} == {comparisons[0].pk: "a", comparisons[1].pk: "b"}
    press(page, "a", "1", "Enter")
    expect_shown(page, comparisons[3])  # none was leased and left unseen
