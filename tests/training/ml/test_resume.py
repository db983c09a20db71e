"""Periodic training states (save_steps) and resuming from them: a run stopped after a save and
started again on the same output_dir continues at the saved step, with the same data, weights,
optimizer, schedule and RNG, so its curve is the curve of a run never stopped."""

import pytest

from tests.training.ml.conftest import Recorder
from training.ml.config import RewardConfig
from training.ml.loop import TrainingCancelled
from training.ml.resume import latest_step, saved_steps, state_dir
from training.ml.reward import train_reward

# 5 pairs in batches of 2: three micro-batches an epoch, the last one short, and two micro-batches
# per step, so saves fall mid-epoch and at epoch ends alike.
CONFIG = {"learning_rate": 1e-3, "batch_size": 2, "gradient_accumulation_steps": 2, "max_length": 96,
          "max_prompt_length": 48, "max_steps": 7}


def pairs(n: int) -> list[dict]:
    return [
        {"prompt": [{"role": "user", "content": f"Question {i}: help?"}], "chosen": f"Yes, answer {i}.",
         "rejected": "no", "margin": None}
        for i in range(n)
    ]


class StopAt(Recorder):
    """Records like Recorder, and says stop (as a dying worker would, in effect) at `stop_step`."""

    def __init__(self, stop_step: int):
        super().__init__()
        self.stop_step = stop_step

    def __call__(self, step, total, metrics):
        super().__call__(step, total, metrics)
        return step != self.stop_step


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_rm_path):
    recorder = Recorder()
    out = tmp_path_factory.mktemp("whole") / "out"
    result = train_reward(RewardConfig(**CONFIG), tiny_rm_path, pairs(5), pairs(2), out, recorder)
    return result, recorder


def test_a_stopped_run_resumes_at_its_last_save_and_continues_the_same_curve(tmp_path, tiny_rm_path, uninterrupted):
    config = RewardConfig(**CONFIG, save_steps=2, save_total_limit=2)
    out = tmp_path / "out"
    with pytest.raises(TrainingCancelled):
        train_reward(config, tiny_rm_path, pairs(5), pairs(2), out, StopAt(5))
    assert saved_steps(state_dir(out)) == [2, 4] and latest_step(out) == 4  # the newest two of 2, 4
    assert not out.exists()

    resumed = Recorder()
    result = train_reward(config, tiny_rm_path, pairs(5), pairs(2), out, resumed)
    whole, whole_recorder = uninterrupted
    assert [step for step, _, _ in resumed.calls] == [5, 6, 7]  # no restart at step 0
    assert [h["step"] for h in result["history"]] == list(range(1, 8))
    assert resumed.series("loss") == pytest.approx(whole_recorder.series("loss")[4:], rel=1e-4)
    assert [h["loss"] for h in result["history"]] == pytest.approx([h["loss"] for h in whole["history"]], rel=1e-4)
    assert result["metrics"]["val_accuracy"] == whole["metrics"]["val_accuracy"]
    assert not state_dir(out).exists()  # spent once the final checkpoint is written


def test_only_the_newest_save_total_limit_states_are_kept(tmp_path, tiny_rm_path):
    config = RewardConfig(**{**CONFIG, "gradient_accumulation_steps": 1}, save_steps=1, save_total_limit=3)
    out = tmp_path / "out"
    with pytest.raises(TrainingCancelled):
        train_reward(config, tiny_rm_path, pairs(5), [], out, StopAt(6))
    assert saved_steps(state_dir(out)) == [3, 4, 5]
    assert not [p for p in state_dir(out).iterdir() if p.name.endswith(".partial")]
