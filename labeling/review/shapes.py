"""What the review queue and an annotator's list of rejected judgments hold (TypedDicts, documented
by ``annotation_site.typed_shapes`` like the annotation screen's: ``XOut`` is the component ``X``)."""

from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from labeling.annotation.shapes import COUNT, LINK, STRENGTH, PositionedResponseOut, PromptOut

ReviewState = Literal["", "accepted", "rejected"]
TIES = {"description": "Ranking: the groups of positions ranked equal ([] when none); null for pairwise."}


class ShownComparisonOut(TypedDict):
    """The comparison as its annotator saw it: the prompt and the responses by position, blind."""

    id: int
    prompt: PromptOut
    responses: list[PositionedResponseOut]


class ReviewedComparisonOut(ShownComparisonOut):
    """The comparison as its annotator saw it, and its gold answer where it is gold."""

    is_gold: bool
    gold_answer: dict[str, Any] | None


class ReviewedJudgmentOut(TypedDict):
    """A judgment as reviewers and admins see it: who (``by_judge``: a judge's, issue #18), the
    verdict (``winner`` or ``ranking`` with its ``ranking_ties``), strength, criterion verdicts,
    rationale, time spent, and its review so far (a rejected judgment counts nowhere but is listed)."""

    id: int
    annotator: str
    by_judge: bool
    winner: Literal["a", "b", "tie", ""]
    strength: Annotated[int | None, STRENGTH]
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


class ReviewEntryOut(ReviewedJudgmentOut):
    """One judgment in the review queue, with its comparison, and why it may need a look:
    ``others`` counts the people's other counted judgments on the comparison, ``agreeing`` those
    with the same verdict, ``flags`` the flags on the comparison, ``wrong_on_gold`` a gold
    comparison answered otherwise than its gold answer."""

    comparison: ReviewedComparisonOut
    others: Annotated[int, COUNT]
    agreeing: Annotated[int, COUNT]
    flags: Annotated[int, COUNT]
    wrong_on_gold: bool


class ReviewPageOut(TypedDict):
    """One page of the review queue, oldest judgment first (``limit`` and ``offset`` as query parameters)."""

    count: int
    next: Annotated[str | None, LINK]
    previous: Annotated[str | None, LINK]
    results: list[ReviewEntryOut]


class RejectedJudgmentOut(TypedDict):
    """One of the caller's judgments a reviewer rejected, and why (``review_note``)."""

    id: int
    comparison: ShownComparisonOut
    winner: Literal["a", "b", "tie", ""]
    strength: Annotated[int | None, STRENGTH]
    ranking: list[str] | None
    ranking_ties: Annotated[list[list[str]] | None, TIES]
    rationale: str
    created_at: datetime
    review_note: str
    reviewed_at: datetime | None


class RejectedJudgmentListOut(TypedDict):
    """The caller's rejected judgments in a project, the latest rejection first (at most 100)."""

    results: list[RejectedJudgmentOut]
