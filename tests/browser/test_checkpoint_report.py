"""A reward checkpoint's report page (issue #18 item 3): reached from the checkpoint list, it shows
accuracy with intervals overall and per criterion, the reliability diagram and ECE, the length
figures, and the checkpoint's judge beside the people; a checkpoint without a report says so and
offers a judge run. Screenshot: test-artifacts/screenshots/checkpoint-report.png."""

import json

import numpy as np
import pytest
from playwright.sync_api import expect

from labeling.models import Project
from labeling.stats.payload import project_stats_compute
from labeling.stats.services import project_stats_store
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member, make_comparison
from tests.labeling.stats.judge_builders import make_judge, verdict
from training.ml.reward_report import REPORT_FILE, pairs_report
from training.models import ModelCheckpoint, RunStatus, TrainingRun

MARKUP = '<img src=x onerror="alert(1)">'
pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def write_report(directory) -> dict:
    """A report of 12 pairs: 9 right; criterion 'helpful' (6 of 6) and a markup-named one (3 of 6)."""
    directory.mkdir()
    examples = [{"chosen": "x" * (10 + i), "rejected": "y" * 12, "criterion": "helpful" if i < 6 else MARKUP}
                for i in range(12)]
    margins = np.array([2.0, 1.5, 0.8, 3.0, 0.4, 1.1, 0.5, -0.3, 0.9, -1.2, 2.2, -0.6])
    report = {"split": "validation", **pairs_report(examples, margins)}
    (directory / REPORT_FILE).write_text(json.dumps(report))
    return report


@pytest.fixture
def checkpoints(db, tmp_path):
    """A project with a reported reward checkpoint that judged 4 comparisons two people judged,
    and one reward checkpoint without a report; stats computed."""
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = Project.objects.create(slug="reported", name="Reported")
    add_member(project, admin, role="admin")
    report = write_report(tmp_path / "rm")
    reported = ModelCheckpoint.objects.create(project=project, name="rm-step-4", kind="reward", path=str(tmp_path / "rm"))
    bare = ModelCheckpoint.objects.create(project=project, name="rm-bare", kind="reward", path=str(tmp_path / "none"))
    judge = make_judge(project, "rm-step-4")
    TrainingRun.objects.create(project=project, stage="judge", base_checkpoint=reported, status=RunStatus.SUCCEEDED,
                               result={"judge": judge.name, "annotator": judge.user_id})
    people = [UserFactory(username=f"rater-{i}") for i in range(2)]
    for i, (first, second, by_judge) in enumerate([("a", "a", "a"), ("b", "b", "a"), ("a", "b", "b"), ("a", "a", "a")]):
        comparison = make_comparison(project, texts=[f"answer {i} " * 3, f"other {i}"])
        verdict(comparison, people[0], first, strength=1)
        verdict(comparison, people[1], second, strength=1)
        verdict(comparison, judge.user, by_judge, strength=1)
    project_stats_store(project=project, payload=project_stats_compute(project))
    return project, admin, reported, bare, report


def test_a_reward_checkpoints_page_shows_its_report_and_its_agreement_with_people(page, checkpoints, shoot, problems):
    project, admin, reported, bare, report = checkpoints
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training")
    page.get_by_test_id(f"report-link-{reported.pk}").click()
    page.wait_for_url(f"**/dashboard/training/checkpoints/{reported.pk}")
    expect(page.get_by_test_id("report-checkpoint-name")).to_have_text("rm-step-4")
    expect(page.get_by_test_id("report-overall")).to_contain_text("75.0%")  # 9 of 12
    low, high = report["overall"]["interval"]
    expect(page.get_by_test_id("report-overall")).to_contain_text(f"[{low:.2f}, {high:.2f}]")
    expect(page.get_by_test_id("report-group-criterion-helpful")).to_contain_text("100.0%")
    expect(page.get_by_test_id(f"report-group-criterion-{MARKUP}")).to_contain_text("50.0%")  # shown as text
    expect(page.get_by_test_id("reliability-diagram")).to_be_visible()
    expect(page.get_by_test_id("reliability-bin")).to_have_count(len(report["calibration"]["bins"]))
    expect(page.get_by_test_id("report-ece")).to_have_text(f"{report['calibration']['ece'] * 100:.1f}%")
    correlation = report["length_bias"]["margin_length_correlation"]
    expect(page.get_by_test_id("report-length-correlation")).to_contain_text(f"{correlation:.2f}".replace("-", "−"))
    expect(page.get_by_test_id("report-longer-chosen")).to_be_visible()
    expect(page.get_by_test_id("report-shorter-chosen")).to_be_visible()
    agreement = page.get_by_test_id("judge-rm-step-4")
    expect(agreement.get_by_test_id("judge-agreement")).to_contain_text("67%")  # 2 of the 3 with a majority
    expect(agreement.get_by_test_id("judge-ceiling")).to_contain_text("75%")
    shoot(page, "checkpoint-report", full_page=True)

    page.goto(f"/projects/{project.pk}/dashboard/training/checkpoints/{bare.pk}")
    expect(page.get_by_test_id("report-empty")).to_contain_text("No report yet")
    expect(page.get_by_test_id("report-empty")).to_contain_text(f"--checkpoint {bare.pk}")
    expect(page.get_by_test_id("reliability-diagram")).to_have_count(0)
    page.get_by_test_id("report-judge-start").click()
    expect(page.get_by_test_id("report-judge-start")).to_have_text("Judging…")
    run = TrainingRun.objects.get(base_checkpoint=bare)
    assert (run.stage, run.config["which"]) == ("judge", "all")
    assert problems.dialogs == [] and problems.errors == []
