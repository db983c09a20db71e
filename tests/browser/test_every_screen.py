"""Every screen at both sizes of issue #19 (1440×900 and 390×844) and a tablet's (820×1180), saved
as artifacts (test-artifacts/screenshots/screen-<name>-<width>x<height>.png), and none wider than
its window: the page does not scroll sideways (``scrollWidth``) and no element reaches past the
viewport's sides outside a box that scrolls or clips it. The annotation screen's own checks
(verdicts and Submit in view) are in ``test_screens.py``."""

import pytest
from playwright.sync_api import expect

from labeling.models import Flag
from labeling.stats.payload import project_stats_compute
from labeling.stats.services import project_stats_store
from tests.browser.conftest import log_in
from tests.browser.test_annotate_pairwise import CODE_ANSWER, LOOP_ANSWER
from tests.browser.test_checkpoint_report import write_report
from tests.browser.test_run_list import finished_run
from tests.browser.test_screens import GUIDELINES, OFF_SCREEN
from tests.factories import ProjectFactory, UserFactory, add_member, make_comparison, make_prompt
from tests.labeling.stats.judge_builders import make_judge, verdict
from training.models import ModelCheckpoint

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SIZES = [(1440, 900), (820, 1180), (390, 844)]  # desktop, tablet (the top bar ran past 721-900 px), phone
MODELS = ("llama-3-8b-instruct", "mistral-7b-instruct-v0.3", "qwen2.5-7b-instruct")


@pytest.fixture
def busy(tmp_path):
    """A project with something on every screen: judged and flagged comparisons (two people and a
    judge), one left to judge, stats computed, two finished runs and a reward checkpoint with a
    report; an admin, a reviewer and two annotators."""
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = ProjectFactory(name="Helpful chat v3", guidelines=GUIDELINES, criteria=["helpful", "harmless"],
                             strength_scale=["slightly better", "better", "much better"], overlap=2)
    add_member(project, admin, role="admin")
    # A second card with long words (ranking, demonstrations): the admin's Dashboard and Review
    # links beside them are what pushed the project list past a phone's width.
    add_member(ProjectFactory(name="Summarisation faithfulness", task_type="ranking", responses_per_comparison=4,
                              collect_demonstrations=True, criteria=["faithfulness", "conciseness"]), admin, role="admin")
    add_member(project, UserFactory(username="rita-reviewer"), role="reviewer")
    people = [UserFactory(username=f"rater-{i}-with-a-rather-long-username") for i in range(2)]
    for person in people:
        add_member(project, person)
    judge = make_judge(project, "rm-step-40")
    comparisons = []
    for i in range(6):
        pair = (MODELS[i % 3], MODELS[(i + 1) % 3])
        comparison = make_comparison(project, models_=pair, texts=[CODE_ANSWER, LOOP_ANSWER],
                                     prompt=make_prompt(project, f"How do I find the {i + 2} most common words in Python?"))
        for who, winner in [(people[0], "a"), (people[1], "ab"[i % 2]), (judge.user, "a")]:
            verdict(comparison, who, winner, strength=2, time_spent_ms=900 + 700 * i)
        comparisons.append(comparison)
    Flag.objects.create(project=project, comparison=comparisons[0], annotator=people[0], reason="unsafe",
                        note="A mentions rm -rf")
    make_comparison(project, models_=MODELS[:2], texts=[CODE_ANSWER, LOOP_ANSWER])  # left for the admin to judge
    project_stats_store(project=project, payload=project_stats_compute(project))
    runs = [finished_run(project, learning_rate=0.0005, lora_r=0, losses=[0.9, 0.7, 0.6, 0.5], val_accuracy=0.9, val_count=200),
            finished_run(project, learning_rate=0.00001, lora_r=8, losses=[0.95, 0.9, 0.88], val_accuracy=0.5, val_count=10)]
    write_report(tmp_path / "rm")
    checkpoint = ModelCheckpoint.objects.create(project=project, name="rm-step-40", kind="reward", path=str(tmp_path / "rm"),
                                                run=runs[0])
    return project, admin, comparisons[0], runs, checkpoint


def screens(project, comparison, runs, checkpoint) -> list[tuple[str, str, str]]:
    """(name, path, a test id the screen shows once loaded) for every screen."""
    base = f"/projects/{project.pk}/dashboard"
    return [
        # the list as an admin sees it: wait for the cards and their admin links, not the page head
        ("projects", "/", f"dashboard-{project.slug}"),
        ("new-project", "/projects/new", "new-project"),
        ("annotate", f"/projects/{project.pk}/annotate", "comparison"),
        ("review", f"/projects/{project.pk}/review", "review-entry"),
        ("overview", base, "overview"),
        ("comparison", f"{base}/comparisons/{comparison.pk}", "comparison-judgments"),
        ("comparisons", f"{base}/data/comparisons", "comparison-table"),
        ("leaderboard", f"{base}/leaderboard", "leaderboard-table"),
        *[(f"data-{section}", f"{base}/data/{section}", f"{panel}-panel") for section, panel in [
            ("import", "import"), ("export", "export"), ("snapshots", "snapshot"), ("settings", "settings"),
            ("members", "members"),
        ]],
        ("training", f"{base}/training", "run-table"),
        ("training-overlay", f"{base}/training?compare={runs[0].pk},{runs[1].pk}", "overlay-chart"),
        ("run", f"{base}/training/runs/{runs[0].pk}", "run-detail"),
        ("checkpoint-report", f"{base}/training/checkpoints/{checkpoint.pk}", "checkpoint-report"),
    ]


@pytest.mark.parametrize("size", SIZES, ids=["desktop", "tablet", "phone"])
def test_every_screen_is_saved_and_fits_the_width(chromium, live_server, frontend_dist, busy, shoot, size):
    project, admin, comparison, runs, checkpoint = busy
    width, height = size
    context = chromium.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, admin.username, next_path="/")  # the first screen
    too_wide = {}
    for index, (name, path, ready) in enumerate(screens(project, comparison, runs, checkpoint)):
        if index:
            page.goto(path)
        expect(page.get_by_test_id(ready).first).to_be_visible()
        if name == "overview":  # people's 12, as the figures count them; the judge's 6 are not in them
            expect(page.get_by_text("over 12 judgments")).to_be_visible()
        page.wait_for_timeout(300)  # transitions and charts settle
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, f"screen-{name}-{width}x{height}", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        off_screen = page.evaluate(OFF_SCREEN)
        if scroll_width > width or off_screen:
            too_wide[name] = (scroll_width, off_screen)
    context.close()
    assert too_wide == {}, f"wider than {width} px: {too_wide}"
    assert errors == [], errors
