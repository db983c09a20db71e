"""Open guidelines leave the decision dock usable. On a phone they are a sheet that drops from the
top bar, no taller than about half the screen, scrolling inside itself (it rose from the bottom and
covered the dock: Submit, Skip and Flag could not be tapped until it was hidden); on a tablet they
sit beside the comparison (they were laid over the dock's right-hand side). Screenshots:
test-artifacts/screenshots/display-guidelines-sheet-<width>x<height>.png."""

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment
from tests.browser.conftest import log_in
from tests.browser.test_annotate_pairwise import wait_until_saved
from tests.browser.test_screens import GUIDELINES
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What is on top at the centre of each of the dock's buttons: the button (or something inside it).
ON_TOP = """(ids) => ids.map((id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  const r = el.getBoundingClientRect();
  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return el.contains(top);
})"""


@pytest.mark.parametrize("size", [(390, 844), (390, 640), (800, 1000)], ids=["phone", "short-phone", "tablet"])
def test_with_the_guidelines_open_on_a_phone_the_dock_still_submits(chromium, live_server, frontend_dist,
                                                                    annotator_user, shoot, size):
    # Long guidelines: the sheet has to scroll inside itself rather than grow over the dock.
    project = ProjectFactory(guidelines=GUIDELINES * 6, strength_scale=["better", "much better"])
    add_member(project, annotator_user)
    comparison = make_comparison(project, texts=["Paris.", "London."], priority=10)
    make_comparison(project)
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_be_visible()

    page.get_by_role("button", name="Guidelines").click()
    sheet = page.get_by_test_id("guidelines")
    expect(sheet).to_be_visible()
    shoot(page, f"display-guidelines-sheet-{size[0]}x{size[1]}")
    dock = page.get_by_test_id("dock").bounding_box()
    box = sheet.bounding_box()
    # above the dock (phones) or beside it (tablets), never over it
    assert box["y"] + box["height"] <= dock["y"] + 1 or dock["x"] + dock["width"] <= box["x"] + 1, (box, dock)
    assert max(box["x"] + box["width"], dock["x"] + dock["width"]) <= size[0] + 1
    assert sheet.evaluate("e => e.scrollHeight > e.clientHeight && getComputedStyle(e).overflowY") == "auto"
    assert page.evaluate(ON_TOP, ["submit", "skip", "flag"]) == [True, True, True]

    # Tapped, not pressed: the pointer reaches the dock's buttons with the sheet open.
    page.locator(".scale-letter.letter-a").click()
    page.locator(".scale-side.side-a .scale-cell", has_text="much better").click()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("confirmation")).to_be_visible()
    expect(sheet).to_be_visible()  # still open for the next comparison
    wait_until_saved(page)
    judgment = Judgment.objects.get(annotator=annotator_user)
    assert (judgment.comparison_id, judgment.winner, judgment.strength) == (comparison.pk, "a", 2)
    context.close()
