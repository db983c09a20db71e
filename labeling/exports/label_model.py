"""Export aggregation by Dawid–Skene: each preference decided by annotators weighted by their
estimated reliability, with its posterior confidence (plain Python and numpy, no Django).

A unit is one pair of positions of one comparison, ``(comparison_id, i, j)`` with ``i < j``: a
pairwise comparison has one, a ranking of K responses its implied pairs. Each judgment gives
every unit it covers one of three verdicts, as ``labeling.exports.preferences.pair_verdicts``
reads it: the first position wins, the second wins, or a tie. ``dawid_skene.dawid_skene`` fits
one confusion matrix per annotator over those verdicts across the whole export, so an annotator
who often disagrees with the consensus counts for less everywhere; the posterior of each unit
says which preference the export takes and how sure it is (``label_confidence``).

Like any latent-class model it needs the truth to vary: if one verdict were always right, an
annotator who always gave it could not be told from a careful one. Positions are shown in a
random order, so "A wins" and "B wins" both occur in real projects.
"""

from collections.abc import Iterable

import numpy as np

from labeling.stats.dawid_skene import dawid_skene

FIRST, SECOND, TIE = 0, 1, 2  # verdict classes of a unit


def verdict_class(value: float) -> int:
    """A unit's verdict class from ``pair_verdicts``' signed value: >0 first wins, <0 second, 0 tie."""
    return FIRST if value > 0 else SECOND if value < 0 else TIE


class UnitPosteriors:
    """The posterior over (first wins, second wins, tie) of each unit, and each annotator's
    estimated reliability (expected accuracy)."""

    def __init__(self, units: list[tuple[int, int, int]], posterior: np.ndarray, reliability: dict[int, float]):
        self._row = {unit: n for n, unit in enumerate(units)}
        self._posterior = posterior
        self.reliability = reliability

    def get(self, comparison_id: int, i: int, j: int) -> np.ndarray | None:
        """The unit's posterior (3,), or None when no judgment in the fit covered it."""
        row = self._row.get((comparison_id, i, j))
        return None if row is None else self._posterior[row]


def fit_unit_posteriors(verdicts: Iterable[tuple[int, int, int, int, float]]) -> UnitPosteriors:
    """Fit Dawid–Skene to ``(comparison_id, i, j, annotator_id, signed value)`` rows, one per
    judgment and unit. Raises ValueError when there is nothing to fit."""
    unit_rows, annotators, classes = [], [], []
    for comparison_id, i, j, annotator_id, value in verdicts:
        unit_rows.append((comparison_id, i, j))
        annotators.append(annotator_id)
        classes.append(verdict_class(value))
    if not unit_rows:
        raise ValueError("no judgments to aggregate")
    units = sorted(set(unit_rows))
    unit_index = {unit: n for n, unit in enumerate(units)}
    people, person_index = np.unique(np.asarray(annotators), return_inverse=True)
    fit = dawid_skene([unit_index[u] for u in unit_rows], person_index.ravel(), classes, n_classes=3)
    reliability = dict(zip(people.tolist(), fit.reliability.tolist(), strict=True))
    return UnitPosteriors(units, fit.posterior, reliability)
