"""Best-of-N: selecting by reward beats the policy's first sample, and what it writes trains."""

import numpy as np
import pytest

from tests.training.ml.conftest import SAY_PROMPTS, share_of_a
from training.ml.best_of_n import best_of_n, best_of_n_metrics, select
from training.ml.config import GenerateConfig, SFTConfig
from training.ml.sft import train_sft


def test_select_keeps_each_prompts_best_and_pairs_it_with_the_worst():
    prompts = [{"prompt": [{"role": "user", "content": q}]} for q in ("p0", "p1")]
    table = np.array([[0.1, 0.9, 0.5], [0.3, 0.3, 0.3]])
    samples = {(p, s): {"completion": f"r{p}{s}"} for p in range(2) for s in range(3)}
    out = select(prompts, table, samples)
    assert [d["completion"] for d in out["demonstrations"]] == ["r01", "r10"]
    assert [d["completion"] for d in out["first_samples"]] == ["r00", "r10"]
    # p1's samples score alike: no preference to learn from
    assert out["pairs"] == [{"prompt": prompts[0]["prompt"], "chosen": "r01", "rejected": "r00",
                             "chosen_score": 0.9, "rejected_score": 0.1}]


def test_best_of_k_curve_grows_with_k():
    table = np.array([[0.0, 1.0, 0.2, 0.4, 3.0], [2.0, 0.0, 0.0, 0.0, 0.0]])
    metrics = best_of_n_metrics(table)
    assert metrics["best_of_1_reward"] == metrics["mean_first_reward"] == 1.0
    assert metrics["best_of_2_reward"] == 1.5 and metrics["best_of_4_reward"] == 1.5
    assert metrics["best_of_5_reward"] == metrics["mean_best_reward"] == 2.5


@pytest.mark.parametrize("penalty", [None, 1.0])
def test_selection_beats_the_first_sample_and_its_demonstrations_train(tmp_path, ab_policy, penalty):
    config = GenerateConfig(num_samples=8, max_new_tokens=10, max_prompt_length=24, batch_size=8, seed=1)
    out = best_of_n(config, ab_policy, SAY_PROMPTS, share_of_a, missing_eos_penalty=penalty)
    metrics = out["metrics"]
    print(metrics)
    assert metrics["mean_best_reward"] > metrics["mean_first_reward"] + 0.1
    assert metrics["mean_first_reward"] <= metrics["best_of_2_reward"] <= metrics["best_of_4_reward"]
    assert len(out["demonstrations"]) == len(SAY_PROMPTS) and out["pairs"]
    for pair in out["pairs"]:
        assert pair["chosen_score"] > pair["rejected_score"]
    sft = SFTConfig(learning_rate=1e-3, batch_size=8, max_steps=4, max_length=48, max_prompt_length=24)
    result = train_sft(sft, ab_policy, out["demonstrations"], [], tmp_path / "sft")
    assert result["status"] == "succeeded"
