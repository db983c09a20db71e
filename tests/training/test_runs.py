"""The run lifecycle without a worker: validation, permissions, claim, cancel, reaping, dispatch."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError

from labeling.errors import Conflict, InvalidInput
from labeling.exports.options import SnapshotOptions
from labeling.exports.snapshots import snapshot_request
from labeling.models import Judgment
from tests.labeling.exports.builders import snapshot_of
from tests.training.conftest import reward_config
from training import runner, services
from training.inputs import stage_examples
from training.models import ModelCheckpoint, RunStatus, TrainingRun


def create(project, **kw):
    """A run on ``project``; callers pass a project with judgments (labelled_project)."""
    return services.training_run_create(project=project, stage=kw.pop("stage", "reward"), **kw)[0]


def train_now(run) -> dict:
    """What a worker does with ``run``, in this process and without the heartbeat thread: claim,
    train, finish (registering the checkpoint); the run's stored result."""
    attempt = services.training_run_claim(run_id=run.pk, worker="test")
    run = TrainingRun.objects.get(pk=run.pk)
    control = runner.StepControl(run, attempt, runner.Heartbeat(run.pk, attempt, runner.LogTail()))
    outcome = runner.STAGES[run.stage](run, control)
    assert services.training_run_finish(
        run_id=run.pk, attempt=attempt, status=outcome.status, result=outcome.result, checkpoint=outcome.checkpoint,
        warnings=outcome.warnings or None, error=outcome.error,
    ), outcome.error
    return TrainingRun.objects.get(pk=run.pk).result


def test_unknown_config_key_is_refused_before_queueing(labelled_project, tiny_reward_model):
    with pytest.raises(InvalidInput, match="learning_rat"):
        create(labelled_project, base_model=tiny_reward_model, config={"learning_rat": 1e-4})
    assert not TrainingRun.objects.exists()


def test_out_of_range_value_names_the_field(labelled_project, tiny_reward_model):
    with pytest.raises(InvalidInput, match="batch_size"):
        create(labelled_project, base_model=tiny_reward_model, config={"batch_size": 0})


def test_missing_local_base_model_is_refused(labelled_project):
    with pytest.raises(InvalidInput, match="does not exist"):
        create(labelled_project, base_model="/nowhere/model")


@pytest.mark.parametrize("stage", ["ppo", "grpo", "rloo"])
def test_online_rl_needs_a_reward_checkpoint(labelled_project, tiny_policy_model, stage):
    with pytest.raises(InvalidInput, match=f"a {stage} run needs reward_checkpoint \\(a reward model checkpoint\\)"):
        create(labelled_project, stage=stage, base_model=tiny_policy_model)
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize("stage", ["ppo", "grpo", "rloo"])
def test_online_rl_reward_checkpoint_must_be_a_reward_model(labelled_project, tiny_policy_model, stage):
    policy = ModelCheckpoint.objects.create(project=labelled_project, name="p", kind="policy", path=tiny_policy_model)
    with pytest.raises(InvalidInput, match="not a reward model"):
        create(labelled_project, stage=stage, base_model=tiny_policy_model, reward_checkpoint=policy)


def test_group_size_below_two_is_refused_naming_the_field(labelled_project, tiny_policy_model, tiny_reward_model):
    reward = ModelCheckpoint.objects.create(project=labelled_project, name="r", kind="reward", path=tiny_reward_model)
    with pytest.raises(InvalidInput, match=r"GRPOConfig\.num_generations must be >= 2"):
        create(labelled_project, stage="grpo", base_model=tiny_policy_model, reward_checkpoint=reward,
               config={"num_generations": 1})


@pytest.mark.django_db(transaction=True)
def test_created_run_is_dispatched_after_commit(labelled_project, tiny_reward_model):
    run = create(labelled_project, base_model=tiny_reward_model, config=reward_config())
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.dispatched_at is not None


@pytest.mark.django_db(transaction=True)
def test_broker_down_keeps_the_run_queued_and_dispatches_later(labelled_project, tiny_reward_model):
    with mock.patch("training.tasks.run_training.apply_async", side_effect=OperationalError("connection refused")):
        run = create(labelled_project, base_model=tiny_reward_model, config=reward_config())
        assert services.dispatch_pending_runs() == 0
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.dispatched_at is None
    assert services.dispatch_pending_runs() == 1
    run.refresh_from_db()
    assert run.dispatched_at is not None


def test_only_one_worker_claims_a_run(labelled_project, tiny_reward_model):
    run = create(labelled_project, base_model=tiny_reward_model)
    assert services.training_run_claim(run_id=run.pk, worker="w1")
    assert not services.training_run_claim(run_id=run.pk, worker="w2")
    run.refresh_from_db()
    assert run.worker == "w1" and run.status == RunStatus.RUNNING


def test_cancelling_a_queued_run_ends_it_at_once_and_no_worker_claims_it(labelled_project, tiny_reward_model):
    run = services.training_run_cancel(run=create(labelled_project, base_model=tiny_reward_model))
    assert run.status == RunStatus.CANCELLED
    assert not services.training_run_claim(run_id=run.pk, worker="w1")


def test_cancelling_a_running_run_makes_its_heartbeat_say_stop(labelled_project, tiny_reward_model):
    run = create(labelled_project, base_model=tiny_reward_model)
    services.training_run_claim(run_id=run.pk, worker="w1")
    assert services.training_run_heartbeat(run_id=run.pk) is True
    services.training_run_cancel(run=run)
    assert services.training_run_heartbeat(run_id=run.pk) is False


def test_cancelling_a_finished_run_is_a_conflict(labelled_project, tiny_reward_model):
    run = create(labelled_project, base_model=tiny_reward_model)
    services.training_run_claim(run_id=run.pk, worker="w1")
    services.training_run_finish(run_id=run.pk, status=RunStatus.SUCCEEDED)
    with pytest.raises(Conflict):
        services.training_run_cancel(run=TrainingRun.objects.get(pk=run.pk))


def test_reaper_requeues_runs_whose_heartbeats_stopped_and_spares_live_ones(labelled_project, tiny_reward_model):
    dead, alive = create(labelled_project, base_model=tiny_reward_model), create(labelled_project, base_model=tiny_reward_model)
    for run in (dead, alive):
        services.training_run_claim(run_id=run.pk, worker="w")
    TrainingRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert services.training_runs_reap() == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == RunStatus.QUEUED and dead.attempts == 1 and "heartbeats" in dead.error
    assert dead.dispatched_at is not None  # sent again at once (the beat's dispatch would retry)
    assert TrainingRun.objects.get(pk=alive.pk).status == RunStatus.RUNNING
    assert services.training_run_claim(run_id=dead.pk, worker="w2") == 2


def test_reaper_fails_a_run_whose_last_attempt_lost_its_worker(labelled_project, tiny_reward_model, settings):
    settings.TRAINING_RUN_MAX_ATTEMPTS = 2
    run = create(labelled_project, base_model=tiny_reward_model)
    for _ in range(2):
        services.training_run_claim(run_id=run.pk, worker="w")
        TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
        assert services.training_runs_reap() == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.attempts == 2
    assert "attempt 2: the worker stopped sending heartbeats" in run.error and "gave up after 2 attempts" in run.error


def test_reaper_cancels_a_dead_run_whose_cancel_was_requested(labelled_project, tiny_reward_model):
    run = create(labelled_project, base_model=tiny_reward_model)
    services.training_run_claim(run_id=run.pk, worker="w")
    services.training_run_cancel(run=run)
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    services.training_runs_reap()
    assert TrainingRun.objects.get(pk=run.pk).status == RunStatus.CANCELLED


def test_a_reaped_run_cannot_be_finished_by_a_late_worker(labelled_project, tiny_reward_model, tmp_path):
    run = create(labelled_project, base_model=tiny_reward_model)
    first = services.training_run_claim(run_id=run.pk, worker="w")
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    services.training_runs_reap()
    checkpoint = {"path": tmp_path, "kind": "reward", "metrics": {}}
    assert services.training_run_finish(run_id=run.pk, attempt=first, status=RunStatus.SUCCEEDED, checkpoint=checkpoint) is False
    assert TrainingRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    second = services.training_run_claim(run_id=run.pk, worker="w2")
    # The first worker, still alive, is told to stop at its next step and writes nothing.
    assert services.training_run_progress(run_id=run.pk, attempt=first, step=9, total=10, metrics={"loss": 1.0}) is False
    assert services.training_run_heartbeat(run_id=run.pk, attempt=first) is False
    assert services.training_run_finish(run_id=run.pk, attempt=first, status=RunStatus.SUCCEEDED, checkpoint=checkpoint) is False
    assert not run.metrics.exists() and not ModelCheckpoint.objects.exists()
    assert services.training_run_progress(run_id=run.pk, attempt=second, step=1, total=10, metrics={"loss": 1.0}) is True


def test_finishing_registers_the_checkpoint_in_the_same_transaction(labelled_project, tiny_reward_model, tmp_path):
    run = create(labelled_project, base_model=tiny_reward_model)
    attempt = services.training_run_claim(run_id=run.pk, worker="w")
    checkpoint = {"path": tmp_path, "kind": "reward", "metrics": {"loss": 0.5}}
    lost = DatabaseOperationalError("server closed the connection unexpectedly")
    with mock.patch("django.db.models.query.QuerySet.update", side_effect=lost), pytest.raises(DatabaseOperationalError):
        services.training_run_finish(run_id=run.pk, attempt=attempt, status=RunStatus.SUCCEEDED, checkpoint=checkpoint)
    assert not ModelCheckpoint.objects.exists()  # a failed finish leaves no checkpoint behind
    assert services.training_run_finish(run_id=run.pk, attempt=attempt, status=RunStatus.SUCCEEDED, checkpoint=checkpoint)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.result["checkpoint"] == ModelCheckpoint.objects.get(run=run).pk


def test_progress_says_stop_when_the_run_was_failed_under_the_worker(labelled_project, tiny_reward_model):
    run = create(labelled_project, base_model=tiny_reward_model)
    attempt = services.training_run_claim(run_id=run.pk, worker="w")
    assert services.training_run_progress(run_id=run.pk, attempt=attempt, step=1, total=3, metrics={"loss": 1.0})
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    assert services.training_run_progress(run_id=run.pk, attempt=attempt, step=2, total=3, metrics={"loss": 1.0}) is False
    assert list(run.metrics.values_list("step", flat=True)) == [1]


def test_annotators_cannot_start_runs(api, labelled_project, annotator, tiny_reward_model):
    response = api(annotator).post(
        "/api/training-runs/", {"project": labelled_project.pk, "stage": "reward", "base_model": tiny_reward_model}, format="json"
    )
    assert response.status_code == 403


def test_outsiders_cannot_see_runs(api, labelled_project, outsider, tiny_reward_model):
    run = create(labelled_project, base_model=tiny_reward_model)
    assert api(outsider).get(f"/api/training-runs/{run.pk}/").status_code == 404


def test_api_reports_config_errors_clearly(api, labelled_project, admin_user, tiny_reward_model):
    response = api(admin_user).post(
        "/api/training-runs/",
        {"project": labelled_project.pk, "stage": "reward", "base_model": tiny_reward_model, "config": {"epochs": -1}},
        format="json",
    )
    assert response.status_code == 400 and "epochs" in response.json()["detail"]


def test_a_project_without_judgments_cannot_start_a_reward_run(project, tiny_reward_model):
    with pytest.raises(InvalidInput, match="no judgments yet"):
        services.training_run_create(project=project, stage="reward", base_model=tiny_reward_model)


def test_runs_train_only_on_ready_snapshots_of_their_stages_format(api, labelled_project, admin_user, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    pending = snapshot_request(project=labelled_project, options=SnapshotOptions.from_json({"format": "trl"}))  # its Celery task is never sent in this test
    with pytest.raises(Conflict, match="pending: only ready snapshots"):
        create(labelled_project, base_model="tiny/hub-model", snapshot=pending)
    body = {"project": labelled_project.pk, "stage": "reward", "base_model": "tiny/hub-model", "snapshot": pending.pk}
    assert api(admin_user).post("/api/training-runs/", body, format="json").status_code == 409
    sft = snapshot_of(project=labelled_project, format="sft")
    with pytest.raises(InvalidInput, match="reads a trl snapshot"):
        create(labelled_project, base_model="tiny/hub-model", snapshot=sft)
    ready = snapshot_of(project=labelled_project, format="trl", conversational=True)
    assert create(labelled_project, base_model="tiny/hub-model", snapshot=ready).snapshot == ready


def test_a_run_without_a_snapshot_freezes_the_current_data_when_it_starts(labelled_project, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    run = create(labelled_project, base_model="tiny/hub-model")
    train, validation = stage_examples(run)  # what the worker reads: written here, synchronously
    snapshot = TrainingRun.objects.get(pk=run.pk).snapshot
    assert snapshot.status == "ready" and snapshot.options["conversational"] is True
    assert len(train) + len(validation) == snapshot.row_counts["train"] + snapshot.row_counts["validation"] > 0
    assert train[0]["prompt"][0]["role"] == "user" and isinstance(train[0]["chosen"], str)


def test_a_kto_run_trains_on_unpaired_rows_of_a_kto_snapshot(labelled_project, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    trl = snapshot_of(project=labelled_project, format="trl", conversational=True)
    with pytest.raises(InvalidInput, match="a kto run reads a kto snapshot"):
        create(labelled_project, stage="kto", base_model="tiny/hub-model", snapshot=trl)
    run = create(labelled_project, stage="kto", base_model="tiny/hub-model")
    train, validation = stage_examples(run)
    snapshot = TrainingRun.objects.get(pk=run.pk).snapshot
    assert snapshot.format == "kto" and snapshot.options["conversational"] is True
    assert len(train) + len(validation) == snapshot.row_counts["train"] + snapshot.row_counts["validation"]
    assert train[0]["prompt"][0]["role"] == "user" and isinstance(train[0]["completion"], str)
    assert {row["label"] for row in train} == {True, False}


@pytest.mark.parametrize("stage", ["grpo", "rloo"])
def test_a_group_rl_run_samples_the_snapshots_prompts_and_saves_a_policy(
    labelled_project, tiny_policy_model, tiny_reward_model, settings, tmp_path, stage
):
    settings.ARTIFACT_DIR = tmp_path
    reward = ModelCheckpoint.objects.create(project=labelled_project, name="r", kind="reward", path=tiny_reward_model)
    config = {"max_steps": 1, "batch_size": 2, "num_generations": 2, "mini_batch_size": 4, "max_new_tokens": 4,
              "max_length": 72, "max_prompt_length": 64}
    run = create(labelled_project, stage=stage, base_model=tiny_policy_model, reward_checkpoint=reward, config=config)
    train, _ = stage_examples(run)
    assert TrainingRun.objects.get(pk=run.pk).snapshot.format == "trl"
    assert set(train[0]) == {"prompt"} and len({repr(row["prompt"]) for row in train}) == len(train)
    result = train_now(run)
    checkpoint = ModelCheckpoint.objects.get(pk=result["checkpoint"])
    assert checkpoint.kind == "policy" and checkpoint.run_id == run.pk
    assert {"reward", "reward_std", "kl", "policy_loss", "clip_fraction"} <= set(result["metrics"])


def test_a_reward_run_per_criterion_trains_on_each_criterions_verdicts(
    api, admin_user, labelled_project, tiny_reward_model, tiny_policy_model, settings, tmp_path
):
    settings.ARTIFACT_DIR = tmp_path
    labelled_project.criteria = ["harmless"]
    labelled_project.save(update_fields=["criteria"])
    flip = {"a": "b", "b": "a"}
    for judgment in Judgment.objects.filter(project=labelled_project):
        judgment.criteria = {"harmless": {"winner": flip[judgment.winner]}}
        judgment.save(update_fields=["criteria"])
    with pytest.raises(InvalidInput, match="has no criterion 'helpful' \\(choose overall, harmless\\)"):
        create(labelled_project, base_model=tiny_reward_model, config=reward_config(criteria=["helpful"]))
    overall_only = snapshot_of(project=labelled_project, format="trl", conversational=True)
    with pytest.raises(InvalidInput, match="differs from the criteria snapshot"):
        create(labelled_project, base_model=tiny_reward_model, snapshot=overall_only,
               config=reward_config(criteria=["overall", "harmless"]))

    run = create(labelled_project, base_model=tiny_reward_model, config=reward_config(criteria=["overall", "harmless"]))
    train, validation = stage_examples(run)
    by_criterion = {c: [e for e in train + validation if e["criterion"] == c] for c in ("overall", "harmless")}
    assert len(by_criterion["overall"]) == len(by_criterion["harmless"]) > 0
    first_overall, first_harmless = by_criterion["overall"][0], by_criterion["harmless"][0]
    assert (first_harmless["chosen"], first_harmless["rejected"]) == (first_overall["rejected"], first_overall["chosen"])
    result = train_now(run)
    reward = ModelCheckpoint.objects.get(pk=result["checkpoint"])
    listed = api(admin_user).get(f"/api/checkpoints/?project={labelled_project.pk}").json()
    assert [(c["id"], c["criteria"]) for c in listed] == [(reward.pk, ["overall", "harmless"])]

    ppo = {"max_steps": 1, "batch_size": 2, "mini_batch_size": 2, "max_new_tokens": 4, "max_length": 72,
           "max_prompt_length": 64}
    with pytest.raises(InvalidInput, match=r"reward checkpoint \d+: reward_criterion must be one of overall, harmless"):
        create(labelled_project, stage="ppo", base_model=tiny_policy_model, reward_checkpoint=reward, config=ppo)
    run = create(labelled_project, stage="ppo", base_model=tiny_policy_model, reward_checkpoint=reward,
                 config={**ppo, "reward_criterion": "harmless"})
    assert run.config["reward_criterion"] == "harmless"


def test_reward_criterion_is_refused_for_a_model_trained_without(labelled_project, tiny_policy_model, tiny_reward_model):
    unconditioned = create(labelled_project, base_model=tiny_reward_model)
    reward = ModelCheckpoint.objects.create(
        project=labelled_project, name="r", kind="reward", path=tiny_reward_model, run=unconditioned
    )
    with pytest.raises(InvalidInput, match=r"reward_criterion must be empty \(the model was not trained per criterion\)"):
        create(labelled_project, stage="ppo", base_model=tiny_policy_model, reward_checkpoint=reward,
               config={"reward_criterion": "harmless", "batch_size": 4, "mini_batch_size": 4})


def test_a_grpo_run_on_verifiable_prompts_needs_no_reward_model(labelled_project, tiny_policy_model, tiny_reward_model,
                                                                  settings, tmp_path):
    """Prompts whose metadata holds a 'verify' check train GRPO with verifier 'only': no reward
    checkpoint is asked for (and none is taken), and each prompt reaches the trainer with its check."""
    from labeling.models import Prompt

    settings.ARTIFACT_DIR = tmp_path
    Prompt.objects.filter(project=labelled_project).update(metadata={"verify": {"kind": "numeric", "answer": 7}})
    config = {"max_steps": 1, "batch_size": 2, "num_generations": 2, "mini_batch_size": 4, "max_new_tokens": 4,
              "max_length": 72, "max_prompt_length": 64, "verifier": "only"}
    reward = ModelCheckpoint.objects.create(project=labelled_project, name="r", kind="reward", path=tiny_reward_model)
    with pytest.raises(InvalidInput, match="verifier 'only' scores with the prompts' checks: give no reward_checkpoint"):
        create(labelled_project, stage="grpo", base_model=tiny_policy_model, reward_checkpoint=reward, config=config)
    run = create(labelled_project, stage="grpo", base_model=tiny_policy_model, config=config)
    train, _ = stage_examples(run)
    assert all(example["verify"] == {"kind": "numeric", "answer": 7} for example in train)
    result = train_now(run)
    assert 0.0 <= result["metrics"]["reward"] <= 1.0  # a share of verified answers


@pytest.mark.parametrize(("spec", "says"), [
    ({"kind": "regex", "pattern": "(unclosed"}, "'verify.pattern' is not a regular expression"),
    ({"kind": "numeric", "answer": "abc"}, "'verify.answer' must be a number"),
])
def test_a_verifier_run_over_a_malformed_check_is_refused_before_queueing(labelled_project, tiny_policy_model, spec, says):
    """Metadata is free at import: a bad check failed the run in the worker, after it was queued."""
    from labeling.models import Prompt

    first, *rest = Prompt.objects.filter(project=labelled_project).order_by("pk")
    Prompt.objects.filter(pk__in=[p.pk for p in rest]).update(metadata={"verify": {"kind": "numeric", "answer": 7}})
    Prompt.objects.filter(pk=first.pk).update(metadata={"verify": spec})
    config = {"max_steps": 1, "batch_size": 2, "num_generations": 2, "mini_batch_size": 4, "verifier": "only"}
    with pytest.raises(InvalidInput, match=rf"prompt {first.pk}'s metadata.verify: {says}"):
        create(labelled_project, stage="grpo", base_model=tiny_policy_model, config=config)
    assert not TrainingRun.objects.exists()


def test_a_finish_retried_after_its_commit_answers_true_and_registers_nothing_twice(labelled_project, tiny_reward_model, tmp_path):
    run = create(labelled_project, base_model=tiny_reward_model)
    attempt = services.training_run_claim(run_id=run.pk, worker="w")
    checkpoint = {"path": tmp_path, "kind": "reward", "metrics": {}}
    for _ in range(2):  # the second is with_db_retry's repeat of a write whose reply was lost
        assert services.training_run_finish(run_id=run.pk, attempt=attempt, status=RunStatus.SUCCEEDED, checkpoint=checkpoint)
    assert ModelCheckpoint.objects.filter(run=run).count() == 1
    assert not services.training_run_finish(run_id=run.pk, attempt=attempt, status=RunStatus.FAILED)


def test_a_gold_reward_checkpoint_must_be_another_reward_model_of_the_project(labelled_project, tiny_policy_model,
                                                                            tiny_reward_model):
    reward = ModelCheckpoint.objects.create(project=labelled_project, name="r", kind="reward", path=tiny_reward_model)
    policy = ModelCheckpoint.objects.create(project=labelled_project, name="p", kind="policy", path=tiny_policy_model)
    for gold, problem in ((policy.pk, "is not a reward model checkpoint of this project"),
                          (reward.pk, "must be another reward model")):
        with pytest.raises(InvalidInput, match=problem):
            create(labelled_project, stage="ppo", base_model=tiny_policy_model, reward_checkpoint=reward,
                   config={"gold_reward_checkpoint": gold})


def test_a_finished_run_records_the_steps_its_worker_never_got_to(labelled_project, tiny_reward_model, tmp_path):
    """A worker lost between a periodic save and recording its last steps leaves a hole that the
    resumed attempt does not train again: the checkpoint's history fills it when the run finishes."""
    from training.models import RunMetric

    run = create(labelled_project, base_model=tiny_reward_model)
    attempt = services.training_run_claim(run_id=run.pk, worker="test")
    services.training_run_progress(run_id=run.pk, attempt=attempt, step=1, total=3, metrics={"loss": 0.7})
    services.training_run_progress(run_id=run.pk, attempt=attempt, step=3, total=3, metrics={"loss": 0.5})
    history = [{"step": 1, "loss": 0.69}, {"step": 2, "loss": 0.6}, {"step": 3, "loss": 0.5}]
    assert services.training_run_finish(run_id=run.pk, attempt=attempt, status="succeeded", checkpoint={
        "path": tmp_path, "kind": "reward", "metrics": {"loss": 0.5}, "history": history})
    curve = {m.step: m.values for m in RunMetric.objects.filter(run=run)}
    assert curve == {1: {"loss": 0.7}, 2: {"loss": 0.6}, 3: {"loss": 0.5}}  # recorded steps kept as they were
