"""Where an online stage's reward comes from: a reward checkpoint, an injected function, the
prompts' verifiable checks (verifiers.py), or a reward model plus those checks; and the gold
reward that watches for reward hacking (reward_monitor.py).

Every reward is called as the online loop calls it, `reward(prompts, completions, finished)
-> one score per completion`: `finished` says which responses ended in eos, so a reward model
does not see an eos that was never sampled; an injected rule-based function keeps its
(prompts, completions) signature (text_reward).
"""

from collections.abc import Callable

from training.ml.scoring import load_reward_fn
from training.ml.verifiers import check_verifiable, verifier_reward

# reward_fn(prompts, completions) -> one score per completion
RewardFn = Callable[[list[list[dict]], list[str]], list[float]]


def check_reward_source(config, reward_model_path, reward_fn, train_examples, val_examples) -> None:
    """Exactly one of a reward checkpoint and a function, none with verifier 'only'; every
    prompt carries a well-formed check when the verifier scores (GRPO and RLOO only)."""
    verifier = getattr(config, "verifier", "none")
    if verifier == "only" and (reward_model_path or reward_fn):
        raise ValueError("verifier 'only' scores with the prompts' checks: give no reward model")
    if verifier != "only" and (reward_model_path is None) == (reward_fn is None):
        raise ValueError("give exactly one of reward_model_path and reward_fn")
    if verifier != "none":
        check_verifiable(train_examples, "train")
        check_verifiable(val_examples or [], "validation")


def reward_source(config, device, reward_model_path, reward_fn, examples: list[dict]) -> Callable:
    """The reward the loop calls, from the source check_reward_source accepted; the verifier's
    checks read `examples` (every training and validation prompt)."""
    if reward_fn is not None:
        reward_fn = text_reward(reward_fn)
    elif reward_model_path is not None:
        reward_fn = load_reward_fn(reward_model_path, device, config.reward_criterion)
    verifier = getattr(config, "verifier", "none")
    if verifier == "none":
        return reward_fn
    checks = verifier_reward(examples)
    return checks if verifier == "only" else add_rewards(reward_fn, checks, config.verifier_weight)


def gold_reward(config, device, model_path, reward_fn) -> Callable | None:
    """The held-out reward that watches the proxy (reward_monitor.py), from a checkpoint or a function."""
    if reward_fn is not None:
        return text_reward(reward_fn)
    if model_path is not None:
        return load_reward_fn(model_path, device, config.reward_criterion)
    return None


def add_rewards(first: Callable, second: Callable, weight: float) -> Callable:
    """first + weight × second, both called as the loop calls rewards."""

    def reward(prompts, completions, finished):
        scores = first(prompts, completions, finished)
        checks = second(prompts, completions, finished)
        return [float(a) + weight * b for a, b in zip(scores, checks, strict=True)]

    return reward


def text_reward(reward_fn: RewardFn) -> Callable:
    """An injected (prompts, completions) reward, called as the loop calls rewards, with
    `finished` too: a rule reads the text, a reward model also sees whether it ended."""
    return lambda prompts, completions, finished: reward_fn(prompts, completions)
