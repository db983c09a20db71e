"""From judgments to preferences: what export aggregation makes of a comparison's verdicts; plain
Python, no Django.

Every judgment gives verdicts on pairs of positions: a pairwise judgment one pair (a win, a loss or
a tie), a ranking all its implied pairs (``pairs="all"``) or the best against each other
(``pairs="best-vs-rest"``), a pair it ranks equal (``ranking_ties``) being a tie. ``aggregation`` then makes preferences: ``majority`` (per pair, the most
common verdict among a win, a loss and a tie), ``mean-strength`` (per pair, the mean of +strength /
-strength / 0, rankings and unscaled judgments counting 1), ``dawid-skene`` (per pair, the most
probable verdict when each annotator is weighted by a reliability estimated over the whole export:
``label_model.py``), or ``none`` (each judgment on its own). A pair whose verdicts split evenly, or
whose preference is a tie, gives no preference: the training formats cannot say "equal", so it is
dropped and counted in ``ExportStats`` (``split``, ``tie``). An aggregated preference says how sure
it is (``confidence``, written as ``label_confidence``): the share of verdicts for the side taken
(``majority``, ``mean-strength``) or its posterior probability (``dawid-skene``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from labeling.exports.options import ExportFilters, ExportOptions, ExportStats
from labeling.rankings import LETTERS, OVERALL, ranking_outcomes


@dataclass(slots=True)  # not frozen: one is built per judgment, and frozen init is slower
class JudgmentRow:
    """One judgment as read from the database; the fields after ``ranking`` are read only for ``raw``."""

    judgment_id: int
    annotator_id: int
    winner: str  # "a" / "b" / "tie", blank for a ranking
    strength: int | None
    ranking: list[str] | None
    created_at: datetime | None = None
    criteria_json: str = "{}"  # as stored: decoding only to re-encode costs seconds per million rows
    rationale: str = ""
    time_spent_ms: int = 0
    flags: tuple[str, ...] = ()
    source: str = "human"  # "model" for a judge's judgment (read only for exports with labels other than human)
    ranking_ties: list[list[str]] | None = None  # a ranking's groups of positions ranked equal
    tied_pairs: bool = True  # False (the exclude_ties filter): a pair the ranking ranks equal gives no verdict


@dataclass
class JudgedComparison:
    comparison_id: int
    prompt_id: int
    prompt_key: str  # the prompt's content hash: the unit of the train/validation split
    messages: list[dict]
    responses: list[tuple[int, str, str]]  # (response id, text, model name) by position
    is_gold: bool
    judgments: list[JudgmentRow]


@dataclass(slots=True)
class Preference:
    chosen: int  # position
    rejected: int
    margin: float | None = None  # mean strength, for ``mean-strength``
    confidence: float | None = None  # label_confidence; None for unaggregated (``none``) preferences
    source: str | None = None  # label_source: whose verdicts made it (exports with labels other than human)


def label_source(judgments: list[JudgmentRow]) -> str:
    """``human`` or ``model`` when all ``judgments`` are one kind's, else ``mixed``."""
    sources = {j.source for j in judgments}
    return sources.pop() if len(sources) == 1 else "mixed"


def pair_verdicts(judgment: JudgmentRow, pairs: str) -> dict[tuple[int, int], float]:
    """Per position pair ``(i, j)`` with ``i < j``: +s if ``i`` won, -s if ``j`` won, 0 for a tie.

    ``s`` is the strength (1 for ranking judgments and for projects without a scale); a pair a
    ranking ranks equal is a tie, or no verdict at all where ``tied_pairs`` is off (``exclude_ties``
    drops tie verdicts before aggregation: a pairwise tie judgment whole, a ranking's tied pairs).
    """
    s = float(judgment.strength or 1)
    if not (judgment.winner or judgment.ranking):  # an imported label on a criterion alone: no main verdict
        return {}
    if judgment.ranking:
        ranking = judgment.ranking
        outcomes = ranking_outcomes(ranking, judgment.ranking_ties)
        ranked = outcomes if pairs == "all" else [o for o in outcomes if o[0] == ranking[0]]
        beaten = [(LETTERS.index(w), LETTERS.index(lo), tied) for w, lo, tied in ranked]
        return {
            (min(w, lo), max(w, lo)): 0.0 if tied else (s if w < lo else -s)
            for w, lo, tied in beaten if judgment.tied_pairs or not tied
        }
    if judgment.winner == "tie":
        return {(0, 1): 0.0}
    return {(0, 1): s if judgment.winner == "a" else -s}


def _tallies(judgments: list[JudgmentRow], pairs: str) -> dict[tuple[int, int], list[float]]:
    tallies: dict[tuple[int, int], list[float]] = {}
    for judgment in judgments:
        for key, value in pair_verdicts(judgment, pairs).items():
            tallies.setdefault(key, []).append(value)
    return tallies


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _counts(values: list[float]) -> tuple[int, int, int]:
    """(wins, losses, ties) of the pair's first position."""
    wins, losses = sum(v > 0 for v in values), sum(v < 0 for v in values)
    return wins, losses, len(values) - wins - losses


def agreement(comparison: JudgedComparison, pairs: str = "all") -> float:
    """Mean over position pairs of the share of verdicts for the most common one (win, loss, tie).

    1.0 when everyone agrees, and for a single judgment; 0.5 for a 1-1 split.
    """
    shares = [max(_counts(v)) / len(v) for v in _tallies(comparison.judgments, pairs).values()]
    return sum(shares) / len(shares) if shares else 0.0


def comparison_passes(comparison: JudgedComparison, filters: ExportFilters, pairs: str) -> bool:
    if filters.min_judgments and len(comparison.judgments) < filters.min_judgments:
        return False
    return not (filters.min_agreement is not None and agreement(comparison, pairs) < filters.min_agreement)


def _decide(key: tuple[int, int], values: list[float], aggregation: str, stats: ExportStats) -> Preference | None:
    if aggregation == "mean-strength":
        mean = sum(values) / len(values)
        side, margin = _sign(mean), abs(mean)
        # the strength-weighted share of the verdicts for the side taken (a tie weighs nothing)
        weight = sum(abs(v) for v in values)
        confidence = sum(abs(v) for v in values if _sign(v) == side) / weight if weight else None
    else:
        counts = _counts(values)
        top = max(counts)
        if counts.count(top) > 1:
            stats.split += 1
            return None
        side, margin, confidence = (1, -1, 0)[counts.index(top)], None, top / len(values)
    return _preference(key, side, margin, confidence, stats)


def _decide_posterior(key: tuple[int, int], posterior, stats: ExportStats) -> Preference | None:
    """Dawid–Skene: the most probable of (first wins, second wins, tie), with its probability."""
    best = int(posterior.argmax())
    return _preference(key, (1, -1, 0)[best], None, float(posterior[best]), stats)


def _preference(key, side: int, margin, confidence, stats: ExportStats) -> Preference | None:
    """``side``: +1 the preference is for the pair's first position, -1 for the second, 0 a tie (none)."""
    if side == 0:
        stats.tie += 1
        return None
    i, j = key if side > 0 else key[::-1]
    return Preference(i, j, margin, confidence)


def criterion_judgments(judgments: list[JudgmentRow], criterion: str) -> list[JudgmentRow]:
    """The judgments on one criterion: the main verdicts for ``overall``, else each judgment's
    verdict in its ``criteria`` (``{"winner", "strength"}`` or ``{"ranking", "ranking_ties"}``);
    judgments without one are left out."""
    if criterion == OVERALL:
        return judgments
    out = []
    for judgment in judgments:
        verdict = json.loads(judgment.criteria_json).get(criterion)
        if verdict:
            out.append(JudgmentRow(judgment.judgment_id, judgment.annotator_id, verdict.get("winner", ""),
                                   verdict.get("strength"), verdict.get("ranking"), source=judgment.source,
                                   ranking_ties=verdict.get("ranking_ties"), tied_pairs=judgment.tied_pairs))
    return out


def preference_units(
    comparison: JudgedComparison, options: ExportOptions, stats: ExportStats, posteriors=None
) -> list[list[Preference]]:
    """The preferences of one comparison: one unit when aggregated, one unit per judgment for
    ``none``. ``dawid-skene`` reads each pair's verdict from ``posteriors``
    (``label_model.UnitPosteriors``, fitted over the whole export). With ``labels`` other than
    human, each preference says whose verdicts made it (``source``)."""
    marked = options.labels != "human"
    if options.aggregation == "none":
        units = [_decided([j], options.pairs, "majority", stats) for j in comparison.judgments]
        return [[replace(p, confidence=None, source=j.source if marked else None) for p in unit]
                for j, unit in zip(comparison.judgments, units, strict=True)]
    if options.aggregation == "dawid-skene":
        decided = []
        for key, values in sorted(_tallies(comparison.judgments, options.pairs).items()):
            posterior = posteriors.get(comparison.comparison_id, *key)
            # a pair judged only after the fit was made (exports take no lock) falls back to majority
            p = _decide(key, values, "majority", stats) if posterior is None else _decide_posterior(key, posterior, stats)
            decided += [p] if p else []
    else:
        decided = _decided(comparison.judgments, options.pairs, options.aggregation, stats)
    if marked:
        source = label_source(comparison.judgments)
        decided = [replace(p, source=source) for p in decided]
    return [decided]


def _decided(judgments: list[JudgmentRow], pairs: str, aggregation: str, stats: ExportStats) -> list[Preference]:
    tallies = sorted(_tallies(judgments, pairs).items())
    return [p for key, values in tallies if (p := _decide(key, values, aggregation, stats))]
