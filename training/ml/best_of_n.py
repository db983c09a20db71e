"""Best-of-N (rejection sampling): the cheapest policy improvement there is.

Sample N responses to each prompt from a policy, score them with a reward model, and keep the
best (Nakano et al. 2021, WebGPT; Touvron et al. 2023, Llama 2 §3.2.2). What comes out:

    demonstrations   {"prompt", "completion", "score"}: each prompt's best sample, for SFT
    pairs            {"prompt", "chosen", "rejected", "chosen_score", "rejected_score"}: best
                     against worst, for reward or DPO training; none when they score alike
    first_samples    {"prompt", "completion", "score"}: each prompt's first sample, what the
                     policy gives without selection (a baseline for people to compare against)
    metrics          mean_best_reward, mean_reward (all samples), mean_first_reward, and
                     best_of_k_reward for k = 1, 2, 4, … up to N: the mean best score among the
                     first k samples, so one run shows how the gain grows with N

Samples cut at max_new_tokens are scored less `missing_eos_penalty` when it is set, as in
online RL, so an unfinished answer does not win by length. `run_best_of_n` is the stage's
entry for a launched job (child.py): the reward function comes from a reward checkpoint.
"""

from pathlib import Path

import numpy as np

from training.ml.best_of_n_config import BestOfNConfig
from training.ml.generate import generate
from training.ml.generate_config import GenerateConfig
from training.ml.loop import Callback
from training.ml.scoring import load_reward_fn

SCORE_BATCH = 16  # responses per reward-model call


def best_of_n(
    config: GenerateConfig,
    policy_path: str | Path,
    prompts: list[dict],
    reward_fn,
    callback: Callback | None = None,
    missing_eos_penalty: float | None = None,
) -> dict:
    """Sample config.num_samples responses per {"prompt": messages} and select by `reward_fn`
    ((prompts, completions) -> scores, e.g. scoring.load_reward_fn). See the module docstring."""
    samples = generate(config, policy_path, prompts, callback)
    scores = score_samples(samples, reward_fn, missing_eos_penalty)
    table = np.full((len(prompts), config.num_samples), np.nan)  # (prompts, N)
    for sample, score in zip(samples, scores, strict=True):
        table[sample["prompt_index"], sample["sample_index"]] = score
    by_cell = {(s["prompt_index"], s["sample_index"]): s for s in samples}
    return select(prompts, table, by_cell)


def run_best_of_n(
    config: BestOfNConfig,
    policy_path: str | Path,
    prompts: list[dict],
    callback: Callback | None = None,
    reward_model_path: str | None = None,
) -> dict:
    """best_of_n scored by the reward checkpoint at `reward_model_path` (on
    config.reward_criterion), with config.missing_eos_penalty: what the best_of_n stage runs."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    reward_fn = load_reward_fn(reward_model_path, device, config.reward_criterion)
    return best_of_n(config, policy_path, prompts, reward_fn, callback, config.missing_eos_penalty)


def score_samples(samples: list[dict], reward_fn, missing_eos_penalty: float | None) -> np.ndarray:
    """reward_fn's score of each sample, in batches, less the penalty for unfinished ones: (S,)."""
    scores = []
    for first in range(0, len(samples), SCORE_BATCH):
        chunk = samples[first : first + SCORE_BATCH]
        got = reward_fn([s["prompt"] for s in chunk], [s["completion"] for s in chunk])
        scores += [float(x) for x in got]
    scores = np.asarray(scores)
    if missing_eos_penalty:
        scores -= missing_eos_penalty * np.array([not s["finished"] for s in samples], dtype=float)
    return scores


def select(prompts: list[dict], table: np.ndarray, samples: dict) -> dict:
    """The demonstrations, pairs, first samples and metrics of a (prompts, N) score table."""
    best, worst = table.argmax(axis=1), table.argmin(axis=1)
    demonstrations, pairs, first_samples = [], [], []
    for p, prompt in enumerate(prompts):
        top, bottom, first = samples[p, best[p]], samples[p, worst[p]], samples[p, 0]
        demonstrations.append(_scored(prompt, top, table[p, best[p]]))
        first_samples.append(_scored(prompt, first, table[p, 0]))
        if table[p, best[p]] > table[p, worst[p]] and top["completion"] != bottom["completion"]:
            pairs.append({"prompt": prompt["prompt"], "chosen": top["completion"],
                          "rejected": bottom["completion"], "chosen_score": float(table[p, best[p]]),
                          "rejected_score": float(table[p, worst[p]])})
    return {"demonstrations": demonstrations, "pairs": pairs, "first_samples": first_samples,
            "metrics": best_of_n_metrics(table)}


def best_of_n_metrics(table: np.ndarray) -> dict[str, float]:
    """Mean best, mean of all, mean first, and the best-of-k curve of a (prompts, N) table."""
    n = table.shape[1]
    metrics = {
        "mean_best_reward": float(table.max(axis=1).mean()),
        "mean_reward": float(table.mean()),
        "mean_first_reward": float(table[:, 0].mean()),
    }
    k = 1
    while k <= n:
        metrics[f"best_of_{k}_reward"] = float(table[:, :k].max(axis=1).mean())
        k *= 2
    if f"best_of_{n}_reward" not in metrics:
        metrics[f"best_of_{n}_reward"] = metrics["mean_best_reward"]
    return metrics


def _scored(prompt: dict, sample: dict, score: float) -> dict:
    return {"prompt": prompt["prompt"], "completion": sample["completion"], "score": float(score)}
