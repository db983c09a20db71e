"""axe-core's WCAG 2.1 A and AA rules on every screen, in Chromium, in the light and the dark colour
scheme: a serious or critical violation fails the test, each listed by rule, element and summary.
Every violation found, whatever its impact, is saved for reading in test-artifacts/axe/<name>.json.

axe-core is a dev dependency of the frontend (frontend/node_modules/axe-core, installed by
scripts/setup.sh); a checkout without it skips these tests with the reason. The annotation
screen's keyboard and focus behaviour is in test_annotate_keyboard_focus.py."""

import json

import pytest
from playwright.sync_api import expect

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.models import Flag
from labeling.stats.payload import project_stats_compute
from labeling.stats.services import project_stats_store
from tests.browser.conftest import FRONTEND, PASSWORD, REPO, log_in, watched_page
from tests.browser.test_annotate_pairwise import CODE_ANSWER, LOOP_ANSWER
from tests.browser.test_checkpoint_report import write_report
from tests.browser.test_run_list import finished_run
from tests.browser.test_screens import GUIDELINES
from tests.factories import (
    ProjectFactory,
    UserFactory,
    add_member,
    make_comparison,
    make_prompt,
    new_client_key,
)
from tests.labeling.stats.judge_builders import verdict
from training.models import ModelCheckpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = REPO / "test-artifacts" / "axe"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = {"serious", "critical"}
MODELS = ("llama-3-8b-instruct", "mistral-7b-instruct-v0.3", "qwen2.5-7b-instruct", "gemma-2-9b-it")
RUN_AXE = """([context, tags]) => axe.run(context || document,
  {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}).then((result) => result.violations)"""


@pytest.fixture(scope="session")
def axe_script():
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run scripts/setup.sh (or `cd frontend && npm ci`) to install axe-core")
    return str(AXE)


@pytest.fixture
def page(chromium, live_server, frontend_dist, problems):
    """conftest's page, in a context that lets axe's script past the app's Content-Security-Policy
    (script-src 'self')."""
    with watched_page(chromium, live_server, problems, bypass_csp=True) as page:
        yield page


def violation_lines(scheme: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        if violation["impact"] not in FAILING:
            continue
        targets = [" ".join(node["target"]) for node in violation["nodes"]]
        shown = ", ".join(targets[:6]) + (f" and {len(targets) - 6} more" if len(targets) > 6 else "")
        lines.append(f"[{scheme}] {violation['id']} ({violation['impact']}) {shown}: {violation['help']}")
    return lines


@pytest.fixture
def audit(page, axe_script):
    """``audit(name, exclude=())`` runs axe on the page as it is now, in both colour schemes, and
    fails on serious or critical violations. ``exclude``: CSS selectors of nodes left out."""

    def run(name: str, exclude: tuple[str, ...] = ()) -> None:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.add_script_tag(path=axe_script)
        context = {"exclude": [[selector] for selector in exclude]} if exclude else None
        failing = []
        for scheme in ("light", "dark"):  # the app follows the system's scheme: both must read
            page.emulate_media(color_scheme=scheme)
            page.wait_for_timeout(300)  # colour transitions settle before contrast is measured
            violations = page.evaluate(RUN_AXE, [context, WCAG_21_AA])
            REPORTS.mkdir(parents=True, exist_ok=True)
            (REPORTS / f"{name}-{scheme}.json").write_text(json.dumps(violations, indent=1))
            failing += violation_lines(scheme, violations)
        page.emulate_media(color_scheme="light")
        assert failing == [], f"{name}: serious or critical axe violations:\n" + "\n".join(failing)

    return run


@pytest.fixture
def admin(db):
    return UserFactory(username="ada-admin", is_staff=True)


@pytest.fixture
def busy(admin, tmp_path):
    """A pairwise project with a strength scale, judged by two people (a flag, stats computed), one
    comparison left to judge, a judgment for the reviewer, two finished runs and a reward checkpoint
    with a report."""
    project = ProjectFactory(name="Helpful chat v3", guidelines=GUIDELINES, overlap=2,
                             strength_scale=["slightly better", "better", "much better"])
    add_member(project, admin, role="admin")
    reviewer = UserFactory(username="rita-reviewer")
    add_member(project, reviewer, role="reviewer")
    people = [UserFactory(username=f"rater-{i}") for i in range(2)]
    for person in people:
        add_member(project, person)
    comparisons = []
    for i in range(4):
        comparison = make_comparison(project, models_=(MODELS[i % 3], MODELS[(i + 1) % 3]), texts=[CODE_ANSWER, LOOP_ANSWER],
                                     prompt=make_prompt(project, f"How do I find the {i + 2} most common words in Python?"))
        for who, winner in [(people[0], "a"), (people[1], "ab"[i % 2])]:
            verdict(comparison, who, winner, strength=2, time_spent_ms=900 + 700 * i)
        comparisons.append(comparison)
    Flag.objects.create(project=project, comparison=comparisons[0], annotator=people[0], reason="unsafe", note="rm -rf")
    left = make_comparison(project, models_=MODELS[:2], texts=[CODE_ANSWER, LOOP_ANSWER], priority=1)
    comparison_lease_next(project=project, annotator=people[0])
    judgment_create(annotator=people[0], comparison_id=left.pk, client_key=new_client_key(), winner="b", strength=1,
                    rationale="B explains the sort.", time_spent_ms=3100)
    make_comparison(project, models_=MODELS[:2], texts=[CODE_ANSWER, LOOP_ANSWER])  # left for the admin to judge
    project_stats_store(project=project, payload=project_stats_compute(project))
    runs = [finished_run(project, learning_rate=lr, lora_r=0, losses=losses, val_accuracy=0.8, val_count=100)
            for lr, losses in [(0.0005, [0.9, 0.7, 0.6, 0.5]), (0.00001, [0.95, 0.9, 0.88])]]
    write_report(tmp_path / "rm")
    checkpoint = ModelCheckpoint.objects.create(project=project, name="rm-step-40", kind="reward", path=str(tmp_path / "rm"),
                                                run=runs[0])
    return {"project": project, "reviewer": reviewer, "comparison": comparisons[0], "run": runs[0], "checkpoint": checkpoint}


def dashboard(busy, rest: str = "") -> str:
    return f"/projects/{busy['project'].pk}/dashboard{rest}"


def annotate(page, project, username):
    log_in(page, username, next_path=f"/projects/{project.pk}/annotate")
    expect(page.get_by_test_id("comparison")).to_be_visible()


def test_login(page, audit, admin):
    page.goto("/login/")
    audit("login")
    page.locator("#id_username").fill(admin.username)
    page.locator("#id_password").fill(PASSWORD + "-wrong")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    audit("login-failed")


def test_project_list(page, audit, busy, admin):
    log_in(page, admin.username, next_path="/")
    expect(page.get_by_test_id(f"dashboard-{busy['project'].slug}")).to_be_visible()
    audit("project-list")


def test_annotate_pairwise_with_strength(page, audit, busy, admin):
    annotate(page, busy["project"], admin.username)
    audit("annotate-pairwise")
    page.keyboard.press("a")
    page.keyboard.press("2")
    audit("annotate-pairwise-chosen")
    page.keyboard.press("?")
    expect(page.get_by_test_id("help")).to_be_visible()
    audit("annotate-pairwise-help")
    page.keyboard.press("Escape")
    page.keyboard.press("f")
    expect(page.get_by_test_id("flag-menu")).to_be_visible()
    audit("annotate-pairwise-flag")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")  # submitted: the confirmation, History and Undo in the dock
    expect(page.get_by_test_id("undo")).to_be_visible()
    page.keyboard.press("h")
    expect(page.get_by_test_id("history")).to_be_visible()
    audit("annotate-pairwise-history")


def test_annotate_ranking(page, audit, annotator_user):
    project = ProjectFactory(name="Rank summaries", task_type="ranking", responses_per_comparison=4, allow_ties=True,
                             collect_demonstrations=True, guidelines="Rank the summaries **best first**.")
    add_member(project, annotator_user)
    make_comparison(project, models_=MODELS, texts=["Revenue grew 4%.", "Costs were flat.", "It is a report.", "Churn fell."])
    annotate(page, project, annotator_user.username)
    audit("annotate-ranking")
    for key in ["b", "ArrowUp", "c", "="]:  # B first, C equal to the one above it
        page.keyboard.press(key)
    audit("annotate-ranking-tied")


def test_annotate_with_criteria(page, audit, annotator_user):
    project = ProjectFactory(name="Helpful and harmless", guidelines=GUIDELINES, criteria=["helpful", "harmless"])
    add_member(project, annotator_user)
    make_comparison(project, texts=[CODE_ANSWER, LOOP_ANSWER])
    annotate(page, project, annotator_user.username)
    audit("annotate-criteria")
    for key in ["a", "j", "b", "t"]:  # overall A; the next criterion B, then a tie
        page.keyboard.press(key)
    audit("annotate-criteria-chosen")


def test_review(page, audit, busy):
    log_in(page, busy["reviewer"].username, next_path=f"/projects/{busy['project'].pk}/review")
    expect(page.get_by_test_id("review-entry").first).to_be_visible()
    audit("review")


def test_dashboard_overview(page, audit, busy, admin):
    log_in(page, admin.username, next_path=dashboard(busy))
    expect(page.get_by_test_id("overview")).to_be_visible()
    audit("overview")


def test_data_comparisons(page, audit, busy, admin):
    log_in(page, admin.username, next_path=dashboard(busy, "/data/comparisons"))
    expect(page.get_by_test_id("comparison-table")).to_be_visible()
    audit("data-comparisons")


def test_comparison_page(page, audit, busy, admin):
    log_in(page, admin.username, next_path=dashboard(busy, f"/comparisons/{busy['comparison'].pk}"))
    expect(page.get_by_test_id("comparison-judgments")).to_be_visible()
    audit("comparison")


def test_leaderboard(page, audit, busy, admin):
    log_in(page, admin.username, next_path=dashboard(busy, "/leaderboard"))
    expect(page.get_by_test_id("leaderboard-table")).to_be_visible()
    audit("leaderboard")


def test_training(page, audit, busy, admin, axe_script):
    log_in(page, admin.username, next_path=dashboard(busy, "/training"))
    expect(page.get_by_test_id("run-table")).to_be_visible()
    audit("training")
    # Beyond the WCAG gate, axe's best practice: the actions column has a header a screen reader
    # can say, and the base model's box a name of its own (a placeholder goes once text is typed).
    page.get_by_test_id("run-base-mode-model").click()
    expect(page.get_by_test_id("run-base-model")).to_be_visible()
    only = """(rules) => axe.run(document, {runOnly: {type: 'rule', values: rules}}).then((r) => r.violations.map((v) => v.id))"""
    assert page.evaluate(only, ["empty-table-header", "label", "label-title-only"]) == []


def test_run_and_checkpoint_pages(page, audit, busy, admin):
    log_in(page, admin.username, next_path=dashboard(busy, f"/training/runs/{busy['run'].pk}"))
    expect(page.get_by_test_id("run-detail")).to_be_visible()
    audit("run")
    page.goto(dashboard(busy, f"/training/checkpoints/{busy['checkpoint'].pk}"))
    expect(page.get_by_test_id("checkpoint-report")).to_be_visible()
    audit("checkpoint-report")


def test_settings(page, audit, busy, admin):
    log_in(page, admin.username, next_path=dashboard(busy, "/data/settings"))
    expect(page.get_by_test_id("settings-panel")).to_be_visible()
    audit("settings")


def test_the_other_data_sections(page, audit, busy, admin):
    log_in(page, admin.username, next_path=dashboard(busy, "/data/import"))
    for section, panel in [("import", "import"), ("export", "export"), ("snapshots", "snapshot"), ("members", "members")]:
        if section != "import":
            page.goto(dashboard(busy, f"/data/{section}"))
        expect(page.get_by_test_id(f"{panel}-panel")).to_be_visible()
        audit(f"data-{section}")


def test_new_project_and_not_found(page, audit, admin):
    log_in(page, admin.username, next_path="/projects/new")
    expect(page.get_by_test_id("new-project")).to_be_visible()
    audit("new-project")
    page.goto("/projects/no/such/screen")
    expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()
    audit("not-found")
