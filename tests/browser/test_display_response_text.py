"""How model text is shown beyond the annotation screen's cards: an empty response says
"(empty response)" on the review and comparison pages and in the ranking chips, as its card does;
a chip's preview is the model's text as plain text, `<` and `>` included, never HTML; right-to-left
responses lay out right to left; and a bidi override (U+202E) shows as a marker instead of
reversing the text after it, as a zero-width space does instead of hiding. Screenshot: test-artifacts/screenshots/display-response-text.png."""

import pytest
from playwright.sync_api import expect

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.models import ComparisonResponse, Response
from tests.browser.conftest import log_in
from tests.factories import (
    ProjectFactory,
    UserFactory,
    add_member,
    make_comparison,
    make_prompt,
    new_client_key,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKUP = "<script>alert('xss')</script><b>bold?</b>"
HEBREW = "שלום! זו תשובה בעברית, והיא נקראת מימין לשמאל."
# Unmarked, the override draws "account" backwards ("tnuocca"), up to the PDF that ends it; the
# zero-width space makes "today" another word than it looks.
TROJAN = "Pay the invoice to \u202Eaccount\u202C 4417 to\u200Bday."


def comparison_with_empty_response(project, texts, prompt=None):
    """A comparison of ``texts`` in order (a, b, …), the ones given as "" stored empty."""
    comparison = make_comparison(project, models_=tuple(f"model-{i}" for i in range(len(texts))),
                                 texts=[text or f"placeholder {i}" for i, text in enumerate(texts)], prompt=prompt)
    for position in ComparisonResponse.objects.filter(comparison=comparison):
        if not texts[position.position]:
            Response.objects.filter(pk=position.response_id).update(text="")
    return comparison


# For the text node holding `word`: whether its first letter is drawn left of its last (as written).
READS_LEFT_TO_RIGHT = """([selector, word]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const box = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect(); };
    return box(at).left < box(at + word.length - 1).left;
  }
  return null;
}"""


def test_ranking_chips_preview_the_text_as_written_and_responses_keep_their_direction(page, annotator_user, shoot):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=4)
    add_member(project, annotator_user)
    comparison_with_empty_response(project, [MARKUP, "", HEBREW, TROJAN])
    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_be_visible()
    shoot(page, "display-response-text")

    chips = {letter: page.get_by_test_id(f"rank-chip-{letter}").locator(".rank-snippet") for letter in "abcd"}
    expect(chips["a"]).to_have_text(MARKUP)  # `>` kept, and as text: no element made of it
    assert page.locator(".rank-strip script, .rank-strip b").count() == 0
    expect(chips["b"]).to_have_text("(empty response)")
    expect(chips["d"]).to_have_text("Pay the invoice to ⟪RLO⟫account⟪PDF⟫ 4417 to⟪ZWSP⟫day.")

    # Hebrew lays out right to left; the card of the left-to-right text stays left to right.
    hebrew = page.get_by_test_id("response-c").locator(".response-body p")
    assert hebrew.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.get_by_test_id("response-a").locator(".response-body").evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert chips["c"].evaluate("e => getComputedStyle(e).direction") == "rtl"

    # The override is a visible, named marker; the word after it is drawn as written, not reversed.
    trojan = page.get_by_test_id("response-d").locator(".response-body")
    marker = trojan.locator(".hidden-char").first
    expect(marker).to_have_text("⟪RLO⟫")
    expect(marker).to_have_attribute("title", (
        "Hidden character U+202E RIGHT-TO-LEFT OVERRIDE, shown rather than applied: it can make text read otherwise"
        " than it is written"))
    assert "\u202e" not in trojan.inner_html()
    assert page.evaluate(READS_LEFT_TO_RIGHT, ['[data-testid="response-d"] .response-body', "account"]) is True
    assert page.evaluate(READS_LEFT_TO_RIGHT, ['[data-testid="response-d"] .response-body', "4417"]) is True
    expect(trojan.locator(".hidden-char").nth(2)).to_have_text("⟪ZWSP⟫")


@pytest.fixture
def judged_with_an_empty_response(annotator_user):
    """A comparison whose response B is empty, judged by ``annotator_user``; an admin to look at it."""
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = ProjectFactory(name="Silences")
    add_member(project, admin, role="admin")
    add_member(project, annotator_user)
    comparison = comparison_with_empty_response(project, [TROJAN, ""], prompt=make_prompt(project, HEBREW))
    comparison_lease_next(project=project, annotator=annotator_user)
    judgment_create(annotator=annotator_user, comparison_id=comparison.pk, client_key=new_client_key(), winner="a",
                    strength=2, rationale="B said nothing.", time_spent_ms=2000)
    return project, comparison, admin


def test_the_review_page_says_a_response_is_empty_and_marks_an_override(page, judged_with_an_empty_response):
    project, comparison, admin = judged_with_an_empty_response
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/review")
    entry = page.get_by_test_id("review-entry")
    expect(entry.get_by_test_id("review-response-empty-b")).to_have_text("(empty response)")
    expect(entry.locator(".review-response .hidden-char").first).to_have_text("⟪RLO⟫")
    assert entry.locator(".review-turn .md p").evaluate("e => getComputedStyle(e).direction") == "rtl"


def test_the_comparison_page_says_a_response_is_empty_and_marks_an_override(page, judged_with_an_empty_response):
    project, comparison, admin = judged_with_an_empty_response
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/comparisons/{comparison.pk}")
    expect(page.get_by_test_id("comparison-response-empty-b")).to_have_text("(empty response)")
    expect(page.get_by_test_id("comparison-response-a").locator(".hidden-char").first).to_have_text("⟪RLO⟫")
    assert page.get_by_test_id("comparison-prompt").locator(".md p").evaluate("e => getComputedStyle(e).direction") == "rtl"
