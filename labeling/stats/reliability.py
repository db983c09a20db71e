"""Each annotator's estimated reliability: the Dawid–Skene probability that their verdict is
the true one (plain numpy, no Django).

The fit (``dawid_skene.dawid_skene``) runs on the pairwise verdicts a, b or tie of every unit
judged by two or more people: a pairwise comparison is one unit, a ranking gives one unit per
implied pair (``arrays.agreement_units``), so a ranking project gets reliabilities too. A unit
only one person judged says nothing about them (its posterior would just echo their verdict),
so it is left out. An annotator's reliability is ``Σ_k p_k · pi[k, k]``, the diagonal of their
confusion matrix weighted by the class prior: the share of verdicts expected to be right.

Null where it cannot be told apart from the prior: an annotator with fewer than
``MIN_SHARED_JUDGMENTS`` judgments on comparisons someone else judged too, and everyone in a
project with a single annotator.
"""

import numpy as np

from labeling.stats.arrays import agreement_units, id_codes
from labeling.stats.dawid_skene import dawid_skene

MIN_SHARED_JUDGMENTS = 5
# Three EM rounds from the majority put the reliabilities within 0.4 percentage points of the
# converged fit (simulated, 1M judgments; five rounds: 0.1 points at 1.5x the time); each round is
# a pass over every verdict, and the stats payload is benchmarked at 1M judgments.
ITERATIONS = 3
TOLERANCE = 1e-3
# Above this many units the fit reads a seeded sample of them (a person's estimate from a few
# thousand of their verdicts moves by well under a percentage point), keeping every unit of anyone
# with fewer than FULL_BELOW verdicts, so no small contributor loses data.
MAX_UNITS = 100_000
FULL_BELOW = 500


def annotator_reliability(comparison, annotator, signed, rankings=None, levels=None) -> dict[int, float | None]:
    """Reliability (0..1, or None) per annotator id, from judgment arrays (see ``JudgmentArrays``:
    ``signed`` >0 when A won, <0 when B won, 0 a tie; ``rankings`` positions best first, ``levels``
    their ranks where some are tied)."""
    comparison, annotator = np.asarray(comparison, np.int64), np.asarray(annotator, np.int64)
    people, person = id_codes(annotator)
    reliability = dict.fromkeys(people.tolist())
    if len(people) < 2:
        return reliability
    comparisons, of_judgment = id_codes(comparison)
    shared = _shared(of_judgment, person, len(comparisons))  # per comparison code
    enough = np.bincount(person[shared[of_judgment]], minlength=len(people)) >= MIN_SHARED_JUDGMENTS
    if not enough.any():
        return reliability
    if rankings is None:  # a judgment is its unit: the codes above are the unit's and rater's
        keep = shared[of_judgment]
        units, raters, value = (np.cumsum(shared) - 1)[of_judgment[keep]], person[keep], np.asarray(signed)[keep]
    else:
        units, raters, value = _ranking_units(comparisons, people, shared, rankings, levels, comparison, annotator)
    verdict = np.where(value > 0, 0, np.where(value < 0, 1, 2))  # a, b, tie
    units, raters, verdict = _sampled(units, raters, verdict, len(people))
    fit = dawid_skene(units, raters, verdict, 3, max_iter=ITERATIONS, tol=TOLERANCE)
    fitted = np.bincount(raters, minlength=len(people)) > 0
    estimate = np.r_[fit.reliability, np.full(len(people) - len(fit.reliability), np.nan)]
    for code in np.flatnonzero(enough & fitted):
        reliability[int(people[code])] = float(estimate[code])
    return reliability


def _ranking_units(comparisons, people, shared, rankings, levels, comparison, annotator):
    """``(unit code, person code, value)`` of a ranking's implied pairs on shared comparisons
    (person codes index ``people``; one without rows keeps a flat matrix)."""
    unit, rater, value = agreement_units(comparison, annotator, None, rankings, levels)
    width = max((len(r) for r in rankings), default=1)
    keep = shared[np.searchsorted(comparisons, unit // (width * width))]  # a ranking's unit packs its pair
    return id_codes(unit[keep])[1], np.searchsorted(people, rater[keep]), value[keep]


def _shared(of_judgment: np.ndarray, person: np.ndarray, n_comparisons: int) -> np.ndarray:
    """Whether two or more people judged each comparison (by comparison code). A person judges a
    comparison once (the judgment_one_per_annotator constraint), so counting judgments counts people."""
    return np.bincount(of_judgment, minlength=n_comparisons) >= 2


def _sampled(units: np.ndarray, raters: np.ndarray, verdict: np.ndarray, n_people: int):
    """The rows of at most about MAX_UNITS units (a seeded sample, plus every unit of a person with
    fewer than FULL_BELOW rows); all rows when there are fewer units."""
    n_units = int(units.max()) + 1
    if n_units <= MAX_UNITS:
        return units, raters, verdict
    chosen = np.random.default_rng(0).random(n_units) < MAX_UNITS / n_units
    few = np.bincount(raters, minlength=n_people) < FULL_BELOW
    chosen[units[few[raters]]] = True
    rows = chosen[units]
    return id_codes(units[rows])[1], raters[rows], verdict[rows]
