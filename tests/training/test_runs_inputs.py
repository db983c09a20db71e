"""What a run may read: its own project's checkpoints and snapshots (through every path: the
API, the service, the train command), only the inputs its stage uses, and a verifier only where
the project has prompts with checks."""

import io

import pytest
from django.core.management import CommandError, call_command

from labeling.errors import InvalidInput
from labeling.models import Prompt
from tests.factories import ProjectFactory
from tests.labeling.exports.builders import snapshot_of
from tests.training.test_runs import create
from training.models import ModelCheckpoint, TrainingRun


def checkpoint(project, path, kind="reward") -> ModelCheckpoint:
    return ModelCheckpoint.objects.create(project=project, name=f"{kind}-{path}", kind=kind, path=str(path))


@pytest.fixture
def other_project(db):
    return ProjectFactory(slug="other")


def train(project, **options) -> str:
    out = io.StringIO()
    call_command("train", project=project.slug, stdout=out, **options)
    return out.getvalue()


@pytest.mark.parametrize("option", ["base_checkpoint", "reward_checkpoint"])
def test_the_train_command_refuses_another_projects_checkpoint(labelled_project, other_project, tiny_policy_model, option):
    policy = checkpoint(labelled_project, tiny_policy_model, kind="policy")
    elsewhere = checkpoint(other_project, tiny_policy_model, kind="reward" if option == "reward_checkpoint" else "policy")
    inputs = {"base_checkpoint": policy.pk, **{option: elsewhere.pk}}
    with pytest.raises(CommandError, match=f"{option} {elsewhere.pk} is not one of this project's checkpoints"):
        train(labelled_project, stage="ppo", **inputs)
    assert not TrainingRun.objects.exists()


def test_the_train_command_refuses_another_projects_snapshot(labelled_project, other_project, tiny_reward_model):
    snapshot_of(project=labelled_project, format="trl", conversational=True)  # ids differ from the project's own
    theirs = snapshot_of(project=other_project, format="trl", conversational=True)
    with pytest.raises(CommandError, match=f"snapshot {theirs.pk} is not one of this project's snapshots"):
        train(labelled_project, stage="reward", base_model=tiny_reward_model, snapshot=theirs.pk, force=True)
    assert not TrainingRun.objects.exists()


def test_the_service_refuses_another_projects_checkpoints_and_snapshot(labelled_project, other_project, tiny_reward_model):
    theirs = checkpoint(other_project, tiny_reward_model)
    with pytest.raises(InvalidInput, match=f"base_checkpoint {theirs.pk} is not one of this project's") as refused:
        create(labelled_project, base_checkpoint=theirs)
    assert refused.value.details == {"field": "base_checkpoint"}
    snapshot = snapshot_of(project=other_project, format="trl", conversational=True)
    with pytest.raises(InvalidInput, match=f"snapshot {snapshot.pk} is not one of this project's snapshots"):
        create(labelled_project, base_model=tiny_reward_model, snapshot=snapshot, force=True)
    assert not TrainingRun.objects.exists()


def test_a_checkpoint_of_no_project_may_still_be_named(labelled_project, tiny_reward_model):
    by_hand = checkpoint(None, tiny_reward_model)
    assert create(labelled_project, base_checkpoint=by_hand, config={"max_steps": 1}).base_checkpoint == by_hand


def test_a_gold_reward_model_of_another_project_is_refused(labelled_project, other_project, tiny_policy_model, tiny_reward_model):
    reward = checkpoint(labelled_project, tiny_reward_model)
    gold = checkpoint(other_project, tiny_reward_model)
    config = {"gold_reward_checkpoint": gold.pk, "max_length": 96, "max_prompt_length": 32}
    with pytest.raises(InvalidInput, match=f"gold_reward_checkpoint {gold.pk} is not a reward model checkpoint of this project"):
        create(labelled_project, stage="ppo", base_model=tiny_policy_model, reward_checkpoint=reward, config=config)


def test_the_api_refuses_another_projects_checkpoint_with_a_404(api, admin_user, labelled_project, other_project, tiny_reward_model):
    theirs = checkpoint(other_project, tiny_reward_model)
    body = {"project": labelled_project.pk, "stage": "reward", "base_checkpoint": theirs.pk}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 404 and "not found in this project" in response.json()["detail"]


@pytest.mark.parametrize("stage", ["generate", "sft", "dpo", "kto", "reward"])
def test_a_reward_checkpoint_a_stage_does_not_use_is_refused(api, admin_user, labelled_project, tiny_policy_model, tiny_reward_model, stage):
    reward = checkpoint(labelled_project, tiny_reward_model)
    body = {"project": labelled_project.pk, "stage": stage, "base_model": tiny_policy_model, "reward_checkpoint": reward.pk}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == "reward_checkpoint"
    assert f"a {stage} run takes no reward_checkpoint" in response.json()["detail"]
    assert not TrainingRun.objects.exists()


def test_a_generate_run_given_a_snapshot_is_refused(api, admin_user, labelled_project, tiny_policy_model):
    snapshot = snapshot_of(project=labelled_project, format="trl", conversational=True)
    body = {"project": labelled_project.pk, "stage": "generate", "base_model": tiny_policy_model, "snapshot": snapshot.pk}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400 and response.json()["field"] == "snapshot"
    assert "reads no snapshot" in response.json()["detail"]


GRPO = {"max_steps": 1, "batch_size": 2, "num_generations": 2, "mini_batch_size": 4}


@pytest.mark.parametrize("mode", ["only", "add"])
def test_a_verifier_on_a_project_without_checks_is_refused_naming_it(api, admin_user, labelled_project, tiny_policy_model, tiny_reward_model, mode):
    body = {"project": labelled_project.pk, "stage": "grpo", "base_model": tiny_policy_model,
            "config": {**GRPO, "verifier": mode}}
    if mode == "add":
        body["reward_checkpoint"] = checkpoint(labelled_project, tiny_reward_model).pk
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == "config.verifier"
    assert f"verifier '{mode}'" in response.json()["detail"] and "no prompt of this project has one" in response.json()["detail"]


def test_a_verifier_add_with_some_prompts_checked_is_accepted(labelled_project, tiny_policy_model, tiny_reward_model):
    first = Prompt.objects.filter(project=labelled_project).order_by("pk").first()
    Prompt.objects.filter(pk=first.pk).update(metadata={"verify": {"kind": "numeric", "answer": 7}})
    reward = checkpoint(labelled_project, tiny_reward_model)
    run = create(labelled_project, stage="grpo", base_model=tiny_policy_model, reward_checkpoint=reward,
                 config={**GRPO, "verifier": "add"})
    assert run.config["verifier"] == "add"


def test_the_worker_names_a_prompt_without_a_check():
    from training.ml.verifiers import check_verifiable

    with pytest.raises(ValueError, match="train example 1's prompt has no 'verify' check"):
        check_verifiable([{"verify": {"kind": "exact", "answer": "x"}}, {}], "train")
