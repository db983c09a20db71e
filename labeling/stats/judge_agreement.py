"""How far a judge agrees with humans, and how biased it is; plain numpy, no Django.

A judge (a model labelling comparisons, issue #18) is measured against the humans on the units
both judged (a comparison, or a ranking's implied pair: ``arrays.agreement_units``), with the
nominal verdict as the value: +1 the earlier position won, 0 a tie, -1 the later one won.

* Agreement with humans: the judge's verdict against the human majority of its unit (a plurality
  of a / tie / b; a unit whose top verdicts tie has no majority and is left out): the share of
  units where they match (``raw``, Wilson interval) and Cohen's kappa between the two
  (``kappa``, a bootstrap over units).
* The human ceiling: the same figures for each human verdict against the majority of the *other*
  humans on the unit (leave one out), over the units the judge judged. A judge cannot be expected
  to agree with humans more than they agree with each other.
* Position bias: the share of decisive verdicts that went to the earlier position (A of a pair).
* Length bias: the share of decisive verdicts on responses of different lengths that went to the
  longer one.

Figures that are undefined (nothing to compare, one category throughout) are None.
"""

from __future__ import annotations

import numpy as np

from labeling.stats.arrays import id_codes, locate

Z_95 = 1.959963984540054
KAPPA_ROUNDS = 1000
VERDICTS = 3  # -1, 0, +1 shifted to 0, 1, 2


def wilson_interval(successes: int, n: int, z: float = Z_95) -> list[float] | None:
    """Wilson's score interval for a share of ``successes`` in ``n`` trials; None for n = 0."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [float(max(0.0, centre - half)), float(min(1.0, centre + half))]


def share(hits: np.ndarray) -> dict:
    """``{share, ci, n}`` of a boolean array (share and ci None when empty)."""
    n, k = int(len(hits)), int(np.sum(hits))
    return {"share": k / n if n else None, "ci": wilson_interval(k, n), "n": n}


def kappa_from_confusion(confusion: np.ndarray) -> np.ndarray:
    """Cohen's kappa of each (..., V, V) confusion matrix of counts; NaN where undefined."""
    total = confusion.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = confusion / total[..., None, None]
        observed = np.trace(p, axis1=-2, axis2=-1)
        chance = np.einsum("...i,...i->...", p.sum(axis=-1), p.sum(axis=-2))
        return np.where(chance < 1.0, (observed - chance) / (1.0 - chance), np.nan)


def kappa_interval(confusion: np.ndarray, rounds: int = KAPPA_ROUNDS, seed: int = 0, ci: float = 0.95):
    """Percentile bootstrap interval of kappa, resampling the compared units with replacement.

    A resample's confusion matrix is a multinomial draw over the V*V cells with the observed
    shares: the same resampling as drawing units, at the cost of the cells alone. Replicates
    with undefined kappa are dropped; None when none is left.
    """
    n = int(confusion.sum())
    if n == 0:
        return None
    draws = np.random.default_rng(seed).multinomial(n, confusion.ravel() / n, size=rounds)
    kappas = kappa_from_confusion(draws.reshape(rounds, *confusion.shape))
    kappas = kappas[~np.isnan(kappas)]
    if len(kappas) == 0:
        return None
    tail = (1.0 - ci) / 2.0 * 100.0
    return [float(x) for x in np.percentile(kappas, [tail, 100.0 - tail])]


def agreement_figures(rated: np.ndarray, reference: np.ndarray, seed: int = 0) -> dict:
    """``raw`` (with ``raw_ci``, Wilson) and ``kappa`` (with ``kappa_ci``, bootstrap) of
    ``rated`` against ``reference``, paired verdicts in -1/0/+1; ``n`` pairs."""
    rated, reference = np.asarray(rated, np.int64), np.asarray(reference, np.int64)
    cells = np.bincount((rated + 1) * VERDICTS + (reference + 1), minlength=VERDICTS * VERDICTS)
    confusion = cells.reshape(VERDICTS, VERDICTS).astype(float)
    n, agreeing = int(len(rated)), int(np.trace(confusion))
    kappa = float(kappa_from_confusion(confusion)) if n else float("nan")
    defined = not np.isnan(kappa)
    return {
        "n": n, "raw": agreeing / n if n else None, "raw_ci": wilson_interval(agreeing, n),
        "kappa": kappa if defined else None, "kappa_ci": kappa_interval(confusion, seed=seed) if defined else None,
    }


class UnitVerdicts:
    """How many human verdicts of each value every unit got, for majorities."""

    def __init__(self, unit: np.ndarray, value: np.ndarray):
        self.units, codes = id_codes(unit)
        counts = np.bincount(codes * VERDICTS + (np.sign(value) + 1), minlength=len(self.units) * VERDICTS)
        self.counts = counts.reshape(len(self.units), VERDICTS)

    def of(self, unit: np.ndarray) -> np.ndarray:
        """(n, 3) counts of each unit in ``unit`` (zeros where no human judged it)."""
        row = locate(self.units, unit)
        if len(self.units) == 0:
            return np.zeros((len(row), VERDICTS), dtype=np.int64)
        return np.where((row >= 0)[:, None], self.counts[np.maximum(row, 0)], 0)


def majority(counts: np.ndarray) -> np.ndarray:
    """The majority verdict (-1/0/+1) of each row of (n, 3) counts; 2 where there is none
    (no verdict, or a tie at the top)."""
    top = counts.max(axis=1, keepdims=True)
    unique = (counts == top).sum(axis=1) == 1
    return np.where(unique & (top[:, 0] > 0), counts.argmax(axis=1) - 1, 2)


def judge_against_humans(judge_unit, judge_value, human_unit, human_value, seed: int = 0) -> dict:
    """The judge's agreement with the human majority on its units, and the human ceiling beside
    it (each human against the other humans' majority on the judge's units)."""
    judge_unit, judge_value = np.asarray(judge_unit, np.int64), np.sign(np.asarray(judge_value, np.int64))
    human_unit, human_value = np.asarray(human_unit, np.int64), np.sign(np.asarray(human_value, np.int64))
    tally = UnitVerdicts(human_unit, human_value)
    reference = majority(tally.of(judge_unit))
    compared = reference != 2
    figures = agreement_figures(judge_value[compared], reference[compared], seed)
    shared = np.isin(human_unit, judge_unit)
    own, value = human_unit[shared], human_value[shared]
    others = tally.of(own)
    others[np.arange(len(own)), value + 1] -= 1  # leave the human's own verdict out
    others_majority = majority(others)
    kept = others_majority != 2
    ceiling = agreement_figures(value[kept], others_majority[kept], seed + 1)
    return {**figures, "human_ceiling": ceiling}


def earlier_position_share(value: np.ndarray) -> dict:
    """Position bias: of the decisive verdicts (-1/+1), the share for the earlier position."""
    value = np.asarray(value)
    return share(value[value != 0] > 0)


def longer_response_share(outcome, length_a, length_b) -> dict:
    """Length bias: of the decisive verdicts (outcome 1 or 0 for A or B) on responses of known,
    different lengths, the share for the longer one."""
    outcome, length_a, length_b = (np.asarray(x) for x in (outcome, length_a, length_b))
    counted = (outcome != 0.5) & (length_a >= 0) & (length_b >= 0) & (length_a != length_b)
    longer_won = (outcome == 1) == (length_a > length_b)
    return share(longer_won[counted])
