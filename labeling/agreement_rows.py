"""Two agreement figures from rating rows, for projects too big for the units x raters matrix.

``labeling.agreement`` works on a dense units x raters matrix. At a million judgments by a
hundred annotators that matrix has 33M cells, its mean pairwise Cohen's kappa loops over 4,950
rater pairs each scanning every unit, and its bootstrap draws a multinomial over every unit for
each of 1,000 rounds: tens of seconds. The two functions here give the same figures from rows
``(unit, rater, value)``:

* ``cohen_kappa_mean_rows`` builds each rater pair's confusion counts in one ``bincount`` over
  the pairs of ratings that share a unit, then computes every pair's kappa at once. Same value
  as ``agreement.cohen_kappa_mean`` on the matrix (to rounding).
* ``bootstrap_alpha_ci_rows`` resamples units by the distinct patterns of value counts they
  show: units with the same counts contribute the same coincidences, so a multinomial draw of
  pattern multiplicities (probabilities = pattern shares) is the same resampling as a draw of
  unit multiplicities, with a few dozen categories instead of hundreds of thousands. Same
  distribution as ``agreement.bootstrap_alpha_ci``; different draws for the same seed.

Plain numpy; candidates to fold into ``labeling.agreement``.
"""

from __future__ import annotations

import numpy as np

from labeling.agreement import (
    Level,
    _alpha_from_coincidences,  # one alpha formula, shared not copied
)


def _dense_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each entry's index into them.

    Integers in a narrow range (database ids, answer codes) get a lookup table, O(n) where
    ``np.unique`` sorts.
    """
    values = np.asarray(values)
    if values.dtype.kind in "iu" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * len(values) + 1024:
            present = np.zeros(high - low + 1, dtype=bool)
            present[values - low] = True
            return np.flatnonzero(present) + low, (np.cumsum(present) - 1)[values - low]
    index, codes = np.unique(values, return_inverse=True)
    return index, codes.ravel()


def _sorted_groups(unit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order that groups rows by unit, and the groups' starts and sizes in that order."""
    order = np.argsort(unit, kind="stable")
    grouped = np.asarray(unit)[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(grouped) else np.zeros(0, np.int64)
    return order, starts, np.diff(np.r_[starts, len(grouped)])


def _pairs_within_units(unit, *columns) -> list[tuple[np.ndarray, np.ndarray]]:
    """For every pair of rows sharing a unit: ``(left, right)`` values of each column."""
    order, starts, sizes = _sorted_groups(unit)
    columns = [np.asarray(c)[order] for c in columns]
    out = [([], []) for _ in columns]
    for size in np.unique(sizes[sizes >= 2]):
        rows = starts[sizes == size][:, None] + np.arange(size)  # (units, size)
        left, right = np.triu_indices(size, k=1)
        for (lefts, rights), column in zip(out, columns, strict=True):
            lefts.append(column[rows][:, left].ravel())
            rights.append(column[rows][:, right].ravel())
    empty = np.zeros(0, np.int64)
    return [(np.concatenate(lefts) if lefts else empty, np.concatenate(rights) if rights else empty)
            for lefts, rights in out]


def cohen_kappa_mean_rows(unit, rater, value) -> float | None:
    """Mean Cohen's kappa over rater pairs that rated a unit in common (see the module).

    Rows are ratings; a rater rates a unit at most once. Pairs whose kappa is undefined
    (chance agreement 1: both gave one and the same answer throughout) are left out of the
    mean; ``None`` when no pair is left.
    """
    _, value_code = _dense_codes(value)
    _, rater_code = _dense_codes(rater)
    _, unit = _dense_codes(unit)
    size = int(value_code.max()) + 1 if len(value_code) else 1
    (rater_l, rater_r), (code_l, code_r) = _pairs_within_units(unit, rater_code, value_code)
    swap = rater_l > rater_r  # kappa is symmetric: seat each pair one way round
    rater_l, rater_r = np.where(swap, rater_r, rater_l), np.where(swap, rater_l, rater_r)
    code_l, code_r = np.where(swap, code_r, code_l), np.where(swap, code_l, code_r)
    if len(rater_l) == 0:
        return None
    _, pair = _dense_codes(rater_l * (int(rater_code.max()) + 1) + rater_r)
    pairs = int(pair.max()) + 1
    confusion = np.bincount((pair * size + code_l) * size + code_r, minlength=pairs * size * size)
    confusion = confusion.reshape(pairs, size, size).astype(float)
    confusion /= confusion.sum(axis=(1, 2), keepdims=True)
    chance = np.einsum("pv,pv->p", confusion.sum(axis=2), confusion.sum(axis=1))
    observed = np.trace(confusion, axis1=1, axis2=2)
    defined = chance < 1.0
    if not defined.any():
        return None
    return float(np.mean((observed[defined] - chance[defined]) / (1.0 - chance[defined])))


def _unit_counts(unit, value) -> tuple[np.ndarray, np.ndarray]:
    """(U, V) counts of each value per unit for units with two or more ratings, and the values."""
    values, value_code = _dense_codes(value)
    _, unit_code = _dense_codes(unit)
    units = int(unit_code.max()) + 1 if len(unit_code) else 0
    counts = np.bincount(unit_code * len(values) + value_code, minlength=units * len(values))
    counts = counts.reshape(units, len(values))
    return counts[counts.sum(axis=1) >= 2], values


def _pattern_coincidences(counts) -> tuple[np.ndarray, np.ndarray]:
    """Distinct count patterns' coincidence matrices (P, V*V) and how many units show each."""
    base = int(counts.max()) + 1
    if base ** counts.shape[1] < 2**62:  # one int64 key per pattern: a 1-D unique is fast
        keys = counts @ (base ** np.arange(counts.shape[1], dtype=np.int64))
        _, first, shares = np.unique(keys, return_index=True, return_counts=True)
        patterns = counts[first]
    else:
        patterns, shares = np.unique(counts, axis=0, return_counts=True)
    patterns = patterns.astype(float)
    size = patterns.shape[1]
    weight = 1.0 / (patterns.sum(axis=1) - 1.0)  # each unit's pairs share weight 1/(m_u - 1)
    outer = patterns[:, :, None] * patterns[:, None, :] - patterns[:, :, None] * np.eye(size)
    return (outer * weight[:, None, None]).reshape(len(patterns), size * size), shares


def bootstrap_alpha_ci_rows(unit, value, level: Level = "nominal", n_boot: int = 1000,
                            seed: int | np.random.Generator | None = None,
                            ci: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval for Krippendorff's alpha, resampling units with replacement.

    ``unit`` and ``value`` have one entry per rating. Replicates with undefined alpha are
    dropped; ``None`` when alpha itself is undefined (see the module for the method).
    """
    counts, values = _unit_counts(unit, value)
    if len(counts) == 0 or len(values) < 2:
        return None
    coincidences, shares = _pattern_coincidences(counts)
    full = (shares @ coincidences).reshape(len(values), len(values))
    if _alpha_from_coincidences(full, values, level) is None:
        return None
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(shares.sum()), shares / shares.sum(), size=n_boot)  # (B, P)
    replicates = (draws @ coincidences).reshape(n_boot, len(values), len(values))
    alphas = [_alpha_from_coincidences(c, values, level) for c in replicates]
    alphas = np.array([a for a in alphas if a is not None])
    if len(alphas) == 0:
        return None
    tail = (1.0 - ci) / 2.0 * 100.0
    low, high = np.percentile(alphas, [tail, 100.0 - tail])
    return float(low), float(high)

