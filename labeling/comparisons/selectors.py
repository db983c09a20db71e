"""Reads for the admin's view of one comparison: everything about it, model names included."""

from django.db.models import OuterRef, Subquery

from labeling.comparisons.shapes import (
    ComparisonDetailOut,
    ComparisonFlagOut,
    ComparisonJudgmentOut,
)
from labeling.errors import NotFound
from labeling.models import Comparison, Flag, Judge, Judgment, Project
from labeling.rankings import LETTERS
from labeling.review.selectors import tied_groups


def comparison_in_project(*, project: Project, comparison_id: int) -> Comparison:
    """The comparison if it belongs to ``project`` (access to the project is the caller's);
    another project's comparison is not found, like one that does not exist."""
    comparison = Comparison.objects.filter(pk=comparison_id, project=project).select_related("prompt").first()
    if comparison is None:
        raise NotFound("comparison not found")
    return comparison


def comparison_detail(*, comparison: Comparison) -> ComparisonDetailOut:
    """``comparison`` whole: prompt, responses by position with their models, its judgments
    (oldest first, rejected ones too, a judge's marked ``by_judge``) and its flags (newest first)."""
    positions = comparison.positions.select_related("response").order_by("position")
    return {
        "id": comparison.pk, "project": comparison.project_id,
        "prompt": {"id": comparison.prompt_id, "messages": comparison.prompt.messages},
        "responses": [
            {"letter": LETTERS[p.position], "text": p.response.text, "model_name": p.response.model_name}
            for p in positions
        ],
        "is_gold": comparison.is_gold,
        "gold_answer": comparison.gold_answer if comparison.is_gold else None,
        "is_open": comparison.is_open, "created_at": comparison.created_at,
        "judgments": _judgments(comparison), "flags": _flags(comparison),
    }


def _judgments(comparison: Comparison) -> list[ComparisonJudgmentOut]:
    judgments = (
        Judgment.objects.filter(comparison=comparison)
        .select_related("annotator", "reviewed_by")
        .annotate(judge=Subquery(Judge.objects.filter(user=OuterRef("annotator")).values("name")[:1]))
        .order_by("created_at", "id")
    )
    return [
        {
            "id": j.pk, "annotator": j.annotator.username, "by_judge": j.judge is not None, "judge": j.judge,
            "winner": j.winner, "strength": j.strength, "ranking": j.ranking, "ranking_ties": tied_groups(j),
            "criteria": j.criteria,
            "rationale": j.rationale, "time_spent_ms": j.time_spent_ms, "created_at": j.created_at,
            "review": j.review, "review_note": j.review_note,
            "reviewed_by": j.reviewed_by.username if j.reviewed_by else None, "reviewed_at": j.reviewed_at,
        }
        for j in judgments
    ]


def _flags(comparison: Comparison) -> list[ComparisonFlagOut]:
    flags = Flag.objects.filter(comparison=comparison).select_related("annotator", "resolved_by")
    return [
        {
            "id": f.pk, "annotator": f.annotator.username, "reason": f.reason, "note": f.note,
            "resolved": f.resolved, "resolved_by": f.resolved_by.username if f.resolved_by else None,
            "created_at": f.created_at,
        }
        for f in flags.order_by("-created_at", "-id")
    ]
