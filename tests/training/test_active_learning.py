import pytest

from labeling.models import Comparison
from tests.factories import ProjectFactory, make_comparison
from tests.training.conftest import reward_config
from training import services
from training.active_learning import (
    comparison_priorities_update,
    retrain_policies_check,
    uncertainty_priority,
)
from training.models import ModelCheckpoint, RetrainPolicy, TrainingRun


def test_closest_rewards_get_the_highest_priority():
    assert uncertainty_priority([0.0, 0.1]) > uncertainty_priority([0.0, 2.0])
    assert uncertainty_priority([3.0, 0.0, 2.9]) == -0.10000000000000009


def test_policy_starts_a_reward_run_once_enough_judgments_arrived(labelled_project, tiny_reward_model):
    policy = RetrainPolicy.objects.create(
        project=labelled_project, enabled=True, every_n_judgments=30, base_model=tiny_reward_model, config=reward_config()
    )
    [run_id] = retrain_policies_check()
    assert retrain_policies_check() == []  # its run is still queued
    services.training_run_cancel(run=policy.project.training_runs.get(pk=run_id))
    assert retrain_policies_check() == []  # no new judgments since
    policy.refresh_from_db()
    assert policy.judgments_at_last_run == 40


def test_one_failing_policy_does_not_stop_the_next_projects_check(labelled_project, tiny_reward_model, caplog):
    broken = ProjectFactory(slug="broken-policy")
    RetrainPolicy.objects.create(  # checked first; its base model has since been removed
        project=broken, enabled=True, every_n_judgments=0, base_model="/nonexistent/removed-model", config=reward_config()
    )
    RetrainPolicy.objects.create(
        project=labelled_project, enabled=True, every_n_judgments=30, base_model=tiny_reward_model, config=reward_config()
    )
    [run_id] = retrain_policies_check()
    assert TrainingRun.objects.get(pk=run_id).project == labelled_project
    assert f"project {broken.pk} failed" in caplog.text


def test_disabled_policy_does_nothing(labelled_project, tiny_reward_model):
    RetrainPolicy.objects.create(project=labelled_project, enabled=False, every_n_judgments=1, base_model=tiny_reward_model)
    assert retrain_policies_check() == []


def test_reward_model_sets_priority_on_open_comparisons_only(project, tiny_reward_model):
    open_ones = [make_comparison(project) for _ in range(3)]
    closed = make_comparison(project, is_open=False)
    checkpoint = ModelCheckpoint.objects.create(project=project, name="rm", kind="reward", path=tiny_reward_model)
    assert comparison_priorities_update(project=project, checkpoint=checkpoint) == 3
    priorities = [Comparison.objects.get(pk=c.pk).priority for c in open_ones]
    assert all(p <= 0 for p in priorities) and len(set(priorities)) == 3
    assert Comparison.objects.get(pk=closed.pk).priority == 0.0


def test_a_model_judging_per_criterion_ranks_by_its_least_certain_criterion(project, tiny_reward_model, tmp_path):
    from training.ml.config import RewardConfig
    from training.ml.reward import train_reward
    from training.ml.scoring import load_reward_fn

    criteria = ["overall", "harmless"]
    pairs = [
        {"prompt": [{"role": "user", "content": f"Task {i}?"}], "chosen": "Sure.", "rejected": "No.", "criterion": c}
        for i in range(2) for c in criteria
    ]
    config = RewardConfig(max_steps=2, batch_size=2, max_length=64, max_prompt_length=32, criteria=criteria)
    train_reward(config, tiny_reward_model, pairs, [], tmp_path / "rm")
    run = TrainingRun.objects.create(project=project, stage="reward", config=config.to_dict())
    checkpoint = ModelCheckpoint.objects.create(project=project, name="rm", kind="reward", path=str(tmp_path / "rm"), run=run)
    comparisons = [make_comparison(project) for _ in range(2)]

    assert comparison_priorities_update(project=project, checkpoint=checkpoint) == 2
    for c in comparisons:
        prompts = [c.prompt.messages] * 2
        answers = [position.response.text for position in c.positions.select_related("response").order_by("position")]
        expected = max(
            uncertainty_priority(load_reward_fn(tmp_path / "rm", "cpu", name)(prompts, answers).tolist())
            for name in criteria
        )
        assert Comparison.objects.get(pk=c.pk).priority == pytest.approx(expected, abs=1e-6)
