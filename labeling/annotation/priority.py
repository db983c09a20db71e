"""The serving order's priority: which open comparisons are served first (higher first, after
comparisons already started; see ``assignment``). Active learning (``training/active_learning.py``)
reads the open comparisons' responses here, scores them, and sets their priority here; where a
project has ``judge_priority`` on, the judge stage sets it from the judges' verdicts
(``judge_priority_set``)."""

from collections.abc import Iterator

from labeling.models import Comparison, ComparisonResponse, Judge, Judgment, Project, ReviewState


def open_comparison_ids(project: Project) -> list[int]:
    """The ids of the project's open comparisons, the ones a priority still orders."""
    return list(Comparison.objects.filter(project=project, is_open=True).values_list("id", flat=True))


def comparison_responses(comparison_ids: list[int]) -> Iterator[tuple[int, list[dict], str]]:
    """``(comparison id, prompt messages, response text)`` for each response of the comparisons."""
    rows = ComparisonResponse.objects.filter(comparison_id__in=comparison_ids).values_list(
        "comparison_id", "comparison__prompt__messages", "response__text"
    )
    return rows.iterator()


def comparison_priority_set(*, priorities: dict[int, float]) -> int:
    """Set each comparison's priority (``{comparison id: priority}``); how many were given.

    One bulk update in batches and no lock: a comparison leased meanwhile keeps its lease, the
    new priority only changes which comparison the next lease chooses."""
    updates = [Comparison(id=cid, priority=priority) for cid, priority in priorities.items()]
    Comparison.objects.bulk_update(updates, ["priority"], batch_size=500)
    return len(updates)


# --- judges (issue #18) -----------------------------------------------------------------------


def judge_uncertainty(verdicts: list[tuple[str, int | None, list | None]], scale_size: int) -> float:
    """How much people are needed on one comparison, from its judges' verdicts
    ``(winner, strength, ranking)``: disagreement (the share of judges off the most common
    verdict; a ranking's verdict is its top position) plus unsureness (1 - mean sureness; a
    verdict's sureness is its strength over the scale's size, 0 for a tie, 1 without a scale or
    for a ranking). From 0 (judges agree and are sure) up to 2."""
    answers = [ranking[0] if ranking else winner for winner, _, ranking in verdicts]
    disagreement = 1.0 - max(answers.count(a) for a in set(answers)) / len(answers)
    sureness = [
        0.0 if winner == "tie" else 1.0 if ranking or not scale_size else min((strength or 1) / scale_size, 1.0)
        for winner, strength, ranking in verdicts
    ]
    return disagreement + 1.0 - sum(sureness) / len(sureness)


def judge_priority_set(*, project: Project) -> int:
    """Where ``project.judge_priority`` is on, set each open comparison's priority from its judges'
    verdicts (``judge_uncertainty``): the ones judges are least sure of or disagree on are served
    to people first; comparisons no judge labelled keep theirs. Judgments rejected in review do not
    count. The judge stage calls it after storing verdicts; returns how many priorities were set
    (0 with the option off). Like active learning's, the last writer's priority stands."""
    if not project.judge_priority:
        return 0
    judges = Judge.objects.filter(project=project).values("user_id")
    rows = Judgment.objects.filter(project=project, comparison__is_open=True, annotator_id__in=judges).exclude(
        review=ReviewState.REJECTED).values_list("comparison_id", "winner", "strength", "ranking")
    verdicts: dict[int, list] = {}
    for comparison_id, *verdict in rows.iterator(chunk_size=2000):
        verdicts.setdefault(comparison_id, []).append(verdict)
    scale_size = len(project.strength_scale or [])
    return comparison_priority_set(
        priorities={cid: judge_uncertainty(given, scale_size) for cid, given in verdicts.items()})
