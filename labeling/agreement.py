"""Inter-annotator agreement on an items x raters matrix.

Input convention (every function here): a float array of shape (items, raters)
where ``np.nan`` marks a missing rating. Values are category codes (nominal),
ordered codes (ordinal) or numbers (interval). ``rating_matrix`` builds such a
matrix from judgment rows.

Pairwise preferences are coded in one of two ways:

* nominal: winner as a category, for example ``a = 1``, ``tie = 0``, ``b = -1``
  (``signed_preference`` without strength). The tie is a category of its own,
  as distant from "a" as "b" is.
* ordinal / interval: a signed score, ``+strength`` when A wins, ``-strength``
  when B wins and ``0`` for a tie (for example -3..+3), so the tie sits at the
  midpoint of the scale.

Figures that are undefined (one rater, no item with two or more ratings, no
expected disagreement because everyone used one category) are returned as
``None``, never as a made-up number.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval"]
LEVELS = ("nominal", "ordinal", "interval")
_FEW_VALUES = 16


def rating_matrix(item_ids, rater_ids, values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn judgment rows into an items x raters matrix.

    Returns ``(matrix, item_index, rater_index)``: ``matrix[i, r]`` is the value
    rater ``rater_index[r]`` gave item ``item_index[i]``, ``np.nan`` where the
    rater did not rate the item. Both indexes are sorted unique ids.
    Raises ``ValueError`` when a rater rated the same item twice, because
    silently keeping one of the two would hide a data bug.
    """
    item_index, item_codes = np.unique(np.asarray(item_ids), return_inverse=True)
    rater_index, rater_codes = np.unique(np.asarray(rater_ids), return_inverse=True)
    cells = item_codes.astype(np.int64) * len(rater_index) + rater_codes
    if np.unique(cells).size != cells.size:
        raise ValueError("a rater rated the same item more than once")
    matrix = np.full((len(item_index), len(rater_index)), np.nan)
    matrix.flat[cells] = np.asarray(values, dtype=float)
    return matrix, item_index, rater_index


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
    """Counts of each distinct value per item, for items with ``min_ratings`` or more.

    Returns ``(counts, values)``: counts has shape (V, kept items), value-major
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
        items = by_rater.shape[1]
        cells = np.searchsorted(values, by_rater[present]) * items + np.nonzero(present)[1]
        counts = np.bincount(cells, minlength=len(values) * items)
        counts = counts.reshape(len(values), items).astype(float)
    kept = counts.sum(axis=0) >= min_ratings
    return (counts if kept.all() else counts[:, kept]), values


def _coincidences(counts) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck (V x V) from (V, U) per-item counts."""
    weight = 1.0 / (counts.sum(axis=0) - 1.0)  # each item's pairs share weight 1/(m_u - 1)
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

    Undefined means: fewer than two raters, no item with two or more ratings,
    or zero expected disagreement (only one value ever used).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        return None
    counts, values = _category_counts(matrix)
    if counts.shape[1] == 0:
        return None
    return _alpha_from_coincidences(_coincidences(counts), values, level)


def fleiss_kappa(matrix) -> float | None:
    """Fleiss' kappa over items that have at least one rating.

    Fleiss' formula assumes every item has the same number m >= 2 of ratings;
    when rated items differ in their number of ratings this returns ``None``
    (use Krippendorff's alpha, which handles missing ratings). Also ``None``
    when all ratings fall in one category.
    """
    counts, _ = _category_counts(matrix, min_ratings=1)
    per_item = counts.sum(axis=0)
    if len(per_item) == 0 or per_item.min() != per_item.max() or per_item[0] < 2:
        return None
    m = float(per_item[0])
    shares = counts.sum(axis=1) / counts.sum()
    chance = float(shares @ shares)
    if chance >= 1.0:
        return None
    observed = float(np.mean((np.sum(counts**2, axis=0) - m) / (m * (m - 1.0))))
    return (observed - chance) / (1.0 - chance)


def _cohen_kappa(left, right, size: int) -> float | None:
    """Cohen's kappa of two aligned code arrays; ``None`` if chance agreement is 1."""
    confusion = np.bincount(left * size + right, minlength=size * size).reshape(size, size)
    confusion = confusion / confusion.sum()
    chance = float(confusion.sum(axis=1) @ confusion.sum(axis=0))
    if chance >= 1.0:
        return None
    return (float(np.trace(confusion)) - chance) / (1.0 - chance)


def cohen_kappa_mean(matrix) -> float | None:
    """Mean Cohen's kappa over rater pairs that rated at least one item in common.

    Pairs whose kappa is undefined (both raters used one and the same
    category throughout) are left out of the mean. ``None`` when no pair is left.
    """
    matrix = np.asarray(matrix, dtype=float)
    present = ~np.isnan(matrix)
    values = np.unique(matrix[present])
    codes = np.searchsorted(values, np.where(present, matrix, values[0] if len(values) else 0))
    kappas = []
    # a loop over rater pairs, each step vectorised over items: the dense
    # matrix already bounds the number of raters
    for left in range(matrix.shape[1]):
        for right in range(left + 1, matrix.shape[1]):
            both = present[:, left] & present[:, right]
            if both.any():
                kappas.append(_cohen_kappa(codes[both, left], codes[both, right], len(values)))
    kappas = [kappa for kappa in kappas if kappa is not None]
    return float(np.mean(kappas)) if kappas else None


def percent_agreement(matrix) -> float | None:
    """Share of agreeing rater pairs, pooled over all pairs within items with 2+ ratings.

    With the same number of ratings on every item this equals the mean of the
    per-item shares (Fleiss' P-bar). ``None`` when no item has two ratings.
    """
    counts, _ = _category_counts(matrix)
    if counts.shape[1] == 0:
        return None
    per_item = counts.sum(axis=0)
    agreeing = np.sum(counts * (counts - 1.0))
    return float(agreeing / np.sum(per_item * (per_item - 1.0)))


def bootstrap_alpha_ci(
    matrix,
    level: Level = "nominal",
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = None,
    ci: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile interval for Krippendorff's alpha, resampling items with replacement.

    Each replicate draws as many items as there are items with 2+ ratings.
    Because alpha is a function of the coincidence matrix, which is a sum over
    items, a replicate is a weighted sum of per-item coincidence matrices with
    multinomial item multiplicities: no matrix is rebuilt. Replicates with
    undefined alpha are dropped; ``None`` when alpha itself is undefined.
    """
    if krippendorff_alpha(matrix, level) is None:
        return None
    rng = np.random.default_rng(seed)
    counts, values = _category_counts(matrix)
    by_item = counts.T  # (U, V)
    units, size = by_item.shape
    weight = 1.0 / (by_item.sum(axis=1) - 1.0)
    per_item = by_item[:, :, None] * by_item[:, None, :] - by_item[:, :, None] * np.eye(size)
    per_item = (per_item * weight[:, None, None]).reshape(units, size * size)  # (U, V*V)
    alphas = []
    chunk = max(1, 2_000_000 // units)  # keep the (chunk, U) multiplicities small
    for start in range(0, n_boot, chunk):
        draws = min(chunk, n_boot - start)
        multiplicity = rng.multinomial(units, np.full(units, 1.0 / units), draws)
        for flat in multiplicity @ per_item:
            alphas.append(_alpha_from_coincidences(flat.reshape(size, size), values, level))
    alphas = np.array([a for a in alphas if a is not None])
    if len(alphas) == 0:
        return None
    tail = (1.0 - ci) / 2.0 * 100.0
    low, high = np.percentile(alphas, [tail, 100.0 - tail])
    return float(low), float(high)
