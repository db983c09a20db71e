"""Every text a user, an import or a model can write is shown as text on every page that shows it.

``test_xss.py`` covers the annotation screen (prompts, responses, guidelines). Here: the project
list, the admin dashboard's overview, leaderboard, data and training pages (project names, model
names, usernames, flag notes, prompt excerpts, import file names, a run's base model, error,
log and sampled prompts and responses), and Django admin's list and change pages. Each payload carries a ``data-xss`` attribute:
an element with it in the DOM means some HTML was parsed, even if its script never ran.
"""

import pytest
from playwright.sync_api import expect

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.models import DataImport, Flag
from labeling.stats.services import project_stats_compute, project_stats_store
from tests.browser.conftest import log_in
from tests.factories import (
    ProjectFactory,
    UserFactory,
    add_member,
    make_comparison,
    make_prompt,
    new_client_key,
)
from training.models import ModelCheckpoint, RunSample, RunStatus, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def payload(where: str) -> str:
    return (f"<img src=x data-xss=\"{where}\" onerror=\"window.__xss='{where}';alert('{where}')\">"
            f"<script data-xss=\"{where}\">window.__xss='{where}'</script>"
            f"<svg data-xss=\"{where}\" onload=\"window.__xss='{where}'\"></svg>")


SHORT = "<img src=x data-xss onerror=window.__xss=1>"  # fits a username (150 characters)
INJECTED = "[data-xss], script[data-xss], img[onerror], svg[onload]"


def assert_inert(page, problems, what: str) -> None:
    page.wait_for_timeout(300)  # let any onerror/onload fire
    assert page.locator(INJECTED).count() == 0, f"{what}: markup from data became elements"
    assert page.evaluate("window.__xss") is None, f"{what}: a payload ran"
    assert problems.dialogs == [], f"{what}: {problems.dialogs}"


@pytest.fixture
def hostile_project(db):
    """A project where every field a person or a model writes holds markup, with stats computed."""
    project = ProjectFactory(name=payload("project-name")[:200], guidelines=payload("guidelines"), overlap=2)
    admin = UserFactory(username="xss-admin")
    add_member(project, admin, "admin")
    annotators = [UserFactory(username=SHORT.replace("=1", f"={n}")) for n in range(2)]
    for user in annotators:
        add_member(project, user)
    for i in range(4):
        prompt = make_prompt(project, payload(f"prompt-{i}"))
        make_comparison(project, prompt=prompt, models_=(payload(f"model-a{i}")[:200], f"model-b<b data-xss>{i}"),
                        texts=[payload(f"response-a{i}"), payload(f"response-b{i}")])
    for user in annotators:
        for i in range(4):
            leased = comparison_lease_next(project=project, annotator=user)
            judgment_create(annotator=user, comparison_id=leased.pk, client_key=new_client_key(), winner="ab"[i % 2],
                            strength=1, rationale=payload(f"rationale-{i}"))
            if i == 0:
                Flag.objects.create(project=project, comparison=leased, annotator=user, reason="other", note=payload("flag-note"))
    DataImport.objects.create(project=project, format="candidates", file_name=payload("file")[:255], file_sha256="0" * 64,
                              counts={"lines": 1}, created_by=admin)
    run = TrainingRun.objects.create(
        project=project, stage="reward", base_model=payload("base-model"), status=RunStatus.FAILED, created_by=admin,
        error=payload("run-error"), log_tail=payload("run-log"),
    )
    ModelCheckpoint.objects.create(project=project, run=run, name=payload("checkpoint")[:200], kind="reward", path="x")
    RunSample.objects.create(run=run, step=1, index=0, prompt=payload("sample-prompt"),
                             response=payload("sample-response"), score=0.5, truncated=True)
    project_stats_store(project=project, payload=project_stats_compute(project))
    return project, admin, run


def test_dashboard_pages_show_markup_as_text(page, problems, hostile_project, shoot):
    project, admin, run = hostile_project
    log_in(page, admin.username, next_path="/")
    expect(page.get_by_text("<img src=x data-xss=\"project-name\"", exact=False).first).to_be_visible()
    assert_inert(page, problems, "project list")

    base = f"/projects/{project.pk}/dashboard"
    for path, ready, shown in [
        (base, "overview", "flag-note"),
        (f"{base}/leaderboard", "leaderboard", "model-a"),
        (f"{base}/data", "data-page", None),
        (f"{base}/training", "training", "base-model"),
        (f"{base}/training/runs/{run.pk}", "run-detail", "run-error"),
    ]:
        page.goto(path)
        expect(page.get_by_test_id(ready)).to_be_visible()
        if shown:
            expect(page.get_by_test_id(ready)).to_contain_text(f'data-xss="{shown}', timeout=15_000)
        assert_inert(page, problems, path)
    expect(page.get_by_test_id("run-samples")).to_contain_text('data-xss="sample-response', timeout=15_000)
    expect(page.get_by_test_id("run-samples")).to_contain_text('data-xss="sample-prompt')
    assert_inert(page, problems, "run samples")
    shoot(page, "xss-dashboard-run-detail")


def test_django_admin_pages_show_markup_as_text(page, problems, hostile_project):
    project, _, run = hostile_project
    UserFactory(username="xss-root", is_staff=True, is_superuser=True)
    page.goto("/admin/login/")
    page.locator("#id_username").fill("xss-root")
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/admin/")
    for model in ("labeling/project", "labeling/prompt", "labeling/response", "labeling/comparison", "labeling/judgment",
                  "labeling/flag", "labeling/dataimport", "training/trainingrun", "training/modelcheckpoint", "auth/user"):
        page.goto(f"/admin/{model}/")
        expect(page.locator("#changelist")).to_be_visible()
        assert_inert(page, problems, f"admin {model} list")
    for url in (f"/admin/labeling/project/{project.pk}/change/", f"/admin/training/trainingrun/{run.pk}/change/"):
        page.goto(url)
        expect(page.locator("#content-main form")).to_be_visible()
        assert_inert(page, problems, url)
