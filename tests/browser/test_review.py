"""Review in a real browser (issue #19): a reviewer rejects a judgment with a note, the comparison is
served to another annotator, and the first annotator sees what was rejected and why. Members are
searched, given the reviewer role and removed from the members panel."""

import pytest
from playwright.sync_api import expect

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.models import Comparison, Judgment, Membership
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

NOTE = "Paris is the capital of France; B said London."


@pytest.fixture
def judged(annotator_user):
    """A one-seat project whose only comparison ``annotator_user`` judged; a reviewer and a second annotator."""
    project = ProjectFactory(name="Capitals")
    reviewer, second = UserFactory(username="rita-reviewer"), UserFactory(username="bob-annotator")
    add_member(project, annotator_user)
    add_member(project, reviewer, role="reviewer")
    add_member(project, second)
    prompt = make_prompt(project, "What is the capital of France?")
    comparison = make_comparison(project, texts=["Paris.", "London."], prompt=prompt)
    comparison_lease_next(project=project, annotator=annotator_user)
    judgment, _ = judgment_create(annotator=annotator_user, comparison_id=comparison.pk, client_key=new_client_key(),
                                  winner="b", strength=2, rationale="B is shorter.", time_spent_ms=3100)
    return project, comparison, judgment, reviewer, second


def in_new_context(chromium, live_server, username, next_path, size=(1440, 900)):
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, username, next_path=next_path)
    return context, page


def test_a_rejected_judgment_is_served_to_another_annotator_and_its_annotator_sees_why(
    page, chromium, live_server, judged, annotator_user, shoot
):
    project, comparison, judgment, reviewer, second = judged
    log_in(page, reviewer.username, next_path=f"/projects/{project.pk}/review")
    entry = page.get_by_test_id("review-entry")
    expect(entry).to_have_attribute("data-judgment", str(judgment.pk))
    expect(entry).to_contain_text("What is the capital of France?")
    expect(entry).to_contain_text("London.")
    expect(entry.get_by_test_id("review-verdict")).to_have_text("B, better")
    expect(entry).to_contain_text("B is shorter.")
    shoot(page, "review-queue")
    entry.get_by_test_id("review-reject").click()
    expect(entry.get_by_test_id("review-confirm-reject")).to_be_disabled()  # a note is required
    entry.get_by_test_id("review-note").fill(NOTE)
    entry.get_by_test_id("review-confirm-reject").click()
    expect(entry.get_by_test_id("review-state")).to_contain_text(NOTE)
    shoot(page, "review-rejected")
    assert Judgment.objects.get(pk=judgment.pk).review == "rejected"
    assert Comparison.objects.get(pk=comparison.pk).is_open

    context, other = in_new_context(chromium, live_server, second.username, f"/projects/{project.pk}/annotate")
    expect(other.get_by_test_id("comparison")).to_have_attribute("data-comparison", str(comparison.pk))
    context.close()

    context, mine = in_new_context(chromium, live_server, annotator_user.username, f"/projects/{project.pk}/annotate")
    mine.get_by_test_id("rejected-notice").click()
    expect(mine.get_by_test_id("rejected-note")).to_have_text(NOTE)
    expect(mine.get_by_test_id("rejected-item")).to_contain_text("You said B, better")
    shoot(mine, "annotate-rejected-notice")
    expect(mine.get_by_test_id("comparison")).to_have_count(0)  # never served to them again
    context.close()


def test_the_review_screen_on_a_phone(chromium, live_server, judged, shoot):
    project, _, judgment, reviewer, _ = judged
    context, phone = in_new_context(chromium, live_server, reviewer.username, f"/projects/{project.pk}/review", (390, 844))
    expect(phone.get_by_test_id("review-entry")).to_have_attribute("data-judgment", str(judgment.pk))
    wide = phone.evaluate("""[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 391)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
    assert wide == [], f"wider than the phone: {wide}"
    # the shared top bar too (it was 471 px wide here before its compact layout served every screen)
    assert phone.evaluate("document.querySelector('header.topbar').scrollWidth") <= 390
    expect(phone.get_by_role("button", name="Log out")).to_be_in_viewport()
    shoot(phone, "review-queue-390", full_page=True)
    phone.get_by_test_id("review-accept").click()
    expect(phone.get_by_test_id("review-state")).to_contain_text("Accepted by rita-reviewer")
    context.close()


def test_members_are_searched_given_a_role_and_removed_but_never_the_last_admin(page, judged, annotator_user, shoot):
    project, _, _, _, second = judged
    admin = UserFactory(username="ada-admin")
    add_member(project, admin, role="admin")
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/members")
    rows = page.get_by_test_id("member-row")
    expect(rows).to_have_count(4)
    page.get_by_test_id("member-search").fill("bob")
    expect(rows).to_have_count(1)
    page.get_by_label("bob-annotator's role").select_option("reviewer")
    expect(page.get_by_role("status")).to_have_text("bob-annotator is now a reviewer.")
    assert Membership.objects.get(user=second).role == "reviewer"
    page.get_by_test_id("member-search").fill("ada")
    page.get_by_label("ada-admin's role").select_option("annotator")
    expect(page.get_by_role("status")).to_contain_text("at least one admin")
    expect(page.get_by_label("ada-admin's role")).to_have_value("admin")
    page.get_by_test_id("member-search").fill("ann-")
    page.get_by_test_id("member-remove").click()
    page.get_by_test_id("member-remove-confirm").click()
    expect(page.get_by_role("status")).to_contain_text("ann-annotator was removed")
    expect(rows).to_have_count(0)
    assert not Membership.objects.filter(user=annotator_user).exists()
    shoot(page, "members-panel")


def test_the_queue_filters_by_disagreement_and_annotator_and_shows_a_rankings_ties(page, shoot):
    """Three people rank one comparison; one ties A and B (a = b > c), two order them: the queue
    shows the tie as 'A = B > C', 'disagrees' keeps that judgment only, the annotator filter one
    person's, and the admin's comparison page reads the tie too (issue #19 items 6 and 11)."""
    project = ProjectFactory(name="Rank three", task_type="ranking", responses_per_comparison=3, strength_scale=[],
                             allow_ties=True)
    admin = UserFactory(username="ada-admin")
    add_member(project, admin, role="admin")
    comparison = make_comparison(project, models_=("x", "y", "z"), texts=["First.", "Second.", "Third."])
    people = [UserFactory(username=name) for name in ("tia-ties", "oli-orders", "ora-orders")]
    for person, ties in zip(people, [[["a", "b"]], None, None], strict=True):
        add_member(project, person)
        Judgment.objects.create(project=project, comparison=comparison, annotator=person, ranking=["a", "b", "c"],
                                ranking_ties=ties, client_key=new_client_key())
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/review")
    entries = page.get_by_test_id("review-entry")
    expect(entries).to_have_count(3)
    expect(entries.get_by_test_id("review-verdict")).to_have_text(["A = B > C", "A > B > C", "A > B > C"])
    expect(entries.first.locator(".review-response.is-chosen")).to_have_count(2)  # the tied best two

    page.get_by_test_id("review-filter-disagrees").check()
    expect(entries).to_have_count(1)
    expect(entries.get_by_test_id("review-verdict")).to_have_text("A = B > C")
    shoot(page, "review-ranking-ties")
    page.get_by_test_id("review-filter-disagrees").uncheck()
    expect(entries).to_have_count(3)
    page.get_by_test_id("review-annotator-filter").fill("oli-orders")
    page.get_by_test_id("review-annotator-filter").press("Enter")  # the filter applies on Enter (and on leaving the field)
    expect(entries).to_have_count(1, timeout=15_000)
    expect(entries.first).to_contain_text("oli-orders")

    page.goto(f"/projects/{project.pk}/dashboard/comparisons/{comparison.pk}")
    expect(page.get_by_test_id("judgment-verdict")).to_have_text(["A = B > C", "A > B > C", "A > B > C"])
