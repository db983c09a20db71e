"""What an admin sees of one comparison (TypedDicts, documented by ``annotation_site.typed_shapes``:
``XOut`` is the schema component ``X``): unlike the annotation screen's, not blind."""

from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from labeling.annotation.shapes import COUNT, LINK, PromptOut
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


class ComparisonRowOut(TypedDict):
    """One comparison in the comparison browser: the start of its prompt's last (user) turn as plain
    text, the models of its responses by position, its counted judgments against the project's
    overlap, gold, whether it is open, its flags (unresolved and all), and ``agreement``: the
    majority share (see the field)."""

    id: int
    prompt: int
    prompt_excerpt: str
    model_names: Annotated[list[str], {"description": "The models of its responses, in position order (a, b, ...)."}]
    judgment_count: Annotated[int, COUNT]
    overlap: Annotated[int, COUNT]
    is_gold: bool
    is_open: bool
    open_flags: Annotated[int, COUNT]
    flags: Annotated[int, COUNT]
    agreement: Annotated[float | None, {
        "minimum": 0, "maximum": 1,
        "description": "The majority share: of its counted judgments giving a main verdict, the share giving the "
                       "most common one; null under two. Not the stats' percent agreement (the share of agreeing "
                       "pairs of judgments).",
    }]
    created_at: datetime


class ComparisonPageOut(TypedDict):
    """One page of a project's comparisons (``limit`` and ``offset`` as query parameters)."""

    count: Annotated[int, COUNT]
    next: Annotated[str | None, LINK]
    previous: Annotated[str | None, LINK]
    results: list[ComparisonRowOut]
