"""The annotation screen never drops keyboard focus on the page's body (screens/annotate/useKeptFocus):
a ranking chip moved with the arrow keys keeps it, the last submit lands on "All done" (whose Undo
takes it back), an Undo that leaves nothing more to undo hands it to the dock, and the rejected list
gives it back to its button on Esc. Where focus is on <body>, Tab starts again from the top of the
page and a screen reader has nothing to say."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labeling.models import Judgment
from tests.browser.conftest import log_in
from tests.browser.test_annotate_keyboard_focus import tab_to
from tests.factories import ProjectFactory, add_member, make_comparison
from tests.labeling.stats.judge_builders import rejected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The focused element: its test id, tag, text, and the chip or dialog it is in.
FOCUSED = """() => {
  const el = document.activeElement;
  return {
    id: el.dataset.testid ?? null, tag: el.tagName, text: el.textContent.trim().slice(0, 40),
    chip: el.closest('.rank-chip')?.dataset.letter ?? null, dock: !!el.closest('[data-testid=dock]'),
  };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def open_annotate(page, user, project) -> None:
    log_in(page, user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_be_visible()


def test_a_chip_moved_with_the_arrow_keys_keeps_focus(page, annotator_user):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3)
    add_member(project, annotator_user)
    make_comparison(project, models_=("m-1", "m-2", "m-3"))
    open_annotate(page, annotator_user, project)
    for _ in range(40):  # Tab to the first chip, as a keyboard user gets there
        page.keyboard.press("Tab")
        if focused(page)["chip"]:
            break
    assert focused(page)["chip"] == "a"
    page.keyboard.press("Enter")  # select it
    for key, rank in [("ArrowRight", "2nd"), ("ArrowRight", "3rd"), ("ArrowLeft", "2nd")]:
        page.keyboard.press(key)
        where = focused(page)
        assert where["chip"] == "a" and where["tag"] == "BUTTON", f"focus left the chip it moved: {where}"
        assert where["text"].startswith(rank)
    expect(page.get_by_test_id("rank-chip-a")).to_have_attribute("data-rank", "2")


def test_the_last_submit_lands_on_all_done_whose_undo_brings_it_back(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    comparison = make_comparison(project)
    open_annotate(page, annotator_user, project)
    page.keyboard.press("a")
    page.keyboard.press("2")
    tab_to(page, "submit")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    assert focused(page)["tag"] == "H2" and focused(page)["text"] == "All done here"
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")

    tab_to(page, "undo")  # the dock went with the comparison; its Undo is here now
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(comparison.pk))
    where = focused(page)
    assert where["dock"], f"focus after the undo: {where}"  # nothing more to undo: the dock holds it
    assert not Judgment.objects.filter(comparison=comparison).exists()


def test_u_on_all_done_takes_the_last_judgment_back(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    comparison = make_comparison(project)
    open_annotate(page, annotator_user, project)
    for key in ["b", "1", "Enter"]:
        page.keyboard.press(key)
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    page.keyboard.press("u")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(comparison.pk))
    assert not Judgment.objects.filter(comparison=comparison).exists()


def test_an_undo_with_nothing_left_to_undo_hands_focus_to_the_dock(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    first, _ = make_comparison(project, priority=2), make_comparison(project, priority=1)
    open_annotate(page, annotator_user, project)
    for key in ["b", "1", "Enter"]:
        page.keyboard.press(key)
    expect(page.get_by_test_id("comparison")).not_to_have_attribute("data-comparison", str(first.pk))
    tab_to(page, "undo")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(first.pk))
    expect(page.get_by_test_id("undo")).to_have_count(0)
    assert focused(page)["id"] == "dock"
    page.keyboard.press("Enter")  # the dock is no control: Enter still submits the verdict brought back
    expect(page.get_by_test_id("comparison")).not_to_have_attribute("data-comparison", str(first.pk))
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    assert Judgment.objects.get(comparison=first).winner == "b"


def test_the_rejected_list_gives_focus_back_to_its_button(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    judgment = rejected(make_comparison(project), annotator_user)
    Judgment.objects.filter(pk=judgment.pk).update(review_note="Wrong capital.", reviewed_at=timezone.now())
    make_comparison(project)
    open_annotate(page, annotator_user, project)
    tab_to(page, "rejected-notice")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("rejected-note")).to_have_text("Wrong capital.")
    page.keyboard.press("Tab")  # into the list: its Close button
    assert focused(page)["text"] == "Close"
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("rejected-list")).to_have_count(0)
    assert focused(page)["id"] == "rejected-notice"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Close
    expect(page.get_by_test_id("rejected-list")).to_have_count(0)
    assert focused(page)["id"] == "rejected-notice"
