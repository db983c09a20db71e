"""The Data tab by section (issue #19 items 10 and 12): each section has its own address that
survives a reload and the back button; an export counts its rows before the download; import
errors name the line and the column or field; the new-project form shows the server's field
errors next to their inputs. Screenshots: test-artifacts/screenshots/data-*.png."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from labeling.models import Judgment, Project
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member, make_comparison, new_client_key

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def judged_project(db):
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = Project.objects.create(slug="sections", name="Sections")
    add_member(project, admin, role="admin")
    for winner in "aba":
        Judgment.objects.create(project=project, comparison=make_comparison(project), annotator=admin, winner=winner,
                                client_key=new_client_key())
    return project, admin


def test_each_data_section_has_an_address_that_survives_a_reload(page, judged_project, shoot):
    project, admin = judged_project
    base = f"/projects/{project.pk}/dashboard/data"
    log_in(page, admin.username, next_path=f"{base}/members")
    expect(page.get_by_test_id("members-panel")).to_be_visible()
    expect(page.get_by_test_id("data-section-members")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("import-panel")).to_have_count(0)

    page.get_by_test_id("data-section-export").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/export$"))
    expect(page.get_by_test_id("export-panel")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("export-panel")).to_be_visible()
    expect(page.get_by_test_id("members-panel")).to_have_count(0)
    page.go_back()
    expect(page.get_by_test_id("members-panel")).to_be_visible()

    page.goto(base)  # the tab's own address opens its first section
    expect(page.get_by_test_id("import-panel")).to_be_visible()
    expect(page.get_by_test_id("data-section-import")).to_have_attribute("aria-current", "page")
    for section, panel in [("snapshots", "snapshot-panel"), ("settings", "settings-panel")]:
        page.get_by_test_id(f"data-section-{section}").click()
        expect(page.get_by_test_id(panel)).to_be_visible()
        assert page.url.endswith(f"{base}/{section}")
    shoot(page, "data-settings-section")


def test_an_export_counts_its_rows_before_the_download(page, judged_project):
    project, admin = judged_project
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/export")
    expect(page.get_by_test_id("export-rows")).to_have_count(0)
    # gold is in the file by default, while the stats leave it out: said beside the box
    expect(page.get_by_test_id("export-panel").get_by_test_id("gold-note")).to_contain_text("the stats leave gold out")
    page.get_by_test_id("export-count").click()
    expect(page.get_by_test_id("export-rows")).to_have_text("writes 3 rows")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    rows = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert len(rows) == 3

    page.get_by_test_id("export-format").select_option("raw")  # other options: the count is forgotten
    expect(page.get_by_test_id("export-rows")).to_have_count(0)
    page.get_by_test_id("export-file").select_option("csv")
    page.get_by_test_id("export-count").click()
    expect(page.get_by_test_id("export-rows")).to_have_text("writes 3 rows")  # rows, not the CSV's header


def test_import_errors_name_the_line_and_column_or_field_and_the_format_a_file_looks_like(page, judged_project, shoot):
    project, admin = judged_project
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/import")
    good = json.dumps({"prompt": "Hi", "responses": [{"text": "a", "model": "m1"}, {"text": "b", "model": "m2"}]})
    page.get_by_test_id("import-file").set_input_files(
        {"name": "broken.jsonl", "mimeType": "application/json", "buffer": f'{good}\n{{"prompt": "Hi", "resp\n'.encode()}
    )
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-error-place")).to_have_text(re.compile(r"^Line 2, column \d+:$"))
    expect(page.get_by_test_id("import-error").locator(".is-error .line-no")).to_have_text("2")
    expect(page.get_by_test_id("import-error-caret")).to_contain_text("^")
    shoot(page, "data-import-column")

    page.get_by_test_id("import-file").set_input_files(
        {"name": "no-prompt.jsonl", "mimeType": "application/json", "buffer": f'{good}\n{{"responses": ["a", "b"]}}\n'.encode()}
    )
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-error-place")).to_have_text("Line 2, field prompt:")

    trl = json.dumps({"prompt": "Hi", "chosen": "a", "rejected": "b"})
    page.get_by_test_id("import-file").set_input_files(
        {"name": "pairs.jsonl", "mimeType": "application/json", "buffer": f"{trl}\n".encode()}
    )
    expect(page.get_by_test_id("import-format-hint")).to_contain_text("looks like TRL preference")
    page.get_by_test_id("import-format-switch").click()
    expect(page.get_by_test_id("import-format")).to_have_value("trl")
    expect(page.get_by_test_id("import-format-hint")).to_have_count(0)


def test_the_new_project_form_shows_the_servers_field_errors_next_to_their_inputs(page, judged_project, shoot):
    _, admin = judged_project
    log_in(page, admin.username, next_path="/projects/new")
    page.get_by_test_id("project-name").fill("Sections")  # the slug 'sections' is taken
    expect(page.get_by_test_id("project-slug")).to_have_value("sections")
    page.get_by_test_id("project-create").click()
    slug_field = page.locator("label.field", has=page.get_by_test_id("project-slug"))
    expect(slug_field.locator(".field-error")).to_contain_text("slug")
    expect(page.get_by_test_id("project-error")).to_have_count(0)  # next to the field, not as a banner
    expect(page.get_by_test_id("project-create")).to_be_disabled()
    shoot(page, "data-new-project-field-error")

    page.get_by_test_id("project-slug").fill("sections-2")
    expect(slug_field.locator(".field-error")).to_have_count(0)
    page.get_by_test_id("project-create").click()
    page.wait_for_url(re.compile(r"/projects/\d+/dashboard/data$"))
    assert Project.objects.filter(slug="sections-2").exists()


def test_the_settings_turn_on_serving_judges_doubts_first(page, judged_project):
    project, admin = judged_project
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/settings")
    page.get_by_test_id("judge-priority").check()
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-panel")).to_contain_text("Saved: judge priority.")
    project.refresh_from_db()
    assert project.judge_priority is True


def test_the_settings_take_a_weeks_lease_and_say_what_to_fix_when_a_field_is_wrong(page, judged_project):
    """The form stopped at 1440 minutes where the server takes a week, and with a field wrong its
    disabled button read "No changes" beside the edit."""
    project, admin = judged_project
    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/data/settings")
    lease = page.locator("label.field", has_text="Lease").locator("input")
    lease.fill("0")
    expect(page.get_by_test_id("settings-save")).to_have_text("Fix the marked fields")
    expect(page.get_by_test_id("settings-save")).to_be_disabled()
    lease.fill("10080")
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-panel")).to_contain_text("Saved: lease minutes.")
    project.refresh_from_db()
    assert project.lease_minutes == 10080


def test_a_refusal_that_names_its_field_is_shown_next_to_that_input(page, judged_project):
    """A domain error ({detail, code, field}) went into the form's banner, with "field: criteria"
    appended, instead of beside the input it names."""
    _, admin = judged_project
    log_in(page, admin.username, next_path="/projects/new")
    page.get_by_test_id("project-name").fill("Criteria")
    page.get_by_test_id("project-criteria").fill("helpful\noverall")
    page.get_by_test_id("project-create").click()
    criteria_field = page.locator("label.field", has=page.get_by_test_id("project-criteria"))
    expect(criteria_field.locator(".field-error")).to_contain_text("names the main verdict")
    expect(page.get_by_test_id("project-error")).to_have_count(0)
