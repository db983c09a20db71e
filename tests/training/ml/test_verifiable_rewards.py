"""GRPO and RLOO on verifiable rewards: prompts that carry a checkable answer (RLVR), scored by
the built-in verifier alone or added to a reward model's score."""

import random

import pytest

from tests.training.ml.conftest import SAY_PROMPTS, Recorder
from tests.training.ml.test_group_rl import FAST, mean
from training.ml.config import GRPOConfig, RLOOConfig, SFTConfig
from training.ml.group_rl import train_grpo, train_rloo
from training.ml.sft import train_sft

# Each "Say i" prompt's answer is 7: the policy below answers with a random digit, right about
# one time in ten, so there is something to learn and a signal to learn it from.
NUMERIC = [{**p, "verify": {"kind": "numeric", "answer": 7}} for p in SAY_PROMPTS]


@pytest.fixture(scope="module")
def digit_policy(tmp_path_factory, tiny_lm_path):
    """The tiny LM after a little SFT on random one-digit answers."""
    rng = random.Random(0)
    demos = [{"prompt": p["prompt"], "completion": str(rng.randrange(10))} for p in SAY_PROMPTS for _ in range(4)]
    config = SFTConfig(learning_rate=3e-3, batch_size=8, max_steps=40, max_length=48, max_prompt_length=24)
    output_dir = tmp_path_factory.mktemp("rlvr") / "digits"
    train_sft(config, tiny_lm_path, demos, [], output_dir)
    return output_dir


@pytest.mark.parametrize(("config_class", "train"), [(GRPOConfig, train_grpo), (RLOOConfig, train_rloo)], ids=["grpo", "rloo"])
def test_verifiable_reward_raises_the_share_of_correct_answers(tmp_path, digit_policy, config_class, train):
    recorder = Recorder()
    config = config_class(learning_rate=2e-3, max_steps=24, verifier="only", **{**FAST, "num_generations": 8, "max_new_tokens": 4})
    train(config, digit_policy, NUMERIC, NUMERIC[:4], tmp_path / "out", recorder)
    correct = recorder.series("reward")  # the share of responses whose final number is 7
    print(f"share correct: first steps {mean(correct[:4]):.2f}, last steps {mean(correct[-4:]):.2f}")
    assert mean(correct[-4:]) > mean(correct[:4]) + 0.3


def test_verifier_added_to_a_reward_adds_weight_times_the_check(tmp_path, digit_policy):
    recorder = Recorder()
    config = GRPOConfig(learning_rate=1e-9, max_steps=2, verifier="add", verifier_weight=10.0, **FAST)
    train_grpo(config, digit_policy, NUMERIC, [], tmp_path / "out", recorder, reward_fn=lambda p, c: [0.25] * len(c))
    responses = FAST["batch_size"] * FAST["num_generations"]
    for reward in recorder.series("reward"):
        share = (reward - 0.25) / 10  # the share of the step's responses that were right
        assert 0 <= share <= 1 and share * responses == pytest.approx(round(share * responses))


def test_prompts_without_a_check_or_a_stray_reward_model_are_refused(tmp_path, digit_policy):
    with pytest.raises(ValueError, match=r"train example 1's prompt has no 'verify' check"):
        train_grpo(GRPOConfig(verifier="only", **FAST), digit_policy, [NUMERIC[0], SAY_PROMPTS[1]], [], tmp_path / "a")
    with pytest.raises(ValueError, match="give no reward model"):
        train_grpo(GRPOConfig(verifier="only", **FAST), digit_policy, NUMERIC, [], tmp_path / "b", reward_fn=lambda p, c: [0.0] * len(c))
