"""Judgment rows reshaped into the inputs of the statistics maths; plain numpy, no Django.

The selectors (``labeling.stats.selectors``) read flat rows; the maths (``agreement``,
``annotator_quality``, ``ratings``) wants units x ratings matrices, rater pairs and
model-versus-model rows. The steps in between live here so they can be tested on hand-made
arrays.

Coding. A pairwise result is one signed integer: +strength when A won, -strength when B won,
0 for a tie. Its sign is the nominal winner (a = 1, tie = 0, b = -1). A ranking is a list of
positions best first; for agreement it is expanded into its implied pairs, each pair of
positions (lo, hi) of one comparison being a unit valued +1 when lo was ranked above hi, -1
when below, and 0 when the two were ranked equal (``levels``: a ranking with ties).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labeling.rankings import LETTERS, ranking_levels, ranking_ties_error
from labeling.stats.ratings import ranking_to_pairs

MISSING = -1


def _group_position(group: np.ndarray) -> np.ndarray:
    """0-based position of each entry within its run of equal values (``group`` sorted)."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.array([], dtype=np.int64)
    lengths = np.diff(np.r_[starts, len(group)])
    return np.arange(len(group)) - np.repeat(starts, lengths)


# --- positions ------------------------------------------------------------------------------------


def id_codes(ids) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ids and each entry's index into them.

    Database ids of one project usually fill a narrow range: then a lookup table does in
    O(n) what ``np.unique`` does with a sort.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return ids, ids
    low, high = int(ids.min()), int(ids.max())
    if high - low > 4 * len(ids) + 1024:
        index, codes = np.unique(ids, return_inverse=True)
        return index, codes.ravel()
    present = np.zeros(high - low + 1, dtype=bool)
    present[ids - low] = True
    lookup = np.cumsum(present) - 1
    return np.flatnonzero(present) + low, lookup[ids - low]


def locate(ids, wanted) -> np.ndarray:
    """Index of each ``wanted`` id in the sorted, distinct ``ids``; -1 where it is absent."""
    ids, wanted = np.asarray(ids, np.int64), np.asarray(wanted, np.int64)
    if len(ids) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    low, high = int(ids[0]), int(ids[-1])
    if high - low <= 4 * len(ids) + 1024:  # a narrow range: a lookup table, no search
        where = np.full(high - low + 1, -1, dtype=np.int64)
        where[ids - low] = np.arange(len(ids))
        inside = (wanted >= low) & (wanted <= high)
        return np.where(inside, where[(wanted - low).clip(0, high - low)], -1)
    row = np.searchsorted(ids, wanted).clip(0, len(ids) - 1)
    return np.where(ids[row] == wanted, row, -1)


def rows_beside(ids, more_ids) -> np.ndarray:
    """Indexes into ``more_ids`` (any order, repeats allowed) of the first row of each id not among
    ``ids`` (sorted, distinct): the judgments another read has that the first lacks, each once."""
    more_ids = np.asarray(more_ids, np.int64)
    outside = np.flatnonzero(locate(ids, more_ids) < 0)
    _, first = np.unique(more_ids[outside], return_index=True)
    return outside[first]


class PositionLookup:
    """Values of response positions at (comparison id, position); ``MISSING`` where there is none.

    The comparisons asked about are located once, then each ``get`` is a gather.
    """

    def __init__(self, of_comparison, at_position, comparison):
        ids, codes = id_codes(of_comparison)
        self.width = int(np.max(at_position)) + 1 if len(codes) else 1
        self.size = len(ids) * self.width
        self.cell = codes * self.width + np.asarray(at_position, np.int64)
        self.row = locate(ids, comparison)

    def get(self, values, position) -> np.ndarray:
        table = np.full(self.size + 1, MISSING, dtype=np.int64)  # the last cell answers misses
        table[self.cell] = values
        position = np.asarray(position, np.int64)
        found = (self.row >= 0) & (position >= 0) & (position < self.width)
        return table[np.where(found, self.row * self.width + position, self.size)]


# --- ratings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairRows:
    """Model-versus-model rows for the ratings, in judgment order.

    ``model_a`` and ``model_b`` are model codes, ``outcome`` 1 / 0.5 / 0 for A winning / a tie /
    B winning, ``weight`` the preference strength (1 for a tie), ``judgment`` the index of the
    judgment each row came from (a ranking gives several rows).
    """

    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    weight: np.ndarray
    length_a: np.ndarray
    length_b: np.ndarray
    judgment: np.ndarray

    def select(self, keep: np.ndarray) -> PairRows:
        if keep.dtype == bool and keep.all():
            return self
        return PairRows(*(getattr(self, name)[keep] for name in self.__dataclass_fields__))


def pair_rows(comparison, signed, rankings, positions, levels=None) -> PairRows:
    """Rows for pairwise results (``rankings`` None) or for every pair a ranking implies.

    ``positions`` is ``(of_comparison, at_position, model_at, length_at)``. A ranking's
    pairs are placed winner first, so their outcome is 1, or 0.5 for a pair ranked equal
    (``levels``: see ``ratings.ranking_to_pairs``).
    """
    comparison = np.asarray(comparison, np.int64)
    if rankings is None:
        signed = np.asarray(signed)
        first, second = np.zeros(len(comparison), np.int64), np.ones(len(comparison), np.int64)
        judgment = np.arange(len(comparison))
        outcome = (np.sign(signed) + 1.0) / 2.0
        weight = np.maximum(np.abs(signed), 1).astype(float)
    else:
        first, second, outcome, judgment = ranking_to_pairs(rankings, levels)
        order = np.argsort(judgment, kind="stable")  # ranking_to_pairs groups by length
        first, second = first[order].astype(np.int64), second[order].astype(np.int64)
        judgment, outcome = judgment[order], outcome[order]
        weight = np.ones(len(judgment))
    of_comparison, at_position, model_at, length_at = positions
    lookup = PositionLookup(of_comparison, at_position, comparison[judgment])

    def at(values, position):
        return lookup.get(values, position)

    return PairRows(
        model_a=at(model_at, first), model_b=at(model_at, second), outcome=outcome, weight=weight,
        length_a=at(length_at, first), length_b=at(length_at, second), judgment=judgment,
    )


def merge_by_comparison(rows: PairRows, comparison) -> tuple[PairRows, np.ndarray]:
    """Pairwise rows merged per (comparison, outcome), and how many each stands for.

    Within a comparison the models and lengths are fixed, so the merged rows weighted by their
    counts give the same likelihood as the rows themselves, with fewer rows to fit.
    """
    _, codes = id_codes(np.asarray(comparison)[rows.judgment])
    key = codes * 3 + (rows.outcome * 2).astype(np.int64)
    counts = np.bincount(key, minlength=3 * (int(codes.max()) + 1 if len(codes) else 0))
    first = np.empty(len(counts), dtype=np.int64)
    first[key[::-1]] = np.arange(len(key))[::-1]  # repeated indices: the last write, the first row, wins
    keys = np.flatnonzero(counts)
    return rows.select(first[keys]), counts[keys].astype(float)


# --- agreement --------------------------------------------------------------------------------


def agreement_units(comparison, rater, signed, rankings, levels=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(unit, rater, value)`` rows: the comparison and its signed result, or a ranking's pairs
    (0 for a pair ranked equal: ``levels``, see ``ratings.ranking_to_pairs``).

    Values are integers (the maths takes floats; integer codes make grouping cheap).
    """
    comparison, rater = np.asarray(comparison, np.int64), np.asarray(rater, np.int64)
    if rankings is None:
        return comparison, rater, np.asarray(signed, dtype=np.int64)
    winner, loser, outcome, judgment = ranking_to_pairs(rankings, levels)
    winner, loser = winner.astype(np.int64), loser.astype(np.int64)
    width = max((len(r) for r in rankings), default=1)
    low, high = np.minimum(winner, loser), np.maximum(winner, loser)
    unit = (comparison[judgment] * width + low) * width + high
    return unit, rater[judgment], np.where(outcome == 0.5, 0, np.where(winner == low, 1, -1))


def unit_matrix(unit, value) -> np.ndarray:
    """Units x ratings matrix (NaN = missing) with rater identity dropped.

    Krippendorff's alpha, Fleiss' kappa and percent agreement depend only on how many ratings
    of each value every unit got, not on who gave them; this matrix is as wide as the most
    ratings any unit has, not as wide as the number of raters (which may be hundreds).
    """
    _, codes = id_codes(unit)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    column = _group_position(codes)
    shape = (int(codes.max()) + 1, int(column.max()) + 1) if len(codes) else (0, 0)
    matrix = np.full(shape, np.nan)
    matrix[codes, column] = np.asarray(value, dtype=float)[order]
    return matrix


def equal_count_rows(matrix) -> tuple[np.ndarray, int]:
    """The rows with the most common number (two or more) of ratings, and that number.

    Fleiss' kappa needs every unit to have the same number of ratings; gold comparisons and
    unfinished ones break that. Returns an empty matrix and 0 when no unit has two ratings.
    """
    counts = np.sum(~np.isnan(matrix), axis=1)
    tally = np.bincount(counts[counts >= 2]) if np.any(counts >= 2) else np.zeros(0, np.int64)
    if not tally.any():
        return matrix[:0], 0
    common = int(np.argmax(tally))  # ties go to the smaller count
    return matrix[counts == common], common


# --- annotator quality ------------------------------------------------------------------------


def pair_keys(comparison, annotator) -> np.ndarray:
    """One int64 per (comparison, annotator), for membership tests; ids below 2**31."""
    return np.asarray(comparison, np.int64) * (1 << 31) + np.asarray(annotator, np.int64)


def pairs_among(comparison, annotator, pairs: np.ndarray) -> np.ndarray:
    """Whether each (comparison, annotator) is one of ``pairs`` ((P, 2) rows of the same).

    Only the rows whose comparison appears in ``pairs`` (a few percent, for flags) are keyed and
    searched: ``np.isin`` over a million keys spread over 2**62 sorts them all.
    """
    comparison, annotator = np.asarray(comparison, np.int64), np.asarray(annotator, np.int64)
    found = np.zeros(len(comparison), dtype=bool)
    if not len(pairs) or not len(comparison):
        return found
    candidate = np.flatnonzero(np.isin(comparison, pairs[:, 0]))
    found[candidate] = np.isin(pair_keys(comparison[candidate], annotator[candidate]), pair_keys(pairs[:, 0], pairs[:, 1]))
    return found


def top_choice(rankings, levels=None) -> np.ndarray:
    """Each ranking's top choice in the quality labels' coding: the set of positions ranked first,
    as a bit mask (position p is bit p), (n,) floats. A ranking tied at the top ("a = b > c") is
    the set {a, b}, the same however its letters are listed, and never the same answer as "a first"
    or "b first": a tie is a verdict of its own. ``levels``: as in ``agreement_units``."""
    if levels is None:
        return np.array([float(1 << ranking[0]) for ranking in rankings], dtype=float)
    return np.array([float(sum(1 << p for p, level in zip(ranking, level_of, strict=True) if level == 0))
                     for ranking, level_of in zip(rankings, levels, strict=True)], dtype=float)


def ranking_tied(levels, n: int) -> np.ndarray:
    """Which of ``n`` rankings rank two positions equal (``levels`` None: none does), (n,) bools."""
    if levels is None:
        return np.zeros(n, dtype=bool)
    return np.array([len(set(level)) < len(level) for level in levels], dtype=bool)


def gold_label(answer, ranking: bool) -> float | None:
    """A verdict (a gold answer, or a stored judgment's ``winner``/``ranking``/``ranking_ties``)
    in the quality labels' coding: the winner's sign, or the ranking's ``top_choice``. A gold
    ranking has no ties (``comparisons.gold``), so an annotator who ties the top never matches it:
    they did not name the one response the gold answer puts first."""
    if not isinstance(answer, dict):
        return None
    if ranking:
        order, ties = answer.get("ranking"), answer.get("ranking_ties")
        if not isinstance(order, list) or not order or not all(isinstance(x, str) and len(x) == 1 and x in LETTERS
                                                                   for x in order):
            return None
        levels = ranking_levels(order, ties) if isinstance(ties, list) and ranking_ties_error(ties, order) is None else None
        return float(top_choice([[LETTERS.index(x) for x in order]], None if levels is None else [levels])[0])
    return {"a": 1.0, "tie": 0.0, "b": -1.0}.get(answer.get("winner"))
