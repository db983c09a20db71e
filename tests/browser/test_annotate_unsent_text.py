"""What an annotator typed and had not sent (a rationale, an ideal response) survives a reload of
the page, on its comparison only, and is gone once the comparison is submitted (a reload lost it)."""

import pytest
from playwright.sync_api import expect

from labeling.models import Demonstration, Judgment
from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDEAL = "An ideal answer, written over several minutes."


def test_typed_text_survives_a_reload_and_is_sent_once(page, annotator_user):
    project = ProjectFactory(collect_demonstrations=True)
    add_member(project, annotator_user)
    first = make_comparison(project, texts=["Paris.", "Lyon."], priority=2)
    second = make_comparison(project, texts=["Rome.", "Milan."], priority=1)
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    shown = page.get_by_test_id("comparison")
    expect(shown).to_have_attribute("data-comparison", str(first.pk))
    page.keyboard.press("r")
    page.keyboard.type("A is right; B names another city.")
    page.keyboard.press("Escape")
    page.keyboard.press("w")
    page.keyboard.type(IDEAL)
    page.keyboard.press("Escape")

    page.reload()
    expect(shown).to_have_attribute("data-comparison", str(first.pk))
    expect(page.get_by_test_id("rationale")).to_have_value("A is right; B names another city.")
    page.keyboard.press("a")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    expect(page.get_by_test_id("rationale")).to_have_value("")  # the other comparison's own (none)
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")

    page.reload()  # the first was submitted: nothing of it comes back on the second
    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    expect(page.get_by_test_id("rationale")).to_have_value("")
    assert Judgment.objects.get(comparison=first).rationale == "A is right; B names another city."
    assert Demonstration.objects.get().text == IDEAL
    assert page.evaluate("Object.keys(localStorage).filter(k => k.includes('unsent')).map(k => localStorage[k])") == ["{}"]
