"""The run list reads each run's key settings and final figures, and overlays ticked runs'
curves on one chart (issue #19 item 7). Screenshot: test-artifacts/screenshots/training-overlay.png."""

import pytest
from playwright.sync_api import expect

from labeling.models import Project
from tests.browser.conftest import log_in
from tests.factories import UserFactory, add_member
from training.models import RunMetric, RunStatus, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def finished_run(project, *, learning_rate, lora_r, losses, val_accuracy, val_count):
    run = TrainingRun.objects.create(
        project=project, stage="reward", status=RunStatus.SUCCEEDED, base_model="org/tiny-base",
        config={"learning_rate": learning_rate, "epochs": 2, "max_steps": None, "lora_r": lora_r, "num_processes": 1,
                "num_machines": 1},
        progress_step=len(losses), progress_total=len(losses),
        result={"steps": len(losses), "metrics": {"loss": losses[-1], "val_accuracy": val_accuracy, "val_count": val_count,
                                                  "learning_rate": learning_rate}},
    )
    RunMetric.objects.bulk_create(
        RunMetric(run=run, step=step, values={"loss": loss, "accuracy": 0.5 + step / 100}) for step, loss in enumerate(losses, 1)
    )
    return run


def test_the_run_list_shows_settings_and_final_figures_and_overlays_two_runs(page, shoot):
    admin = UserFactory(username="ada-admin", is_staff=True)
    project = Project.objects.create(slug="tuning", name="Tuning")
    add_member(project, admin, role="admin")
    full = finished_run(project, learning_rate=0.0005, lora_r=0, losses=[0.9, 0.7, 0.6, 0.5], val_accuracy=0.9,
                        val_count=200)
    lora = finished_run(project, learning_rate=0.00001, lora_r=8, losses=[0.95, 0.9, 0.88], val_accuracy=0.5,
                        val_count=10)

    log_in(page, admin.username, next_path=f"/projects/{project.pk}/dashboard/training")
    first = page.get_by_test_id(f"run-{full.pk}")
    expect(first.get_by_test_id("run-settings")).to_contain_text("lr 5e-4")
    expect(first.get_by_test_id("run-settings")).to_contain_text("2 epochs")
    expect(first.get_by_test_id("run-settings")).to_contain_text("full")
    expect(first.get_by_test_id("run-settings")).to_contain_text("1 process")
    expect(first.get_by_test_id("run-final")).to_contain_text("val accuracy 90.0%")
    expect(first.get_by_test_id("run-final")).to_contain_text("loss 0.5")
    expect(first.locator('[data-metric="val_accuracy"]')).to_have_class("chip metric-chip is-key")
    second = page.get_by_test_id(f"run-{lora.pk}")
    expect(second.get_by_test_id("run-settings")).to_contain_text("lr 1e-5")
    expect(second.get_by_test_id("run-settings")).to_contain_text("LoRA r8")
    # chance level on ten pairs: no success colour
    expect(second.locator('[data-metric="val_accuracy"]')).to_have_class("chip metric-chip is-warn")

    expect(page.get_by_test_id("run-overlay")).to_have_count(0)
    page.get_by_test_id(f"run-select-{full.pk}").check()
    expect(page.get_by_test_id("run-overlay")).to_have_count(0)  # one run is nothing to compare
    page.get_by_test_id(f"run-select-{lora.pk}").check()
    chart = page.get_by_test_id("overlay-chart")
    expect(chart.locator("path.line")).to_have_count(2)
    expect(chart.locator(".legend-item")).to_have_count(2)
    expect(chart.locator(f'[data-series="run-{full.pk}"]')).to_contain_text(f"#{full.pk} reward")
    expect(chart.locator(f'[data-series="run-{lora.pk}"]')).to_contain_text("0.88")
    expect(chart.locator(".series-0 path.line")).to_have_count(1)
    expect(chart.locator(".series-1 path.line")).to_have_count(1)
    ticks = chart.locator('text.tick[text-anchor="end"]').all_text_contents()
    assert len(ticks) >= 2 and len(ticks) == len(set(ticks)), ticks  # every y tick reads as its own number
    shoot(page, "training-overlay", full_page=True)

    # the overlay is in the address: shared or reloaded, it opens again
    assert page.url.endswith(f"?compare={full.pk},{lora.pk}"), page.url
    page.reload()
    expect(page.get_by_test_id("overlay-chart").locator("path.line")).to_have_count(2)
    expect(page.get_by_test_id(f"run-select-{lora.pk}")).to_be_checked()

    page.get_by_test_id("overlay-metric").select_option("accuracy")
    expect(chart.locator('text.tick[text-anchor="end"]').first).to_contain_text("%")
    page.get_by_test_id("overlay-clear").click()
    expect(page.get_by_test_id("run-overlay")).to_have_count(0)
    expect(page.get_by_test_id(f"run-select-{full.pk}")).not_to_be_checked()
    assert "compare" not in page.url
