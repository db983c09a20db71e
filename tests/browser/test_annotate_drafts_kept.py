"""A draft not yet submitted (its verdict, strength, rationale and ideal response together) is kept:
across a reload of the page, and when an undo puts the comparison judged before in its place."""

import pytest
from playwright.sync_api import expect

from labeling.models import Demonstration, Judgment
from tests.browser.conftest import expect_shown, log_in, press
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCALE = ["slightly better", "better", "much better"]


def expect_verdict(page, letter: str, strength: int) -> None:
    expect(page.get_by_test_id(f"choose-0-{letter}")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id(f"scale-0-{letter}-{strength}")).to_have_attribute("aria-pressed", "true")


def test_undo_brings_back_the_comparison_it_displaced_as_it_was_left(page, annotator_user):
    project = ProjectFactory(strength_scale=SCALE, collect_demonstrations=True)
    add_member(project, annotator_user)
    first, second, third = (make_comparison(project, priority=3 - n) for n in range(3))

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect_shown(page, first)
    press(page, "a", "1", "Enter")
    expect_shown(page, second)
    press(page, "b", "2", "r")
    page.keyboard.type("Y rationale")
    press(page, "Escape", "w")
    page.keyboard.type("Y ideal")
    press(page, "Escape")

    press(page, "u")
    expect_shown(page, first)
    press(page, "Enter")  # resubmit the first as it was
    expect_shown(page, second)
    expect_verdict(page, "b", 2)
    expect(page.get_by_test_id("rationale")).to_have_value("Y rationale")
    expect(page.get_by_test_id("demonstration")).to_have_value("Y ideal")

    press(page, "Enter")
    expect_shown(page, third)
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    judgment = Judgment.objects.get(comparison=second)
    assert (judgment.winner, judgment.strength, judgment.rationale) == ("b", 2, "Y rationale")
    assert Demonstration.objects.get(prompt=second.prompt).text == "Y ideal"


def test_a_reload_keeps_the_verdict_with_the_rationale(page, annotator_user):
    project = ProjectFactory(strength_scale=SCALE)
    add_member(project, annotator_user)
    first, second = (make_comparison(project, priority=2 - n) for n in range(2))

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect_shown(page, first)
    press(page, "a", "2", "r")
    page.keyboard.type("A is right")
    press(page, "Escape")

    page.reload()
    expect_shown(page, first)
    expect(page.get_by_test_id("rationale")).to_have_value("A is right")
    expect_verdict(page, "a", 2)
    press(page, "Enter")
    expect_shown(page, second)
    expect(page.get_by_test_id("choose-0-a")).to_have_attribute("aria-pressed", "false")  # its own draft: none
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    judgment = Judgment.objects.get(comparison=first)
    assert (judgment.winner, judgment.strength, judgment.rationale) == ("a", 2, "A is right")
