"""What the annotation screen's hottest responses hold: a leased comparison and a judgment.

Plain TypedDicts, built as plain dicts on the lease and submit paths, and documented from these
same definitions (``annotation_site.typed_shapes``): a TypedDict ``XOut`` is the API's schema
component ``X``. Django-free, so selectors may build them too.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

COUNT = {"minimum": 0}  # schema additions for fields whose type alone says less
STRENGTH = {
    "minimum": 1,
    "description": "Pairwise: how much better, 1 to the number of levels of the project's strength_scale; "
                   "null for a tie, a ranking, or a project without a scale.",
}
LINK = {"format": "uri"}


class MessageOut(TypedDict):
    role: str
    content: str


class PromptOut(TypedDict):
    id: int
    messages: list[MessageOut]


class PositionedResponseOut(TypedDict):
    """One response at its response position (its letter), without its model's name."""

    letter: str
    text: str


class ComparisonOut(TypedDict):
    """One comparison as the annotator sees it: no model names."""

    id: int
    project: int
    prompt: PromptOut
    responses: list[PositionedResponseOut]
    lease_expires_at: datetime | None


class JudgmentOut(TypedDict):
    """One judgment: its verdict (``winner``, or ``ranking`` best first), strength, criterion
    verdicts (``criteria``) and until when its annotator may still undo it. ``by_judge``: made by
    a judge (a model labelling comparisons), not a person."""

    id: int
    comparison: int
    annotator: str
    by_judge: bool
    winner: Literal["a", "b", "tie", ""]
    strength: Annotated[int | None, STRENGTH]
    ranking: list[str] | None
    ranking_ties: Annotated[list[list[str]] | None, {"description": 'Ranking: the groups of positions ranked equal ([] when none); null for pairwise.'}]
    criteria: dict[str, Any]
    rationale: str
    time_spent_ms: Annotated[int, COUNT]
    client_key: Annotated[str, {"maxLength": 64, "description": "Client-made idempotency key."}]
    created_at: datetime
    editable_until: Annotated[datetime | None, {"description": "Until when it can be undone; null for one that never can (imported, a judge's, reviewed)."}]


class JudgmentPageOut(TypedDict):
    """One page of judgments, newest first (``limit`` and ``offset`` as query parameters)."""

    count: int
    next: Annotated[str | None, LINK]
    previous: Annotated[str | None, LINK]
    results: list[JudgmentOut]
