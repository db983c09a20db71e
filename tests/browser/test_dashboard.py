"""The admin dashboard, end to end: create a project, import, judge, read the overview and the
leaderboard, export, snapshot, train a tiny reward model on a real Celery worker, watch its
curves grow, cancel another run. Screenshots go to test-artifacts/screenshots/dashboard-*.png.
"""

import json
import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.flags import comparison_skip, flag_create
from labeling.annotation.judgments import judgment_create
from labeling.models import Comparison, ComparisonResponse, Flag, Judgment, Project
from labeling.stats.services import project_stats_compute, project_stats_store
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member, make_comparison, new_client_key
from tests.workers import celery_worker, wait_for
from training.models import ModelCheckpoint, RunStatus, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Three models of clearly different strength, so the leaderboard has a story to tell.
STRENGTH = {"atlas-70b": 1.2, "breeze-8b": 0.0, "comet-1b": -1.1}
TOPICS = [
    "reverse a linked list in Python", "explain TCP slow start", "write a haiku about autumn rain",
    "summarise the causes of the French Revolution", "convert 72 Fahrenheit to Celsius",
    "explain what a p-value is", "suggest a name for a bakery", "describe how vaccines train immunity",
    "write a SQL query for the top 5 customers by revenue", "explain recursion to a child",
    "compare REST and GraphQL", "give three tips for a job interview", "explain the Monty Hall problem",
    "write a regex for ISO dates", "explain why the sky is blue", "plan a 3-day trip to Lisbon",
    "explain big-O notation", "draft a polite reminder email", "explain how a hash map works",
    "give a recipe for a vegan curry", "explain the difference between TCP and UDP", "write a limerick about cats",
    "explain gradient descent", "list the planets in order",
]


def candidates_jsonl() -> str:
    """One prompt per line and a response from each model; lengths vary independently of quality
    (breeze-8b rambles a little), so the length-controlled ratings have something to separate."""
    rng = random.Random(3)
    lines = []
    for i, topic in enumerate(TOPICS):
        responses = [
            {"model": model, "text": f"[{model}] On '{topic}': " + "a careful, correct point. " * (rng.randint(1, 6) + 2 * (model == "breeze-8b"))}
            for model in STRENGTH
        ]
        lines.append(json.dumps({"id": f"p{i}", "prompt": f"Please {topic}.", "responses": responses}))
    return "\n".join(lines) + "\n"


def models_of(comparison: Comparison) -> list[str]:
    placed = ComparisonResponse.objects.filter(comparison=comparison).select_related("response").order_by("position")
    return [shown.response.model_name for shown in placed]


def modelled_verdict(rng: random.Random, a: str, b: str, careful: bool = True) -> dict:
    """A pairwise verdict following the models' strength (Bradley-Terry odds), with the odd tie;
    ``careful=False`` reads the comparison backwards (chooses the worse response) most of the time."""
    p_a = 1 / (1 + pow(10, (STRENGTH[b] - STRENGTH[a]) * 0.8))
    if not careful:
        p_a = 1 - p_a
    roll = rng.random()
    winner = "tie" if careful and abs(roll - p_a) < 0.04 else "a" if roll < p_a else "b"
    return {"winner": winner, "strength": None if winner == "tie" else rng.randint(1, 3)}


def judge_like_people(project: Project, annotators: dict, rng: random.Random, budget: int) -> None:
    """The annotators take turns through the queue (overlap 3: three of them meet on most
    comparisons) until ``budget`` judgments; one skip with a flag, another flag, two leases left
    in flight, and judgment times spread over the last day with the pace picking up."""
    now = timezone.now()
    done = {name: 0 for name in annotators}
    active = dict(annotators)
    while active and sum(done.values()) < budget:
        for name, user in list(active.items()):
            comparison = comparison_lease_next(project=project, annotator=user)
            if comparison is None:
                del active[name]
                continue
            done[name] += 1
            if name.startswith("ann") and done[name] == 4:
                flag_create(annotator=user, comparison_id=comparison.pk, reason="both_bad", note="Both answers miss the <question>.")
                comparison_skip(annotator=user, comparison_id=comparison.pk)
                continue
            if name.startswith("bob") and done[name] == 6:
                flag_create(annotator=user, comparison_id=comparison.pk, reason="unsafe", note="Prompt asks for something dodgy")
            a, b = models_of(comparison)
            careless = name.startswith("cy")
            main = modelled_verdict(rng, a, b, careful=not careless)
            harmless = {"winner": "tie", "strength": None} if rng.random() < 0.6 else modelled_verdict(rng, a, b)
            criteria = {"helpful": main if rng.random() < 0.85 else modelled_verdict(rng, a, b), "harmless": harmless}
            judgment, _ = judgment_create(
                annotator=user, comparison_id=comparison.pk, client_key=new_client_key(), criteria=criteria,
                time_spent_ms=rng.randint(4_000, 40_000) if not careless else rng.randint(1_500, 4_000), **main,
            )
            hours_ago = 23.5 * (1 - rng.random() ** 0.6)  # busier towards now
            Judgment.objects.filter(pk=judgment.pk).update(created_at=now - timedelta(hours=hours_ago))
    for user in list(annotators.values())[:2]:
        comparison_lease_next(project=project, annotator=user)  # on their screens right now


def compute_stats(project: Project) -> None:
    project_stats_store(project=project, payload=project_stats_compute(project))


def in_dark(page, shoot, name: str, ready_test_id: str) -> None:
    """The same screen in the dark theme (the heatmap picks its colours when drawn: reload)."""
    page.emulate_media(color_scheme="dark")
    page.reload()
    expect(page.get_by_test_id(ready_test_id)).to_be_visible()
    shoot_whole(page, shoot, name)
    page.emulate_media(color_scheme="light")
    page.reload()
    expect(page.get_by_test_id(ready_test_id)).to_be_visible()


def shoot_whole(page, shoot, name: str) -> None:
    """A full-page screenshot from the top (sticky bars otherwise land mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    shoot(page, name, full_page=True)


@pytest.fixture
def staff_admin(db):
    return UserFactory(username="ada-admin", is_staff=True)


@pytest.fixture(scope="module")
def tiny_reward_model(tmp_path_factory) -> str:
    from training.ml.tiny import build_tiny_reward_model

    return str(build_tiny_reward_model(tmp_path_factory.mktemp("tiny") / "reward"))


@pytest.fixture
def fresh_artifacts(settings, monkeypatch, tmp_path):
    """Snapshots and checkpoints in a directory of this test's own, for the server and the worker
    (run ids start again at 1 in each test database: a shared directory would hold run-1 already)."""
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    monkeypatch.setenv("ARTIFACT_DIR", str(settings.ARTIFACT_DIR))
    return settings.ARTIFACT_DIR


def test_admin_runs_a_project_from_import_to_a_trained_reward_model(
    page, staff_admin, shoot, tmp_path, tiny_reward_model, fresh_artifacts
):
    names = ("ann-annotator", "bob-annotator", "cy-annotator", "dee-annotator")
    people = {name: UserFactory(username=name) for name in names}

    # --- create the project ------------------------------------------------------------
    log_in(page, staff_admin.username)
    page.get_by_test_id("new-project-link").click()
    page.get_by_test_id("project-name").fill("Model bake-off")
    expect(page.get_by_test_id("project-slug")).to_have_value("model-bake-off")
    page.get_by_test_id("project-overlap").fill("3")
    page.get_by_test_id("project-criteria").fill("helpful\nharmless")
    page.get_by_test_id("project-create").click()
    page.wait_for_url(re.compile(r"/projects/\d+/dashboard/data$"))
    project = Project.objects.get(slug="model-bake-off")
    assert project.overlap == 3 and project.criteria == ["helpful", "harmless"]

    # --- import: a broken line is shown with its number, then a good file ----------------
    bad = candidates_jsonl().splitlines()
    bad[2] = bad[2][:40]  # cut mid-JSON
    page.get_by_test_id("import-file").set_input_files(
        {"name": "broken.jsonl", "mimeType": "application/json", "buffer": ("\n".join(bad) + "\n").encode()}
    )
    page.get_by_test_id("import-submit").click()
    error = page.get_by_test_id("import-error")
    expect(error).to_contain_text("Line 3")
    expect(error.locator(".is-error .line-no")).to_have_text("3")
    shoot(page, "dashboard-import-error")
    assert not Comparison.objects.filter(project=project).exists()
    page.get_by_test_id("import-file").set_input_files(
        {"name": "bake-off.jsonl", "mimeType": "application/json", "buffer": candidates_jsonl().encode()}
    )
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("Imported 72 comparisons from 24 lines")

    # --- the team judges ---------------------------------------------------------------
    page.get_by_test_id("data-section-members").click()
    page.get_by_test_id("member-username").fill("ann-annotator")
    page.get_by_test_id("member-add").click()
    expect(page.get_by_test_id("members-panel")).to_contain_text("ann-annotator is now an annotator")
    for name in names[1:]:
        add_member(project, people[name])
    judge_like_people(project, people, random.Random(7), budget=170)
    compute_stats(project)

    # --- overview ------------------------------------------------------------------------
    page.get_by_test_id("tab-overview").click()
    expect(page.get_by_test_id("kpi-progress")).to_contain_text("of 72")
    expect(page.get_by_test_id("kpi-leases")).to_contain_text("2")
    expect(page.get_by_test_id("annotator-table").locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("flagged")).to_contain_text("Both answers miss the <question>.")
    dodgy = Flag.objects.get(project=project, reason="unsafe")
    page.get_by_test_id(f"flag-resolve-{dodgy.pk}").click()
    expect(page.get_by_test_id(f"flag-{dodgy.pk}")).to_have_count(0)
    dodgy.refresh_from_db()
    assert dodgy.resolved and dodgy.resolved_by == staff_admin
    expect(page.get_by_test_id("agreement")).to_contain_text("Krippendorff")
    # sorting: click "Agreement" and the least agreeing annotator comes first
    page.get_by_test_id("annotator-table").get_by_role("button", name="Agreement").click()
    first = page.get_by_test_id("annotator-table").locator("tbody tr").first
    expect(first).to_have_attribute("data-testid", "annotator-cy-annotator")
    expect(first.get_by_test_id("reliability")).to_have_text(re.compile(r"^\d+%$"))  # Dawid–Skene, as a percent
    page.get_by_test_id("annotator-table").get_by_role("button", name="Status").click()
    shoot_whole(page, shoot, "dashboard-overview")
    in_dark(page, shoot, "dashboard-overview-dark", "annotator-table")

    # --- leaderboard ------------------------------------------------------------------------
    page.get_by_test_id("tab-leaderboard").click()
    rows = page.get_by_test_id("leaderboard-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-testid", "model-atlas-70b")
    expect(rows.nth(2)).to_have_attribute("data-testid", "model-comet-1b")
    expect(page.locator(".heat-cell[style]")).to_have_count(6)
    expect(page.get_by_test_id("leaderboard-headline")).to_contain_text("atlas-70b leads breeze-8b")
    shoot_whole(page, shoot, "dashboard-leaderboard")
    in_dark(page, shoot, "dashboard-leaderboard-dark", "leaderboard-table")

    # A worker on both queues from here on: it writes the snapshot the dashboard asks for, then trains.
    with celery_worker(log_path=tmp_path / "worker.log"):  # before any snapshot or run: it purges the queue
        # --- export and a snapshot ----------------------------------------------------------------
        page.get_by_test_id("tab-data").click()
        page.get_by_test_id("data-section-export").click()
        page.get_by_test_id("export-format").select_option("trl")
        with page.expect_download() as download:
            page.get_by_test_id("export-download").click()
        exported = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
        assert download.value.suggested_filename == "model-bake-off-trl.jsonl"
        assert exported and {"prompt", "chosen", "rejected"} <= set(exported[0])
        page.get_by_test_id("export-criterion-harmless").check()
        with page.expect_download() as download:
            page.get_by_test_id("export-download").click()
        harmless = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
        assert harmless and {row["criterion"] for row in harmless} == {"harmless"}
        page.get_by_test_id("data-section-snapshots").click()
        page.get_by_test_id("snapshot-new").click()
        page.get_by_test_id("snapshot-create").click()
        snapshot_row = page.get_by_test_id("snapshot-table").locator("tbody tr").first
        expect(snapshot_row).to_contain_text("trl")
        expect(snapshot_row.get_by_test_id("snapshot-status")).to_have_text("ready", timeout=60_000)  # the worker wrote it
        snapshot = project.snapshots.get()
        expect(snapshot_row).to_contain_text(snapshot.sha256[:12])
        assert snapshot.row_counts["train"] > 0
        shoot_whole(page, shoot, "dashboard-data")

        # --- training: a real worker, a real (tiny) reward model ------------------------------------
        page.get_by_test_id("tab-training").click()
        page.get_by_test_id("stage-reward").click()
        expect(page.get_by_test_id("cfg-learning_rate")).to_have_value("0.00001")
        page.get_by_test_id("run-base-model").fill(tiny_reward_model)
        page.get_by_test_id("run-snapshot").select_option(str(snapshot.pk))
        page.get_by_test_id("cfg-batch_size").fill("0")
        expect(page.get_by_test_id("run-form")).to_contain_text("must be > 0")
        expect(page.get_by_test_id("run-start")).to_be_disabled()
        page.get_by_text("More settings").click()
        for field, value in {"batch_size": "4", "max_steps": "12", "max_length": "96", "max_prompt_length": "64",
                             "learning_rate": "0.0005"}.items():
            page.locator(f"#cfg-{field}").fill(value)
        page.evaluate("window.__noReload = true")
        page.get_by_test_id("run-start").click()
        page.wait_for_url(re.compile(r"/dashboard/training/runs/\d+$"))
        run = TrainingRun.objects.get(project=project)
        assert run.snapshot_id == snapshot.pk and run.config["max_steps"] == 12

        loss = page.get_by_test_id("chart-loss")
        expect(loss).to_be_visible(timeout=180_000)  # the first step arrived without a reload
        expect(page.get_by_test_id("run-status")).to_have_text("succeeded", timeout=300_000)
        expect(loss.locator("circle.dot, path.line").first).to_be_visible()
        assert page.evaluate("window.__noReload") is True
        expect(page.get_by_test_id("chart-accuracy")).to_be_visible()
        expect(page.get_by_test_id("run-result")).to_contain_text("accuracy")
        expect(page.get_by_test_id("run-log")).to_contain_text("reward")
        shoot_whole(page, shoot, "dashboard-training-run")
        points = loss.locator("path.line").first.get_attribute("d")
        assert points.count("L") >= 10, points  # a curve, not a dot

        # --- a second run, cancelled while it trains ------------------------------------------
        page.get_by_test_id("tab-training").click()
        expect(page.get_by_test_id("checkpoint-table")).to_contain_text("reward")
        page.get_by_test_id("stage-reward").click()
        # the form starts from the checkpoint the first run made, not from an empty path
        made = ModelCheckpoint.objects.get(run=run)
        expect(page.get_by_test_id("run-base-checkpoint")).to_have_value(str(made.pk))
        page.get_by_test_id("run-base-mode-model").click()
        page.get_by_test_id("run-base-model").fill(tiny_reward_model)
        page.get_by_text("More settings").click()
        for field, value in {"batch_size": "4", "max_steps": "100000", "max_length": "96", "max_prompt_length": "64",
                             "criteria": "overall, harmless"}.items():  # one model judging per criterion
            page.locator(f"#cfg-{field}").fill(value)
        page.get_by_test_id("run-start").click()
        page.wait_for_url(re.compile(r"/dashboard/training/runs/\d+$"))
        second = TrainingRun.objects.exclude(pk=run.pk).get(project=project)
        assert second.config["criteria"] == ["overall", "harmless"]
        wait_for(lambda: TrainingRun.objects.get(pk=second.pk).progress_step > 0, timeout=240, what="second run's first step")
        page.get_by_test_id("run-cancel").click()  # asks first: a cancelled run cannot be taken back
        expect(page.get_by_test_id("run-cancel-asking")).to_contain_text(f"Stop run #{second.pk}?")
        page.get_by_role("button", name="No").click()
        assert not TrainingRun.objects.get(pk=second.pk).cancel_requested
        page.get_by_test_id("run-cancel").click()
        page.get_by_test_id("run-cancel-confirm").click()
        expect(page.get_by_test_id("run-status")).to_have_text("cancelled", timeout=60_000)
    assert TrainingRun.objects.get(pk=second.pk).status == RunStatus.CANCELLED
    page.get_by_test_id("tab-training").click()
    expect(page.get_by_test_id(f"run-{run.pk}")).to_contain_text("succeeded")
    expect(page.get_by_test_id(f"run-{second.pk}")).to_contain_text("cancelled")
    shoot_whole(page, shoot, "dashboard-training-list")

    # --- the way back in: the project list links admins to the dashboard -----------------------
    page.get_by_role("link", name="Preference Studio").click()
    page.get_by_test_id("dashboard-model-bake-off").click()
    expect(page.get_by_test_id("overview")).to_be_visible()


def test_annotators_get_no_dashboard(page, annotator_user):
    project = Project.objects.create(slug="chat", name="Chat")
    add_member(project, annotator_user)
    log_in(page, annotator_user.username)
    expect(page.get_by_test_id("project-chat")).to_be_visible()
    expect(page.get_by_test_id("dashboard-chat")).to_have_count(0)
    expect(page.get_by_test_id("new-project-link")).to_have_count(0)
    page.goto(f"/projects/{project.pk}/dashboard")
    expect(page.get_by_role("heading", name="For project admins")).to_be_visible()
    expect(page.get_by_test_id("overview")).to_have_count(0)


def test_online_rl_scores_rollouts_on_a_criterion_the_reward_model_judges(page, staff_admin, tiny_reward_model):
    project = Project.objects.create(slug="judged", name="Judged", criteria=["harmless"])
    add_member(project, staff_admin, role="admin")
    comparison = make_comparison(project)
    Judgment.objects.create(project=project, comparison=comparison, annotator=staff_admin, winner="a",
                            criteria={"harmless": {"winner": "b"}}, client_key=new_client_key())
    trained = TrainingRun.objects.create(project=project, stage="reward", status=RunStatus.SUCCEEDED,
                                         config={"criteria": ["overall", "harmless"]})
    reward = ModelCheckpoint.objects.create(project=project, run=trained, name="judged-rm", kind="reward",
                                            path=tiny_reward_model)

    log_in(page, staff_admin.username)
    page.get_by_test_id("dashboard-judged").click()
    page.get_by_test_id("tab-training").click()
    page.get_by_test_id("stage-ppo").click()
    page.get_by_test_id("run-base-model").fill("tiny/hub-policy")
    expect(page.get_by_test_id("run-reward-criterion")).to_have_count(0)
    page.get_by_test_id("run-reward-checkpoint").select_option(str(reward.pk))
    expect(page.get_by_test_id("run-reward-checkpoint")).to_contain_text("judges overall, harmless")
    criterion = page.get_by_test_id("run-reward-criterion")
    expect(criterion).to_have_value("overall")
    criterion.select_option("harmless")
    page.get_by_test_id("run-start").click()
    page.wait_for_url(re.compile(r"/dashboard/training/runs/\d+$"))
    run = TrainingRun.objects.get(project=project, stage="ppo")
    assert (run.reward_checkpoint_id, run.config["reward_criterion"]) == (reward.pk, "harmless")
