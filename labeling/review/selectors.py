"""Reads for review: the queue a reviewer works and the judgments of an annotator that were rejected.

Why a judgment may need a look is computed in the query, so filters apply before paging: the other
counted (not rejected) judgments on its comparison and how many of them gave the same verdict
(a pairwise ``winner``, or the whole ``ranking`` with its ties), the flags on its comparison, and on a gold
comparison whether the verdict differs from the gold answer.
"""

import operator
from functools import reduce

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT, KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, IsNull

from labeling.annotation.selectors import comparison_payload
from labeling.models import ComparisonKind, Flag, Judge, Judgment, Project, ReviewState
from labeling.review.shapes import (
    RejectedJudgmentOut,
    ReviewedComparisonOut,
    ReviewEntryOut,
    ShownComparisonOut,
)

REVIEW_STATES = {"unreviewed": ReviewState.UNREVIEWED, "accepted": ReviewState.ACCEPTED, "rejected": ReviewState.REJECTED}


def review_queue(
    *, project: Project, reviewer, annotator: str | None = None, state: str | None = "unreviewed",
    flagged: bool = False, disagrees: bool = False, wrong_on_gold: bool = False,
) -> QuerySet[Judgment]:
    """``project``'s judgments for ``reviewer`` to review, oldest first; never their own.
    ``annotator``: only this username's.

    ``state``: a key of ``REVIEW_STATES``, or None for all. ``disagrees``: more than half of the
    other counted judgments on the comparison gave another verdict (at least one other).
    Filters combine (all must hold).
    """
    judgments = _with_signals(project).exclude(annotator=reviewer)
    if state is not None:
        judgments = judgments.filter(review=REVIEW_STATES[state])
    if annotator is not None:
        judgments = judgments.filter(annotator__username=annotator)
    if flagged:
        judgments = judgments.filter(flags__gt=0)
    if disagrees:
        judgments = judgments.filter(others__gt=0, agreeing_twice__lt=F("others"))
    if wrong_on_gold:
        judgments = judgments.filter(wrong_on_gold=True)
    return judgments.order_by("created_at", "id")


def rejected_judgments_of(*, project: Project, annotator, limit: int = 100) -> list[RejectedJudgmentOut]:
    """``annotator``'s own rejected judgments in ``project``, the latest rejection first."""
    rejected = (
        Judgment.objects.filter(project=project, annotator=annotator, review=ReviewState.REJECTED)
        .select_related("comparison")
        .order_by("-reviewed_at", "-id")[:limit]
    )
    return [
        {
            "id": j.pk, "comparison": _shown(j.comparison), "winner": j.winner, "strength": j.strength,
            "ranking": j.ranking, "ranking_ties": tied_groups(j), "rationale": j.rationale, "created_at": j.created_at,
            "review_note": j.review_note, "reviewed_at": j.reviewed_at,
        }
        for j in rejected
    ]


def review_entry(judgment: Judgment) -> ReviewEntryOut:
    """One queue entry; ``judgment`` comes from ``review_queue`` (its signals annotated)."""
    comparison: ReviewedComparisonOut = {
        **_shown(judgment.comparison),
        "is_gold": judgment.comparison.is_gold,
        "gold_answer": judgment.comparison.gold_answer if judgment.comparison.is_gold else None,
    }
    return {
        "id": judgment.pk, "comparison": comparison, "annotator": judgment.annotator.username,
        "by_judge": judgment.by_judge,
        "winner": judgment.winner, "strength": judgment.strength, "ranking": judgment.ranking,
        "ranking_ties": tied_groups(judgment), "criteria": judgment.criteria, "rationale": judgment.rationale,
        "time_spent_ms": judgment.time_spent_ms, "created_at": judgment.created_at,
        "review": judgment.review, "review_note": judgment.review_note,
        "reviewed_by": judgment.reviewed_by.username if judgment.reviewed_by else None,
        "reviewed_at": judgment.reviewed_at, "others": judgment.others, "agreeing": judgment.agreeing,
        "flags": judgment.flags, "wrong_on_gold": judgment.wrong_on_gold,
    }


def tied_groups(judgment: Judgment) -> list[list[str]] | None:
    """A judgment's ``ranking_ties`` as the API shows them: [] for a ranking without, null for pairwise."""
    return judgment.ranking_ties or ([] if judgment.ranking else None)


def _shown(comparison) -> ShownComparisonOut:
    shown = comparison_payload(comparison=comparison, lease_expires_at=None)
    return {"id": shown["id"], "prompt": shown["prompt"], "responses": shown["responses"]}


def _with_signals(project: Project) -> QuerySet[Judgment]:
    ranked = project.task_type == ComparisonKind.RANKING
    verdict = "ranking" if ranked else "winner"
    others = Judgment.objects.filter(comparison=OuterRef("comparison")).exclude(pk=OuterRef("pk"))
    # The people's judgments only: a judge's verdict is not a second opinion to disagree with.
    others = others.exclude(review=ReviewState.REJECTED).filter(annotator__judge__isnull=True)
    agreeing = others.filter(**{verdict: OuterRef(verdict)})
    if ranked:  # the same order with other ties (a = b > c against a > b > c) is another verdict
        agreeing = agreeing.filter(Q(ranking_ties=OuterRef("ranking_ties")) | Q(ranking_ties__isnull=True) & Q(IsNull(OuterRef("ranking_ties"), True)))
    flags = Flag.objects.filter(comparison=OuterRef("comparison"))
    return (
        Judgment.objects.filter(project=project)
        .select_related("annotator", "reviewed_by", "comparison")
        .annotate(others=_count(others), agreeing=_count(agreeing), flags=_count(flags))
        .annotate(by_judge=Exists(Judge.objects.filter(user=OuterRef("annotator"))))
        .annotate(
            agreeing_twice=ExpressionWrapper(F("agreeing") * 2, output_field=IntegerField()),
            wrong_on_gold=_gold_missed(project, verdict),
        )
    )


def _count(rows: QuerySet) -> Coalesce:
    """``COUNT(*)`` of a correlated subquery, 0 when it has no rows."""
    counted = rows.order_by().values("comparison").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _gold_missed(project: Project, verdict: str) -> Case:
    """A gold comparison with a gold answer of this kind, which the verdict differs from.

    A ranking is compared position by position, as text on both databases (the stored ranking and
    the gold answer's need not be serialised alike).
    """
    if verdict == "ranking":
        places = range(project.responses_per_comparison)
        gold = KeyTransform("ranking", "comparison__gold_answer")
        pairs = [(KT(f"ranking__{i}"), KeyTextTransform(str(i), gold)) for i in places]
        differs = reduce(operator.or_, [~Q(Exact(mine, answer)) for mine, answer in pairs])
    else:  # (KT("comparison__gold_answer__winner") would read the path off the foreign key's column)
        differs = ~Q(winner=KeyTextTransform("winner", "comparison__gold_answer"))
    missed = Q(comparison__is_gold=True, comparison__gold_answer__has_key=verdict) & differs
    return Case(When(missed, then=Value(True)), default=Value(False), output_field=BooleanField())
