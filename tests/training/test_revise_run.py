"""Judge runs in mode 'revise' (issue #18, Constitutional AI's supervised phase): what one may be
made of, and a run end to end through `train --inline` on the tiny causal LM: the revisions come
back as an SFT snapshot and a (revision, original) pairs snapshot, in the rows trainers read, and
an SFT run learns from the revisions."""

import io
import json

import pytest
from django.core.management import call_command

from labeling.errors import InvalidInput
from labeling.exports.snapshots import snapshot_records, snapshot_verify
from labeling.models import Comparison, DatasetSnapshot, Judge, Judgment
from tests.factories import make_comparison
from training import guardrails, services
from training.api_configs import stage_configs
from training.models import ModelCheckpoint, RunMetric, RunStatus, TrainingRun


def checkpoint(project, path, kind, name) -> ModelCheckpoint:
    return ModelCheckpoint.objects.create(project=project, name=name, kind=kind, path=str(path))


@pytest.mark.django_db
def test_revise_needs_a_causal_lm_checkpoint_and_says_which_field(project, admin_user, api, tiny_reward_model,
                                                                  tiny_policy_model, settings):
    make_comparison(project)
    rm = checkpoint(project, tiny_reward_model, "reward", "tiny-rm")
    with pytest.raises(InvalidInput, match=r"config: JudgeConfig\.mode 'revise' .*checkpoint \d+ is a reward model"):
        services.training_run_create(project=project, stage="judge", base_checkpoint=rm, config={"mode": "revise"})
    body = {"project": project.pk, "stage": "judge", "base_checkpoint": rm.pk, "config": {"mode": "revise"}}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400 and "JudgeConfig.mode" in response.json()["detail"]
    settings.JUDGE_ENDPOINT_URL = "http://127.0.0.1:9/v1"
    body = {"project": project.pk, "stage": "judge", "config": {"mode": "revise", "endpoint_model": "m"}}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400 and "JudgeConfig.mode 'revise'" in response.json()["detail"]
    lm = checkpoint(project, tiny_policy_model, "policy", "tiny-lm")
    run, _ = services.training_run_create(project=project, stage="judge", base_checkpoint=lm, config={"mode": "revise"})
    assert run.config["mode"] == "revise" and run.config["max_new_tokens"] == 128


def test_the_run_form_offers_the_judge_mode_as_a_choice():
    fields = {f["name"]: f for f in {s["stage"]: s for s in stage_configs()}["judge"]["fields"]}
    assert fields["mode"]["default"] == "judge" and fields["mode"]["choices"] == ["judge", "revise"]
    assert fields["temperature"]["default"] == 0.0 and fields["max_new_tokens"]["default"] == 128


def losses(run: TrainingRun) -> list[float]:
    return [m.values["loss"] for m in RunMetric.objects.filter(run=run).order_by("step") if "loss" in m.values]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_train_inline_revise_writes_snapshots_that_train_sft(labelled_project, tiny_policy_model):
    lm = checkpoint(labelled_project, tiny_policy_model, "policy", "tiny-lm")
    labelled_project.criteria, labelled_project.guidelines = ["helpful"], "Answer briefly."
    labelled_project.save()
    judgments = Judgment.objects.count()
    config = {"mode": "revise", "which": "sample", "sample_size": 8, "max_new_tokens": 8, "max_length": 192,
              "temperature": 1.0, "batch_size": 16, "seed": 2}
    out = io.StringIO()
    call_command("train", project=labelled_project.slug, stage="judge", base_checkpoint=lm.pk,
                 config=json.dumps(config), inline=True, stdout=out)
    run = TrainingRun.objects.get(stage="judge")
    assert run.status == RunStatus.SUCCEEDED, run.error
    result = run.result
    printed = out.getvalue().strip().splitlines()  # the snapshots written, by id, before the metrics
    assert printed[-3].startswith(f"wrote snapshot {result['snapshot']} (sft, {result['revised']} rows)")
    assert printed[-2].startswith(f"wrote snapshot {result['pairs_snapshot']} (trl, {result['pairs']} rows)")
    assert result["mode"] == "revise" and result["comparisons"] == 8 and result["metrics"]["principles"] == 2
    assert result["responses"] == result["revised"] + result["empty"] + result["identical"] <= 16
    assert result["demonstrations"] == result["pairs"] == result["revised"] >= 8
    assert Judgment.objects.count() == judgments and not Judge.objects.exists()  # data written, no verdicts
    sft = DatasetSnapshot.objects.get(pk=result["snapshot"])
    assert sft.format == "sft" and snapshot_verify(sft) and sum(sft.row_counts.values()) == result["revised"]
    rows = snapshot_records(sft) + snapshot_records(sft, "validation")
    assert all(r["prompt"][-1]["role"] == "user" and r["completion"].strip() for r in rows)
    pairs = DatasetSnapshot.objects.get(pk=result["pairs_snapshot"])
    assert pairs.format == "trl" and sum(pairs.row_counts.values()) == result["pairs"]
    originals = set(Comparison.objects.filter(project=labelled_project).values_list("responses__text", flat=True))
    pair_rows = snapshot_records(pairs) + snapshot_records(pairs, "validation")
    assert sorted(p["chosen"] for p in pair_rows) == sorted(r["completion"] for r in rows)
    assert all(p["rejected"] in originals and p["chosen"] != p["rejected"] for p in pair_rows)
    assert {(p["chosen_model"], p["rejected_model"]) for p in pair_rows} == {("tiny-lm revision", "original")}
    train = {"max_steps": 12, "batch_size": 4, "max_length": 192, "max_prompt_length": 128, "learning_rate": 1e-3,
             "show_samples": False}
    call_command("train", project=labelled_project.slug, stage="sft", base_checkpoint=lm.pk, snapshot=sft.pk,
                 config=json.dumps(train), force=True, inline=True, stdout=io.StringIO())
    trained = TrainingRun.objects.get(stage="sft")
    assert trained.status == RunStatus.SUCCEEDED, trained.error
    assert trained.result["train_examples"] + trained.result["validation_examples"] == result["revised"]
    curve = losses(trained)
    assert len(curve) >= 6 and sum(curve[-3:]) / 3 < sum(curve[:3]) / 3, curve  # it learns the revisions


def test_revised_nothing_is_a_warning_naming_why_not_a_quiet_success():
    assert guardrails.revise_warnings({"responses": 5, "revised": 2, "empty": 3, "identical": 0}) == []
    [none] = guardrails.revise_warnings({"responses": 5, "revised": 0, "empty": 3, "identical": 2})
    assert none.startswith("revised none of the 5 responses (3 came back empty, 2 identical to the original)")
    [chose_none] = guardrails.revise_warnings({"responses": 0})
    assert "chose no comparison" in chose_none


@pytest.mark.django_db(transaction=True)
def test_a_revise_run_whose_model_revised_nothing_carries_the_warning(labelled_project, tiny_policy_model, monkeypatch):
    """The model is the tiny one, its output replaced by what a model that only echoes gives:
    the run used to end a plain success with no snapshot and nothing said."""
    import training.jobs

    echoed = {"demonstrations": [], "pairs": [], "metrics": {"responses": 4, "revised": 0, "empty": 1, "identical": 3}}
    monkeypatch.setattr(training.jobs, "launched_stage", lambda *args, **kwargs: {"samples": echoed})
    lm = checkpoint(labelled_project, tiny_policy_model, "policy", "tiny-lm")
    config = {"mode": "revise", "which": "sample", "sample_size": 2, "max_new_tokens": 8, "max_length": 192}
    call_command("train", project=labelled_project.slug, stage="judge", base_checkpoint=lm.pk,
                 config=json.dumps(config), inline=True, stdout=io.StringIO())
    run = TrainingRun.objects.get(stage="judge")
    assert run.status == RunStatus.SUCCEEDED and run.result["snapshot"] is None and run.result["revised"] == 0
    assert run.warnings == [guardrails.revise_warnings(echoed["metrics"])[0]]
    assert "3 identical to the original" in run.warnings[0]
