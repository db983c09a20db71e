"""What an admin sees of one comparison (TypedDicts, documented by ``annotation_site.typed_shapes``:
``XOut`` is the schema component ``X``): unlike the annotation screen's, not blind."""

from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from labeling.annotation.shapes import COUNT, PromptOut
from labeling.review.shapes import TIES, ReviewState


class NamedResponseOut(TypedDict):
    """One response at its response position (its letter), with the model that wrote it."""

    letter: str
    text: str
    model_name: str


class ComparisonJudgmentOut(TypedDict):
    """One judgment on the comparison: who (``by_judge``: a judge, a model labelling comparisons,
    ``judge`` its name; None for a person's),
    the verdict (``winner`` or ``ranking`` with its ``ranking_ties``), strength, criterion verdicts, rationale, time spent and
    its review (a rejected judgment counts nowhere but is listed)."""

    id: int
    annotator: str
    by_judge: bool
    judge: str | None
    winner: Literal["a", "b", "tie", ""]
    strength: Annotated[int | None, COUNT]
    ranking: list[str] | None
    ranking_ties: Annotated[list[list[str]] | None, TIES]
    criteria: dict[str, Any]
    rationale: str
    time_spent_ms: Annotated[int, COUNT]
    created_at: datetime
    review: ReviewState
    review_note: str
    reviewed_by: str | None
    reviewed_at: datetime | None


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
