"""Best-of-N runs (issue #18): what one may be made of, the snapshot labeling writes from records,
and a run end to end through `train --inline`: selection beats the first sample, and the snapshot
it writes trains an SFT run."""

import hashlib
import io
import json
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from labeling.errors import InvalidInput
from labeling.exports.options import ExportOptions, SnapshotOptions
from labeling.exports.snapshots import snapshot_from_records, snapshot_records, snapshot_verify
from labeling.models import Comparison, DatasetSnapshot
from tests.factories import make_comparison
from training import services
from training.api_configs import stage_configs
from training.models import ModelCheckpoint, RunStatus, TrainingRun


def checkpoint(project, path, kind, name) -> ModelCheckpoint:
    return ModelCheckpoint.objects.create(project=project, name=name, kind=kind, path=str(path))


def say(i: int) -> list[dict]:
    return [{"role": "user", "content": f"Say {i}"}]


@pytest.mark.django_db
def test_a_best_of_n_run_samples_a_policy_and_scores_with_a_reward_model(project, tiny_reward_model, tiny_policy_model):
    make_comparison(project)
    policy = checkpoint(project, tiny_policy_model, "policy", "tiny-lm")
    rm = checkpoint(project, tiny_reward_model, "reward", "tiny-rm")
    create = services.training_run_create
    with pytest.raises(InvalidInput, match="needs reward_checkpoint"):
        create(project=project, stage="best_of_n", base_checkpoint=policy)
    with pytest.raises(InvalidInput, match="is a reward model; a best_of_n run starts from a policy model"):
        create(project=project, stage="best_of_n", base_checkpoint=rm, reward_checkpoint=rm)
    with pytest.raises(InvalidInput, match="at least 2"):
        create(project=project, stage="best_of_n", base_checkpoint=policy, reward_checkpoint=rm, config={"num_samples": 1})


def test_the_run_form_offers_best_of_n_from_a_policy_with_a_reward_model():
    listed = {stage["stage"]: stage for stage in stage_configs()}["best_of_n"]
    assert listed["base_kinds"] == ["policy"] and listed["needs_reward_checkpoint"]
    assert listed["produces"] == "snapshot" and listed["snapshot_format"] is None
    fields = {field["name"]: field["default"] for field in listed["fields"]}
    assert fields["num_samples"] == 4 and fields["new_comparisons"] is False and fields["reward_criterion"] is None


@pytest.mark.django_db
def test_snapshot_from_records_writes_a_snapshot_as_an_export_does(project, admin_user):
    demos = [{"prompt": say(i), "completion": f"{i}!"} for i in range(20)]
    options = SnapshotOptions(ExportOptions("sft"), split_seed=3)
    snapshot = snapshot_from_records(project=project, records=demos, options=options, user=admin_user)
    snapshot.refresh_from_db()
    assert snapshot.status == "ready" and snapshot.format == "sft" and snapshot_verify(snapshot)
    read = snapshot_records(snapshot, "train") + snapshot_records(snapshot, "validation")
    assert sorted(read, key=repr) == sorted(demos, key=repr)
    assert snapshot.row_counts["train"] + snapshot.row_counts["validation"] == 20
    directory = Path(settings.ARTIFACT_DIR) / snapshot.path
    manifest = json.loads((directory / "manifest.json").read_text())
    body = b"".join((directory / f"{split}.jsonl").read_bytes() for split in ("train", "validation"))
    assert manifest["sha256"] == snapshot.sha256 == hashlib.sha256(body).hexdigest()
    assert all(not p.stat().st_mode & stat.S_IWUSR for p in directory.iterdir())
    pairs = [{"prompt": say(i) + [{"role": "assistant", "content": "hi"}, *say(i)], "chosen": "a", "rejected": "b",
              "chosen_model": "m", "rejected_model": "m", "margin": None, "label_confidence": None} for i in range(4)]
    trl = snapshot_from_records(project=project, records=pairs, options=SnapshotOptions(ExportOptions("trl")))
    assert trl.options["conversational"] is True  # a prompt of several turns has no plain-text form
    assert sorted(snapshot_records(trl) + snapshot_records(trl, "validation"), key=repr) == sorted(pairs, key=repr)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_train_inline_best_of_n_beats_the_first_sample_and_its_snapshot_trains_sft(
    labelled_project, tiny_reward_model, tiny_policy_model
):
    policy = checkpoint(labelled_project, tiny_policy_model, "policy", "tiny-lm")
    rm = checkpoint(labelled_project, tiny_reward_model, "reward", "tiny-rm")
    comparisons = Comparison.objects.filter(project=labelled_project).count()
    config = {"num_samples": 4, "max_new_tokens": 12, "max_prompt_length": 64, "max_prompts": 24,
              "new_comparisons": True, "seed": 1}
    out = io.StringIO()
    call_command("train", project=labelled_project.slug, stage="best_of_n", base_checkpoint=policy.pk,
                 reward_checkpoint=rm.pk, config=json.dumps(config), inline=True, stdout=out)
    run = TrainingRun.objects.get(stage="best_of_n")
    assert run.status == RunStatus.SUCCEEDED, run.error
    # what train prints names the snapshots to train on next; its last line stays the metrics
    printed = out.getvalue().strip().splitlines()
    assert f"wrote snapshot {run.result['snapshot']} (sft, " in printed[-4]
    assert f"wrote snapshot {run.result['pairs_snapshot']} (trl, " in printed[-3]
    assert printed[-2].startswith(f"added {run.result['comparisons']['comparisons']} comparisons")
    assert json.loads(printed[-1]) == run.result["metrics"]
    metrics = run.result["metrics"]
    assert metrics["mean_best_reward"] > metrics["mean_first_reward"]
    assert metrics["mean_first_reward"] <= metrics["best_of_2_reward"] <= metrics["best_of_4_reward"]
    assert metrics["mean_best_reward"] >= metrics["mean_reward"]
    assert run.result["prompts"] == run.result["demonstrations"] == 24
    written = DatasetSnapshot.objects.get(pk=run.result["snapshot"])
    assert written.format == "sft" and written.pk != run.snapshot_id and snapshot_verify(written)
    demos = snapshot_records(written) + snapshot_records(written, "validation")
    assert len(demos) == 24 and all(d["completion"] is not None for d in demos)
    pairs = DatasetSnapshot.objects.get(pk=run.result["pairs_snapshot"])
    assert pairs.format == "trl" and sum(pairs.row_counts.values()) == run.result["pairs"] > 0
    added = Comparison.objects.filter(project=labelled_project).count() - comparisons
    assert added == run.result["comparisons"]["comparisons"] > 0
    sft = {"max_steps": 2, "batch_size": 4, "max_length": 96, "max_prompt_length": 64}
    call_command("train", project=labelled_project.slug, stage="sft", base_checkpoint=policy.pk, snapshot=written.pk,
                 config=json.dumps(sft), force=True, inline=True, stdout=io.StringIO())
    trained = TrainingRun.objects.get(stage="sft")
    assert trained.status == RunStatus.SUCCEEDED, trained.error
    assert trained.result["train_examples"] + trained.result["validation_examples"] == 24
