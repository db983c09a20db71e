"""The comparisons a judge run reads: all of the project's, those its judge has not judged yet,
or a seeded sample; each with its prompt and its responses by position."""

import random

from labeling.models import Comparison, ComparisonResponse, Judge, Project

WHICH = ("all", "unjudged", "sample")
CHUNK = 1000  # comparisons read per query


def judge_comparison_ids(
    *, project: Project, judge: Judge | None, which: str, sample_size: int | None = None, seed: int = 0
) -> list[int]:
    """Ids of the comparisons to judge, ascending. ``unjudged``: those ``judge`` has no
    judgment on (all of them for a judge not made yet); ``sample``: ``sample_size`` drawn with
    ``seed`` from all of them, the same draw for the same comparisons and seed."""
    if which not in WHICH:
        raise ValueError(f"which must be one of {', '.join(WHICH)}, got {which!r}")
    comparisons = Comparison.objects.filter(project=project)
    if which == "unjudged" and judge is not None:
        comparisons = comparisons.exclude(judgments__annotator_id=judge.user_id)
    ids = list(comparisons.order_by("id").values_list("id", flat=True))
    if which == "sample" and sample_size is not None and sample_size < len(ids):
        ids = sorted(random.Random(seed).sample(ids, sample_size))
    return ids


def judge_comparisons(comparison_ids: list[int]) -> list[dict]:
    """``{"comparison_id", "prompt": messages, "responses": [text by position]}`` for each id,
    in the order given (the records training.ml.judge reads)."""
    out = []
    for first in range(0, len(comparison_ids), CHUNK):
        chunk = comparison_ids[first : first + CHUNK]
        prompts = dict(Comparison.objects.filter(id__in=chunk).values_list("id", "prompt__messages"))
        responses: dict[int, list[str]] = {cid: [] for cid in chunk}
        rows = ComparisonResponse.objects.filter(comparison_id__in=chunk).order_by("comparison_id", "position")
        for comparison_id, text in rows.values_list("comparison_id", "response__text"):
            responses[comparison_id].append(text)
        out += [{"comparison_id": cid, "prompt": prompts[cid], "responses": responses[cid]} for cid in chunk]
    return out


def judge_rubric(project: Project, kind: str) -> dict:
    """What the project asks of its annotators, for a judge of ``kind`` (training.ml.judge.Rubric)."""
    return {
        "kind": kind,
        "task_type": project.task_type,
        "guidelines": project.guidelines,
        "criteria": list(project.criteria or []),
        "allow_ties": project.allow_ties,
        "strength_levels": len(project.strength_scale or []),
    }
