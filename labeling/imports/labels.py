"""Imported labels: judgments of a label source, an inactive user named after it.

A source has one judgment per comparison (as any annotator). A line's label is its main verdict,
or, where the line names a ``criterion``, that criterion's verdict in the judgment's ``criteria``;
a judgment holding only criterion verdicts has a blank main verdict (``winner`` "" and no
``ranking``), which ratings, agreement and exports of the main verdict leave out. The first label
a source gives a comparison on a criterion (or overall) is kept: later lines and later imports
only fill in verdicts the judgment lacks.

Letters are read against the stored order of each comparison: one stored by an earlier import
(or under an older ordering) keeps the order it was created with.
"""

from collections import defaultdict

from django.db.models import F

from labeling.imports.groups import TIE_LABEL
from labeling.imports.staging import ImportStaging
from labeling.models import IMPORTED_KEY_PREFIX, Comparison, ComparisonKind, Judgment
from labeling.rankings import LETTERS


def store_labels(project, staging: ImportStaging, source, labels: dict[tuple[str, str], int]) -> int:
    """``labels``: the winner's response id by (response set hash, criterion, "" for the main
    verdict), for comparisons staged in ``staging``. Returns the number of new judgments."""
    orders = staging.stored_orders()
    verdicts: dict[int, dict[str, dict]] = defaultdict(dict)
    for (set_hash, criterion), winner in labels.items():
        comparison_id, order = orders[set_hash]
        verdicts[comparison_id].setdefault(criterion, _verdict(project, order, winner, criterion))
    existing = staging.source_judgments(source.pk)
    new = [_judgment(project, source, cid, v) for cid, v in verdicts.items() if cid not in existing]
    for cid, v in verdicts.items():
        if cid in existing:
            _fill_in(existing[cid], v)
    Judgment.objects.bulk_create(new)
    _count_judged(project, [j.comparison_id for j in new])
    return len(new)


def _verdict(project, order: list[int], winner: int, criterion: str) -> dict:
    """A labelled pair whose ``winner`` sits at its place in ``order`` (or a tie, ``TIE_LABEL``),
    as a verdict.

    Labelled formats carry two responses, so in a ranking project the label is a full ranking (a
    tie: both in one tied group). A pairwise criterion verdict has the shape the annotation API
    stores (``strength`` null).
    """
    letters = LETTERS[: len(order)]
    if project.task_type == ComparisonKind.RANKING:
        if winner == TIE_LABEL:
            return {"ranking": list(letters), "ranking_ties": [list(letters)]}
        first = letters[order.index(winner)]
        return {"ranking": [first, *(letter for letter in letters if letter != first)]}
    first = "tie" if winner == TIE_LABEL else letters[order.index(winner)]
    return {"winner": first, "strength": None} if criterion else {"winner": first}


def _judgment(project, source, comparison_id: int, verdicts: dict[str, dict]) -> Judgment:
    main = verdicts.get("", {})
    return Judgment(
        project=project, comparison_id=comparison_id, annotator=source,
        client_key=f"{IMPORTED_KEY_PREFIX}{project.pk}:{source.pk}:{comparison_id}",
        winner=main.get("winner", ""), ranking=main.get("ranking"), ranking_ties=main.get("ranking_ties"),
        criteria={name: v for name, v in verdicts.items() if name},
    )


def _fill_in(stored: tuple[int, str, list | None, dict], verdicts: dict[str, dict]) -> None:
    """Add to a stored judgment the verdicts it lacks; what it has stays."""
    judgment_id, winner, ranking, criteria = stored
    changes = {}
    if "" in verdicts and not (winner or ranking):
        main = verdicts[""]
        changes = {"winner": main.get("winner", ""), "ranking": main.get("ranking"), "ranking_ties": main.get("ranking_ties")}
    added = {name: v for name, v in verdicts.items() if name and name not in criteria}
    if added:
        changes["criteria"] = criteria | added
    if changes:
        Judgment.objects.filter(pk=judgment_id).update(**changes)


def _count_judged(project, comparison_ids: list[int]) -> None:
    """Imported labels take a seat like any judgment (no lease row: the source never held one)."""
    for chunk in (comparison_ids[i : i + 500] for i in range(0, len(comparison_ids), 500)):
        Comparison.objects.filter(id__in=chunk).update(
            judgment_count=F("judgment_count") + 1, holders=F("holders") + 1
        )
        Comparison.objects.filter(id__in=chunk, holders__gte=project.overlap).update(is_open=False)
