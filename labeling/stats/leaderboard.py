"""The leaderboard: Bradley-Terry ratings with bootstrap intervals, for the models the data can rate.

Which models get a rating. The maximum-likelihood fit exists only where the models are strongly
connected by results: however they are split into two groups, each group scored (a win or a
tie) against the other (Zermelo 1929; Hunter 2004, "MM algorithms for generalized Bradley-Terry
models", Assumption 1). A model that never won runs off to minus infinity: its rating was
wherever the optimiser stopped, with a zero-width interval (every resample has it never winning
too), and every other rating moved with it through the mean. So the models are split into
strongly connected groups; the largest, by judgments, is rated (the same fit as before where
there is one group), and every other model is reported unrated, ``above`` the rated ones (it
never lost to them), ``below`` (never won against them) or ``apart`` (no result connects them).

Intervals. A bootstrap round resamples comparisons, each with all its judgments (or all the pairs
of its rankings), when the cells carry them (``Matchups.clusters``; a Poisson bootstrap, ``_draws``): the judgments of one
comparison share its responses and prompt, and resampling them one by one made the intervals
too narrow where several people judge each comparison. A round in which a rated model falls out
of the round's own largest group gives it an unbounded value for that round (so an interval end
may be null: no limit); each round is aligned with the full fit on the models both rate.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from labeling.stats.ratings import Matchups, PairDesign, _fit_theta, _pair_design, _pair_totals

ABOVE, BELOW, APART = "above", "below", "apart"


def rated_group(design: PairDesign, wins: np.ndarray, totals: np.ndarray, size: int) -> tuple[np.ndarray, list]:
    """The models the fit can rate (a mask, shape (M,)) and, for each, None or where it stands
    against them: ``ABOVE``, ``BELOW`` or ``APART``. ``wins``/``totals``: (P,) pair totals."""
    low, high = design.low, design.high
    scored_low, scored_high = wins > 0, (totals - wins) > 0  # an edge i -> j: i scored against j
    source = np.concatenate([low[scored_low], high[scored_high]])
    target = np.concatenate([high[scored_low], low[scored_high]])
    graph = sp.csr_matrix((np.ones(len(source)), (source, target)), shape=(size, size))
    groups, label = connected_components(graph, directed=True, connection="strong")
    played = np.bincount(low, totals, size) + np.bincount(high, totals, size)
    rated = label == np.argmax(np.bincount(label, played, groups))
    if groups == 1:
        return rated, [None] * size
    start = int(np.flatnonzero(rated)[0])
    below = _reached(graph, start, size)  # the rated ones scored against them, never the reverse
    above = _reached(graph.T.tocsr(), start, size)
    sides = [None if rated[m] else BELOW if below[m] else ABOVE if above[m] else APART for m in range(size)]
    return rated, sides


def rated_models(matchups: Matchups) -> np.ndarray:
    """The models a Bradley-Terry fit of ``matchups`` can rate, as a mask over ``matchups.models``."""
    design = _pair_design(matchups)
    wins, totals = _pair_totals(design.win_map, design.game_map, design.class_counts[None, :])
    return rated_group(design, wins[0], totals[0], len(matchups.models))[0]


def _reached(graph: sp.csr_matrix, start: int, size: int) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[breadth_first_order(graph, start, directed=True, return_predecessors=False)] = True
    return mask


def bradley_terry_bootstrap(matchups: Matchups, *, n_boot: int = 100, seed=None, ci: float = 0.95,
                            mean_rating: float = 1000.0, scale: float = 400.0, base: float = 10.0) -> list[dict]:
    """Leaderboard rows with percentile intervals from ``n_boot`` bootstrap refits.

    Every round is refitted, starting from the full-data optimum; ``rating`` is the full-data
    estimate, centred so the rated models average ``mean_rating``.
    ``rank`` is 1 + the number of models clearly above: whose ``ci_low`` is above this model's
    ``ci_high``, and the unrated models above them all. Rows: ``model, rating, ci_low, ci_high,
    rank, n, unrated`` (None, or ABOVE / BELOW / APART with rating, interval and, apart, rank
    None), best first.
    """
    rng, size, log_base = np.random.default_rng(seed), len(matchups.models), math.log(base)
    design = _pair_design(matchups)
    wins, totals = _pair_totals(design.win_map, design.game_map, design.class_counts[None, :])
    rated, sides = rated_group(design, wins[0], totals[0], size)
    keep = rated[design.low] & rated[design.high]
    theta = _fit_theta(wins * keep, totals * keep, design.incidence, log_base, 0.0, np.zeros((1, size)))[0]
    theta -= theta[rated].mean()

    boot_wins, boot_totals = _pair_totals(design.win_map, design.game_map, _draws(matchups, design, rng, n_boot))
    boot_wins, boot_totals = boot_wins * keep, boot_totals * keep
    # A round whose results link the same pairs both ways as the full data's has its groups;
    # only a round that lost a link (a model's only win left out) needs them worked out.
    linked = (wins[0] * keep > 0, (totals[0] - wins[0]) * keep > 0)
    same = ((boot_wins > 0) == linked[0]).all(axis=1) & (((boot_totals - boot_wins) > 0) == linked[1]).all(axis=1)
    whole = (rated, [None] * size)
    rounds = [whole if same[b] else rated_group(design, boot_wins[b], boot_totals[b], size) for b in range(n_boot)]
    in_round = np.array([group & rated for group, _ in rounds])  # (B, M)
    round_keep = in_round[:, design.low] & in_round[:, design.high]
    boot = _fit_theta(boot_wins * round_keep, boot_totals * round_keep, design.incidence, log_base, 0.0,
                      np.repeat(theta[None, :], n_boot, axis=0))
    counted = in_round.sum(axis=1)
    boot += ((theta[None, :] - boot) * in_round).sum(axis=1, keepdims=True) / counted[:, None]  # aligned
    for b, (_, round_sides) in enumerate(rounds):
        for m in np.flatnonzero(rated & ~in_round[b]):
            boot[b, m] = {ABOVE: np.inf, BELOW: -np.inf}.get(round_sides[m], np.nan)

    ratings, boot = mean_rating + scale * theta, mean_rating + scale * boot
    low, high = _percentile_interval(boot, ci)
    return _leaderboard_rows(matchups, ratings, low, high, rated, sides)


def _draws(matchups: Matchups, design: PairDesign, rng, n_boot: int) -> np.ndarray:
    """(B, C) class counts of ``n_boot`` Poisson bootstrap rounds (each comparison, with all its
    judgments, drawn a Poisson(1) number of times; Hanley & MacGibbon 2006), or of judgments
    where the cells carry no comparisons.

    Comparisons holding the same judgments (the same class counts) are interchangeable, so a
    round draws each kind's total, Poisson(comparisons of that kind), and there are few kinds (a
    model pair and a few verdicts each): hundreds of thousands of comparisons resample as fast as
    the judgments' classes. (A multinomial draw of exactly n comparisons, the classic bootstrap,
    costs a binomial draw per kind and per round: four times as long, for the same intervals.)"""
    if matchups.clusters is None:
        kinds, counts = sp.identity(len(design.class_counts), format="csr"), design.class_counts
    else:
        kinds, counts = _comparison_kinds(matchups.clusters, design)
    picks = rng.poisson(counts, size=(n_boot, len(counts))).astype(float)  # (B, kinds)
    return np.asarray((kinds.T @ picks.T).T)


def _comparison_kinds(clusters: sp.csr_matrix, design: PairDesign) -> tuple[sp.csr_matrix, np.ndarray]:
    """The distinct class-count rows of the comparisons (S, C) and how many comparisons have each.
    Rows are told apart by a random projection: equal rows project equally (their sums run in the
    same order), and two unequal kinds collide with a chance of about 2**-52."""
    cells = len(design.class_of_cell)
    to_class = sp.csr_matrix((np.ones(cells), (np.arange(cells), design.class_of_cell)),
                             shape=(cells, len(design.class_counts)))
    per_comparison = (clusters @ to_class).tocsr()
    per_comparison.sort_indices()
    projection = np.random.default_rng(0).random(per_comparison.shape[1])
    _, first, counts = np.unique(per_comparison @ projection, return_index=True, return_counts=True)
    return per_comparison[first], counts.astype(float)


def _percentile_interval(boot: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per model; an end past the unbounded rounds is infinite (shown as no
    limit). A round where a model is apart (NaN) counts against both ends."""
    tail = (1.0 - ci) / 2.0 * 100.0
    if np.isfinite(boot).all():
        return np.percentile(boot, [tail, 100.0 - tail], axis=0)
    low = np.percentile(np.where(np.isnan(boot), -np.inf, boot), tail, axis=0, method="lower")
    high = np.percentile(np.where(np.isnan(boot), np.inf, boot), 100.0 - tail, axis=0, method="higher")
    return low, high


def _leaderboard_rows(matchups: Matchups, ratings, low, high, rated, sides) -> list[dict]:
    above = sum(side == ABOVE for side in sides)
    rank = np.where(rated, 1 + above + np.sum(rated[None, :] & (low[None, :] > high[:, None]), axis=1), 0)
    appearances = matchups.appearances()
    order = [*(m for m in range(len(sides)) if sides[m] == ABOVE),
             *(m for m in np.argsort(-np.where(rated, ratings, -np.inf), kind="stable") if rated[m]),
             *(m for m in range(len(sides)) if sides[m] == BELOW),
             *(m for m in range(len(sides)) if sides[m] == APART)]
    unrated_rank = {ABOVE: 1, BELOW: 1 + above + int(rated.sum()), APART: None}
    return [
        {"model": matchups.models[i].item(),
         "rating": float(ratings[i]) if rated[i] else None,
         "ci_low": _finite(low[i]) if rated[i] else None, "ci_high": _finite(high[i]) if rated[i] else None,
         "rank": int(rank[i]) if rated[i] else unrated_rank[sides[i]],
         "n": int(appearances[i]), "unrated": sides[i]}
        for i in order
    ]


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
