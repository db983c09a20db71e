import json
import math

import pytest
import torch
from safetensors.torch import load_file

from tests.training.ml.conftest import Recorder, polite_pairs
from training.ml.config import RewardConfig
from training.ml.evaluate import evaluate_reward
from training.ml.loop import TrainingCancelled, TrainingDiverged
from training.ml.reward import train_reward
from training.ml.scoring import load_reward_fn

FAST = {"learning_rate": 1e-3, "batch_size": 3, "max_length": 96, "max_prompt_length": 48}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_rm_path):
    """One overfit run shared by the assertions below (training is the slow part)."""
    pairs = polite_pairs()
    recorder = Recorder()
    output_dir = tmp_path_factory.mktemp("reward") / "out"
    result = train_reward(
        RewardConfig(max_steps=16, **FAST), tiny_rm_path, pairs, pairs, output_dir, recorder
    )
    return result, recorder, output_dir, pairs


def test_overfit_reaches_accuracy_one_on_a_handful_of_pairs(trained):
    result, recorder, _, _ = trained
    losses = recorder.series("loss")
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[-1] < losses[0]
    assert result["metrics"]["val_accuracy"] == 1.0
    assert result["metrics"]["val_count"] == 6


def test_callback_sees_every_step_with_the_documented_metrics(trained):
    _, recorder, _, _ = trained
    assert [(step, total) for step, total, _ in recorder.calls] == [(s, 16) for s in range(1, 17)]
    assert {"loss", "accuracy", "margin", "learning_rate", "samples_per_s"} <= set(
        recorder.calls[-1][2]
    )


def test_artifacts_are_written_and_parameters_changed(trained, tiny_rm_path):
    result, _, output_dir, _ = trained
    assert result["status"] == "succeeded" and result["output_dir"] == str(output_dir)
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "metrics.json",
        "training_config.json",
    } <= {p.name for p in output_dir.iterdir()}
    assert not output_dir.with_name(".out.partial").exists()
    before, after = (
        load_file(tiny_rm_path / "model.safetensors"),
        load_file(output_dir / "model.safetensors"),
    )
    assert all(not torch.equal(before[name], after[name]) for name in before)
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert len(metrics["history"]) == 16 and metrics["final"]["val_accuracy"] == 1.0
    assert (
        json.loads((output_dir / "training_config.json").read_text())["config"]["max_length"] == 96
    )


def test_evaluate_reward_formats_inputs_as_training_did(trained):
    result, _, output_dir, pairs = trained
    metrics = evaluate_reward(output_dir, pairs)
    assert metrics["accuracy"] == 1.0 and metrics["count"] == 6
    assert metrics["mean_margin"] == pytest.approx(result["metrics"]["val_mean_margin"], rel=1e-4)
    swapped = [{**p, "chosen": p["rejected"], "rejected": p["chosen"]} for p in pairs]
    assert evaluate_reward(output_dir, swapped)["accuracy"] == 0.0


def test_reward_fn_scores_chosen_above_rejected(trained):
    _, _, output_dir, pairs = trained
    score = load_reward_fn(output_dir, "cpu")
    prompts = [p["prompt"] for p in pairs[:2]]
    chosen, rejected = (
        score(prompts, [p["chosen"] for p in pairs[:2]]),
        score(prompts, ["no", "no"]),
    )
    assert (chosen > rejected).all()


def test_margin_enters_the_loss_when_enabled(tmp_path, tiny_rm_path, pairs):
    big_margin = [{**p, "margin": 5.0} for p in pairs]
    runs = {}
    for use_margin in (False, True):
        recorder = Recorder()
        config = RewardConfig(max_steps=1, use_margin=use_margin, **FAST)
        train_reward(config, tiny_rm_path, big_margin, [], tmp_path / str(use_margin), recorder)
        runs[use_margin] = recorder.series("loss")[0]
    assert runs[True] > runs[False] + 3  # -log σ(x - 5) ≈ 5 - x for small x


def test_label_confidence_softens_the_target_when_enabled(tmp_path, tiny_rm_path, pairs):
    """At confidence 0.5 the first step's loss is ln 2 plus nothing to gain from separating the
    pair: starting from scores that already separate it, the soft loss is above the hard one."""
    even = [{**p, "label_confidence": 0.5} for p in pairs]
    losses = {}
    for use in (False, True):
        recorder = Recorder()
        config = RewardConfig(max_steps=3, use_label_confidence=use, **FAST)
        train_reward(config, tiny_rm_path, even, [], tmp_path / str(use), recorder)
        losses[use] = recorder.series("loss")
    assert losses[True][0] == pytest.approx(losses[False][0], abs=0.05)  # scores near 0: both ≈ ln 2
    assert losses[False][-1] < losses[False][0] - 0.01  # hard targets: learns to separate
    assert losses[True][-1] >= losses[True][0] - 0.01  # a coin flip: nothing to learn


def test_callback_returning_false_cancels_and_writes_nothing(tmp_path, tiny_rm_path, pairs):
    recorder = Recorder(stop_at=2)
    with pytest.raises(TrainingCancelled, match="step 2 of 10"):
        train_reward(
            RewardConfig(max_steps=10, **FAST),
            tiny_rm_path,
            pairs,
            pairs,
            tmp_path / "out",
            recorder,
        )
    assert len(recorder.calls) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_nan_loss_fails_the_run_naming_the_step_and_writes_nothing(tmp_path, tiny_rm_path, pairs):
    broken = [{**p, "margin": float("nan")} for p in pairs]
    recorder = Recorder()
    with pytest.raises(TrainingDiverged, match="loss was nan at step 1"):
        train_reward(
            RewardConfig(max_steps=3, use_margin=True, **FAST), tiny_rm_path, broken, [], tmp_path / "out", recorder
        )
    assert recorder.calls == []  # never reported: NaN would not fit the metrics' JSON
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_non_empty_output_dir_before_training(tmp_path, tiny_rm_path, pairs):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        train_reward(RewardConfig(max_steps=1, **FAST), tiny_rm_path, pairs, [], tmp_path / "out")


def test_rejects_malformed_examples_before_loading_anything(tmp_path, tiny_rm_path, pairs):
    with pytest.raises(ValueError, match="train example 0: 'chosen'"):
        train_reward(
            RewardConfig(), tiny_rm_path, [{**pairs[0], "chosen": None}], [], tmp_path / "out"
        )


def test_gradient_accumulation_takes_one_step_per_n_micro_batches(tmp_path, tiny_rm_path, pairs):
    recorder = Recorder()
    config = RewardConfig(**{**FAST, "batch_size": 3}, epochs=2, gradient_accumulation_steps=2)
    result = train_reward(config, tiny_rm_path, pairs, [], tmp_path / "out", recorder)
    # 6 pairs = 2 micro-batches of 3 = 1 optimizer step per epoch
    assert [(step, total) for step, total, _ in recorder.calls] == [(1, 2), (2, 2)]
    assert result["steps"] == 2


def test_mean_pooled_reward_model_overfits_and_scores_the_same_after_loading(
    tmp_path, tiny_rm_path, pairs
):
    config = RewardConfig(max_steps=16, pooling="mean", **FAST)
    result = train_reward(config, tiny_rm_path, pairs, pairs, tmp_path / "out")
    assert result["metrics"]["val_accuracy"] == 1.0
    saved = json.loads((tmp_path / "out" / "training_config.json").read_text())
    assert saved["config"]["pooling"] == "mean"
    assert (tmp_path / "out" / "reward_head.safetensors").exists()
    # evaluate_reward must rebuild the mean-pooled head from training_config.json: a fresh
    # sequence-classification head would give other margins.
    metrics = evaluate_reward(tmp_path / "out", pairs)
    assert metrics["accuracy"] == 1.0
    assert metrics["mean_margin"] == pytest.approx(result["metrics"]["val_mean_margin"], rel=1e-4)
    score = load_reward_fn(tmp_path / "out", "cpu")
    prompts = [p["prompt"] for p in pairs[:2]]
    assert (score(prompts, [p["chosen"] for p in pairs[:2]]) > score(prompts, ["no", "no"])).all()


@pytest.fixture(scope="module")
def per_criterion(tmp_path_factory, tiny_rm_path):
    """A model trained on two criteria that disagree: the same answers, opposite verdicts."""
    pairs = []
    for i in range(6):
        prompt = [{"role": "user", "content": f"Can you help with task {i}?"}]
        long, short = "Yes, gladly. Here it is.", "no"
        pairs += [
            {"prompt": prompt, "chosen": long, "rejected": short, "criterion": "helpful"},
            {"prompt": prompt, "chosen": short, "rejected": long, "criterion": "harmless"},
        ]
    output_dir = tmp_path_factory.mktemp("criteria") / "out"
    config = RewardConfig(max_steps=40, criteria=["helpful", "harmless"], **FAST)
    result = train_reward(config, tiny_rm_path, pairs, pairs, output_dir)
    return result, output_dir, pairs


def test_a_model_trained_per_criterion_learns_criteria_that_disagree(per_criterion, tiny_rm_path, tmp_path):
    result, output_dir, pairs = per_criterion
    assert result["metrics"]["val_accuracy"] == 1.0
    assert evaluate_reward(output_dir, pairs)["accuracy"] == 1.0
    saved = json.loads((output_dir / "training_config.json").read_text())
    assert saved["config"]["criteria"] == ["helpful", "harmless"]
    # Without the criterion the same pairs contradict each other: at most half can be right.
    blind = [{k: v for k, v in p.items() if k != "criterion"} for p in pairs]
    result = train_reward(RewardConfig(max_steps=40, **FAST), tiny_rm_path, blind, blind, tmp_path / "blind")
    assert result["metrics"]["val_accuracy"] <= 0.5


def test_scoring_a_per_criterion_model_needs_a_criterion(per_criterion):
    _, output_dir, pairs = per_criterion
    blind = [{k: v for k, v in p.items() if k != "criterion"} for p in pairs]
    with pytest.raises(ValueError, match="evaluation example 0: 'criterion' must be one of helpful, harmless"):
        evaluate_reward(output_dir, blind)
    harmless = blind[1::2]
    assert evaluate_reward(output_dir, harmless, criterion="harmless")["accuracy"] == 1.0
    assert evaluate_reward(output_dir, harmless, criterion="helpful")["accuracy"] == 0.0
    with pytest.raises(ValueError, match=r"reward_criterion must be one of helpful, harmless \(.*\), got None"):
        load_reward_fn(output_dir, "cpu")
    prompts = [pairs[0]["prompt"]] * 2
    answers = ["Yes, gladly. Here it is.", "no"]
    helpful, harmless = (load_reward_fn(output_dir, "cpu", c)(prompts, answers) for c in ("helpful", "harmless"))
    assert helpful[0] > helpful[1] and harmless[0] < harmless[1]


def test_a_criterion_is_refused_by_a_model_trained_without(trained, tmp_path, tiny_rm_path, pairs):
    _, _, output_dir, _ = trained
    with pytest.raises(ValueError, match="'criterion' must be empty"):
        evaluate_reward(output_dir, pairs, criterion="helpful")
    with pytest.raises(ValueError, match="was not trained per criterion"):
        load_reward_fn(output_dir, "cpu", "helpful")
    with pytest.raises(ValueError, match="train example 0: 'criterion' must be one of helpful"):
        train_reward(RewardConfig(criteria=["helpful"], **FAST), tiny_rm_path, pairs, [], tmp_path / "out")
