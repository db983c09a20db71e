"""The small reads of a stats computation: who skipped or flagged what, gold answers (and the
gold mistakes rejected in review), the comparison count, and who the annotators are."""

from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model

from labeling.models import (
    IMPORT_USER_PREFIX,
    Comparison,
    ComparisonKind,
    Flag,
    Judgment,
    Lease,
    LeaseState,
    Project,
    ReviewState,
)
from labeling.stats.arrays import gold_label


@dataclass(frozen=True)
class ProjectContext:
    """The small reads: who skipped or flagged what, gold, and how many comparisons."""

    skipped: np.ndarray  # (S, 2) comparison id, annotator id of skipped leases
    flagged: np.ndarray  # (F, 2) distinct comparison id, annotator id pairs with a flag
    flags: int
    gold: dict[int, dict | None]  # gold comparison id -> gold_answer
    comparisons: int
    # (R, 3) annotator id, comparison id, label (gold_label's coding) of judgments on gold
    # comparisons rejected in review: scored against gold only
    rejected_gold: np.ndarray


def project_context(project: Project) -> ProjectContext:
    """Skips, flags, gold answers and the comparison count."""
    skipped = Lease.objects.filter(project=project, state=LeaseState.SKIPPED).values_list("comparison_id", "annotator_id")
    flags = Flag.objects.filter(project=project)
    flagged = flags.order_by().values_list("comparison_id", "annotator_id").distinct()
    gold = Comparison.objects.filter(project=project, is_gold=True).values_list("id", "gold_answer")
    rejected = Judgment.objects.filter(project=project, review=ReviewState.REJECTED, comparison__is_gold=True)
    ranking = project.task_type == ComparisonKind.RANKING
    rejected_gold = [
        (annotator, comparison, label)
        for annotator, comparison, winner, order, ties
        in rejected.values_list("annotator_id", "comparison_id", "winner", "ranking", "ranking_ties")
        if (label := gold_label({"winner": winner, "ranking": order, "ranking_ties": ties}, ranking)) is not None
    ]
    return ProjectContext(
        skipped=np.array(list(skipped), dtype=np.int64).reshape(-1, 2),
        flagged=np.array(list(flagged), dtype=np.int64).reshape(-1, 2),
        flags=flags.count(),
        gold=dict(gold),
        comparisons=Comparison.objects.filter(project=project).count(),
        rejected_gold=np.array(rejected_gold, dtype=float).reshape(-1, 3),
    )


def user_names(*user_ids: np.ndarray) -> dict[int, str]:
    """Usernames of the users in any of the id arrays."""
    return annotator_identities(None, *user_ids)[0]


def annotator_identities(project: Project | None, *user_ids: np.ndarray) -> tuple[dict[int, str], dict[int, tuple[str, str]]]:
    """Usernames of the users in any of the id arrays, and which of them are ``project``'s judges:
    ``{user id: (judge name, judge kind)}``. One query (a judge's user has at most one Judge)."""
    ids = np.unique(np.concatenate([np.asarray(i, np.int64) for i in user_ids])) if user_ids else []
    rows = get_user_model().objects.filter(pk__in=[int(i) for i in ids]).values_list(
        "pk", "username", "judge__project_id", "judge__name", "judge__kind")
    names, judges = {}, {}
    for pk, username, judge_project, judge_name, kind in rows:
        names[pk] = username
        if project is not None and judge_project == project.pk:
            judges[pk] = (judge_name, kind)
    return names, judges


def is_import_user(username: str) -> bool:
    return username.startswith(IMPORT_USER_PREFIX)


def import_sources(annotators: np.ndarray, usernames: dict[int, str]) -> np.ndarray:
    """Which entries of ``annotators`` are import sources."""
    sources = [pk for pk, name in usernames.items() if is_import_user(name)]
    return np.isin(annotators, np.array(sources, dtype=np.int64))
