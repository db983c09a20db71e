"""Ranking K responses in a real browser: with keys, and by dragging."""

import pytest
from playwright.sync_api import expect

from labeling.models import Demonstration, Judgment
from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODELS = ("m-1", "m-2", "m-3", "m-4")
SUMMARIES = [
    "Revenue grew 4% while costs stayed flat.",
    "The report covers **Q3**: revenue +4%, costs flat, churn down.",
    "It is a report. It has numbers in it.",
    "Q3 revenue grew 4%; costs were flat; churn fell to 2.1%; the outlook is unchanged.",
]


def strip_order(page) -> list[str]:
    return page.locator(".dock-row[data-criterion=overall] .rank-chip").evaluate_all(
        "chips => chips.map(chip => chip.dataset.letter)"
    )


def drag_chip(page, letter: str, onto: str) -> None:
    """Drag chip ``letter`` with the mouse and drop it on the left half of chip ``onto``."""
    source = page.get_by_test_id(f"rank-chip-{letter}").bounding_box()
    target = page.get_by_test_id(f"rank-chip-{onto}").bounding_box()
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 10, target["y"] + target["height"] / 2, steps=12)
    page.mouse.up()


@pytest.fixture
def ranking_project(annotator_user):
    project = ProjectFactory(
        name="Rank summaries", task_type="ranking", responses_per_comparison=4, collect_demonstrations=True,
        guidelines="Rank the summaries **best first**: faithful, then complete, then concise.",
    )
    add_member(project, annotator_user)
    return project


def test_rank_four_responses_with_keys_then_by_drag(page, annotator_user, ranking_project, shoot):
    first = make_comparison(ranking_project, models_=MODELS, texts=SUMMARIES, priority=2)
    second = make_comparison(ranking_project, models_=MODELS, texts=[s + " (v2)" for s in SUMMARIES], priority=1)

    log_in(page, annotator_user.username, next_path=f"/projects/{ranking_project.pk}/annotate")
    shown = page.get_by_test_id("comparison")
    expect(shown).to_have_attribute("data-comparison", str(first.pk))
    assert strip_order(page) == ["a", "b", "c", "d"]

    page.keyboard.press("d")  # select D by letter
    page.keyboard.press("Home")  # to the top
    page.keyboard.press("3")  # select what is now 3rd (B)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("c")
    page.keyboard.press("End")
    assert strip_order(page) == ["d", "b", "a", "c"]
    expect(page.get_by_test_id("response-d").locator(".response-tag")).to_have_text("1st")
    page.keyboard.press("w")
    page.keyboard.type("Q3: revenue +4%, costs flat, churn 2.1%.")
    page.keyboard.press("Escape")
    shoot(page, "annotate-ranking")
    page.keyboard.press("Enter")

    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    page.keyboard.press("Enter")  # order untouched: asks first
    expect(page.get_by_test_id("problems")).to_contain_text("as presented")
    drag_chip(page, "c", onto="a")
    assert strip_order(page) == ["c", "a", "b", "d"]
    drag_chip(page, "a", onto="d")  # towards the end: lands before D
    assert strip_order(page) == ["c", "b", "a", "d"]
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")

    rankings = {j.comparison_id: j.ranking for j in Judgment.objects.filter(annotator=annotator_user)}
    assert rankings == {first.pk: ["d", "b", "a", "c"], second.pk: ["c", "b", "a", "d"]}
    demonstration = Demonstration.objects.get(annotator=annotator_user)
    assert (demonstration.prompt_id, demonstration.text) == (first.prompt_id, "Q3: revenue +4%, costs flat, churn 2.1%.")


def test_rank_three_with_mouse_clicks_and_arrow_keys(page, annotator_user):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, criteria=["faithful"])
    add_member(project, annotator_user)
    comparison = make_comparison(project, models_=MODELS[:3], texts=SUMMARIES[:3])

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(comparison.pk))
    page.get_by_test_id("response-b").locator(".response-choose").click()  # select B on its card
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("j")  # next section: the criterion
    page.keyboard.press("c")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")

    judgment = Judgment.objects.get(annotator=annotator_user)
    assert judgment.ranking == ["b", "a", "c"]
    assert judgment.criteria == {"faithful": {"ranking": ["c", "a", "b"]}}
