"""A flag opens its comparison whole (issue #19 item 9): from the dashboard's open flags an admin
reaches the comparison's own page and sees the prompt, each response with its letter and model,
every judgment with who made it (a judge marked), its verdict and review, and resolves the flag
there. Model output is shown as text, never as HTML. Screenshot: test-artifacts/screenshots/comparison-page.png."""

import re

import pytest
from playwright.sync_api import expect

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.flags import flag_create
from labeling.annotation.judgments import judgment_create
from labeling.judges.services import judge_for_checkpoint, judge_verdicts_store
from labeling.models import Flag, Project
from labeling.review.services import judgment_review
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member, make_comparison, make_prompt, new_client_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img src=x onerror="window.__pwned = 1"> Paris is the capital.'


@pytest.fixture
def flagged():
    """A two-seat comparison judged by two people (one rejected) and a judge, and flagged."""
    admin = UserFactory(username="ada-admin", is_staff=True)
    ann, bob = UserFactory(username="ann-annotator"), UserFactory(username="bob-annotator")
    project = Project.objects.create(slug="capitals", name="Capitals", overlap=2)
    add_member(project, admin, role="admin")
    add_member(project, ann)
    add_member(project, bob)
    prompt = make_prompt(project, "What is the capital of France?")
    comparison = make_comparison(project, models_=("llama-7b", "mistral-7b"), texts=[HOSTILE, "London."], prompt=prompt)
    for user, winner, why in [(ann, "a", "A is right."), (bob, "b", "B is shorter.")]:
        comparison_lease_next(project=project, annotator=user)
        judgment_create(annotator=user, comparison_id=comparison.pk, client_key=new_client_key(), winner=winner,
                        strength=2, rationale=why, time_spent_ms=4200)
    judgment_review(judgment=bob.judgments.get(), reviewer=admin, review="rejected", note="London is wrong.")
    judge = judge_for_checkpoint(project=project, checkpoint_id=5, name="rm-run-5", kind="reward_model")
    judge_verdicts_store(judge=judge, verdicts=[
        {"comparison_id": comparison.pk, "winner": "a", "strength": 1, "criteria": {}, "rationale": "margin 0.8"}
    ])
    flag, _ = flag_create(annotator=ann, comparison_id=comparison.pk, reason="unsafe", note="A has odd markup")
    return project, comparison, flag, admin


def test_an_admin_opens_a_flag_and_sees_the_responses_and_the_judgments_judges_marked(page, flagged, shoot):
    project, comparison, flag, admin = flagged
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard")
    page.get_by_test_id(f"flag-open-{flag.pk}").click()
    page.wait_for_url(re.compile(rf"/projects/{project.pk}/dashboard/comparisons/{comparison.pk}$"))

    shown = page.get_by_test_id("comparison-page")
    expect(shown.get_by_test_id("comparison-prompt")).to_contain_text("What is the capital of France?")
    response_a, response_b = shown.get_by_test_id("comparison-response-a"), shown.get_by_test_id("comparison-response-b")
    expect(response_a.get_by_test_id("response-model")).to_have_text("llama-7b")
    expect(response_b.get_by_test_id("response-model")).to_have_text("mistral-7b")
    expect(response_a).to_contain_text(HOSTILE)  # the markup as text
    expect(response_a.locator("img")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None
    expect(response_b).to_contain_text("London.")

    rows = shown.get_by_test_id("comparison-judgments").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("ann-annotator")
    expect(rows.nth(0).get_by_test_id("judgment-verdict")).to_have_text("A, better")
    expect(rows.nth(0)).to_contain_text("A is right.")
    expect(rows.nth(1).get_by_test_id("judgment-review")).to_have_text("rejected by ada-admin: London is wrong.")
    judged_by_model = shown.locator('[data-by-judge="1"]')
    expect(judged_by_model).to_have_count(1)
    expect(judged_by_model).to_contain_text("rm-run-5")
    expect(judged_by_model.get_by_test_id("judge-mark")).to_have_text("judge")
    expect(shown.locator('[data-by-judge="0"] [data-testid="judge-mark"]')).to_have_count(0)
    shoot(page, "comparison-page", full_page=True)

    shown.get_by_test_id(f"comparison-flag-resolve-{flag.pk}").click()
    expect(shown.get_by_test_id(f"comparison-flag-{flag.pk}").get_by_test_id("flag-resolved")).to_have_text("resolved by ada-admin")
    assert Flag.objects.get(pk=flag.pk).resolved

    page.go_back()  # the overview no longer lists it
    expect(page.get_by_test_id(f"flag-{flag.pk}")).to_have_count(0)


def test_an_admin_makes_a_judgments_verdict_the_gold_answer_and_takes_it_back(page, flagged):
    project, comparison, _, admin = flagged
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/comparisons/{comparison.pk}")
    shown = page.get_by_test_id("comparison-page")
    first = shown.get_by_test_id("comparison-judgments").locator("tbody tr").nth(0)  # ann's "A, better"
    first.get_by_test_id("judgment-make-gold").click()
    expect(shown.get_by_test_id("gold-answer")).to_have_text("A")
    comparison.refresh_from_db()
    assert (comparison.is_gold, comparison.gold_answer) == (True, {"winner": "a"})  # no strength: gold is the winner
    expect(shown.get_by_test_id("judgment-make-gold")).to_have_count(0)  # one answer at a time

    shown.get_by_test_id("gold-clear").click()
    expect(shown.get_by_test_id("gold-set-b")).to_be_visible()
    comparison.refresh_from_db()
    assert not comparison.is_gold and comparison.holders == 2
    shown.get_by_test_id("gold-set-b").click()
    expect(shown.get_by_test_id("gold-answer")).to_have_text("B")


def test_the_too_fast_flag_lists_the_annotators_fastest_judgments_each_opening_its_comparison(page):
    """Ten timed judgments at 300 ms (under a second: faster than anyone reads): flagged too fast."""
    from labeling.stats.services import project_stats_compute, project_stats_store

    admin, quick = UserFactory(username="ada-admin", is_staff=True), UserFactory(username="quick-annotator")
    project = Project.objects.create(slug="speed", name="Speed")
    add_member(project, admin, role="admin")
    add_member(project, quick)
    for i in range(10):
        make_comparison(project, texts=[f"{i} a long enough answer", f"{i} another answer"])
        comparison = comparison_lease_next(project=project, annotator=quick)
        judgment_create(annotator=quick, comparison_id=comparison.pk, client_key=new_client_key(), winner="a",
                        strength=1, time_spent_ms=300 + i)
    project_stats_store(project=project, payload=project_stats_compute(project))
    fastest = quick.judgments.order_by("time_spent_ms").first()

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard")
    expect(page.get_by_test_id("annotator-quick-annotator").get_by_test_id("too-fast")).to_be_visible()
    page.get_by_test_id("fastest-quick-annotator").click()
    links = page.get_by_test_id("fastest-judgments-quick-annotator").locator("a")
    expect(links).to_have_count(5)
    expect(links.first).to_contain_text(f"comparison #{fastest.comparison_id}")
    links.first.click()
    page.wait_for_url(re.compile(rf"/dashboard/comparisons/{fastest.comparison_id}$"))
    expect(page.get_by_test_id("comparison-judgments")).to_contain_text("quick-annotator")
