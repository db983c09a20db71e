"""Ranking with ties in a real browser (issue #19 item 6): "=" ranks a response equal to the one
above it, by key and by mouse; the stored judgment has the tie, and undo brings it back as it was."""

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment
from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODELS = ("m-1", "m-2", "m-3")
ANSWERS = ["Paris is the capital of France.", "The capital of France is Paris.", "Lyon, probably."]


def strip(page) -> list[tuple[str, str]]:
    """(letter, rank number) of each chip of the overall ranking, best first."""
    chips = page.locator(".dock-row[data-criterion=overall] .rank-chip").evaluate_all(
        "chips => chips.map(chip => [chip.dataset.letter, chip.dataset.rank])"
    )
    return [tuple(chip) for chip in chips]


def stored(user) -> dict[int, tuple[list[str], list[list[str]] | None]]:
    return {j.comparison_id: (j.ranking, j.ranking_ties) for j in Judgment.objects.filter(annotator=user)}


def test_two_of_three_tied_by_keyboard_then_by_mouse(page, annotator_user, shoot):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, allow_ties=True)
    add_member(project, annotator_user)
    first = make_comparison(project, models_=MODELS, texts=ANSWERS, priority=2)
    second = make_comparison(project, models_=MODELS, texts=[a + " (2)" for a in ANSWERS], priority=1)

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    shown = page.get_by_test_id("comparison")
    expect(shown).to_have_attribute("data-comparison", str(first.pk))
    page.keyboard.press("b")
    page.keyboard.press("ArrowUp")  # B first
    page.keyboard.press("a")
    page.keyboard.press("=")  # A equal to B
    assert strip(page) == [("b", "1"), ("a", "1"), ("c", "3")]
    expect(page.get_by_test_id("rank-tie-a")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("response-a").locator(".response-tag")).to_have_text("=1st")
    page.keyboard.press("?")
    expect(page.get_by_test_id("help")).to_contain_text("equal to the one above")
    page.keyboard.press("Escape")
    shoot(page, "annotate-ranking-ties")
    page.keyboard.press("Enter")

    # Undo brings the ranking back with its tie; submitted again as it was.
    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    page.keyboard.press("u")
    expect(shown).to_have_attribute("data-comparison", str(first.pk))
    expect(page.get_by_test_id("rank-tie-a")).to_have_attribute("aria-pressed", "true")
    assert strip(page) == [("b", "1"), ("a", "1"), ("c", "3")]
    page.keyboard.press("Enter")

    # By mouse: C equal to B (A stays first), then back and forth once.
    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    page.get_by_test_id("rank-tie-c").click()
    page.get_by_test_id("rank-tie-b").click()
    page.get_by_test_id("rank-tie-b").click()  # a second click takes the tie back
    assert strip(page) == [("a", "1"), ("b", "2"), ("c", "2")]
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")

    assert stored(annotator_user) == {
        first.pk: (["a", "b", "c"], [["a", "b"]]),  # a tied group is stored in letter order
        second.pk: (["a", "b", "c"], [["b", "c"]]),
    }


def test_no_ties_where_the_project_does_not_allow_them(page, annotator_user):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, allow_ties=False)
    add_member(project, annotator_user)
    comparison = make_comparison(project, models_=MODELS, texts=ANSWERS)

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(comparison.pk))
    expect(page.get_by_test_id("rank-chip-b")).to_be_visible()
    expect(page.locator(".rank-tie")).to_have_count(0)
    page.keyboard.press("b")
    page.keyboard.press("=")  # no such key here
    page.keyboard.press("ArrowUp")
    assert strip(page) == [("b", "1"), ("a", "2"), ("c", "3")]
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    assert stored(annotator_user) == {comparison.pk: (["b", "a", "c"], None)}


def test_each_criterion_takes_its_own_ties_by_key_and_by_mouse(page, annotator_user):
    """Overall a > b = c by mouse; helpful (reached with j) b = a > c by keyboard. Each criterion's
    strip shows and stores its own ties, and the review of them reads back as given."""
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, allow_ties=True, criteria=["helpful"])
    add_member(project, annotator_user)
    comparison = make_comparison(project, models_=MODELS, texts=ANSWERS)

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(comparison.pk))
    overall, helpful = (page.locator(f".dock-row[data-criterion={name}]") for name in ("overall", "helpful"))
    overall.get_by_test_id("rank-tie-c").click()
    page.keyboard.press("j")  # to the helpful row
    page.keyboard.press("b")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("a")
    page.keyboard.press("=")

    def ranks(row):
        return [tuple(c) for c in row.locator(".rank-chip").evaluate_all("cs => cs.map(c => [c.dataset.letter, c.dataset.rank])")]

    assert ranks(overall) == [("a", "1"), ("b", "2"), ("c", "2")]
    assert ranks(helpful) == [("b", "1"), ("a", "1"), ("c", "3")]
    expect(helpful.get_by_test_id("rank-tie-a")).to_have_attribute("aria-pressed", "true")
    expect(overall.get_by_test_id("rank-tie-a")).to_have_count(0)  # the best of its strip: nothing above
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")

    judgment = Judgment.objects.get(annotator=annotator_user)
    assert (judgment.ranking, judgment.ranking_ties) == (["a", "b", "c"], [["b", "c"]])
    assert judgment.criteria == {"helpful": {"ranking": ["a", "b", "c"], "ranking_ties": [["a", "b"]]}}
