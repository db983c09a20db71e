"""The comparison browser (Data → Comparisons): a lead lists the project's comparisons, filters them
to gold and searches the prompts, and opens one whole, where "back" returns to the list as it was
filtered. The filters live in the address. By keyboard alone too, and on a phone without the page
scrolling sideways. Prompt text is shown as text, never HTML.
Screenshots: test-artifacts/screenshots/comparison-browser-*.png."""

import re

import pytest
from playwright.sync_api import expect

from labeling.models import Comparison, Flag, Project
from tests.browser.conftest import log_in
from tests.browser.test_screens import OFF_SCREEN
from tests.factories import UserFactory, add_member, make_comparison, make_prompt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img src=x onerror="window.__pwned = 1"> What is the capital of France?'


@pytest.fixture
def catalogue():
    """Twelve comparisons of two or three models: two gold (one with a hostile prompt), one flagged."""
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = Project.objects.create(slug="capitals", name="Capitals", overlap=2)
    add_member(project, admin, role="admin")
    hostile = make_comparison(project, models_=("llama-3-8b-instruct", "mistral-7b-instruct-v0.3"),
                              prompt=make_prompt(project, HOSTILE), is_gold=True, gold_answer={"winner": "a"})
    rest = [
        make_comparison(project, models_=("qwen2.5-7b-instruct", "llama-3-8b-instruct"),
                        prompt=make_prompt(project, f"Name a river in country number {i}, and say why it matters"))
        for i in range(10)
    ]
    gold_river = rest[3]
    Comparison.objects.filter(pk=gold_river.pk).update(is_gold=True, gold_answer={"winner": "b"})
    Flag.objects.create(project=project, comparison=rest[5], annotator=admin, reason="unsafe")
    return project, admin, hostile, gold_river


def rows(page):
    return page.get_by_test_id("comparison-table").locator("tbody tr")


def test_a_lead_filters_to_gold_searches_and_opens_a_comparison_then_comes_back(page, catalogue, shoot):
    project, admin, hostile, gold_river = catalogue
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data")
    page.get_by_test_id("data-section-comparisons").click()
    page.wait_for_url(re.compile(rf"/projects/{project.pk}/dashboard/data/comparisons$"))
    expect(rows(page)).to_have_count(11)
    expect(page.get_by_test_id("comparison-count")).to_have_text("1–11 of 11")
    first = page.get_by_test_id(f"comparison-row-{hostile.pk}")
    expect(first.get_by_test_id("comparison-excerpt")).to_have_text(HOSTILE)  # the markup as text
    expect(first.locator("img")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None
    expect(first).to_contain_text("llama-3-8b-instruct")
    expect(page.get_by_test_id("comparison-flags")).to_have_text("1 open")
    # the share giving the most common verdict, not the overview's raw agreement (agreeing pairs)
    majority = page.get_by_test_id("comparison-table").get_by_role("columnheader", name="Majority share")
    expect(majority).to_have_attribute("title", re.compile("most common main verdict.*Not the overview's raw agreement"))

    page.get_by_test_id("comparison-gold-filter").select_option("gold")
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_test_id("comparison-count")).to_have_text("1–2 of 2")
    assert "gold=true" in page.url
    page.get_by_test_id("comparison-search").fill("RIVER")  # any case
    expect(rows(page)).to_have_count(1)
    expect(page.get_by_test_id(f"comparison-row-{gold_river.pk}")).to_be_visible()
    assert re.search(r"[?&]q=RIVER", page.url)
    shoot(page, "comparison-browser-filtered")

    page.get_by_test_id(f"comparison-row-{gold_river.pk}").get_by_test_id("comparison-excerpt").click()
    page.wait_for_url(re.compile(rf"/projects/{project.pk}/dashboard/comparisons/{gold_river.pk}$"))
    expect(page.get_by_test_id("comparison-page")).to_be_visible()
    expect(page.get_by_test_id("gold-answer")).to_have_text("B")  # where gold is made and taken back
    page.get_by_test_id("comparison-back-to-list").click()
    expect(rows(page)).to_have_count(1)  # the list as it was filtered
    expect(page.get_by_test_id("comparison-search")).to_have_value("RIVER")
    expect(page.get_by_test_id("comparison-gold-filter")).to_have_value("gold")


def test_the_list_pages_sorts_and_works_by_keyboard_on_a_phone(chromium, live_server, frontend_dist, catalogue, shoot):
    project, admin, hostile, _ = catalogue
    for i in range(45):  # 56 in all: two pages of 50
        make_comparison(project, models_=("a-model", "b-model"), prompt=make_prompt(project, f"Filler question {i}?"))
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/comparisons")
    expect(page.get_by_test_id("comparison-count")).to_have_text("1–50 of 56")
    page.wait_for_timeout(300)
    shoot(page, "comparison-browser-390x844", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(OFF_SCREEN) == []

    page.get_by_test_id("comparison-next").click()
    expect(page.get_by_test_id("comparison-count")).to_have_text("51–56 of 56")
    expect(page.get_by_test_id("comparison-next")).to_be_disabled()
    page.get_by_test_id("comparison-sort-id").click()  # newest first, from the first page
    expect(page.get_by_test_id("comparison-count")).to_have_text("1–50 of 56")
    expect(rows(page).first).not_to_contain_text(f"#{hostile.pk}")
    assert "ordering=-id" in page.url

    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")  # to the search box
    expect(page.get_by_test_id("comparison-search")).to_be_focused()
    page.keyboard.type("capital of france")
    page.keyboard.press("Enter")
    expect(rows(page)).to_have_count(1)
    link = rows(page).first.get_by_role("link", name=f"Open comparison #{hostile.pk}")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/dashboard/comparisons/{hostile.pk}$"))
    expect(page.get_by_test_id("comparison-page")).to_be_visible()
    context.close()
    assert errors == [], errors


CARD_LABELS = ["Models", "Judgments", "Majority share", "Flags", "Added"]


def test_on_a_phone_each_comparison_is_a_card_and_nothing_scrolls_sideways(page, problems, catalogue, shoot):
    project, admin, hostile, _ = catalogue
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/comparisons")
    expect(rows(page)).to_have_count(11)
    shoot(page, "comparison-browser-cards-390x844", full_page=True)
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    table = page.get_by_test_id("comparison-table")
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth"), "the list scrolls sideways inside its box"
    cards = rows(page).evaluate_all(
        "rows => rows.map(r => { const b = r.getBoundingClientRect(); return [getComputedStyle(r).display, b.left, b.right]; })")
    assert all(display == "grid" and left >= 0 and right <= 390 for display, left, right in cards), cards

    # the same facts as the table's columns, each named on the card
    card = page.get_by_test_id(f"comparison-row-{hostile.pk}")
    expect(card.get_by_role("link", name=f"Open comparison #{hostile.pk}")).to_be_visible()
    expect(card.get_by_test_id("comparison-excerpt")).to_have_text(HOSTILE)
    expect(card.get_by_test_id("comparison-gold")).to_be_visible()
    expect(card).to_contain_text("mistral-7b-instruct-v0.3")
    labels = card.locator("td[data-label]").evaluate_all("cells => cells.map(c => getComputedStyle(c, '::before').content)")
    assert labels == [f'"{label}"' for label in CARD_LABELS], labels
    for cell in card.locator("td").all():
        expect(cell).to_be_in_viewport()
    expect(page.get_by_test_id("comparison-flags")).to_have_text("1 open")
    sort = page.get_by_test_id("comparison-sort-judgment_count")  # sorting stays at hand above the cards
    expect(sort).to_be_in_viewport()
    sort.click()
    expect(page).to_have_url(re.compile(r"ordering=-?judgment_count"))
    expect(rows(page)).to_have_count(11)
