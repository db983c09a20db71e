"""eval_steps: validation measured during training, so runs record validation curves."""

from tests.training.ml.conftest import Recorder
from tests.training.ml.test_resume import pairs
from training.ml.config import RewardConfig, SFTConfig
from training.ml.reward import train_reward
from training.ml.sft import train_sft

FAST = {"learning_rate": 1e-3, "batch_size": 2, "max_length": 96, "max_prompt_length": 48, "max_steps": 4}


def test_reward_validation_is_measured_every_eval_steps(tmp_path, tiny_rm_path):
    recorder = Recorder()
    result = train_reward(RewardConfig(**FAST, eval_steps=2), tiny_rm_path, pairs(4), pairs(3), tmp_path / "out", recorder)
    measured = [step for step, _, metrics in recorder.calls if "val_accuracy" in metrics]
    assert measured == [2, 4]
    assert {"val_accuracy", "val_mean_margin", "val_count"} <= set(recorder.calls[1][2])
    assert result["metrics"]["val_accuracy"] == recorder.calls[-1][2]["val_accuracy"]  # not measured twice


def test_sft_validation_loss_is_a_curve(tmp_path, tiny_lm_path):
    demos = [{"prompt": [{"role": "user", "content": f"Say {i}"}], "completion": f"{i}"} for i in range(4)]
    recorder = Recorder()
    result = train_sft(SFTConfig(**FAST, eval_steps=1), tiny_lm_path, demos, demos[:2], tmp_path / "out", recorder)
    curve = [metrics["val_loss"] for _, _, metrics in recorder.calls]
    assert len(curve) == 4 and curve[-1] < curve[0]  # learning the demonstrations shows on them
    assert result["metrics"]["val_loss"] == curve[-1]


def test_without_eval_steps_validation_runs_once_at_the_end(tmp_path, tiny_rm_path):
    recorder = Recorder()
    result = train_reward(RewardConfig(**FAST), tiny_rm_path, pairs(4), pairs(3), tmp_path / "out", recorder)
    assert not any("val_accuracy" in metrics for _, _, metrics in recorder.calls)
    assert result["metrics"]["val_count"] == 3
