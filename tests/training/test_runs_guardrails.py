"""Guardrails on runs: too little data is refused (naming the numbers) unless forced, a
chance-level score is never a plain success, a project's queue is capped, and site staff can
cancel any run."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from labeling.errors import Conflict, InvalidInput
from labeling.models import Judgment
from tests.factories import UserFactory
from tests.labeling.exports.builders import snapshot_of
from tests.training.conftest import reward_config
from tests.training.test_runs import create, train_now
from training import guardrails, services
from training.models import ModelCheckpoint, RunStatus, TrainingRun


@pytest.fixture
def six_pair_project(labelled_project):
    """The demo's case: a project with 6 decided pairs."""
    keep = Judgment.objects.filter(project=labelled_project).order_by("pk").values_list("comparison_id", flat=True)[:6]
    Judgment.objects.filter(project=labelled_project).exclude(comparison_id__in=list(keep)).delete()
    return labelled_project


def test_a_reward_run_on_six_pairs_is_refused_naming_the_minimum(api, admin_user, six_pair_project, tiny_reward_model):
    body = {"project": six_pair_project.pk, "stage": "reward", "base_model": tiny_reward_model, "config": reward_config()}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "6 decided pairs" in detail and "16 training + 2 validation" in detail and "force" in detail
    assert not TrainingRun.objects.exists()


def test_forced_it_trains_and_finishes_with_warnings_not_a_plain_success(
    api, admin_user, six_pair_project, tiny_reward_model, settings, tmp_path
):
    settings.ARTIFACT_DIR = tmp_path
    body = {"project": six_pair_project.pk, "stage": "reward", "base_model": tiny_reward_model,
            "config": reward_config(), "force": True}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["force"] is True and "forced to train on too little data" in response.json()["warnings"][0]
    run = TrainingRun.objects.get(pk=response.json()["id"])
    train_now(run)
    shown = api(admin_user).get(f"/api/training-runs/{run.pk}/").json()
    assert shown["status"] == "succeeded"
    assert any("below the minimum of 16" in w for w in shown["warnings"]), shown["warnings"]
    assert shown["result"]["train_examples"] + shown["result"]["validation_examples"] == 6
    val = shown["result"]["metrics"].get("val_accuracy")  # none when the split left no validation pair
    assert (val is not None and val <= 0.5) == any("at or below chance" in w for w in shown["warnings"])


def test_a_snapshot_with_too_few_rows_is_refused_with_its_numbers(six_pair_project, tiny_reward_model, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    snapshot = snapshot_of(project=six_pair_project, format="trl", conversational=True)
    train, validation = snapshot.row_counts["train"], snapshot.row_counts["validation"]
    with pytest.raises(InvalidInput, match=f"{train} training examples, below the minimum of 16"):
        create(six_pair_project, base_model=tiny_reward_model, snapshot=snapshot)
    assert create(six_pair_project, base_model=tiny_reward_model, snapshot=snapshot, force=True).force
    assert train + validation == 6


def test_a_snapshot_with_no_training_row_is_refused_even_forced(six_pair_project, tiny_reward_model, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    empty = snapshot_of(project=six_pair_project, format="trl", conversational=True, filters={"min_judgments": 5})
    assert empty.row_counts["train"] == 0
    for force in (False, True):
        with pytest.raises(InvalidInput, match="no training examples: nothing to train on, forced or not"):
            create(six_pair_project, base_model=tiny_reward_model, snapshot=empty, force=force)
    assert not TrainingRun.objects.exists()


def test_the_worker_fails_a_forced_run_whose_own_export_is_empty_with_a_plain_reason(
    labelled_project, tiny_policy_model, settings, tmp_path,
):
    settings.ARTIFACT_DIR = tmp_path
    run = create(labelled_project, stage="kto", base_model=tiny_policy_model, force=True)  # rows unknown until exported
    Judgment.objects.filter(project=labelled_project).delete()
    train_now(run)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "no training examples" in run.error and "Traceback" not in run.error


def test_the_worker_refuses_too_little_data_it_exported_itself(labelled_project, tiny_policy_model, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    run = create(labelled_project, stage="kto", base_model=tiny_policy_model)  # enough data when it was made
    Judgment.objects.filter(project=labelled_project).exclude(
        pk__in=list(Judgment.objects.filter(project=labelled_project).values_list("pk", flat=True)[:5])).delete()
    train_now(run)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "below the minimum of 16" in run.error and "force" in run.error


def test_chance_level_accuracy_is_a_warning_for_preference_stages():
    assert guardrails.result_warnings("reward", {"val_accuracy": 0.0})[0].startswith("validation accuracy 0.0% is at or below chance")
    assert guardrails.result_warnings("dpo", {"val_accuracy": 0.5})
    assert guardrails.result_warnings("reward", {"val_accuracy": 0.75}) == []
    assert guardrails.result_warnings("sft", {"val_loss": 2.0}) == []


def test_few_validation_examples_are_said_not_refused():
    assert guardrails.data_problems("reward", 37, 3) == []
    assert "only 3 examples" in guardrails.data_warnings("reward", 37, 3)[0]
    assert guardrails.data_warnings("reward", 200, 20) == []


def test_a_project_may_have_only_so_many_runs_waiting(api, admin_user, labelled_project, tiny_reward_model, settings):
    settings.TRAINING_MAX_QUEUED_RUNS = 2
    for _ in range(2):
        create(labelled_project, base_model=tiny_reward_model)
    body = {"project": labelled_project.pk, "stage": "reward", "base_model": tiny_reward_model}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 409 and "TRAINING_MAX_QUEUED_RUNS = 2" in response.json()["detail"]
    with pytest.raises(Conflict, match="already has 2 runs waiting"):
        create(labelled_project, base_model=tiny_reward_model)
    services.training_run_cancel(run=TrainingRun.objects.first())  # one fewer waiting: room again
    assert create(labelled_project, base_model=tiny_reward_model).status == RunStatus.QUEUED


def test_site_staff_can_cancel_any_run_and_outsiders_cannot(api, labelled_project, outsider, tiny_reward_model):
    staff = UserFactory(username="sid-staff", is_staff=True)
    run = create(labelled_project, base_model=tiny_reward_model)
    assert api(outsider).post(f"/api/training-runs/{run.pk}/cancel/").status_code == 404
    response = api(staff).post(f"/api/training-runs/{run.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_the_django_admin_cancels_selected_runs(labelled_project, tiny_reward_model):
    queued, running = create(labelled_project, base_model=tiny_reward_model), create(labelled_project, base_model=tiny_reward_model)
    services.training_run_claim(run_id=running.pk, worker="w")
    request = RequestFactory().post("/admin/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    model_admin = site._registry[TrainingRun]
    model_admin.message_user = lambda *args, **kwargs: None
    model_admin.cancel_runs(request, TrainingRun.objects.all())
    assert TrainingRun.objects.get(pk=queued.pk).status == RunStatus.CANCELLED
    assert TrainingRun.objects.get(pk=running.pk).cancel_requested is True


def test_the_train_command_refuses_too_little_data_unless_forced(six_pair_project, tiny_reward_model):
    from django.core.management import CommandError, call_command

    args = ["train", "--project", six_pair_project.slug, "--stage", "reward", "--base-model", tiny_reward_model]
    with pytest.raises(CommandError, match="below the minimum|fewer than the 18 needed"):
        call_command(*args)
    call_command(*args, "--force")
    assert TrainingRun.objects.get().force is True


def test_only_peoples_counted_judgments_are_training_data_when_a_run_is_made(six_pair_project, tiny_reward_model):
    """A run trains on people's labels (the export's default): a judge's verdicts and judgments
    rejected in review are not data, so they cannot lift a project over the minimum at creation
    only for the worker to refuse the run once it exports."""
    from labeling.models import Comparison, ReviewState
    from tests.labeling.stats.judge_builders import make_judge, verdict

    judge = make_judge(six_pair_project)
    for comparison in Comparison.objects.filter(project=six_pair_project):
        verdict(comparison, judge.user, "a", strength=1)
    with pytest.raises(InvalidInput, match="6 decided pairs"):
        create(six_pair_project, base_model=tiny_reward_model, config=reward_config())
    Judgment.objects.filter(project=six_pair_project).exclude(annotator=judge.user).update(review=ReviewState.REJECTED)
    with pytest.raises(InvalidInput, match="the project has no judgments yet"):
        create(six_pair_project, base_model=tiny_reward_model, config=reward_config())
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize("stage", ["sft", "dpo", "kto", "grpo", "generate"])
def test_a_policy_stage_refuses_a_reward_model_as_its_base(api, admin_user, labelled_project, tiny_reward_model, stage):
    rm = ModelCheckpoint.objects.create(project=labelled_project, name="rm", kind="reward", path=tiny_reward_model)
    body = {"project": labelled_project.pk, "stage": stage, "base_checkpoint": rm.pk, "reward_checkpoint": rm.pk}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400 and response.json()["field"] == "base_checkpoint"
    assert f"is a reward model; a {stage} run starts from a policy model" in response.json()["detail"]
    assert not TrainingRun.objects.exists()
