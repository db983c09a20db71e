"""The comparison browser's reads: a project's comparisons filtered and ordered in one query, and
a page of them as rows (with the models by position and the agreement of their judgments), in a
constant number of queries whatever the page size.

What is filtered is a column or an ``EXISTS``: gold, flags, judgments against the project's overlap,
a model among its responses, and text in the prompt's last turn (the user's). The rows' figures
that need other tables (models, flag counts, agreement) are read for the page only, one query each.
"""

from collections import Counter, defaultdict

from django.db.models import Exists, Func, OuterRef, Q, QuerySet, TextField

from labeling.comparisons.shapes import ComparisonRowOut
from labeling.models import Comparison, ComparisonResponse, Flag, Judgment, Project, ReviewState

STATUSES = ("unjudged", "partial", "complete")
ORDERINGS = ("id", "-id", "judgment_count", "-judgment_count", "created_at", "-created_at")
EXCERPT_CHARS = 160


class LastTurnText(Func):
    """The text of a prompt's last message, the user's turn: ``messages[-1].content``. SQLite and
    PostgreSQL each spell a path from the end of a JSON array their own way."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):  # SQLite
        messages, params = compiler.compile(self.get_source_expressions()[0])
        return f"json_extract({messages}, '$[#-1].content')", params

    def as_postgresql(self, compiler, connection, **extra):
        messages, params = compiler.compile(self.get_source_expressions()[0])
        return f"(({messages}) -> -1 ->> 'content')", params


def comparison_list(
    *, project: Project, gold: bool | None = None, flagged: bool | None = None, open_flags: bool | None = None,
    status: str | None = None, model: str | None = None, q: str | None = None, ordering: str = "id",
) -> QuerySet[Comparison]:
    """``project``'s comparisons, filtered (all filters must hold) and ordered by ``ordering`` (one
    of ``ORDERINGS``; ties by id, newest first under ``-created_at``). ``flagged``/``open_flags``: with any flag / an unresolved one
    (False: none). ``status`` (one of ``STATUSES``) compares ``judgment_count`` with the overlap.
    ``model``: one of its responses is that model's. ``q``: the prompt's last turn contains it, in
    any case."""
    comparisons = Comparison.objects.filter(project=project).select_related("prompt")
    if gold is not None:
        comparisons = comparisons.filter(is_gold=gold)
    flags = Flag.objects.filter(comparison=OuterRef("pk"))
    if flagged is not None:
        comparisons = comparisons.filter(Exists(flags) if flagged else ~Exists(flags))
    if open_flags is not None:
        unresolved = flags.filter(resolved=False)
        comparisons = comparisons.filter(Exists(unresolved) if open_flags else ~Exists(unresolved))
    if status is not None:
        comparisons = comparisons.filter(_status(status, project.overlap))
    if model is not None:
        by_model = ComparisonResponse.objects.filter(comparison=OuterRef("pk"), response__model_name=model)
        comparisons = comparisons.filter(Exists(by_model))
    if q:
        comparisons = comparisons.alias(last_turn=LastTurnText("prompt__messages")).filter(last_turn__icontains=q)
    tie_break = "-id" if ordering == "-created_at" else "id"  # rows made in one import share a time
    return comparisons.order_by(*dict.fromkeys([ordering, tie_break]))


def _status(status: str, overlap: int) -> Q:
    if status == "unjudged":
        return Q(judgment_count=0)
    if status == "partial":
        return Q(judgment_count__gt=0, judgment_count__lt=overlap)
    return Q(judgment_count__gte=overlap)


def comparison_rows(*, project: Project, comparisons: list[Comparison]) -> list[ComparisonRowOut]:
    """One row per comparison of a page (from ``comparison_list``): three queries whatever its size."""
    ids = [c.pk for c in comparisons]
    models, flags, agreement = _model_names(ids), _flag_counts(ids), _agreement(ids)
    return [
        {
            "id": c.pk, "prompt": c.prompt_id, "prompt_excerpt": prompt_excerpt(c.prompt.messages),
            "model_names": models.get(c.pk, []), "judgment_count": c.judgment_count, "overlap": project.overlap,
            "is_gold": c.is_gold, "is_open": c.is_open,
            "open_flags": flags[c.pk]["open"], "flags": flags[c.pk]["total"],
            "agreement": agreement.get(c.pk), "created_at": c.created_at,
        }
        for c in comparisons
    ]


def prompt_excerpt(messages) -> str:
    """The start of the last user turn (the last turn, if none is the user's), on one line, cut to
    ``EXCERPT_CHARS``: plain text, shown escaped."""
    turns = [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
    users = [m for m in turns if m.get("role") == "user"]
    last = (users or turns or [{}])[-1]
    text = " ".join(str(last.get("content", "")).split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _model_names(ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    positions = ComparisonResponse.objects.filter(comparison_id__in=ids).order_by("comparison_id", "position")
    for comparison_id, name in positions.values_list("comparison_id", "response__model_name"):
        names[comparison_id].append(name)
    return names


def _flag_counts(ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"open": 0, "total": 0})
    for comparison_id, resolved in Flag.objects.filter(comparison_id__in=ids).values_list("comparison_id", "resolved"):
        counts[comparison_id]["total"] += 1
        counts[comparison_id]["open"] += not resolved
    return counts


def _agreement(ids: list[int]) -> dict[int, float]:
    """The majority share: per comparison with two or more counted judgments giving a main verdict
    (people's, not rejected: as agreement in the stats; a label on criteria alone has none), the
    share of them giving its most common verdict (a winner, or a ranking with its ties). Gold
    comparisons too: the answer given, not the gold answer."""
    counted = (
        Judgment.objects.filter(comparison_id__in=ids, annotator__judge__isnull=True)
        .exclude(review=ReviewState.REJECTED)
    )
    verdicts: dict[int, Counter] = defaultdict(Counter)
    for comparison_id, winner, ranking, ties in counted.values_list("comparison_id", "winner", "ranking", "ranking_ties"):
        if winner or ranking:
            verdicts[comparison_id][winner or _ranking_key(ranking, ties)] += 1
    return {
        comparison_id: round(tally.most_common(1)[0][1] / total, 4)
        for comparison_id, tally in verdicts.items()
        if (total := sum(tally.values())) >= 2
    }


def _ranking_key(ranking, ties) -> tuple:
    """A ranking as its groups best first, each a set: "a = b > c" is the same however the tied
    letters are listed."""
    group_of = {letter: frozenset(group) for group in ties or () for letter in group}
    groups: list[frozenset] = []
    for letter in ranking or ():
        group = group_of.get(letter, frozenset([letter]))
        if not groups or groups[-1] != group:
            groups.append(group)
    return tuple(groups)
