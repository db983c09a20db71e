"""Judges on the dashboard (issue #18): the leaderboard page shows each judge against the people
(agreement beside the people's own, biases), the annotator table marks judges below the people,
and the export offers people's, judges' or both labels. Screenshot: test-artifacts/screenshots/judges-*.png."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from labeling.models import Project
from labeling.stats.payload import project_stats_compute
from labeling.stats.services import project_stats_store
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member, make_comparison
from tests.labeling.stats.judge_builders import make_judge, verdict

MARKUP = '<img src=x onerror="alert(1)">'
pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def judged_by_both(db):
    """Two people and a judge on four comparisons of two named models; stats computed."""
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = Project.objects.create(slug="judged", name="Judged")
    add_member(project, admin, role="admin")
    people = [UserFactory(username=f"rater-{i}") for i in range(2)]
    judge = make_judge(project, "rm-step-300")
    markup = make_judge(project, MARKUP)  # a judge's name is a checkpoint's: shown as text, never run
    verdict(make_comparison(project, models_=("model-x", "model-y")), markup.user, "a")
    answers = [("a", "a", "a"), ("b", "b", "a"), ("a", "b", "b"), ("a", "a", "a")]
    for i, (first, second, by_judge) in enumerate(answers):
        comparison = make_comparison(project, models_=("model-x", "model-y"), texts=[f"a longer answer {i} " * 4, f"short {i}"])
        verdict(comparison, people[0], first, strength=1)
        verdict(comparison, people[1], second, strength=1)
        verdict(comparison, judge.user, by_judge, strength=1)
    project_stats_store(project=project, payload=project_stats_compute(project))
    return project, admin


def test_judges_are_shown_apart_from_people_and_exported_on_request(page, judged_by_both, shoot, problems):
    project, admin = judged_by_both
    base = f"/projects/{project.pk}/dashboard"
    log_in(page, admin.username, next_path=f"{base}/leaderboard")
    row = page.get_by_test_id("judge-rm-step-300")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("judge-agreement")).to_contain_text("67%")  # 2 of the 3 comparisons with a majority
    expect(row.get_by_test_id("judge-ceiling")).to_contain_text("75%")  # people with each other: 6 of 8
    expect(page.get_by_test_id("leaderboard")).to_contain_text("judges' verdicts never count here")
    expect(page.get_by_test_id("judges-table")).to_contain_text(MARKUP)
    assert problems.dialogs == []
    shoot(page, "judges-leaderboard", full_page=True)

    page.goto(base)
    expect(page.get_by_test_id("pace-judges")).to_contain_text("5 by judges")
    judge_row = page.get_by_test_id("annotator-judge-rm-step-300")
    expect(judge_row).to_contain_text("judge")
    expect(page.get_by_test_id("annotator-table").locator("tbody").first.locator("tr")).to_have_count(2)  # people only

    page.goto(f"{base}/data/export")
    page.get_by_test_id("export-labels").select_option("model")
    page.get_by_test_id("export-format").select_option("raw")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    rows = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert [r["label_source"] for r in rows] == ["model"] * 5
    assert re.search(r"labels=model", page.get_by_test_id("export-download").get_attribute("href"))
