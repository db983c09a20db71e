"""The annotation screen judged by keyboard: Enter and Space on a focused button press it, ranking
letters never shadow the screen's keys (K = 8), the History and Help dialogs hold focus, the scale's
buttons have names a screen reader can tell apart, the lease notice, and the dock at 1366 and 390 px."""

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment, Lease, LeaseState
from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# Where focus is: the test id of the focused element or of the dialog around it, and its tag.
FOCUS = """() => {
  const el = document.activeElement;
  return {
    id: el?.dataset?.testid ?? null,
    tag: el?.tagName ?? null,
    dialog: el?.closest('[role=dialog]')?.dataset.testid ?? null,
  };
}"""


def focus(page) -> dict:
    return page.evaluate(FOCUS)


def tab_to(page, test_id: str, limit: int = 60) -> None:
    """Press Tab until the element with ``test_id`` has focus, as a keyboard user gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focus(page)["id"] == test_id:
            return
    raise AssertionError(f"Tab never reached {test_id}")


def open_project(page, user, project, viewport=LAPTOP):
    page.set_viewport_size(viewport)
    log_in(page, user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_be_visible()


# --- 1. Enter and Space on a focused button --------------------------------------------------------


def test_enter_on_a_button_reached_with_tab_presses_it_instead_of_submitting(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    first, second, third = (make_comparison(project, priority=p) for p in (3, 2, 1))
    open_project(page, annotator_user, project)
    shown = page.get_by_test_id("comparison")
    expect(shown).to_have_attribute("data-comparison", str(first.pk))

    # B, 3, then Tab to Skip and Enter: skips (it submitted the judgment before).
    page.keyboard.press("b")
    page.keyboard.press("3")
    tab_to(page, "skip")
    page.keyboard.press("Enter")
    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    assert not Judgment.objects.filter(comparison=first).exists()
    assert Lease.objects.get(comparison=first, annotator=annotator_user).state == LeaseState.SKIPPED

    # Tab to Flag and Enter: the flag menu, not a submit.
    page.keyboard.press("a")
    tab_to(page, "flag")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("flag-menu")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("flag-menu")).to_have_count(0)
    expect(shown).to_have_attribute("data-comparison", str(second.pk))

    # A scale button chosen with Space keeps Enter and Space; Ctrl+Enter submits from there.
    tab_to(page, "scale-0-a-2")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("scale-0-a-2")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    expect(shown).to_have_attribute("data-comparison", str(second.pk))
    assert not Judgment.objects.filter(comparison=second).exists()
    page.keyboard.press("Control+Enter")
    expect(shown).to_have_attribute("data-comparison", str(third.pk))

    # A button pressed with the mouse keeps no keys: Enter after a click submits, as before.
    page.get_by_test_id("scale-0-b-1").click()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    verdicts = {j.comparison_id: (j.winner, j.strength) for j in Judgment.objects.filter(annotator=annotator_user)}
    assert verdicts == {second.pk: ("a", 2), third.pk: ("b", 1)}


def test_enter_on_the_shortcuts_button_opens_help(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    comparison = make_comparison(project)
    open_project(page, annotator_user, project)
    page.keyboard.press("a")
    tab_to(page, "help-button")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("help")).to_be_visible()
    assert focus(page)["dialog"] == "help"
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("help")).to_have_count(0)
    assert focus(page)["id"] == "help-button"  # back where it was
    assert not Judgment.objects.filter(comparison=comparison).exists()


# --- 2. ranking with K = 8 ----------------------------------------------------------------------------

EIGHT = [f"Response {letter.upper()}: a summary with a few words in it." for letter in "abcdefgh"]


@pytest.fixture
def rank_eight(annotator_user):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=8, allow_ties=True)
    add_member(project, annotator_user)
    comparison = make_comparison(project, models_=[f"m-{i}" for i in range(8)], texts=EIGHT)
    return project, comparison


def strip_order(page) -> list[str]:
    return page.locator(".dock-row[data-criterion=overall] .rank-chip").evaluate_all(
        "chips => chips.map(chip => chip.dataset.letter)"
    )


def test_ranking_letters_never_shadow_the_screens_keys(page, annotator_user, rank_eight):
    project, comparison = rank_eight
    open_project(page, annotator_user, project)
    chip = page.locator(".rank-chip-button")

    page.keyboard.press("f")  # F is Flag, as in every project; not response F
    expect(page.get_by_test_id("flag-menu")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("rank-chip-f").locator(".rank-chip-button")).to_have_attribute("aria-pressed", "false")

    page.keyboard.press("Shift+F")  # Shift + letter selects it
    expect(page.get_by_test_id("rank-chip-f").locator(".rank-chip-button")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Home")
    page.keyboard.press("e")  # a letter that is no screen key selects alone
    page.keyboard.press("End")
    page.keyboard.press("Shift+H")
    page.keyboard.press("ArrowLeft")
    assert strip_order(page) == ["f", "a", "b", "c", "d", "h", "g", "e"]
    expect(chip).to_have_count(8)

    # Tab to a chip and Enter selects it (a chip's button presses like any other).
    tab_to(page, "rank-tie-c")
    page.keyboard.press("Shift+Tab")  # back to B's chip
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("rank-chip-b").locator(".rank-chip-button")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Home")
    assert strip_order(page)[0] == "b"

    # The hints say so: A–E alone, F–H with Shift, 1–8.
    hint = page.get_by_test_id("dock-hint")
    expect(hint).to_contain_text("A–E, ⇧F–⇧H or 1–8")
    page.keyboard.press("?")
    help_dialog = page.get_by_test_id("help")
    expect(help_dialog).to_contain_text("Select response F, G or H with Shift")
    letters = help_dialog.locator(".help-row", has_text="Select a response by letter").locator("kbd")
    expect(letters).to_have_text(["A", "B", "C", "D", "E"])
    page.keyboard.press("Escape")

    page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    assert Judgment.objects.get(comparison=comparison).ranking == ["b", "f", "a", "c", "d", "h", "g", "e"]


# Every chip: its letter badge inside its button, and no chip or "=" button over another.
CHIP_LAYOUT = """() => {
  const box = (el) => el.getBoundingClientRect();
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const chips = [...document.querySelectorAll('.dock-row[data-criterion=overall] .rank-chip')];
  const problems = [];
  const parts = [];
  for (const chip of chips) {
    const button = chip.querySelector('.rank-chip-button');
    const letter = chip.querySelector('.rank-chip-button .letter');
    if (!inside(box(letter), box(button))) problems.push(`letter ${chip.dataset.letter} cut at its chip's edge`);
    if (box(button).right > window.innerWidth) problems.push(`chip ${chip.dataset.letter} past the window`);
    parts.push([`chip ${chip.dataset.letter}`, box(button)]);
    const tie = chip.querySelector('.rank-tie');
    if (tie) parts.push([`= of ${chip.dataset.letter}`, box(tie)]);
  }
  for (let i = 0; i < parts.length; i++)
    for (let j = i + 1; j < parts.length; j++)
      if (overlap(parts[i][1], parts[j][1])) problems.push(`${parts[i][0]} over ${parts[j][0]}`);
  const colours = chips.map((chip) => getComputedStyle(chip.querySelector('.letter')).backgroundColor);
  return { problems, colours };
}"""


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_eight_chips_are_readable_on_a_laptop_and_a_phone(page, annotator_user, rank_eight, shoot, viewport):
    project, _ = rank_eight
    open_project(page, annotator_user, project, viewport)
    page.keyboard.press("Shift+H")
    page.wait_for_timeout(200)
    layout = page.evaluate(CHIP_LAYOUT)
    shoot(page, f"annotate-rank-eight-{viewport['width']}")
    assert layout["problems"] == []
    assert len(set(layout["colours"])) == 8, layout["colours"]  # G and H were A's blue
    if viewport == PHONE:
        # Two rows of four: dragging H (second row) before A (first row) puts it first.
        source = page.get_by_test_id("rank-chip-h").bounding_box()
        target = page.get_by_test_id("rank-chip-a").bounding_box()
        assert target["y"] + target["height"] <= source["y"]  # H is on a lower row
        page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
        page.mouse.down()
        page.mouse.move(target["x"] + 8, target["y"] + target["height"] / 2, steps=12)
        page.mouse.up()
        assert strip_order(page) == ["h", "a", "b", "c", "d", "e", "f", "g"]


# --- 3. the History and Help dialogs hold focus ----------------------------------------------------


def test_history_and_help_are_modal_dialogs(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    first, _ = make_comparison(project, priority=2), make_comparison(project, priority=1)
    open_project(page, annotator_user, project)
    page.keyboard.press("a")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("comparison")).not_to_have_attribute("data-comparison", str(first.pk))

    # Opened with H: focus moves in; Tab goes round Reopen and Close only, never the page behind.
    page.keyboard.press("h")
    expect(page.get_by_test_id("history")).to_be_visible()
    assert focus(page)["dialog"] == "history"
    seen = []
    for _ in range(5):
        page.keyboard.press("Tab")
        where = focus(page)
        assert where["dialog"] == "history", f"Tab left the dialog for {where}"
        seen.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert seen[0].startswith("Reopen") and seen[1].startswith("Close") and seen[2].startswith("Reopen")
    page.keyboard.press("Shift+Tab")
    assert focus(page)["dialog"] == "history"
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("history")).to_have_count(0)

    # Opened from its button: Esc brings focus back to it; Enter on Reopen (reached with Tab) reopens.
    tab_to(page, "history-button")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("history")).to_be_visible()
    page.keyboard.press("Escape")
    assert focus(page)["id"] == "history-button"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("history")).to_have_count(0)
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(first.pk))

    # Help, opened with ?: focus in, Tab stays in (its Close button), Esc closes.
    page.keyboard.press("?")
    expect(page.get_by_test_id("help")).to_be_visible()
    assert focus(page)["dialog"] == "help"
    for _ in range(3):
        page.keyboard.press("Tab")
        assert focus(page) == {"id": "help-close", "tag": "BUTTON", "dialog": "help"}
    page.keyboard.press("Enter")  # Close, pressed
    expect(page.get_by_test_id("help")).to_have_count(0)


def test_the_flag_menu_keeps_tab_inside_and_gives_focus_back(page, annotator_user):
    """It took focus but let Tab walk the page behind it, and left focus on nothing when it closed."""
    project = ProjectFactory()
    add_member(project, annotator_user)
    make_comparison(project)
    open_project(page, annotator_user, project)
    tab_to(page, "flag")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("flag-menu")).to_be_visible()
    for _ in range(8):
        page.keyboard.press("Tab")
        where = page.evaluate("!!document.activeElement.closest('[data-testid=flag-menu]')")
        assert where, "Tab left the flag menu"
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("flag-menu")).to_have_count(0)
    assert focus(page)["id"] == "flag"


# --- 4. names a screen reader can tell apart ---------------------------------------------------------


def test_the_scale_buttons_name_their_side(page, annotator_user):
    project = ProjectFactory(strength_scale=["slightly better", "better", "much better"])
    add_member(project, annotator_user)
    make_comparison(project)
    open_project(page, annotator_user, project)
    dock = page.get_by_test_id("dock")
    for name in ["A is better", "B is better", "A much better", "A slightly better", "B slightly better", "B much better", "tie"]:
        expect(dock.get_by_role("button", name=name, exact=True)).to_have_count(1)
    expect(dock.get_by_role("button", name="slightly better", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("scale-0-b-3")).to_have_accessible_name("B much better")


# --- 5. the lease notice ---------------------------------------------------------------------------------


def test_a_short_lease_warns_near_its_end_and_says_when_it_expired(page, annotator_user):
    project = ProjectFactory(lease_minutes=2)
    add_member(project, annotator_user)
    comparison = make_comparison(project)
    page.clock.install()
    open_project(page, annotator_user, project)
    notice = page.get_by_test_id("lease-notice")
    page.wait_for_timeout(200)
    expect(notice).to_have_count(0)  # a 2-minute hold is not "ending" from its first second
    expect(page.get_by_test_id("dock-hint")).to_be_visible()

    page.clock.fast_forward("01:40")
    expect(notice).to_have_attribute("data-kind", "ending")
    expect(notice).to_contain_text("ends in under a minute")

    page.clock.fast_forward("00:30")
    expect(notice).to_have_attribute("data-kind", "expired")
    expect(notice).to_contain_text("has expired")
    expect(notice).not_to_contain_text("0 min")

    # As it says: nobody took the seat, so a submit is still saved.
    page.keyboard.press("a")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")
    assert Judgment.objects.get(comparison=comparison).winner == "a"


# --- 6. the dock at 1366 px ----------------------------------------------------------------------------

# Labels cut (an ellipsis or a clamped line) and the hint's height in lines.
DOCK_TEXT = """() => {
  const cut = [...document.querySelectorAll('.dock .scale-label')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
    .map((el) => el.textContent);
  const hint = document.querySelector('[data-testid=dock-hint]');
  const lines = Math.round(hint.getBoundingClientRect().height / parseFloat(getComputedStyle(hint).lineHeight));
  return { cut, lines };
}"""


def test_the_dock_reads_whole_at_1366_with_the_guidelines_open(page, annotator_user, shoot):
    project = ProjectFactory(criteria=["helpful", "harmless"], strength_scale=["slightly better", "better", "much better"])
    add_member(project, annotator_user)
    make_comparison(project, priority=2)
    make_comparison(project, priority=1)
    open_project(page, annotator_user, project)
    expect(page.get_by_test_id("guidelines")).to_be_visible()
    page.keyboard.press("a")
    page.wait_for_timeout(200)
    shoot(page, "annotate-dock-criteria-1366")
    text = page.evaluate(DOCK_TEXT)
    assert text["cut"] == []
    assert text["lines"] == 1
    # After a submit, with the confirmation, History and Undo beside it (it took three lines then).
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("undo")).to_be_visible()
    page.keyboard.press("b")
    shoot(page, "annotate-dock-criteria-1366-after-submit")
    text = page.evaluate(DOCK_TEXT)
    assert text["cut"] == []
    assert text["lines"] == 1
