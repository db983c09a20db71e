import math

import pytest
import torch
from safetensors.torch import load_file

import training.ml.kto as kto
import training.ml.logps as logps
from tests.training.ml.conftest import Recorder
from training.ml.config import KTOConfig
from training.ml.loop import TrainingCancelled

FAST = {
    "learning_rate": 2e-3,
    "batch_size": 4,
    "max_length": 64,
    "max_prompt_length": 40,
    "beta": 0.1,
}


@pytest.fixture
def rows(pairs):
    """The shared pairs as unpaired KTO rows, a prompt's two rows side by side as the export writes them."""
    return [
        {"prompt": pair["prompt"], "completion": pair[side], "label": side == "chosen"}
        for pair in pairs
        for side in ("chosen", "rejected")
    ]


def test_desirable_rewards_rise_above_undesirable_ones(tmp_path, tiny_lm_path, rows, recorder):
    # The training rows double as validation so the final rewards are measured on them.
    result = kto.train_kto(
        KTOConfig(max_steps=30, **FAST), tiny_lm_path, rows, rows, tmp_path / "out", recorder
    )
    losses = recorder.series("loss")
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[0] == pytest.approx(0.5, abs=1e-4)  # policy == reference: 1 - σ(0)
    assert sum(losses[-4:]) / 4 < losses[0]
    assert all(kl >= 0 for kl in recorder.series("kl"))
    metrics = result["metrics"]
    assert metrics["val_desirable_reward"] > metrics["val_undesirable_reward"]
    assert {"loss", "kl", "learning_rate", "samples_per_s"} <= set(metrics)
    before, after = (
        load_file(tiny_lm_path / "model.safetensors"),
        load_file(tmp_path / "out" / "model.safetensors"),
    )
    assert any(not torch.equal(before[name], after[name]) for name in before)


def test_reference_log_probs_are_computed_once_before_training(
    tmp_path, tiny_lm_path, rows, monkeypatch
):
    calls = []
    real = logps.pair_logps

    def spy(accelerator, model, features, **kwargs):
        calls.append(len(features))
        return real(accelerator, model, features, **kwargs)

    monkeypatch.setattr(logps, "pair_logps", spy)
    kto.train_kto(KTOConfig(max_steps=3, **FAST), tiny_lm_path, rows, [], tmp_path / "out")
    # reference on the train rows and their mismatched pairs, then on the (empty) validation set
    assert calls == [12, 0]


def test_a_step_without_undesirable_rows_reports_no_undesirable_reward(
    tmp_path, tiny_lm_path, rows, recorder
):
    desirable = [row for row in rows if row["label"]]
    kto.train_kto(KTOConfig(max_steps=2, **FAST), tiny_lm_path, desirable, [], tmp_path / "out", recorder)
    assert all("undesirable_reward" not in metrics for _, _, metrics in recorder.calls)
    assert all(math.isfinite(value) for value in recorder.series("desirable_reward"))


def test_cancel_raises_and_leaves_no_output(tmp_path, tiny_lm_path, rows):
    recorder = Recorder(stop_at=1)
    with pytest.raises(TrainingCancelled):
        kto.train_kto(
            KTOConfig(max_steps=4, **FAST), tiny_lm_path, rows, [], tmp_path / "out", recorder
        )
    assert list(tmp_path.iterdir()) == []


def test_rows_without_a_boolean_label_are_refused(tmp_path, tiny_lm_path, rows):
    with pytest.raises(ValueError, match="train example 0: 'label' must be bool"):
        kto.train_kto(
            KTOConfig(max_steps=1, **FAST), tiny_lm_path, [{**rows[0], "label": 1}], [], tmp_path / "out"
        )


def test_each_half_of_a_batch_runs_without_the_other_halfs_padding():
    from training.ml.data import collate_kto

    features = [
        {"completion_ids": [5, 6, 7], "kl_ids": [5, 8, 9, 10, 11, 12], "prompt_length": 1, "index": 0, "desirable": True},
        {"completion_ids": [5, 6], "kl_ids": [5, 8, 9, 10], "prompt_length": 1, "index": 1, "desirable": False},
    ]
    completions, mismatched = kto.halves(collate_kto(features, pad_id=0))
    assert completions["input_ids"].tolist() == [[5, 6, 7], [5, 6, 0]]
    assert completions["labels"].tolist() == [[-100, 6, 7], [-100, 6, -100]]
    assert mismatched["input_ids"].shape == (2, 6) and mismatched["attention_mask"].sum().item() == 10
