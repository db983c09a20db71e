"""The serving order's priority: which open comparisons are served first (higher first, after
comparisons already started; see ``assignment``). Active learning (``training/active_learning.py``)
reads the open comparisons' responses here, scores them, and sets their priority here."""

from collections.abc import Iterator

from labeling.models import Comparison, ComparisonResponse, Project


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
