"""How much a run will train on, checked before it is queued: refused (naming the numbers) below
training/guardrails.py's minimums unless forced. Exact for a snapshot; for a run that exports its
own when it starts, an upper bound on its rows read from the project's data, where one is cheap;
the worker checks the exported rows again in every case."""

from labeling.errors import InvalidInput
from training.guardrails import (
    MIN_TRAIN_EXAMPLES,
    MIN_VALIDATION_EXAMPLES,
    data_problems,
    data_warnings,
    empty_refusal,
    refusal,
)
from training.models import Stage
from training.validation import training_judgments


def amount_check(project, stage: str, snapshot, config: dict, force: bool) -> list[str]:
    """Refuse a run on fewer examples than the minimums unless ``force``; the warnings the run
    starts with."""
    if snapshot is not None and stage not in (Stage.GENERATE, Stage.BEST_OF_N):  # they only read prompts
        counts = (snapshot.row_counts.get("train", 0), snapshot.row_counts.get("validation", 0))
        if empty := empty_refusal(stage, counts[0]):
            raise InvalidInput(empty, field="snapshot")
        problems, warnings = data_problems(stage, *counts), data_warnings(stage, *counts)
    elif snapshot is None and (most := export_bound(project, stage, config)) is not None:
        count, what = most
        if empty := empty_refusal(stage, count):
            raise InvalidInput(empty)
        needed = MIN_TRAIN_EXAMPLES + MIN_VALIDATION_EXAMPLES
        problems = [f"the project has {what}, fewer than the {needed} needed "
                    f"({MIN_TRAIN_EXAMPLES} training + {MIN_VALIDATION_EXAMPLES} validation)"] if count < needed else []
        warnings = [f"forced to train on too little data: {problems[0]}"] if problems else []
    else:
        return []
    if problems and not force:
        raise InvalidInput(refusal(stage, problems))
    return warnings


def export_bound(project, stage: str, config: dict) -> tuple[int, str] | None:
    """The most rows the snapshot a run exports (training/inputs.py) can hold, and what they are in
    words; None where no bound is cheap (rankings and criteria for reward, DPO and KTO, whose pairs
    per comparison vary; the online stages' prompts), and the worker alone counts.

    Majority aggregation (the run's export) decides a comparison once: a pairwise comparison gives
    a reward or DPO run at most one pair, a KTO run at most two rows (its winner and its loser);
    an SFT run gets the project's current demonstrations and, with winners included, at most one
    winning response per judged comparison."""
    if stage == Stage.SFT:
        demonstrations = project.demonstrations.filter(replaced_by=None).count()
        winners = training_judgments(project).values("comparison").distinct().count()
        return demonstrations + winners, (f"{demonstrations} demonstrations and {winners} judged comparisons "
                                          "(a winning response each, at most)")
    if project.task_type != "pairwise" or config.get("criteria") or stage not in (Stage.REWARD, Stage.DPO, Stage.KTO):
        return None
    pairs = training_judgments(project).filter(winner__in=("a", "b")).values("comparison").distinct().count()
    if stage == Stage.KTO:
        return 2 * pairs, f"{pairs} decided pairs ({2 * pairs} KTO rows at most)"
    return pairs, f"{pairs} decided pairs"
