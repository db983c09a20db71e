"""What an admin sees of one comparison (TypedDicts, documented by ``annotation_site.typed_shapes``:
``XOut`` is the schema component ``X``): unlike the annotation screen's, not blind."""

from datetime import datetime
from typing import Any, Literal, TypedDict

from labeling.annotation.shapes import PromptOut
from labeling.review.shapes import ReviewedJudgmentOut


class NamedResponseOut(TypedDict):
    """One response at its response position (its letter), with the model that wrote it."""

    letter: str
    text: str
    model_name: str


class ComparisonJudgmentOut(ReviewedJudgmentOut):
    """One judgment on the comparison, as the review queue shows it, and ``judge``: the judge's
    name (None for a person's)."""

    judge: str | None


class ComparisonFlagOut(TypedDict):
    """A flag raised on the comparison, open or resolved."""

    id: int
    annotator: str
    reason: Literal["unsafe", "both_bad", "broken_prompt", "other"]
    note: str
    resolved: bool
    resolved_by: str | None
    created_at: datetime


class ComparisonDetailOut(TypedDict):
    """One comparison whole, for its project's admins: the prompt, every response with its model,
    the gold answer where it is gold, the judgments (oldest first) and the flags (newest first)."""

    id: int
    project: int
    prompt: PromptOut
    responses: list[NamedResponseOut]
    is_gold: bool
    gold_answer: dict[str, Any] | None
    is_open: bool
    created_at: datetime
    judgments: list[ComparisonJudgmentOut]
    flags: list[ComparisonFlagOut]
