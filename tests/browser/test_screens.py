"""Screenshots of every screen (test-artifacts/screenshots/), in light and dark, wide and narrow."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in
from tests.browser.test_annotate_pairwise import CODE_ANSWER, LOOP_ANSWER
from tests.factories import ProjectFactory, add_member, make_comparison, make_prompt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIDELINES = """## What makes a response better

1. **Correct** first: wrong facts or broken code lose, however polished.
2. **Helpful**: answers the question that was asked, at the right length.
3. **Harmless**: refuses clearly unsafe requests, without lecturing.

Use *tie* only when you genuinely cannot choose. Flag (**F**) broken or unsafe prompts.

> Length is not quality: a short, correct answer beats a long, padded one.
"""


def test_screens_light_dark_and_narrow(chromium, live_server, frontend_dist, annotator_user, shoot):
    project = ProjectFactory(name="Helpful chat v3", guidelines=GUIDELINES, criteria=["helpful", "harmless"])
    add_member(project, annotator_user)
    prompt = make_prompt(project, "How do I find the 3 most common words in a string in Python?")
    prompt.messages = [
        {"role": "system", "content": "You are a concise, careful programming assistant."},
        {"role": "user", "content": "I'm cleaning up some log-analysis scripts."},
        {"role": "assistant", "content": "Happy to help. What do you need?"},
        {"role": "user", "content": "How do I find the 3 most common words in a string in Python?"},
    ]
    prompt.save()
    make_comparison(project, texts=[CODE_ANSWER, LOOP_ANSWER], prompt=prompt)
    annotate = f"/projects/{project.pk}/annotate"

    for scheme, size in [("light", (1440, 900)), ("dark", (1440, 900)), ("light", (420, 860))]:
        context = chromium.new_context(
            viewport={"width": size[0], "height": size[1]}, color_scheme=scheme, base_url=live_server.url
        )
        page = context.new_page()
        suffix = f"{scheme}-{size[0]}"
        if scheme == "light" and size[0] == 1440:
            page.goto("/login/")
            page.locator("#id_username").fill(annotator_user.username)
            page.locator("#id_password").fill(PASSWORD)
            shoot(page, "login")
        log_in(page, annotator_user.username, next_path=annotate)
        expect(page.get_by_test_id("comparison")).to_be_visible()
        for key in ["a", "2", "b"]:
            page.keyboard.press(key)
        page.wait_for_timeout(250)  # let the selection transitions settle
        shoot(page, f"annotate-{suffix}")
        if size[0] == 1440:
            page.keyboard.press("?")
            expect(page.get_by_test_id("help")).to_be_visible()
            shoot(page, f"annotate-help-{scheme}")
        context.close()


OFF_SCREEN = """() => {
  // Elements reaching past the viewport's sides, outside any box that scrolls or clips them.
  const width = window.innerWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.right > width + 1 || r.left < -1); })
    .filter((el) => !clipped(el))
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}`)
    .slice(0, 10);
}"""


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"] <= size["width"]


@pytest.mark.parametrize("size", [(390, 844), (1440, 900)], ids=["phone", "desktop"])
def test_the_annotation_screen_fits_a_phone_and_a_desktop(chromium, live_server, frontend_dist, annotator_user, shoot, size):
    project = ProjectFactory(
        name="Helpful chat v3", guidelines=GUIDELINES, criteria=["helpful", "harmless", "honest"],
        strength_scale=["slightly better", "better", "much better"],
    )
    add_member(project, annotator_user)
    make_comparison(project, texts=[CODE_ANSWER, LOOP_ANSWER], prompt=make_prompt(project, "How do I find the 3 most common words?"))
    make_comparison(project, priority=-1)
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, base_url=live_server.url)
    page = context.new_page()
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_be_visible()
    page.keyboard.press("a")
    page.wait_for_timeout(300)  # let the entry animation settle
    shoot(page, f"annotate-{size[0]}x{size[1]}")

    # the verdicts, the chosen side's strengths (A was chosen) and Submit
    for test_id in ["choose-0-a", "choose-0-tie", "choose-0-b", "scale-0-a-1", "scale-0-a-3", "submit"]:
        assert in_view(page, page.get_by_test_id(test_id)), f"{test_id} is not in view without scrolling"
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.evaluate(OFF_SCREEN) == []
    assert in_view(page, page.get_by_role("button", name="Log out"))
    page.keyboard.press("3")
    page.keyboard.press("Enter")  # the dock after a submit: confirmation, History, Undo, item number
    expect(page.get_by_test_id("confirmation")).to_be_visible()
    shoot(page, f"annotate-{size[0]}x{size[1]}-submitted")
    assert page.evaluate(OFF_SCREEN) == []
    assert in_view(page, page.get_by_test_id("submit"))
    if size[0] < 720:  # guidelines start closed on a phone, and drop down from the top bar, above the dock
        expect(page.get_by_test_id("guidelines")).to_have_count(0)
        page.get_by_role("button", name="Guidelines").click()
        sheet = page.get_by_test_id("guidelines").bounding_box()
        dock = page.get_by_test_id("dock").bounding_box()
        assert (sheet["x"], sheet["width"], sheet["y"]) == (0, size[0], 48)
        assert sheet["y"] + sheet["height"] <= dock["y"]  # Submit, Skip and Flag stay uncovered
        shoot(page, f"annotate-{size[0]}x{size[1]}-guidelines")
    context.close()


def test_ranking_fits_a_phone(chromium, live_server, frontend_dist, annotator_user, shoot):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=4, criteria=["faithful"])
    add_member(project, annotator_user)
    make_comparison(project, models_=("m-1", "m-2", "m-3", "m-4"), texts=["One.", "Two.", "Three.", "Four."])
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_be_visible()
    page.wait_for_timeout(300)
    shoot(page, "annotate-ranking-390x844")
    assert in_view(page, page.get_by_test_id("submit"))
    assert in_view(page, page.get_by_test_id("rank-chip-d").last)
    assert page.evaluate(OFF_SCREEN) == []
    context.close()


def test_the_annotation_screen_keeps_its_test_hook(page, annotator_user):
    """Issue #19: tests written against the annotation screen find the comparison shown by its hook,
    the comparison's id in data-comparison, before and after a submit."""
    project = ProjectFactory(strength_scale=[])
    add_member(project, annotator_user)
    first, second = make_comparison(project, priority=1), make_comparison(project)
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    hook = page.get_by_test_id("task")
    expect(hook).to_be_visible()
    expect(hook).to_have_attribute("data-comparison", str(first.pk))
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    expect(hook).to_have_attribute("data-comparison", str(second.pk))
    expect(hook.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(second.pk))
