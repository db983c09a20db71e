import math

import pytest
import torch
from safetensors.torch import load_file

import training.ml.dpo as dpo
import training.ml.logps as logps
from tests.training.ml.conftest import Recorder
from training.ml.config import DPOConfig
from training.ml.loop import TrainingCancelled

FAST = {
    "learning_rate": 2e-3,
    "batch_size": 3,
    "max_length": 64,
    "max_prompt_length": 40,
    "beta": 0.1,
}


def test_implicit_reward_accuracy_rises_and_margin_grows(tmp_path, tiny_lm_path, pairs, recorder):
    result = dpo.train_dpo(
        DPOConfig(max_steps=8, **FAST), tiny_lm_path, pairs, pairs[:3], tmp_path / "out", recorder
    )
    losses, margins = recorder.series("loss"), recorder.series("margin")
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[0] == pytest.approx(math.log(2), abs=1e-4)  # policy == reference at step 1
    assert losses[-1] < losses[0]
    assert margins[-1] > margins[0]
    assert recorder.series("accuracy")[-1] > 0.5
    assert result["metrics"]["val_accuracy"] > 0.5 and result["metrics"]["val_margin"] > 0
    before, after = (
        load_file(tiny_lm_path / "model.safetensors"),
        load_file(tmp_path / "out" / "model.safetensors"),
    )
    assert any(not torch.equal(before[name], after[name]) for name in before)


def test_reference_log_probs_are_computed_once_before_training(
    tmp_path, tiny_lm_path, pairs, monkeypatch
):
    calls = []
    real = logps.pair_logps

    def spy(accelerator, model, features, **kwargs):
        calls.append((model.training, len(features)))
        return real(accelerator, model, features, **kwargs)

    monkeypatch.setattr(logps, "pair_logps", spy)
    dpo.train_dpo(DPOConfig(max_steps=3, **FAST), tiny_lm_path, pairs, [], tmp_path / "out")
    # reference on the train pairs, then on the (empty) validation set; none during training
    assert [n for _, n in calls] == [6, 0]


def test_cancel_raises_and_leaves_no_output(tmp_path, tiny_lm_path, pairs):
    recorder = Recorder(stop_at=1)
    with pytest.raises(TrainingCancelled):
        dpo.train_dpo(
            DPOConfig(max_steps=4, **FAST), tiny_lm_path, pairs, [], tmp_path / "out", recorder
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("loss_type", "beta"), [("ipo", 0.1), ("simpo", 2.0)])
def test_ipo_and_simpo_learn_the_preference(tmp_path, tiny_lm_path, pairs, recorder, loss_type, beta, monkeypatch):
    calls = []
    real = logps.pair_logps
    monkeypatch.setattr(logps, "pair_logps", lambda *a, **k: calls.append(1) or real(*a, **k))
    config = DPOConfig(max_steps=8, loss_type=loss_type, **{**FAST, "beta": beta})
    result = dpo.train_dpo(config, tiny_lm_path, pairs, pairs[:3], tmp_path / "out", recorder)
    losses, margins = recorder.series("loss"), recorder.series("margin")
    assert losses[-1] < losses[0] and margins[-1] > margins[0]
    assert result["metrics"]["val_accuracy"] > 0.5 and result["metrics"]["val_margin"] > 0
    if loss_type == "simpo":
        assert len(calls) == 1  # the validation pass only: no reference is scored


def test_soft_labels_reach_the_loss(tmp_path, tiny_lm_path, pairs, recorder):
    """A pair exported at confidence 0.5 (an even split) teaches no preference: its loss at the
    first step, where policy = reference, is ln 2 whatever the target, and the gradient it gives
    is zero, so the policy does not move."""
    even = [{**p, "label_confidence": 0.5} for p in pairs]
    dpo.train_dpo(DPOConfig(max_steps=2, **FAST), tiny_lm_path, even, [], tmp_path / "out", recorder)
    assert recorder.series("loss")[0] == pytest.approx(math.log(2), abs=1e-4)
    assert abs(recorder.series("margin")[-1]) < 1e-4  # nothing learnt from coin-flip labels
    sure = Recorder()
    dpo.train_dpo(DPOConfig(max_steps=2, **FAST), tiny_lm_path, pairs, [], tmp_path / "sure", sure)
    assert sure.series("margin")[-1] > 1e-3
