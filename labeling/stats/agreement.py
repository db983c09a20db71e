"""Inter-annotator agreement: Krippendorff's alpha, Fleiss' kappa, Cohen's kappa, percent agreement.

Input convention: a float array of shape (units, raters) where ``np.nan`` marks a
missing rating. Values are category codes (nominal), ordered codes (ordinal) or
numbers (interval). ``rating_matrix`` builds such a matrix from judgment rows.

The two figures whose cost grows with the number of raters also take the rows
themselves, ``(unit, rater, value)`` with one entry per rating, because at a
million judgments by a hundred annotators the matrix alone has 33M cells:
``cohen_kappa_mean_rows`` and ``bootstrap_alpha_ci_rows``. Their matrix forms
(``cohen_kappa_mean``, ``bootstrap_alpha_ci``) are the same computation on the
matrix's ratings.

Pairwise preferences are coded in one of two ways:

* nominal: winner as a category, for example ``a = 1``, ``tie = 0``, ``b = -1``
  (``signed_preference`` without strength). The tie is a category of its own,
  as distant from "a" as "b" is.
* ordinal / interval: a signed score, ``+strength`` when A wins, ``-strength``
  when B wins and ``0`` for a tie (for example -3..+3), so the tie sits at the
  midpoint of the scale.

Figures that are undefined (one rater, no unit with two or more ratings, no
expected disagreement because everyone used one category) are returned as
``None``, never as a made-up number.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval"]
LEVELS = ("nominal", "ordinal", "interval")
_FEW_VALUES = 16


def rating_matrix(unit_ids, rater_ids, values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn judgment rows into a units x raters matrix.

    Returns ``(matrix, unit_index, rater_index)``: ``matrix[i, r]`` is the value
    rater ``rater_index[r]`` gave unit ``unit_index[i]``, ``np.nan`` where the
    rater did not rate the unit. Both indexes are sorted unique ids.
    Raises ``ValueError`` when a rater rated the same unit twice, because
    silently keeping one of the two would hide a data bug.
    """
    unit_index, unit_codes = np.unique(np.asarray(unit_ids), return_inverse=True)
    rater_index, rater_codes = np.unique(np.asarray(rater_ids), return_inverse=True)
    cells = unit_codes.astype(np.int64) * len(rater_index) + rater_codes
    if np.unique(cells).size != cells.size:
        raise ValueError("a rater rated the same unit more than once")
    matrix = np.full((len(unit_index), len(rater_index)), np.nan)
    matrix.flat[cells] = np.asarray(values, dtype=float)
    return matrix, unit_index, rater_index


def signed_preference(winner, strength=None) -> np.ndarray:
    """Code winners ``"a"`` / ``"b"`` / ``"tie"`` as ``+s`` / ``-s`` / ``0``.

    ``strength`` (same length, positive, e.g. 1..3) gives the magnitude; left
    out, every decisive judgment counts 1, which is the nominal coding.
    """
    winner = np.asarray(winner)
    sign = np.select([winner == "a", winner == "b", winner == "tie"], [1.0, -1.0, 0.0], np.nan)
    if np.isnan(sign).any():
        raise ValueError("winner must be 'a', 'b' or 'tie'")
    magnitude = 1.0 if strength is None else np.asarray(strength, dtype=float)
    return sign * magnitude


def _category_counts(matrix, min_ratings: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Counts of each distinct value per unit, for units with ``min_ratings`` or more.

    Returns ``(counts, values)``: counts has shape (V, kept units), value-major
    so that every later step reads contiguous rows; ``values`` holds the V
    sorted distinct values.
    """
    by_rater = np.ascontiguousarray(np.asarray(matrix, dtype=float).T)  # (R, N)
    present = ~np.isnan(by_rater)
    values = np.unique(by_rater[present])
    if len(values) <= _FEW_VALUES:
        # one comparison pass per value and rater beats sorting codes for few values
        counts = np.zeros((len(values), by_rater.shape[1]))
        for row, value in enumerate(values):
            for ratings in by_rater:
                counts[row] += ratings == value
    else:
        units = by_rater.shape[1]
        cells = np.searchsorted(values, by_rater[present]) * units + np.nonzero(present)[1]
        counts = np.bincount(cells, minlength=len(values) * units)
        counts = counts.reshape(len(values), units).astype(float)
    kept = counts.sum(axis=0) >= min_ratings
    return (counts if kept.all() else counts[:, kept]), values


def _coincidences(counts) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck (V x V) from (V, U) per-unit counts."""
    weight = 1.0 / (counts.sum(axis=0) - 1.0)  # each unit's pairs share weight 1/(m_u - 1)
    return (counts * weight) @ counts.T - np.diag(counts @ weight)


def _distances(values, marginals, level: Level) -> np.ndarray:
    """Squared distance delta^2 between every pair of values (V x V)."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ordinal":
        # sum_{g=c..k} n_g - (n_c + n_k)/2 equals the difference of mid-ranks
        mid_rank = np.cumsum(marginals) - marginals / 2.0
        return np.subtract.outer(mid_rank, mid_rank) ** 2
    raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def _alpha_from_coincidences(coincidences, values, level: Level) -> float | None:
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    if total < 2:
        return None
    delta = _distances(values, marginals, level)
    expected = marginals @ delta @ marginals
    if expected <= 0:
        return None
    return float(1.0 - (total - 1.0) * np.sum(coincidences * delta) / expected)


def krippendorff_alpha(matrix, level: Level = "nominal") -> float | None:
    """Krippendorff's alpha; ``None`` when undefined.

    Undefined means: fewer than two raters, no unit with two or more ratings,
    or zero expected disagreement (only one value ever used).
    """
    return ValueCounts.of(matrix).alpha(level)


class ValueCounts:
    """How many ratings of each value every unit with two or more ratings got: what alpha (at any
    level) and percent agreement are computed from, counted once for all of them."""

    def __init__(self, counts: np.ndarray, values: np.ndarray, raters: int):
        self.counts, self.values, self.raters = counts, values, raters  # counts: (V, units)

    @classmethod
    def of(cls, matrix) -> ValueCounts:
        matrix = np.asarray(matrix, dtype=float)
        if matrix.ndim != 2:
            return cls(np.zeros((0, 0)), np.zeros(0), 0)
        return cls(*_category_counts(matrix), matrix.shape[1])

    def alpha(self, level: Level = "nominal") -> float | None:
        """``krippendorff_alpha`` of the counted matrix."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
        if self.raters < 2 or self.counts.shape[1] == 0:
            return None
        return _alpha_from_coincidences(_coincidences(self.counts), self.values, level)

    def percent(self) -> float | None:
        """``percent_agreement`` of the counted matrix."""
        counts = self.counts
        if counts.shape[1] == 0:
            return None
        per_unit = counts.sum(axis=0)
        agreeing = np.sum(counts * (counts - 1.0))
        return float(agreeing / np.sum(per_unit * (per_unit - 1.0)))


def fleiss_kappa(matrix) -> float | None:
    """Fleiss' kappa over units that have at least one rating.

    Fleiss' formula assumes every unit has the same number m >= 2 of ratings;
    when rated units differ in their number of ratings this returns ``None``
    (use Krippendorff's alpha, which handles missing ratings). Also ``None``
    when all ratings fall in one category.
    """
    counts, _ = _category_counts(matrix, min_ratings=1)
    per_unit = counts.sum(axis=0)
    if len(per_unit) == 0 or per_unit.min() != per_unit.max() or per_unit[0] < 2:
        return None
    m = float(per_unit[0])
    shares = counts.sum(axis=1) / counts.sum()
    chance = float(shares @ shares)
    if chance >= 1.0:
        return None
    observed = float(np.mean((np.sum(counts**2, axis=0) - m) / (m * (m - 1.0))))
    return (observed - chance) / (1.0 - chance)


def percent_agreement(matrix) -> float | None:
    """Share of agreeing rater pairs, pooled over all pairs within units with 2+ ratings.

    With the same number of ratings on every unit this equals the mean of the
    per-unit shares (Fleiss' P-bar). ``None`` when no unit has two ratings.
    """
    return ValueCounts.of(matrix).percent()


# --- mean Cohen's kappa and the bootstrap interval for alpha, from rating rows -----------------


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
    if len(grouped) == 0:
        return order, np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
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
            grouped = column[rows]  # gathered once for both sides
            lefts.append(grouped[:, left].ravel())
            rights.append(grouped[:, right].ravel())
    empty = np.zeros(0, np.int64)
    return [(_joined(lefts, empty), _joined(rights, empty)) for lefts, rights in out]


def _joined(parts: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
    """The parts end to end; a single part itself (no copy)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else empty


def _matrix_rows(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(unit, rater, value)`` rows of a units x raters matrix's ratings."""
    matrix = np.asarray(matrix, dtype=float)
    unit, rater = np.nonzero(~np.isnan(matrix))
    return unit, rater, matrix[unit, rater]


def cohen_kappa_mean(matrix) -> float | None:
    """Mean Cohen's kappa over rater pairs that rated at least one unit in common, each pair
    weighted by the units it shares.

    The matrix form of ``cohen_kappa_mean_rows``.
    """
    return cohen_kappa_mean_rows(*_matrix_rows(matrix))


def cohen_kappa_mean_rows(unit, rater, value) -> float | None:
    """Mean Cohen's kappa over rater pairs that rated a unit in common, each pair weighted by
    the number of units it shares.

    Weighted because an unweighted mean (Light's kappa) lets a pair that shares two units,
    whose kappa is noise, move the figure as much as a pair that shares two hundred: two
    judgments by a newcomer moved a project's figure from 0.937 to 0.962. Rows are ratings; a rater rates a unit at most once. Every pair of ratings that share a
    unit is counted into its rater pair's confusion matrix by one ``bincount``, then every
    pair's kappa is computed at once: no loop over rater pairs, no units x raters matrix.
    Pairs whose kappa is undefined (chance agreement 1: both gave one and the same answer
    throughout) are left out of the mean; ``None`` when no pair is left.
    """
    _, value_code = _dense_codes(value)
    _, rater_code = _dense_codes(rater)
    _, unit = _dense_codes(unit)
    size = int(value_code.max()) + 1 if len(value_code) else 1
    # a rating as one code, rater-major: half the arrays to pair, and a pair's lower code is its
    # lower rater's rating (kappa is symmetric: each pair is counted one way round)
    ((left, right),) = _pairs_within_units(unit, rater_code * size + value_code)
    if len(left) == 0:
        return None
    rater_l, code_l = np.divmod(np.minimum(left, right), size)
    rater_r, code_r = np.divmod(np.maximum(left, right), size)
    _, pair = _dense_codes(rater_l * (int(rater_code.max()) + 1) + rater_r)
    pairs = int(pair.max()) + 1
    confusion = np.bincount((pair * size + code_l) * size + code_r, minlength=pairs * size * size)
    confusion = confusion.reshape(pairs, size, size).astype(float)
    shared = confusion.sum(axis=(1, 2))
    confusion /= shared[:, None, None]
    chance = np.einsum("pv,pv->p", confusion.sum(axis=2), confusion.sum(axis=1))
    observed = np.trace(confusion, axis1=1, axis2=2)
    defined = chance < 1.0
    if not defined.any():
        return None
    kappas = (observed[defined] - chance[defined]) / (1.0 - chance[defined])
    return float(np.average(kappas, weights=shared[defined]))


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


def bootstrap_alpha_ci(matrix, level: Level = "nominal", n_boot: int = 1000,
                       seed: int | np.random.Generator | None = None,
                       ci: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval for Krippendorff's alpha, resampling units with replacement.

    The matrix form of ``bootstrap_alpha_ci_rows``.
    """
    unit, _, value = _matrix_rows(matrix)
    return bootstrap_alpha_ci_rows(unit, value, level, n_boot, seed, ci)


def bootstrap_alpha_ci_rows(unit, value, level: Level = "nominal", n_boot: int = 1000,
                            seed: int | np.random.Generator | None = None,
                            ci: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval for Krippendorff's alpha, resampling units with replacement.

    ``unit`` and ``value`` have one entry per rating. Each replicate draws as many units
    as there are units with two or more ratings. Alpha is a function of the coincidence
    matrix, a sum over units, and units showing the same counts of each value contribute
    the same coincidences; so a replicate is a multinomial draw over the distinct count
    patterns (probabilities: their shares), which is the same resampling as a draw over
    units with a few dozen categories instead of hundreds of thousands. Replicates with
    undefined alpha are dropped; ``None`` when alpha itself is undefined.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    counts, values = _unit_counts(unit, value)
    if len(counts) == 0 or len(values) < 2:
        return None
    coincidences, shares = _pattern_coincidences(counts)  # (P, V*V), (P,)
    size = len(values)
    if _alpha_from_coincidences((shares @ coincidences).reshape(size, size), values, level) is None:
        return None
    rng = np.random.default_rng(seed)
    units, probabilities = int(shares.sum()), shares / shares.sum()
    chunk = max(1, 2_000_000 // len(shares))  # keep the (chunk, P) multiplicities small
    alphas = []
    for start in range(0, n_boot, chunk):
        draws = rng.multinomial(units, probabilities, size=min(chunk, n_boot - start))  # (b, P)
        replicates = (draws @ coincidences).reshape(len(draws), size, size)
        alphas += [_alpha_from_coincidences(c, values, level) for c in replicates]
    alphas = np.array([a for a in alphas if a is not None])
    if len(alphas) == 0:
        return None
    tail = (1.0 - ci) / 2.0 * 100.0
    low, high = np.percentile(alphas, [tail, 100.0 - tail])
    return float(low), float(high)
