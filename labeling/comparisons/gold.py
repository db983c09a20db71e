"""Gold comparisons: ones whose answer the project's admins know. Each annotator is served them
at the project's ``gold_rate`` (they hold no seats: everyone may judge them), and the stats score
annotators against the answer (annotator quality's gold accuracy).

An admin makes a comparison gold with its answer, typically one a trusted judgment gave, and may
take it back; taking it back makes it an ordinary comparison with its seats counted afresh.
"""

from django.db import transaction

from labeling.errors import InvalidInput
from labeling.models import (
    IMPORTED_KEY_PREFIX,
    Comparison,
    ComparisonKind,
    Judgment,
    Lease,
    LeaseState,
    ReviewState,
    Winner,
)
from labeling.rankings import is_full_ranking, position_letters
from labeling.stats.services import project_stats_changed


def comparison_gold_set(*, comparison: Comparison, answer) -> Comparison:
    """Make ``comparison`` gold with ``answer`` (``{"winner": "a"}``, or ``{"ranking": [...]}`` in
    a ranking project, best first); setting the same answer again changes nothing."""
    answer = _valid_answer(comparison, answer)
    with transaction.atomic():
        Comparison.objects.filter(pk=comparison.pk).update(
            is_gold=True, gold_answer=answer, is_open=True, holders=0,  # gold is open to everyone and holds no seats
        )
        project_stats_changed(comparison.project_id)  # annotators' gold accuracy
    comparison.refresh_from_db()
    return comparison


def comparison_gold_clear(*, comparison: Comparison) -> Comparison:
    """Make ``comparison`` an ordinary one again, its seats counted afresh (while gold it held
    none): one per live or judged lease, and one per imported label (which holds a seat without a
    lease), a rejected judgment's excepted (its seat was given back)."""
    with transaction.atomic():
        Comparison.objects.select_for_update().filter(pk=comparison.pk).first()
        judgments = Judgment.objects.filter(comparison=comparison)
        rejected = judgments.filter(review=ReviewState.REJECTED).values("annotator_id")
        leased = Lease.objects.filter(comparison=comparison, state__in=[LeaseState.ACTIVE, LeaseState.JUDGED])
        imported = judgments.filter(client_key__startswith=IMPORTED_KEY_PREFIX).exclude(review=ReviewState.REJECTED)
        holders = leased.exclude(annotator_id__in=rejected).count() + imported.count()
        overlap = comparison.project.overlap
        Comparison.objects.filter(pk=comparison.pk).update(
            is_gold=False, gold_answer=None, holders=holders, is_open=holders < overlap,
        )
        project_stats_changed(comparison.project_id)
    comparison.refresh_from_db()
    return comparison


def _valid_answer(comparison: Comparison, answer) -> dict:
    project = comparison.project
    ranking = project.task_type == ComparisonKind.RANKING
    key = "ranking" if ranking else "winner"
    if not isinstance(answer, dict) or set(answer) != {key}:
        other = sorted(set(answer) - {key}) if isinstance(answer, dict) else []
        why = f": {', '.join(other)} is not part of one" if other else ""
        raise InvalidInput(f"the gold answer is {{\"{key}\": ...}} in a {project.task_type} project{why}", field=key)
    value = answer[key]
    if ranking:
        k = comparison.positions.count()
        if not is_full_ranking(value, k):
            raise InvalidInput(f"ranking must list each of {', '.join(position_letters(k))} exactly once, best first",
                               field="ranking")
        return {"ranking": list(value)}
    allowed = [w for w in Winner.values if w != Winner.TIE or project.allow_ties]
    if value not in allowed:
        raise InvalidInput(f"winner must be one of {', '.join(allowed)}", field="winner")
    return {"winner": value}
