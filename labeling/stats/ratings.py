"""Model ratings from pairwise judgments, the Chatbot Arena way.

Two steps: ``pairwise_arrays`` turns judgment rows into counted unique
(model A, model B, outcome, weight) cells; the fitting functions work on those
cells. Outcome is 1 when A wins, 0.5 for a tie, 0 when B wins; a tie counts as
half a win each way.

Ratings are on the Elo scale: P(A beats B) = 1 / (1 + base ** ((R_B - R_A) / scale)),
R = scale * theta + 1000, shifted so the ratings average ``anchor_rating`` or,
with ``anchor``, so that model has ``anchor_rating``. Bradley-Terry is the
published leaderboard (it does not depend on judgment order); online Elo
depends on order and is shown beside it.

References: Chiang et al., "Chatbot Arena" (arXiv:2403.04132), section 4 and
its notebook; Li et al., "From Crowdsourced Data to High-Quality Benchmarks:
Arena-Hard" (arXiv:2406.11939) for strength weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit

OUTCOMES = (0.0, 0.5, 1.0)
# tight enough that ratings are accurate to ~1e-5 points; the loss's rounding is the limit
_LBFGS_OPTIONS = {"gtol": 1e-10, "ftol": 1e-15, "maxiter": 1000}


@dataclass(frozen=True)
class Matchups:
    """Unique (a, b, outcome, weight) cells with how many judgments fell in each.

    ``a`` and ``b`` index into ``models``; all cell arrays have shape (K,).
    """

    models: np.ndarray
    a: np.ndarray
    b: np.ndarray
    outcome: np.ndarray
    weight: np.ndarray
    count: np.ndarray
    # (N, K): how many of each cell's judgments each of N comparisons holds, where the rows came
    # with ``cluster`` (the leaderboard's bootstrap resamples comparisons, not judgments).
    clusters: sp.csr_matrix | None = None

    def appearances(self) -> np.ndarray:
        """Number of judgments each model appears in, shape (M,)."""
        size = len(self.models)
        return np.bincount(self.a, self.count, size) + np.bincount(self.b, self.count, size)


def _encode_models(model_a, model_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct model ids and each row's index into them."""
    model_a, model_b = np.asarray(model_a), np.asarray(model_b)
    models, codes = dense_codes(np.concatenate([model_a, model_b]))
    return models, codes[: len(model_a)], codes[len(model_a):]


def dense_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's index into them."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * len(values):
            # integer ids (database keys): a lookup table is O(n), no sort
            present = np.bincount(values - low, minlength=high - low + 1) > 0
            lookup = np.cumsum(present) - 1
            return np.flatnonzero(present) + low, lookup[values - low]
    # unique without return_inverse + searchsorted is ~4x faster on 1M strings
    distinct = np.unique(values)
    return distinct, np.searchsorted(distinct, values)


def _count_keys(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys in [0, size) and their counts; bincount when the key space is small."""
    if size <= max(4 * len(key), 1 << 20):
        counts = np.bincount(key, minlength=size)
        keys = np.flatnonzero(counts)
        return keys, counts[keys]
    return np.unique(key, return_counts=True)


def _checked_outcome(outcome, rows: int) -> np.ndarray:
    outcome = np.asarray(outcome, dtype=float)
    if outcome.shape != (rows,) or not np.isin(outcome, OUTCOMES).all():
        raise ValueError("outcome must be 1 (A wins), 0.5 (tie) or 0 (B wins), one per row")
    return outcome


def pairwise_arrays(model_a, model_b, outcome, weight=None, cluster=None) -> Matchups:
    """Count judgment rows into unique (a, b, outcome, weight) cells.

    ``outcome`` per row: 1 (A wins), 0.5 (tie), 0 (B wins). ``weight`` per row
    (default 1) is the preference strength, e.g. 3 for "much better" as in
    Arena-Hard. ``cluster`` per row (optional) names the comparison it came from.
    Rows with the same model on both sides are rejected.
    """
    models, a, b = _encode_models(model_a, model_b)
    if a.shape != b.shape:
        raise ValueError("model_a and model_b must have one entry per row")
    outcome = _checked_outcome(outcome, len(a))
    if np.any(a == b):
        raise ValueError("a model cannot be compared with itself")
    outcome_code = (outcome * 2).astype(np.int64)  # 0, 1, 2
    weights, weight_code = np.array([1.0]), np.zeros(len(a), dtype=np.int64)
    if weight is not None:
        weights, weight_code = np.unique(np.asarray(weight, dtype=float), return_inverse=True)
        if weights[0] <= 0 or weight_code.shape != a.shape:
            raise ValueError("weight must be positive, one per row")
    n_models, n_weights = len(models), len(weights)
    key = ((a * n_models + b) * 3 + outcome_code) * n_weights + weight_code
    keys, counts = _count_keys(key, n_models * n_models * 3 * n_weights)
    pair, rest = np.divmod(keys, 3 * n_weights)
    return Matchups(
        models=models,
        a=pair // n_models,
        b=pair % n_models,
        outcome=(rest // n_weights) / 2.0,
        weight=weights[rest % n_weights],
        count=counts.astype(float),
        clusters=None if cluster is None else _cluster_cells(cluster, _index_in(keys, key), len(keys)),
    )


def _index_in(keys: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Where each of ``key`` is in the sorted ``keys``: a lookup table where the keys are few."""
    if len(keys) and keys[-1] <= 4 * len(key):
        table = np.empty(int(keys[-1]) + 1, dtype=np.int64)
        table[keys] = np.arange(len(keys))
        return table[key]
    return np.searchsorted(keys, key)


def _cluster_cells(cluster, cell_of_row, cells: int) -> sp.csr_matrix:
    distinct, code = dense_codes(cluster)
    if code.shape != cell_of_row.shape:
        raise ValueError("cluster must have one entry per row")
    return sp.csr_matrix((np.ones(len(code)), (code, cell_of_row)), shape=(len(distinct), cells))


@dataclass(frozen=True)
class PairDesign:
    """Cells folded onto unordered model pairs (``_pair_design``)."""

    class_counts: np.ndarray  # (C,) judgments per class
    win_map: sp.csr_matrix  # (C, P): class counts to each pair's points of its low model
    game_map: sp.csr_matrix  # (C, P): class counts to each pair's weighted games
    incidence: sp.csr_matrix  # (P, M): +1 low model, -1 high model
    low: np.ndarray  # (P,) each pair's models
    high: np.ndarray
    class_of_cell: np.ndarray  # (K,)


def _pair_design(matchups: Matchups) -> PairDesign:
    """Fold cells onto unordered model pairs for fitting.

    A pair's likelihood only needs the points its lower-index model scored and
    the games played, so cells that differ only in which model was A but score the same
    are merged into one class; resampling classes is the same bootstrap as
    resampling cells, with half as many categories.
    """
    size = len(matchups.models)
    low, high = np.minimum(matchups.a, matchups.b), np.maximum(matchups.a, matchups.b)
    pairs, pair_of_cell = np.unique(low * size + high, return_inverse=True)
    points = matchups.weight * np.where(matchups.a == low, matchups.outcome, 1.0 - matchups.outcome)
    classes, class_of_cell = np.unique(np.column_stack([pair_of_cell, points, matchups.weight]),
                                       axis=0, return_inverse=True)
    class_counts = np.bincount(class_of_cell.ravel(), matchups.count)
    where = (np.arange(len(classes)), classes[:, 0].astype(np.int64))
    shape = (len(classes), len(pairs))
    win_map = sp.csr_matrix((classes[:, 1], where), shape=shape)
    game_map = sp.csr_matrix((classes[:, 2], where), shape=shape)
    rows = np.repeat(np.arange(len(pairs)), 2)
    cols = np.column_stack([pairs // size, pairs % size]).ravel()
    signs = np.tile([1.0, -1.0], len(pairs))
    incidence = sp.csr_matrix((signs, (rows, cols)), shape=(len(pairs), size))
    return PairDesign(class_counts, win_map, game_map, incidence, pairs // size, pairs % size, class_of_cell.ravel())


def _fit_theta(wins, totals, incidence, log_base: float, l2: float, theta0) -> np.ndarray:
    """Maximum-likelihood strengths for one or a batch of fits.

    ``wins`` and ``totals`` have shape (B, P): weighted points of each pair's
    first model and weighted games, in each of B independent fits. The fits
    share one L-BFGS run (one Python loop instead of B); their objectives are
    separate, so each reaches its own optimum.
    Returns theta of shape (B, M) in log-``base`` units, centred to mean 0.
    """
    batch, size = wins.shape[0], incidence.shape[1]
    norm = totals.sum(axis=1, keepdims=True)  # per-fit mean loss keeps gradients O(1)
    norm = np.where(norm > 0, norm, 1.0)  # a fit with no games (a bootstrap round rating one model) stays put
    wins, totals = wins / norm, totals / norm

    def loss_and_grad(flat):
        theta = flat.reshape(batch, size)
        z = log_base * (incidence @ theta.T).T  # (B, P)
        # -[w log s(z) + (t - w) log s(-z)] = t softplus(z) - w z
        loss = np.sum(totals * np.logaddexp(0.0, z) - wins * z) + l2 * np.sum(theta**2)
        dz = totals * expit(z) - wins
        grad = log_base * (incidence.T @ dz.T).T + 2.0 * l2 * theta
        return loss, grad.ravel()

    result = minimize(loss_and_grad, np.ravel(theta0), jac=True, method="L-BFGS-B",
                      options=_LBFGS_OPTIONS)
    theta = result.x.reshape(batch, size)
    return theta - theta.mean(axis=1, keepdims=True)


def _to_ratings(theta, models, anchor, anchor_rating: float, scale: float) -> np.ndarray:
    ratings = scale * theta  # theta is centred, so these average 0
    if anchor is None:
        return ratings + anchor_rating
    where = np.flatnonzero(models == anchor)
    if len(where) == 0:
        raise ValueError(f"anchor {anchor!r} is not among the rated models")
    return ratings + (anchor_rating - ratings[..., where[0]][..., None])


def _pair_totals(win_map, game_map, class_counts) -> tuple[np.ndarray, np.ndarray]:
    """Weighted points of each pair's low model and weighted games, from (B, C) class counts."""
    return (win_map.T @ class_counts.T).T, (game_map.T @ class_counts.T).T  # (B, P) each


def bradley_terry(matchups: Matchups, *, anchor=None, anchor_rating: float = 1000.0,
                  scale: float = 400.0, base: float = 10.0, l2: float = 0.0) -> np.ndarray:
    """Bradley-Terry ratings, shape (M,), aligned with ``matchups.models``.

    Maximum likelihood by L-BFGS with the analytic gradient. The MLE does not
    exist for a model that never lost or never won (its rating runs off to
    infinity and the returned value is where L-BFGS stopped) nor across
    disconnected groups of models; ``l2`` (a ridge on theta) makes it finite.
    """
    design = _pair_design(matchups)
    wins, totals = _pair_totals(design.win_map, design.game_map, design.class_counts[None, :])
    theta0 = np.zeros((1, len(matchups.models)))
    theta = _fit_theta(wins, totals, design.incidence, math.log(base), l2, theta0)
    return _to_ratings(theta[0], matchups.models, anchor, anchor_rating, scale)


def online_elo(model_a, model_b, outcome, k: float = 4.0, start: float = 1000.0,
               base: float = 10.0, scale: float = 400.0) -> list[dict]:
    """Online Elo in the given row order; rows ``model, rating, n``, best first.

    Each judgment moves both ratings by ``k * (score - expected)``. The result
    depends on order, so pass judgments in the order they were made.
    """
    models, a, b = _encode_models(model_a, model_b)
    outcome = _checked_outcome(outcome, len(a))
    rating = [start] * len(models)
    slope, exp = math.log(base) / scale, math.exp  # base ** (x / scale) == exp(slope * x)
    # a Python loop over Python floats: every update depends on the previous one
    for i, j, score in zip(a.tolist(), b.tolist(), outcome.tolist(), strict=True):
        step = k * (score - 1.0 / (1.0 + exp(slope * (rating[j] - rating[i]))))
        rating[i] += step
        rating[j] -= step
    size = len(models)
    appearances = np.bincount(a, minlength=size) + np.bincount(b, minlength=size)
    order = np.argsort(-np.array(rating), kind="stable")
    return [{"model": models[i].item(), "rating": rating[i], "n": int(appearances[i])}
            for i in order]


def win_rate_matrix(matchups: Matchups) -> np.ndarray:
    """(M, M) share of weighted points row model scored against column model.

    Both orders (A vs B, B vs A) count and a tie is half a point each; NaN where two models
    never met (including the diagonal).
    """
    size = len(matchups.models)
    mass = matchups.count * matchups.weight
    points = np.zeros((size, size))
    games = np.zeros((size, size))
    np.add.at(points, (matchups.a, matchups.b), mass * matchups.outcome)
    np.add.at(points, (matchups.b, matchups.a), mass * (1.0 - matchups.outcome))
    np.add.at(games, (matchups.a, matchups.b), mass)
    games = games + games.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(games > 0, points / games, np.nan)


def length_controlled_bradley_terry(model_a, model_b, outcome, length_a, length_b,
                                    weight=None, *, anchor=None,
                                    anchor_rating: float = 1000.0, scale: float = 400.0,
                                    base: float = 10.0) -> dict:
    """Bradley-Terry with a response-length covariate fitted jointly.

    P(A wins) = sigmoid(ln(base) * (theta_A - theta_B) + beta * d) with
    d = (len_A - len_B) / (len_A + len_B), as in Chatbot Arena's style
    control. The ratings are what remains once length is accounted for.
    Returns ``{"rows": [{model, rating, n}, ...] best first,
    "length_coef": beta}``; beta is in natural log-odds per unit of d.
    """
    models, a, b = _encode_models(model_a, model_b)
    outcome = _checked_outcome(outcome, len(a))
    length_a, length_b = np.asarray(length_a, float), np.asarray(length_b, float)
    diff = np.divide(length_a - length_b, length_a + length_b,
                     out=np.zeros(len(a)), where=(length_a + length_b) > 0)
    counts = np.ones(len(a)) if weight is None else np.asarray(weight, dtype=float)
    weight = counts / counts.sum()
    size, log_base = len(models), math.log(base)

    def loss_and_grad(params):
        theta, beta = params[:size], params[size]
        z = log_base * (theta[a] - theta[b]) + beta * diff
        loss = np.sum(weight * (np.logaddexp(0.0, z) - outcome * z))
        dz = weight * (expit(z) - outcome)
        grad_theta = log_base * (np.bincount(a, dz, size) - np.bincount(b, dz, size))
        return loss, np.append(grad_theta, dz @ diff)

    result = minimize(loss_and_grad, np.zeros(size + 1), jac=True, method="L-BFGS-B",
                      options=_LBFGS_OPTIONS)
    theta = result.x[:size] - result.x[:size].mean()
    ratings = _to_ratings(theta, models, anchor, anchor_rating, scale)
    # n: the rows each model appears in, a row counting as the many it stands for (``weight``)
    appearances = np.bincount(a, counts, minlength=size) + np.bincount(b, counts, minlength=size)
    rows = [{"model": models[i].item(), "rating": float(ratings[i]), "n": round(float(appearances[i]))}
            for i in np.argsort(-ratings, kind="stable")]
    beta = float(result.x[size])
    se = _length_coef_se(a, b, diff, counts, log_base * (result.x[a] - result.x[b]) + beta * diff, log_base, size)
    return {"rows": rows, "length_coef": beta, "length_coef_se": se}


def _length_coef_se(a, b, diff, counts, z, log_base: float, size: int) -> float | None:
    """The length coefficient's standard error from the observed information (the logistic
    loss's Hessian, one model held fixed for the ratings' shift), or None where the data cannot
    tell length from the models: each model's responses all longer or all shorter, or outcomes
    that length alone separates (the coefficient then runs off, and its information to 0)."""
    w = counts * expit(z) * expit(-z)  # each row's information, as many rows as it stands for
    pair = np.bincount(a * size + b, w, size * size).reshape(size, size)
    information = np.empty((size + 1, size + 1))
    information[:size, :size] = log_base**2 * (np.diag(pair.sum(axis=0) + pair.sum(axis=1)) - pair - pair.T)
    information[:size, size] = information[size, :size] = log_base * (np.bincount(a, w * diff, size) - np.bincount(b, w * diff, size))
    information[size, size] = np.sum(w * diff**2)
    information = information[1:, 1:]  # model 0 held fixed: the ratings' shift is not a parameter
    if np.linalg.cond(information) > 1e12:
        return None
    variance = np.linalg.inv(information)[-1, -1]
    return float(math.sqrt(variance)) if variance > 0 and math.isfinite(variance) else None


def ranking_to_pairs(rankings, levels=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand best-first rankings into pairwise rows where the earlier model wins.

    A ranking of L models gives its L(L-1)/2 pairs. Returns
    ``(model_a, model_b, outcome, ranking_index)``: outcome is 1.0, or 0.5 (a tie) for a pair
    ranked equal: ``levels`` (None: no ties) holds each ranking's ranks, entry by entry, equal
    for tied entries (``labeling.rankings.ranking_levels``); and
    ``ranking_index`` says which ranking each pair came from (for weighting or
    resampling by judgment). Rankings are grouped by length, so the loop runs
    once per distinct length, not once per ranking.
    """
    lengths = np.array([len(ranking) for ranking in rankings], dtype=np.int64)
    parts_a, parts_b, parts_tied, parts_index = [], [], [], []
    for length in np.unique(lengths[lengths >= 2]):
        index = np.flatnonzero(lengths == length)
        block = np.array([rankings[i] for i in index])  # (R_L, L)
        rank = np.array([levels[i] for i in index]) if levels is not None else np.broadcast_to(np.arange(length), block.shape)
        first, second = np.triu_indices(length, k=1)
        parts_a.append(block[:, first].ravel())
        parts_b.append(block[:, second].ravel())
        parts_tied.append((rank[:, first] == rank[:, second]).ravel())
        parts_index.append(np.repeat(index, len(first)))
    if not parts_a:
        empty = np.array([])
        return empty, empty, empty, np.array([], dtype=np.int64)
    model_a, model_b = np.concatenate(parts_a), np.concatenate(parts_b)
    outcome = np.where(np.concatenate(parts_tied), 0.5, 1.0)
    return model_a, model_b, outcome, np.concatenate(parts_index)
