import json
import math

import pytest
import torch
from safetensors.torch import load_file

from tests.training.ml.conftest import SAY_PROMPTS, Recorder, share_of_a
from tests.training.ml.test_ppo import ScoreOne, nan_reward
from training.ml import group_rl, ppo
from training.ml.config import GRPOConfig, RLOOConfig
from training.ml.group_rl import (
    grpo_rollout_advantages,
    rloo_rollout_advantages,
    train_grpo,
    train_rloo,
)
from training.ml.loop import TrainingCancelled, TrainingDiverged

FAST = {
    "batch_size": 4,
    "num_generations": 4,
    "mini_batch_size": 8,
    "ppo_epochs": 2,
    "max_new_tokens": 10,
    "max_length": 48,
    "max_prompt_length": 24,
}
METHODS = pytest.mark.parametrize(
    ("config_class", "train"),
    [(GRPOConfig, train_grpo), (RLOOConfig, train_rloo)],
    ids=["grpo", "rloo"],
)


def mean(values):
    return sum(values) / len(values)


def weights(directory):
    return load_file(directory / "model.safetensors")


@METHODS
def test_mean_reward_rises_while_kl_stays_bounded(
    tmp_path, ab_policy, recorder, config_class, train
):
    config = config_class(learning_rate=1e-3, max_steps=24, **FAST)
    result = train(
        config,
        ab_policy,
        SAY_PROMPTS,
        SAY_PROMPTS[:4],
        tmp_path / "out",
        recorder,
        reward_fn=share_of_a,
    )
    rewards, kls = recorder.series("reward"), recorder.series("kl")
    # The untrained policy scores about 0.3: 0.27 to 0.37 over the last 4 of 24 steps at a
    # learning rate of 1e-9 (seeds 0-3). Trained, seeds 0-3 end at 0.82 to 0.94.
    assert mean(rewards[-4:]) > 0.6
    assert mean(rewards[-4:]) > mean(rewards[:2]) + 0.25  # seeds 0-3 rise by 0.39 to 0.62
    assert recorder.series("reward_std")[0] > 0  # the groups' responses differ: there is signal
    assert kls[0] == pytest.approx(0, abs=1e-4)  # the first rollout comes from the reference itself
    assert max(kls) < 12.0  # summed over at most 10 tokens; seeds 0-3 peak at 3.9 to 8.7
    metrics = result["metrics"]
    for key in (
        "reward",
        "reward_std",
        "kl",
        "entropy",
        "policy_loss",
        "clip_fraction",
        "response_length",
        "learning_rate",
        "samples_per_s",
        "val_reward",
    ):
        assert math.isfinite(metrics[key]), key
    assert "value_loss" not in metrics


@METHODS
def test_a_larger_beta_keeps_the_policy_closer_to_the_reference(
    tmp_path, ab_policy, config_class, train
):
    # GRPO's β weighs the KL in the loss, RLOO's takes it out of the reward: either way more
    # β, less KL. Mean KL over the last 8 of 16 steps, seeds 0-3: 2.2 to 5.8 at β = 0,
    # 0.6 to 1.1 at β = 0.5.
    late_kl = {}
    for beta in (0.0, 0.5):
        recorder = Recorder()
        config = config_class(learning_rate=1e-3, max_steps=16, beta=beta, **FAST)
        train(
            config,
            ab_policy,
            SAY_PROMPTS,
            [],
            tmp_path / f"b{beta}",
            recorder,
            reward_fn=share_of_a,
        )
        late_kl[beta] = mean(recorder.series("kl")[-8:])
    assert late_kl[0.5] < late_kl[0.0] / 2


@METHODS
def test_groups_that_score_alike_teach_nothing(tmp_path, ab_policy, recorder, config_class, train):
    # Every response scores the same, so every advantage is 0; with β = 0 nothing else pulls.
    config = config_class(learning_rate=1e-3, max_steps=2, beta=0.0, **FAST)
    train(config, ab_policy, SAY_PROMPTS, [], tmp_path / "out", recorder, reward_fn=same_score)
    assert recorder.series("reward_std") == [0.0, 0.0]
    before, after = weights(ab_policy), weights(tmp_path / "out")
    assert all(torch.equal(before[name], after[name]) for name in before)


def same_score(prompts, completions):
    return [0.5] * len(completions)


@METHODS
def test_the_policy_is_saved_alone_with_its_stage(
    tmp_path, tiny_lm_path, tiny_rm_path, config_class, train
):
    config = config_class(learning_rate=1e-3, max_steps=1, **FAST)
    result = train(
        config, tiny_lm_path, SAY_PROMPTS[:4], [], tmp_path / "out", reward_model_path=tiny_rm_path
    )
    assert math.isfinite(result["metrics"]["reward"]) and result["steps"] == 1
    saved = json.loads((tmp_path / "out" / "training_config.json").read_text())
    assert saved["stage"] == config_class.__name__.removesuffix("Config").lower()
    assert saved["config"]["num_generations"] == 4
    assert not (tmp_path / "out" / "value_head.safetensors").exists()
    before, after = weights(tiny_lm_path), weights(tmp_path / "out")
    assert any(not torch.equal(before[name], after[name]) for name in before)


@METHODS
def test_exactly_one_reward_source_is_required(tmp_path, tiny_lm_path, config_class, train):
    with pytest.raises(ValueError, match="exactly one"):
        train(config_class(**FAST), tiny_lm_path, SAY_PROMPTS, [], tmp_path / "out")


@METHODS
def test_cancel_raises_and_leaves_no_output(tmp_path, tiny_lm_path, config_class, train):
    with pytest.raises(TrainingCancelled):
        train(
            config_class(max_steps=3, **FAST),
            tiny_lm_path,
            SAY_PROMPTS,
            [],
            tmp_path / "out",
            Recorder(stop_at=1),
            reward_fn=share_of_a,
        )
    assert list(tmp_path.iterdir()) == []


@METHODS
def test_a_nan_reward_fails_the_run_naming_the_step(tmp_path, tiny_lm_path, config_class, train):
    recorder = Recorder()
    with pytest.raises(TrainingDiverged, match="loss was nan at step 1"):
        train(
            config_class(max_steps=3, **FAST),
            tiny_lm_path,
            SAY_PROMPTS,
            [],
            tmp_path / "out",
            recorder,
            reward_fn=nan_reward,
        )
    assert recorder.calls == []
    assert list(tmp_path.iterdir()) == []


@METHODS
def test_truncated_responses_lose_the_missing_eos_penalty(
    tmp_path, ab_policy, recorder, config_class, train
):
    config = config_class(
        learning_rate=1e-3, max_steps=2, missing_eos_penalty=0.5, **{**FAST, "max_new_tokens": 4}
    )
    train(config, ab_policy, SAY_PROMPTS, [], tmp_path / "out", recorder, reward_fn=ScoreOne())
    truncated = recorder.series("truncation_rate")
    assert min(truncated) > 0  # 4 tokens cut the ab policy's 8 letters
    assert recorder.series("reward") == pytest.approx([1.0 - 0.5 * rate for rate in truncated])


@METHODS
def test_group_rollouts_are_scored_a_mini_batch_at_a_time(
    tmp_path, tiny_lm_path, monkeypatch, config_class, train
):
    rows, forward = [], ppo.lm_forward

    def recording_forward(lm, input_ids, attention_mask, **kwargs):
        if not torch.is_grad_enabled():
            rows.append(input_ids.shape[0])
        return forward(lm, input_ids, attention_mask, **kwargs)

    monkeypatch.setattr(group_rl, "lm_forward", recording_forward)
    score = ScoreOne()
    config = config_class(max_steps=1, **FAST)  # 4 prompts × 4 responses, mini-batches of 8
    train(config, tiny_lm_path, SAY_PROMPTS[:4], [], tmp_path / "out", reward_fn=score)
    assert rows == [8, 8, 8, 8]  # the policy's two, then the reference's two
    assert score.sizes == [8, 8]


def rollout(scores, kl_sums, response_length=2):
    """A rollout batch with only what the advantages read: rows prompt-major, KL on the first token."""
    kl = torch.zeros(len(scores), response_length)
    kl[:, 0] = torch.tensor(kl_sums)
    return {"scores": torch.tensor(scores), "kl": kl}


def test_rloo_takes_the_kl_out_of_each_reward_before_the_baseline():
    # two prompts, k = 2; rewards 1 - 0.5·2 = 0 and 3 - 0 = 3, then 2 and 2
    batch = rollout([1.0, 3.0, 2.0, 2.0], [2.0, 0.0, 0.0, 0.0])
    advantages = rloo_rollout_advantages(batch, RLOOConfig(num_generations=2, beta=0.5))
    assert advantages.tolist() == pytest.approx([-3.0, 3.0, 0.0, 0.0])


def test_grpo_standardises_scores_within_each_prompts_group_and_leaves_kl_to_the_loss():
    batch = rollout([1.0, 3.0, 10.0, 30.0], [5.0, 0.0, 0.0, 0.0])
    advantages = grpo_rollout_advantages(batch, GRPOConfig(num_generations=2, beta=0.5))
    # the Bessel std of a pair is |a - b|/√2, so each pair becomes ∓1/√2 whatever its scale
    assert advantages.tolist() == pytest.approx([-(0.5**0.5), 0.5**0.5] * 2, rel=1e-3)


def test_the_run_page_sees_one_response_per_prompt_of_a_step(tmp_path, tiny_lm_path, recorder):
    prompts = SAY_PROMPTS[:4]
    train_grpo(GRPOConfig(max_steps=1, **FAST), tiny_lm_path, prompts, [], tmp_path / "out", recorder, reward_fn=share_of_a)
    shown = recorder.calls[0][2]["samples"]
    assert sorted(s["prompt"] for s in shown) == sorted(p["prompt"][0]["content"] for p in prompts)
    assert all(isinstance(s["response"], str) and s["score"] is not None for s in shown)
