"""Guardrails on what a run trains on and what it reports: too little data is refused before
it trains, and a score no better than chance is never passed off as a success.

Documented minimums (README, Training): MIN_TRAIN_EXAMPLES training and MIN_VALIDATION_EXAMPLES
validation examples (pairs for reward and DPO, rows for KTO, demonstrations for SFT, prompts for
PPO, GRPO and RLOO). Below them a run is refused with the numbers, unless it is forced, and then
it carries a warning. Pure: no Django, no torch.
"""

MIN_TRAIN_EXAMPLES = 16
MIN_VALIDATION_EXAMPLES = 2
FEW_VALIDATION_EXAMPLES = 10  # below this a validation score is mostly noise: said, not refused
CHANCE_ACCURACY = 0.5  # a preference pair's coin toss
# The stages whose val_accuracy is a preference accuracy (chance = CHANCE_ACCURACY).
PREFERENCE_STAGES = ("reward", "dpo")


def data_problems(stage: str, train: int, validation: int) -> list[str]:
    """Why `train` / `validation` examples are too few for a `stage` run; [] when they are enough."""
    problems = []
    if train < MIN_TRAIN_EXAMPLES:
        problems.append(f"{train} training examples, below the minimum of {MIN_TRAIN_EXAMPLES}")
    if validation < MIN_VALIDATION_EXAMPLES:
        problems.append(f"{validation} validation examples, below the minimum of {MIN_VALIDATION_EXAMPLES}")
    return problems


def empty_refusal(stage: str, train: int) -> str | None:
    """A run with no training example at all is refused even when forced: it has nothing to train
    on (forced, it was queued and then failed in the worker on a traceback)."""
    if train:
        return None
    return f"a {stage} run has no training examples: nothing to train on, forced or not. Check the snapshot's filters"


def refusal(stage: str, problems: list[str]) -> str:
    return (f"a {stage} run needs more data: {'; '.join(problems)}. Label more, or start it with "
            "force to train anyway (its result will carry a warning)")


def data_warnings(stage: str, train: int, validation: int) -> list[str]:
    """What a run on this much data should say next to its result."""
    problems = data_problems(stage, train, validation)
    if problems:
        return [f"forced to train on too little data: {'; '.join(problems)}"]
    if 0 < validation < FEW_VALIDATION_EXAMPLES:
        return [f"validated on only {validation} examples: its validation metrics are mostly noise"]
    return []


def result_warnings(stage: str, metrics: dict) -> list[str]:
    """A finished run's metrics that must not read as a success."""
    accuracy = metrics.get("val_accuracy")
    warnings = []
    if stage in PREFERENCE_STAGES and isinstance(accuracy, int | float) and accuracy <= CHANCE_ACCURACY:
        warnings.append(f"validation accuracy {accuracy:.1%} is at or below chance ({CHANCE_ACCURACY:.0%}): "
                        "the model has not learned to tell the better response from the worse")
    return warnings + monitor_warnings(metrics)


def revise_warnings(counts: dict) -> list[str]:
    """A revise run that revised nothing wrote no snapshot, and must say why rather than succeed
    quietly: ``counts`` are its responses, revised, empty and identical."""
    responses, revised = counts.get("responses", 0), counts.get("revised", 0)
    if revised:
        return []
    if not responses:
        return ["revised nothing: the judge's options chose no comparison, so no snapshot was written"]
    return [f"revised none of the {responses} responses ({counts.get('empty', 0)} came back empty, "
            f"{counts.get('identical', 0)} identical to the original), so no snapshot was written: "
            "try another model, a higher max_new_tokens or a clearer rubric"]


def monitor_warnings(metrics: dict) -> list[str]:
    """What an online run's reward monitor saw (training/ml/reward_monitor.py)."""
    step = int(metrics.get("step", 0))
    warnings = []
    if metrics.get("divergent_steps"):
        warnings.append(f"reward hacking: on {int(metrics['divergent_steps'])} steps the reward rose while the "
                        "held-out gold reward fell")
    if metrics.get("stopped_by_divergence"):
        warnings.append(f"stopped at step {step} because the reward and the gold reward diverged")
    if metrics.get("stopped_by_kl_budget"):
        warnings.append(f"stopped at step {step}: KL to the reference ({metrics.get('kl', 0):.3g}) passed kl_budget")
    return warnings
