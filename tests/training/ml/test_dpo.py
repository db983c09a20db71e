import math

import pytest
import torch
from safetensors.torch import load_file

import training.ml.dpo as dpo
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
    real = dpo.pair_logps

    def spy(accelerator, model, features, **kwargs):
        calls.append((model.training, len(features)))
        return real(accelerator, model, features, **kwargs)

    monkeypatch.setattr(dpo, "pair_logps", spy)
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
