"""Pairwise annotation in a real browser, with the keyboard only: judge, undo, skip, criteria."""

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment, Lease, LeaseState
from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member, make_comparison, make_prompt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE_ANSWER = """Use `collections.Counter`:

```python
from collections import Counter

def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    return Counter(text.lower().split()).most_common(n)
```

`most_common` already sorts by count.
"""
LOOP_ANSWER = """Count with a dictionary, then sort:

```python
def top_words(text, n=3):
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda kv: kv[1], reverse=True)[:n]
```

- case-sensitive: normalise first
- O(m log m) for the sort
"""


def shown_comparison(page) -> int:
    shown = page.get_by_test_id("comparison")
    expect(shown).to_be_visible()
    return int(shown.get_attribute("data-comparison"))


def wait_for_next(page, previous: int) -> int:
    expect(page.get_by_test_id("comparison")).not_to_have_attribute("data-comparison", str(previous))
    return shown_comparison(page)


def wait_until_saved(page) -> None:
    expect(page.get_by_test_id("save-status")).to_have_text("All saved")


def test_judge_several_comparisons_with_the_keyboard_only(page, annotator_user, shoot):
    project = ProjectFactory(name="Helpful chat", guidelines="## Rules\n\nPrefer **correct** answers.")
    add_member(project, annotator_user)
    prompt = make_prompt(project, "How do I find the 3 most common words in a string in Python?")
    first = make_comparison(project, texts=[CODE_ANSWER, LOOP_ANSWER], prompt=prompt, priority=10)
    others = [make_comparison(project) for _ in range(3)]
    ids = {first.pk, *(c.pk for c in others)}

    log_in(page, annotator_user.username)
    expect(page.get_by_test_id(f"project-{project.slug}")).to_be_visible()
    shoot(page, "projects")
    page.keyboard.press("1")  # open the first project
    page.wait_for_url(f"**/projects/{project.pk}/annotate")

    verdicts = {}
    current = shown_comparison(page)
    assert current == first.pk  # highest priority first
    expect(page.locator(".next-ready.is-ready")).to_be_visible()  # the next one is leased ahead
    page.keyboard.press("a")
    page.keyboard.press("2")
    shoot(page, "annotate-pairwise")
    page.keyboard.press("Enter")
    verdicts[current] = ("a", 2)

    # Undo brings the same comparison back with the choice as it was; change it and resubmit.
    current = wait_for_next(page, current)
    page.keyboard.press("u")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(first.pk))
    expect(page.get_by_test_id("scale-0-a-2")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("b")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    verdicts[first.pk] = ("b", 1)

    current = wait_for_next(page, first.pk)
    page.keyboard.press("t")
    page.keyboard.press("Enter")
    verdicts[current] = ("tie", None)

    current = wait_for_next(page, current)
    page.keyboard.press("Enter")  # nothing chosen yet: refused, with the reason shown
    expect(page.get_by_test_id("problems")).to_contain_text("choose a response")
    page.keyboard.press("b")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    verdicts[current] = ("b", 3)

    skipped = wait_for_next(page, current)
    page.keyboard.press("s")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    wait_until_saved(page)
    shoot(page, "annotate-all-done")

    judgments = Judgment.objects.filter(annotator=annotator_user)
    assert {j.comparison_id: (j.winner, j.strength) for j in judgments} == verdicts
    assert set(verdicts) | {skipped} == ids
    assert all(j.time_spent_ms > 0 and j.client_key for j in judgments)
    assert Lease.objects.get(comparison_id=skipped, annotator=annotator_user).state == LeaseState.SKIPPED
    progress = page.get_by_test_id("progress")
    expect(progress).to_contain_text("3 today")
    expect(progress).to_contain_text("0 left")


def test_criteria_and_rationale_with_the_keyboard(page, annotator_user, shoot):
    project = ProjectFactory(criteria=["helpful", "harmless"], strength_scale=["better", "much better"])
    add_member(project, annotator_user)
    comparison = make_comparison(project, texts=["Short and right.", "Long and wrong, with **bold** claims."])

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    assert shown_comparison(page) == comparison.pk
    for key in ["a", "2", "a", "1", "t"]:  # overall, then helpful and harmless in turn
        page.keyboard.press(key)
    page.keyboard.press("r")
    page.keyboard.type("B invents a citation.")
    page.keyboard.press("Escape")
    shoot(page, "annotate-criteria")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    wait_until_saved(page)

    judgment = Judgment.objects.get(annotator=annotator_user, comparison=comparison)
    assert (judgment.winner, judgment.strength) == ("a", 2)
    assert judgment.criteria == {
        "helpful": {"winner": "a", "strength": 1},
        "harmless": {"winner": "tie", "strength": None},
    }
    assert judgment.rationale == "B invents a citation."


def test_flag_and_skip_from_the_flag_menu(page, annotator_user, shoot):
    from labeling.models import Flag

    project = ProjectFactory()
    add_member(project, annotator_user)
    comparison = make_comparison(project)

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    assert shown_comparison(page) == comparison.pk
    page.keyboard.press("f")
    expect(page.get_by_test_id("flag-menu")).to_be_visible()
    page.keyboard.press("3")  # broken prompt
    page.keyboard.press("Tab")
    shoot(page, "annotate-flag-menu")
    page.locator(".flag-note").fill("The question is cut off.")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    wait_until_saved(page)

    flag = Flag.objects.get(comparison=comparison, annotator=annotator_user)
    assert (flag.reason, flag.note) == ("broken_prompt", "The question is cut off.")
    assert Lease.objects.get(comparison=comparison, annotator=annotator_user).state == LeaseState.SKIPPED


def test_a_submit_whose_answer_is_lost_is_retried_and_stored_once(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    comparison = make_comparison(project)
    lost = []

    def lose_the_first_answer(route):
        # The server stores the judgment, but the browser never hears back.
        if not lost:
            lost.append(route.request.post_data_json["client_key"])
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/judgments/", lose_the_first_answer)
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    assert shown_comparison(page) == comparison.pk
    page.keyboard.press("b")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()
    wait_until_saved(page)

    judgment = Judgment.objects.get(annotator=annotator_user)
    assert judgment.client_key == lost[0]
    assert (judgment.comparison_id, judgment.winner, judgment.strength) == (comparison.pk, "b", 1)


def test_criteria_follow_the_overall_verdict_in_two_keys(page, annotator_user):
    """Verdict then Enter judges every criterion; with a scale, verdict, strength, Enter."""
    plain = ProjectFactory(criteria=["helpful", "harmless", "honest"], strength_scale=[])
    scaled = ProjectFactory(criteria=["helpful", "harmless", "honest"], strength_scale=["slightly", "clearly", "much"])
    for project in (plain, scaled):
        add_member(project, annotator_user)
    first, second = make_comparison(plain), make_comparison(scaled)

    log_in(page, annotator_user.username, next_path=f"/projects/{plain.pk}/annotate")
    assert shown_comparison(page) == first.pk
    page.keyboard.press("a")
    expect(page.get_by_test_id("follows-overall").first).to_contain_text("as overall: A")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("all-done")).to_be_visible()

    page.goto(f"/projects/{scaled.pk}/annotate")
    assert shown_comparison(page) == second.pk
    for key in ["b", "3", "Enter"]:
        page.keyboard.press(key)
    expect(page.get_by_test_id("all-done")).to_be_visible()
    wait_until_saved(page)

    everywhere = {name: {"winner": "a", "strength": None} for name in plain.criteria}
    judgment = Judgment.objects.get(comparison=first)
    assert (judgment.winner, judgment.strength, judgment.criteria) == ("a", None, everywhere)
    judgment = Judgment.objects.get(comparison=second)
    everywhere = {name: {"winner": "b", "strength": 3} for name in scaled.criteria}
    assert (judgment.winner, judgment.strength, judgment.criteria) == ("b", 3, everywhere)


def test_skip_and_flag_are_undone_with_u(page, annotator_user):
    from labeling.models import Flag

    project = ProjectFactory()
    add_member(project, annotator_user)
    first = make_comparison(project, priority=2)
    second = make_comparison(project, priority=1)

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    assert shown_comparison(page) == first.pk
    page.keyboard.press("a")
    page.keyboard.press("s")
    wait_for_next(page, first.pk)
    expect(page.get_by_test_id("undo")).to_contain_text("Undo skip")
    page.keyboard.press("u")
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(first.pk))
    expect(page.get_by_test_id("choose-0-a")).to_have_attribute("aria-pressed", "true")  # the draft as it was
    assert Lease.objects.get(comparison=first, annotator=annotator_user).state == LeaseState.ACTIVE

    page.keyboard.press("f")
    page.keyboard.press("1")
    page.keyboard.press("Shift+Enter")  # flag and keep judging
    expect(page.get_by_test_id("undo")).to_contain_text("Undo flag")
    wait_until_saved(page)
    assert Flag.objects.filter(comparison=first).count() == 1
    page.keyboard.press("u")
    expect(page.get_by_test_id("toast")).to_contain_text("Flag withdrawn")
    assert not Flag.objects.exists()

    page.keyboard.press("1")
    page.keyboard.press("Enter")
    assert wait_for_next(page, first.pk) == second.pk
    wait_until_saved(page)
    assert Judgment.objects.get(annotator=annotator_user).comparison_id == first.pk


def test_a_long_conversation_keeps_the_original_question_and_unfolds_with_x(page, annotator_user):
    project = ProjectFactory()
    add_member(project, annotator_user)
    prompt = make_prompt(project)
    prompt.messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Original question: how do I parse dates?"},
        *[{"role": role, "content": f"Middle turn {n}"} for n, role in enumerate(["assistant", "user", "assistant"])],
        {"role": "user", "content": "Follow-up: and time zones?"},
        {"role": "assistant", "content": "Use zoneinfo."},
        {"role": "user", "content": "Last question: which format?"},
    ]
    prompt.save()
    make_comparison(project, prompt=prompt)

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    conversation = page.get_by_test_id("conversation")
    expect(conversation).to_contain_text("Original question")
    expect(conversation).to_contain_text("Last question")
    expect(conversation).not_to_contain_text("Middle turn")
    expect(page.get_by_test_id("unfold-turns")).to_contain_text("Show 3 earlier turns")
    page.keyboard.press("x")
    expect(conversation).to_contain_text("Middle turn 2")
    page.keyboard.press("x")
    expect(conversation).not_to_contain_text("Middle turn")


PAINT_PROBE = """() => {
  // From the Enter keydown to the frame that shows the next comparison: its animation-frame
  // callbacks run once the submit's work and the new task's render are done, right before
  // style, layout and paint. (A timer after the frame would mostly measure how busy the machine
  // is; the frame's own timestamp is its vsync, which can precede the key press.)
  window.__paints = [];
  let started = 0;
  let shown = document.querySelector('[data-testid=comparison]')?.dataset.comparison;
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter') started = performance.now(); }, true);
  new MutationObserver(() => {
    const now = document.querySelector('[data-testid=comparison]')?.dataset.comparison;
    if (!started || now === shown) return;
    shown = now;
    const from = started;
    started = 0;
    requestAnimationFrame(() => window.__paints.push(performance.now() - from));
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-comparison'] });
}"""


def test_submit_confirms_and_paints_the_next_comparison_fast(page, annotator_user, shoot):
    project = ProjectFactory(strength_scale=["better", "much better"])
    add_member(project, annotator_user)
    comparisons = [make_comparison(project, texts=[CODE_ANSWER, LOOP_ANSWER], priority=20 - n) for n in range(13)]

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    current = shown_comparison(page)
    expect(page.get_by_test_id("comparison-number")).to_contain_text("Comparison 1")
    page.evaluate(PAINT_PROBE)
    for n in range(12):
        expect(page.locator(".next-ready.is-ready")).to_be_visible()  # measured with the next one leased ahead
        page.keyboard.press("a")
        page.keyboard.press("2")
        page.keyboard.press("Enter")
        current = wait_for_next(page, current)
        expect(page.get_by_test_id("comparison-number")).to_contain_text(f"Comparison {n + 2}")
        expect(page.get_by_test_id("confirmation")).to_contain_text("submitted")
        if n == 0:
            shoot(page, "annotate-submitted")
    page.wait_for_function("window.__paints.length === 12")
    paints = sorted(page.evaluate("window.__paints"))
    median = (paints[5] + paints[6]) / 2
    print(f"submit-to-next paint, ms: median {median:.1f}, all {[round(p, 1) for p in paints]}")
    assert median < 50, paints
    assert current == comparisons[12].pk


def test_the_history_panel_reopens_an_earlier_judgment_to_change_it(page, annotator_user, shoot):
    project = ProjectFactory(strength_scale=["better", "much better"])
    add_member(project, annotator_user)
    first, second, third = (make_comparison(project, priority=3 - n) for n in range(3))

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    assert shown_comparison(page) == first.pk
    for key in ["a", "2", "Enter"]:
        page.keyboard.press(key)
    wait_for_next(page, first.pk)
    page.keyboard.press("s")  # skip the second
    assert wait_for_next(page, second.pk) == third.pk
    page.keyboard.press("h")
    expect(page.get_by_test_id(f"history-{second.pk}")).to_contain_text("skipped")
    expect(page.get_by_test_id(f"history-{first.pk}")).to_contain_text("judged A better, much better")
    shoot(page, "annotate-history")
    page.get_by_test_id(f"history-{first.pk}").get_by_role("button").click()
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(first.pk))
    for key in ["b", "1", "Enter"]:
        page.keyboard.press(key)
    assert wait_for_next(page, first.pk) == third.pk
    wait_until_saved(page)
    judgment = Judgment.objects.get(annotator=annotator_user)
    assert (judgment.comparison_id, judgment.winner, judgment.strength) == (first.pk, "b", 1)
