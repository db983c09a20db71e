import contextlib
import math
import types

import pytest
import torch
from safetensors.torch import load_file

from tests.training.ml.conftest import SAY_PROMPTS, Recorder, share_of_a
from training.ml import ppo, rewards
from training.ml.config import PPOConfig
from training.ml.loop import TrainingCancelled, TrainingDiverged
from training.ml.online import ppo_update
from training.ml.ppo import train_ppo

PROMPTS = SAY_PROMPTS
FAST = {
    "batch_size": 8,
    "mini_batch_size": 4,
    "ppo_epochs": 4,
    "max_new_tokens": 10,
    "max_length": 48,
    "max_prompt_length": 24,
}


def test_mean_reward_rises_while_kl_stays_bounded(tmp_path, ab_policy, recorder):
    config = PPOConfig(learning_rate=1e-3, max_steps=12, beta=0.05, **FAST)
    result = train_ppo(
        config, ab_policy, PROMPTS, [], tmp_path / "out", recorder, reward_fn=share_of_a
    )
    rewards, kls = recorder.series("reward"), recorder.series("kl")
    assert sum(rewards[-4:]) / 4 > sum(rewards[:4]) / 4 + 0.15  # seeds 0-3 rise by 0.22 to 0.49
    assert kls[0] == pytest.approx(0, abs=1e-4)  # the first rollout comes from the reference itself
    assert max(kls) < 10.0  # summed over at most 10 tokens; seeds 0-3 peak at 2.7 to 5.8
    metrics = result["metrics"]
    for key in (
        "reward",
        "kl",
        "entropy",
        "policy_loss",
        "value_loss",
        "learning_rate",
        "samples_per_s",
    ):
        assert math.isfinite(metrics[key])


def test_reward_can_come_from_a_reward_model_checkpoint(tmp_path, tiny_lm_path, tiny_rm_path):
    config = PPOConfig(learning_rate=1e-3, max_steps=1, **FAST)
    result = train_ppo(
        config,
        tiny_lm_path,
        PROMPTS[:8],
        PROMPTS[:2],
        tmp_path / "out",
        reward_model_path=tiny_rm_path,
    )
    assert math.isfinite(result["metrics"]["reward"]) and math.isfinite(
        result["metrics"]["val_reward"]
    )
    head = load_file(tmp_path / "out" / "value_head.safetensors")
    assert head["weight"].shape == (1, 64) and head["weight"].abs().sum() > 0  # trained from zeros


def test_exactly_one_reward_source_is_required(tmp_path, tiny_lm_path, tiny_rm_path):
    with pytest.raises(ValueError, match="exactly one"):
        train_ppo(PPOConfig(**FAST), tiny_lm_path, PROMPTS, [], tmp_path / "out")
    with pytest.raises(ValueError, match="exactly one"):
        train_ppo(
            PPOConfig(**FAST),
            tiny_lm_path,
            PROMPTS,
            [],
            tmp_path / "out",
            reward_model_path=tiny_rm_path,
            reward_fn=share_of_a,
        )


def test_cancel_raises_and_leaves_no_output(tmp_path, tiny_lm_path):
    with pytest.raises(TrainingCancelled):
        train_ppo(
            PPOConfig(max_steps=3, **FAST),
            tiny_lm_path,
            PROMPTS,
            [],
            tmp_path / "out",
            Recorder(stop_at=1),
            reward_fn=share_of_a,
        )
    assert list(tmp_path.iterdir()) == []


def nan_reward(prompts, completions):
    return [float("nan")] * len(completions)


def test_a_nan_reward_fails_the_run_naming_the_step_and_writes_nothing(tmp_path, tiny_lm_path):
    recorder = Recorder()
    with pytest.raises(TrainingDiverged, match="loss was nan at step 1"):
        train_ppo(
            PPOConfig(max_steps=3, **FAST),
            tiny_lm_path,
            PROMPTS,
            [],
            tmp_path / "out",
            recorder,
            reward_fn=nan_reward,
        )
    assert recorder.calls == []
    assert list(tmp_path.iterdir()) == []


class ScoreOne:
    """A reward of 1 for every response, recording how many responses each call scored."""

    def __init__(self):
        self.sizes = []

    def __call__(self, prompts, completions):
        self.sizes.append(len(completions))
        return [1.0] * len(completions)


def test_rollouts_cut_at_max_new_tokens_lose_the_penalty_and_are_counted(
    tmp_path, ab_policy, recorder
):
    # The ab policy learnt to write 8 letters and then eos, so 4 new tokens cut many responses.
    config = PPOConfig(
        learning_rate=1e-3, max_steps=2, missing_eos_penalty=0.25, **{**FAST, "max_new_tokens": 4}
    )
    train_ppo(config, ab_policy, PROMPTS, [], tmp_path / "out", recorder, reward_fn=ScoreOne())
    truncated = recorder.series("truncation_rate")
    assert min(truncated) > 0
    assert recorder.series("reward") == pytest.approx([1.0 - 0.25 * rate for rate in truncated])


def test_responses_that_end_are_not_penalised_or_counted_as_truncated(
    tmp_path, ab_policy, recorder
):
    config = PPOConfig(
        learning_rate=1e-3, max_steps=1, missing_eos_penalty=0.25, **{**FAST, "max_new_tokens": 16}
    )
    train_ppo(config, ab_policy, PROMPTS, [], tmp_path / "out", recorder, reward_fn=ScoreOne())
    (truncated,), (reward,) = recorder.series("truncation_rate"), recorder.series("reward")
    assert truncated < 1.0  # most of the 8 responses end in eos within 16 tokens
    assert reward == pytest.approx(1.0 - 0.25 * truncated)


def test_a_reward_model_is_told_which_rollouts_were_cut(
    tmp_path, ab_policy, tiny_rm_path, monkeypatch, recorder
):
    told = []

    def load_recording_reward(path, device, criterion):
        def score(prompts, completions, finished):
            told.extend(finished)
            return [0.0] * len(completions)

        return score

    monkeypatch.setattr(rewards, "load_reward_fn", load_recording_reward)
    config = PPOConfig(max_steps=1, **{**FAST, "max_new_tokens": 4})
    train_ppo(
        config, ab_policy, PROMPTS[:8], [], tmp_path / "out", recorder, reward_model_path=tiny_rm_path
    )
    assert len(told) == 8 and False in told
    assert recorder.series("truncation_rate") == [told.count(False) / 8]


def test_rollouts_are_scored_a_mini_batch_at_a_time(tmp_path, tiny_lm_path, monkeypatch):
    rows, forward = [], ppo.lm_forward

    def recording_forward(lm, input_ids, attention_mask, **kwargs):
        if not torch.is_grad_enabled():  # rollout scoring, not a training mini-batch
            rows.append(input_ids.shape[0])
        return forward(lm, input_ids, attention_mask, **kwargs)

    monkeypatch.setattr(ppo, "lm_forward", recording_forward)
    score = ScoreOne()
    config = PPOConfig(max_steps=1, **FAST)  # 8 responses, mini-batches of 4
    train_ppo(config, tiny_lm_path, PROMPTS[:8], [], tmp_path / "out", reward_fn=score)
    assert rows == [4, 4, 4, 4]  # the policy's two, then the reference's two
    assert score.sizes == [4, 4]


class RecordingAccelerator:
    """What ppo_update asks of accelerate, recording whether each backward would all-reduce."""

    def __init__(self):
        self.events, self.syncing = [], True

    @contextlib.contextmanager
    def no_sync(self, model):
        self.syncing = False
        yield
        self.syncing = True

    def backward(self, loss):
        loss.backward()
        self.events.append("all-reduce" if self.syncing else "local")

    def reduce(self, tensor, reduction):
        return tensor


def test_gradients_are_all_reduced_only_on_the_mini_batch_that_steps():
    accelerator, model = RecordingAccelerator(), torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.step = lambda: accelerator.events.append("step")
    scheduler = types.SimpleNamespace(step=lambda: None)
    config = types.SimpleNamespace(
        ppo_epochs=1, mini_batch_size=2, gradient_accumulation_steps=3, max_grad_norm=None
    )

    def minibatch_loss(model, batch, rows, config):
        loss = model(torch.ones(len(rows), 2)).sum()
        return loss, {"policy_loss": loss.detach()}

    batch = {"mask": torch.ones(12, 1)}  # 6 mini-batches of 2: two steps of 3
    ppo_update(accelerator, model, optimizer, scheduler, batch, config, minibatch_loss)
    assert accelerator.events == ["local", "local", "all-reduce", "step"] * 2


def test_a_few_rollouts_ride_with_each_step_for_the_run_page_but_stay_out_of_the_history(tmp_path, tiny_lm_path):
    recorder = Recorder()
    result = train_ppo(
        PPOConfig(max_steps=2, **FAST), tiny_lm_path, PROMPTS, [], tmp_path / "out", recorder, reward_fn=share_of_a
    )
    for _, _, metrics in recorder.calls:
        shown = metrics["samples"]
        assert len(shown) == 4 and all(s["prompt"].startswith("Say ") for s in shown)
        for sample in shown:
            assert sample["score"] == pytest.approx(share_of_a(None, [sample["response"]])[0])
            assert isinstance(sample["truncated"], bool)
    assert not any("samples" in h for h in result["history"])
    assert "samples" not in result["metrics"]
