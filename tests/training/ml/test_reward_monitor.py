"""Reward-hacking monitors for PPO, GRPO and RLOO: a held-out gold reward beside the proxy,
and a KL budget."""

import pytest

from tests.training.ml.conftest import SAY_PROMPTS, Recorder, share_of_a
from tests.training.ml.test_group_rl import FAST
from training.guardrails import result_warnings
from training.ml.config import GRPOConfig, PPOConfig
from training.ml.group_rl import train_grpo
from training.ml.ppo import train_ppo
from training.ml.reward_monitor import RewardMonitor, trend


def share_of_b(prompts, completions):
    """A gold reward that wants the opposite of share_of_a: hacking the proxy hurts it."""
    return [sum(ch == "b" for ch in text) / max(len(text), 1) for text in completions]


def test_trend_is_the_least_squares_slope():
    assert trend([1, 2, 3, 4]) == pytest.approx(1.0)
    assert trend([3, 1, 3, 1]) == pytest.approx(-0.4)


def test_divergence_needs_a_full_window_of_proxy_up_and_gold_down():
    monitor = RewardMonitor(window=3, stop_on_divergence=True)
    steps = [(0.1, 0.9), (0.2, 0.8), (0.3, 0.85), (0.4, 0.5)]
    seen = [monitor.observe({"reward": proxy, "gold_reward": gold, "kl": 0.0}) for proxy, gold in steps]
    assert seen == [None, None, "divergence", "divergence"]
    assert monitor.summary("divergence") == {"divergent_steps": 2.0, "stopped_by_divergence": 1.0}
    assert RewardMonitor(kl_budget=5.0).observe({"reward": 0.0, "kl": 5.1}) == "kl_budget"


PPO_FAST = {"batch_size": 4, "mini_batch_size": 4, "ppo_epochs": 2, "max_new_tokens": 10, "max_length": 48,
            "max_prompt_length": 24}


def test_a_proxy_rising_while_the_gold_falls_is_flagged_and_stops_the_run(tmp_path, ab_policy):
    runs = {}
    for stop in (False, True):
        recorder = Recorder()
        config = PPOConfig(learning_rate=1e-3, max_steps=16, divergence_window=4, stop_on_divergence=stop, **PPO_FAST)
        result = train_ppo(config, ab_policy, SAY_PROMPTS, [], tmp_path / str(stop), recorder,
                           reward_fn=share_of_a, gold_reward_fn=share_of_b)
        runs[stop] = (recorder, result["metrics"])
    recorder, metrics = runs[False]
    assert recorder.series("reward")[-1] > recorder.series("reward")[0]  # the proxy was hacked
    assert recorder.series("gold_reward")[-1] < recorder.series("gold_reward")[0]  # and gold paid for it
    assert metrics["divergent_steps"] > 0 and "stopped_by_divergence" not in metrics
    assert any("reward hacking" in w for w in result_warnings("ppo", metrics))
    recorder, metrics = runs[True]
    assert metrics["stopped_by_divergence"] == 1.0 and metrics["step"] < 16  # stopped early, policy saved
    assert any("diverged" in w for w in result_warnings("ppo", metrics))


def test_a_kl_budget_stops_grpo_once_passed(tmp_path, ab_policy):
    recorder = Recorder()
    config = GRPOConfig(learning_rate=3e-3, max_steps=24, kl_budget=1.0, **FAST)
    result = train_grpo(config, ab_policy, SAY_PROMPTS, [], tmp_path / "out", recorder, reward_fn=share_of_a)
    metrics = result["metrics"]
    assert metrics["stopped_by_kl_budget"] == 1.0 and metrics["kl"] > 1.0 and metrics["step"] < 24
    assert all(kl <= 1.0 for kl in recorder.series("kl")[:-1])  # it went on until the step that passed it
    assert any("passed kl_budget" in w for w in result_warnings("grpo", metrics))
