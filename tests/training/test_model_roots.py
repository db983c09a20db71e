"""MODEL_ROOTS: where a run's base_model path may point. Without it a project admin could name any
path the workers read (``/etc/passwd`` was accepted and failed on the worker)."""

from pathlib import Path

import pytest
from django.test import override_settings

from labeling.errors import InvalidInput
from tests.training.conftest import reward_config
from training import runner, services
from training.models import ModelCheckpoint, RunStatus, TrainingRun


def create(project, **kw):
    return services.training_run_create(project=project, stage="reward", config=reward_config(), **kw)[0]


@pytest.fixture
def roots(tiny_reward_model):
    """MODEL_ROOTS set to the directory that holds the tiny reward model."""
    with override_settings(MODEL_ROOTS=[str(Path(tiny_reward_model).parent)]):
        yield Path(tiny_reward_model).parent


@pytest.mark.parametrize("outside", ["/etc/passwd", "/nowhere/model", "{root}/../../etc", "~"])
def test_a_path_outside_every_root_is_refused_naming_them(labelled_project, roots, outside):
    """Also where the path does not exist: the answer says nothing about what exists outside."""
    with pytest.raises(InvalidInput, match=r"outside the model directories this site allows \(MODEL_ROOTS: ") as refused:
        create(labelled_project, base_model=outside.format(root=roots))
    assert refused.value.details == {"field": "base_model"}
    assert not TrainingRun.objects.exists()


def test_a_link_inside_a_root_to_a_model_outside_is_refused(labelled_project, roots, tiny_policy_model, tmp_path):
    link = roots / f"link-{tmp_path.name}"
    link.symlink_to(tiny_policy_model)
    try:
        with pytest.raises(InvalidInput, match="outside the model directories"):
            create(labelled_project, base_model=str(link))
    finally:
        link.unlink()


def test_a_model_inside_a_root_a_hub_id_and_an_own_checkpoint_pass(labelled_project, roots, tiny_reward_model):
    assert create(labelled_project, base_model=tiny_reward_model, force=True).base_model == tiny_reward_model
    assert create(labelled_project, base_model="someone/some-model", force=True)  # a hub id: no path on disk
    with override_settings(MODEL_ROOTS=["/nowhere"]):
        own = ModelCheckpoint.objects.create(project=labelled_project, name="r", kind="reward", path=tiny_reward_model)
        assert create(labelled_project, base_checkpoint=own, force=True)


def test_no_roots_lets_any_readable_path_through(labelled_project, tiny_reward_model):
    with override_settings(MODEL_ROOTS=[]):
        assert create(labelled_project, base_model=tiny_reward_model)


def test_the_worker_checks_again_on_its_own_disk(labelled_project, roots, tiny_reward_model):
    """The web and the gpu worker may be different machines with different roots."""
    run = create(labelled_project, base_model=tiny_reward_model)
    attempt = services.training_run_claim(run_id=run.pk, worker="test")
    beat = runner.Heartbeat(run.pk, attempt, runner.LogTail())  # not started: no thread on the test database
    with override_settings(MODEL_ROOTS=["/somewhere/else"]):
        ending = runner._execute(TrainingRun.objects.get(pk=run.pk), attempt, beat)
    assert ending.status == RunStatus.FAILED and ending.checkpoint is None
    assert "outside the model directories" in ending.error and "/somewhere/else" in ending.error
