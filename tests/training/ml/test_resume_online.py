"""Periodic training states (save_steps) of the online stages (PPO, GRPO, RLOO) and resuming from
them: a run stopped after a save and started again on the same output_dir continues at the saved
step with the same weights (PPO's value head too), optimizer, schedule, RNG, prompt order and
reward monitor, so its curve and its final policy are those of a run never stopped."""

import pytest
import torch
from safetensors.torch import load_file

from tests.training.ml.conftest import SAY_PROMPTS, Recorder
from tests.training.ml.test_resume import StopAt
from training.ml.config import GRPOConfig, PPOConfig
from training.ml.group_rl import train_grpo
from training.ml.loop import TrainingCancelled
from training.ml.ppo import train_ppo
from training.ml.resume import latest_step, saved_steps, state_dir

# 6 prompts in batches of 4: two batches an epoch, the last one short, so saves fall mid-epoch
# and at an epoch's end alike; a gold reward and a window of 2 give the monitor state to keep.
SHARED = {"learning_rate": 1e-3, "batch_size": 4, "max_steps": 6, "max_new_tokens": 6, "max_length": 40,
          "max_prompt_length": 24, "ppo_epochs": 2, "divergence_window": 2}
STAGES = pytest.mark.parametrize(
    ("config", "train", "extra"),
    [
        (PPOConfig, train_ppo, {"mini_batch_size": 2}),
        (PPOConfig, train_ppo, {"mini_batch_size": 2, "lora_r": 4}),  # adapters on a frozen base
        (GRPOConfig, train_grpo, {"mini_batch_size": 4, "num_generations": 2}),
    ],
    ids=["ppo", "ppo-lora", "grpo"],
)
PROMPTS = SAY_PROMPTS[:6]
CURVES = ("reward", "kl", "policy_loss", "entropy", "gold_reward", "divergence", "learning_rate")


def length(prompts, completions, finished=None):
    """The proxy: longer is better (it varies from step to step even on the random tiny model)."""
    return [len(text) / 10 for text in completions]


def against_the_proxy(prompts, completions, finished=None):
    """A gold reward that falls exactly as the proxy rises: every rising step diverges."""
    return [-score for score in length(prompts, completions)]


def run(config, train, model, out, callback):
    return train(config, model, PROMPTS, PROMPTS[:2], out, callback, reward_fn=length, gold_reward_fn=against_the_proxy)


def curves(history):
    return {key: [h.get(key) for h in history] for key in CURVES}


@STAGES
def test_a_stopped_online_run_resumes_at_its_last_save_with_the_same_curve_and_policy(
    tmp_path, tiny_lm_path, config, train, extra
):
    whole_out, out = tmp_path / "whole", tmp_path / "out"
    whole = run(config(**SHARED, **extra), train, tiny_lm_path, whole_out, Recorder())
    saving = config(**SHARED, **extra, save_steps=2, save_total_limit=1)
    with pytest.raises(TrainingCancelled):
        run(saving, train, tiny_lm_path, out, StopAt(5))
    assert saved_steps(state_dir(out)) == [4] and latest_step(out) == 4  # the newest one of 2, 4
    assert not out.exists()

    resumed = Recorder()
    result = run(saving, train, tiny_lm_path, out, resumed)
    assert [step for step, _, _ in resumed.calls] == [5, 6]  # no restart at step 0
    assert [h["step"] for h in result["history"]] == list(range(1, 7))
    for key, values in curves(whole["history"]).items():
        assert curves(result["history"])[key] == pytest.approx(values, rel=1e-4, abs=1e-6), key
    assert result["metrics"]["divergent_steps"] == whole["metrics"]["divergent_steps"] > 0
    assert result["metrics"]["val_reward"] == pytest.approx(whole["metrics"]["val_reward"], abs=1e-6)
    for name in ("model.safetensors", *(["value_head.safetensors"] if train is train_ppo else [])):
        trained, again = load_file(whole_out / name), load_file(out / name)
        assert all(torch.allclose(trained[k], again[k], atol=1e-6) for k in trained), name
    assert not state_dir(out).exists()  # spent once the final checkpoint is written


def test_eval_steps_measures_val_reward_and_the_gold_reward_when_due(tmp_path, tiny_lm_path):
    recorder = Recorder()
    config = PPOConfig(**SHARED, mini_batch_size=2, eval_steps=3)
    result = run(config, train_ppo, tiny_lm_path, tmp_path / "out", recorder)
    measured = [step for step, _, metrics in recorder.calls if "val_reward" in metrics]
    gold = [step for step, _, metrics in recorder.calls if "gold_reward" in metrics]
    assert measured == gold == [3, 6]
    assert result["metrics"]["val_reward"] == recorder.calls[-1][2]["val_reward"]  # not measured twice
