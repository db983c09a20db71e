"""Issue #19 items 8 and 10 in the browser: the leaderboard says "Computing…" (not "no judgments
yet") while the stats catch up with new judgments, and marks models below the minimum of pairs as
provisional with their count, and as cards on a phone, nothing scrolling sideways; the Data page shows a snapshot asked again over unchanged data as
reused, naming the snapshot whose files it shares, with no second file."""

import pytest
from playwright.sync_api import expect

from labeling.exports.options import SnapshotOptions
from labeling.exports.snapshots import snapshot_build, snapshot_request
from labeling.models import ProjectStats
from labeling.stats.payload import project_stats_compute
from labeling.stats.services import project_stats_store
from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, UserFactory, add_member, make_comparison
from tests.labeling.stats.judge_builders import verdict

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_project():
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = ProjectFactory(name="Bake-off")
    add_member(project, admin, role="admin")
    return project, admin


def test_the_leaderboard_computes_then_shows_few_pairs_as_provisional(page, admin_project, shoot):
    project, admin = admin_project
    project_stats_store(project=project, payload=project_stats_compute(project))  # computed before any judgment
    rater = UserFactory(username="rater")
    for winner in "aab":
        verdict(make_comparison(project, models_=("llama-7b", "opt-7b")), rater, winner, strength=1)
    for _ in range(2):  # never won: no rating exists for it
        verdict(make_comparison(project, models_=("llama-7b", "mistral-7b")), rater, "a", strength=1)
    ProjectStats.objects.filter(project=project).update(dirty=True)  # judged since: a refresh is on its way

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/leaderboard")
    expect(page.get_by_test_id("leaderboard-computing")).to_contain_text("Computing")
    expect(page.get_by_test_id("leaderboard-empty")).to_have_count(0)

    project_stats_store(project=project, payload=project_stats_compute(project))
    ProjectStats.objects.filter(project=project).update(dirty=False)
    page.reload()
    expect(page.get_by_test_id("leaderboard-table")).to_be_visible()
    provisional = page.get_by_test_id("model-llama-7b").get_by_test_id("provisional")
    expect(provisional).to_contain_text("provisional: 5 of 20 judgments")
    expect(page.get_by_test_id("model-opt-7b").get_by_test_id("provisional")).to_be_visible()
    never = page.get_by_test_id("model-mistral-7b")
    expect(never.get_by_test_id("unrated")).to_have_text("never won against the rated models: no lower limit to its rating yet")
    expect(never.locator("td.bt-cell strong")).to_have_text("—")
    expect(page.get_by_test_id("leaderboard-table").locator("tbody tr").last).to_have_attribute("data-testid", "model-mistral-7b")
    shoot(page, "leaderboard-provisional")

    # On a phone each model is a card: its figures labelled, the table wider than nothing.
    page.set_viewport_size({"width": 390, "height": 844})
    row = page.get_by_test_id("model-llama-7b")
    expect(row.locator("td[data-label='Elo']")).to_be_visible()
    assert row.locator("td[data-label='Elo']").evaluate("e => getComputedStyle(e, '::before').content") == '"Elo"'
    box = page.get_by_test_id("leaderboard-table")
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth && e.parentElement.scrollWidth <= e.parentElement.clientWidth")
    shoot(page, "leaderboard-provisional-390x844")


def test_a_snapshot_over_unchanged_data_is_shown_as_reused(page, admin_project, settings, tmp_path, shoot):
    project, admin = admin_project
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    rater = UserFactory(username="rater")
    for winner in "abab":
        verdict(make_comparison(project), rater, winner, strength=1)
    written = []
    for _ in range(2):  # the same export asked twice, nothing judged between
        snapshot = snapshot_request(project=project, options=SnapshotOptions.from_json({"format": "trl"}), user=admin)
        snapshot_build(snapshot_id=snapshot.pk)
        written.append(snapshot.pk)
    first, second = written

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/snapshots")
    row = page.get_by_test_id(f"snapshot-{second}")
    expect(row.get_by_test_id("snapshot-reused")).to_contain_text(f"unchanged since snapshot #{first}: reused")
    expect(row.get_by_test_id("snapshot-reused")).to_contain_text("no new files")
    expect(page.get_by_test_id(f"snapshot-{first}").get_by_test_id("snapshot-reused")).to_have_count(0)
    shoot(page, "data-snapshot-reused")


def test_a_snapshot_whose_filters_left_no_training_row_says_so(page, admin_project, settings, tmp_path):
    project, admin = admin_project
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    rater = UserFactory(username="rater")
    for winner in "abab":
        verdict(make_comparison(project), rater, winner, strength=1)
    built = []
    for filters in ({}, {"min_judgments": 2}):  # each comparison has one judgment
        snapshot = snapshot_request(project=project, options=SnapshotOptions.from_json({"format": "trl", "filters": filters}), user=admin)
        snapshot_build(snapshot_id=snapshot.pk)
        built.append(snapshot.pk)
    full, empty = built

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/snapshots")
    expect(page.get_by_test_id(f"snapshot-{empty}").get_by_test_id("snapshot-empty")).to_contain_text("No training rows")
    expect(page.get_by_test_id(f"snapshot-{full}").get_by_test_id("snapshot-empty")).to_have_count(0)
