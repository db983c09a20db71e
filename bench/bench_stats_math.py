"""Ratings and agreement maths on synthetic data at 1M judgments, ours against references.

    python bench/bench_stats_math.py [--judgments 1000000] [--models 50] [--repeats 3]

BLAS threads are left as the environment sets them (OPENBLAS_NUM_THREADS) for both
sides; the count is printed. On a busy machine, one thread speeds up our L-BFGS
fits, whose BLAS calls are tiny.

References, run in this process on the same data:

* Chatbot Arena's current method (FastChat ``serve/monitor/rating_systems.py``,
  ``compute_bt`` + ``compute_bootstrap_bt``), transcribed here from its description:
  models factorised, unique (a, b, outcome) rows counted, L-BFGS-B with an analytic
  gradient from zero (gtol 1e-6, at most 100 iterations), then 100 bootstrap refits
  weighted by ``rng.multinomial(n, counts / n, size=100) / n``. Arena maps the refits over
  a process pool of ``os.cpu_count()`` workers; both that and one process are timed.
  Preprocessing is counted once (Arena's two functions each preprocess).
* the old Chatbot Arena notebook (scikit-learn LogisticRegression on duplicated rows,
  refitted per bootstrap round; only a few rounds are run and the time is
  extrapolated to 100),
* the ``krippendorff`` package, statsmodels' Fleiss kappa, and a notebook-style Elo
  loop over DataFrame rows.

``--arena-only`` times ours against Arena's current method and skips the slow rest.
"""

import argparse
import math
import multiprocessing
import os
import sys
import time
from functools import partial
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import median, print_table  # noqa: E402

from labeling.stats.agreement import fleiss_kappa, krippendorff_alpha  # noqa: E402
from labeling.stats.ratings import bradley_terry_bootstrap, online_elo, pairwise_arrays  # noqa: E402

N_BOOT = 100
REFERENCE_ROUNDS = 2  # bootstrap rounds actually run for the sklearn reference
LN10 = math.log(10)


def battles(n: int, models: int, seed: int = 0):
    """Integer model ids (as the database gives them) and outcomes from a BT model with ties."""
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 150, models)
    a = rng.integers(0, models, n)
    b = (a + rng.integers(1, models, n)) % models
    p_a = 1 / (1 + 10 ** ((strength[b] - strength[a]) / 400))
    u = rng.random(n)
    outcome = np.where(u < 0.8 * p_a, 1.0, np.where(u < 0.8 * p_a + 0.2, 0.5, 0.0))
    return a, b, outcome


def ratings_matrix(n: int, seed: int = 0) -> np.ndarray:
    """n judgments as n/3 items x 3 raters, three categories, about 80% agreement."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n // 3)
    noise = rng.integers(0, 3, (n // 3, 3))
    return np.where(rng.random((n // 3, 3)) < 0.7, truth[:, None], noise).astype(float)


def timed(function, repeats: int) -> tuple[float, object]:
    """Median wall seconds over ``repeats`` calls, and the last call's result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return median(times), result


# --- Chatbot Arena's current method (reference) ---------------------------------------------


def arena_cells(a, b, outcome):
    """Unique (a, b, outcome) rows and their counts, models numbered in order of appearance."""
    n = len(a)
    codes, models = pd.factorize(np.concatenate([a, b]))
    schedule = np.empty((n, 3), dtype=np.int32)
    schedule[:, 0], schedule[:, 1] = codes[:n], codes[n:]
    schedule[:, 2] = (2 * outcome).astype(np.int32)  # B wins 0, tie 1, A wins 2
    cells, counts = np.unique(schedule, axis=0, return_counts=True)
    return cells[:, :2], cells[:, 2] / 2.0, np.asarray(models), counts.astype(np.float64)


def arena_loss_and_grad(theta, pairs, outcome, weight, log_base):
    """Weighted log loss of P(A wins) = expit(ln(base) (theta_a - theta_b)); a tie is half of each."""
    p = expit(log_base * (theta[pairs[:, 0]] - theta[pairs[:, 1]]))
    loss = -np.sum(weight * (outcome * np.log(p) + (1.0 - outcome) * np.log(1.0 - p)))
    per_cell = -log_base * weight * (outcome - p)
    grad = np.zeros_like(theta)
    np.add.at(grad, pairs[:, 0], per_cell)
    np.add.at(grad, pairs[:, 1], -per_cell)
    return loss, grad


def arena_fit(pairs, outcome, size, weight, log_base=LN10):
    """One L-BFGS-B fit from zero, Arena's tolerance and iteration cap."""
    result = minimize(arena_loss_and_grad, np.zeros(size), args=(pairs, outcome, weight, log_base),
                      jac=True, method="L-BFGS-B", options={"maxiter": 100, "gtol": 1e-6})
    return result.x


def arena_bt_bootstrap(a, b, outcome, rounds: int, processes: int, seed: int = 0):
    """Point ratings (M,) from the counted cells and the (rounds, M) bootstrap ratings, and the models.

    Arena's scale: 400 theta + 1000 with no anchor model; the gradient sums to zero, so L-BFGS
    from zero keeps theta centred and the ratings average 1000, as ours do.
    """
    pairs, cell_outcome, models, counts = arena_cells(a, b, outcome)
    point = arena_fit(pairs, cell_outcome, len(models), counts)
    n = len(a)
    weights = np.random.default_rng(seed).multinomial(n, counts / n, size=rounds) / n
    fit = partial(arena_fit, pairs, cell_outcome, len(models))
    if processes > 1:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            boot = np.array(list(pool.imap_unordered(fit, weights)))
    else:
        boot = np.array([fit(w) for w in weights])
    return 400 * point + 1000, 400 * boot + 1000, models


def arena_rows(a, b, outcome, processes: int):
    """Arena's leaderboard figures by model id: rating, 2.5% and 97.5% bootstrap quantiles."""
    point, boot, models = arena_bt_bootstrap(a, b, outcome, N_BOOT, processes)
    low, high = np.quantile(boot, [0.025, 0.975], axis=0)
    return {m.item(): (r, lo, hi) for m, r, lo, hi in zip(models, point, low, high, strict=True)}


def agreement_with_arena(ours: list[dict], arena: dict) -> str:
    """Point ratings and interval ends, ours against Arena's, as one printable line."""
    mine = np.array([[row["rating"], row["ci_low"], row["ci_high"]] for row in ours])
    theirs = np.array([arena[row["model"]] for row in ours])
    gaps = np.abs(mine - theirs)
    widths = mine[:, 2] - mine[:, 1], theirs[:, 2] - theirs[:, 1]
    return (f"max |rating difference| {gaps[:, 0].max():.4f} points (the same fit, to the optimisers' "
            f"tolerances); max |95% interval end difference| {gaps[:, 1:].max():.2f} points and mean "
            f"interval width {widths[0].mean():.2f} (ours) vs {widths[1].mean():.2f} (Arena): different "
            "multinomial draws, so these differ by bootstrap noise only")


# --- the old notebook (reference) -------------------------------------------------------------


def sklearn_fit(a, b, outcome, models: int) -> np.ndarray:
    """The notebook: one-hot +-log(10) rows, each row twice, a tie as one win and one loss."""
    n = len(a)
    x = np.zeros((2 * n, models))
    rows = np.arange(n)
    for half in (0, n):
        x[rows + half, a] = math.log(10)
        x[rows + half, b] = -math.log(10)
    y = np.concatenate([outcome >= 0.5, outcome > 0.5]).astype(int)
    model = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-6, max_iter=1000)
    return 400 * model.fit(x, y).coef_[0] + 1000


def sklearn_bootstrap(a, b, outcome, models: int, rounds: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    sklearn_fit(a, b, outcome, models)
    for _ in range(rounds):
        pick = rng.integers(0, len(a), len(a))
        sklearn_fit(a[pick], b[pick], outcome[pick], models)


def notebook_elo(frame: pd.DataFrame, k=4, scale=400, base=10, start=1000) -> dict:
    rating = {}
    for model_a, model_b, outcome in frame[["model_a", "model_b", "outcome"]].itertuples(
            index=False):
        ra, rb = rating.get(model_a, start), rating.get(model_b, start)
        expected = 1 / (1 + base ** ((rb - ra) / scale))
        rating[model_a] = ra + k * (outcome - expected)
        rating[model_b] = rb - k * (outcome - expected)
    return rating


def ratio(ours: float, reference: float) -> str:
    """How many times faster ours is: reference seconds / our seconds."""
    speedup = reference / ours
    return f"{speedup:.0f}x" if speedup >= 10 else f"{speedup:.2g}x"


def arena_current_rows(a, b, outcome, models: int, repeats: int) -> tuple[list[list], list[str]]:
    """Ours against Arena's current method, one process and a pool of ``os.cpu_count()``."""
    n, size = len(a), f"{len(a):,} x {models} models"
    ours, board = timed(lambda: bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=N_BOOT, seed=0),
                        repeats)
    rows, notes = [], []
    for processes in sorted({1, os.cpu_count() or 1}):
        reference, arena = timed(lambda p=processes: arena_rows(a, b, outcome, p), repeats)
        where = "1 process" if processes == 1 else f"pool of {processes}"
        rows.append([f"BT + {N_BOOT} bootstrap fits vs Arena current, {where}", size, f"{ours:.3f}",
                     f"{reference:.3f}", ratio(ours, reference)])
    notes.append(f"Ours vs Arena current on {n:,} judgments: {agreement_with_arena(board, arena)}.")
    cells, _ = timed(lambda: arena_cells(a, b, outcome), repeats)
    notes.append(f"Arena current, one process: {cells:.3f} s of it counts the unique (a, b, outcome) rows "
                 f"(pandas factorize + numpy unique over rows), the rest is 1 + {N_BOOT} L-BFGS-B fits.")
    return rows, notes


def notebook_rows(a, b, outcome, models: int, repeats: int) -> list[list]:
    """Ours against the old notebook's refit per round (a few rounds, extrapolated)."""
    ours, _ = timed(lambda: bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=N_BOOT, seed=0),
                    repeats)
    measured, _ = timed(lambda: sklearn_bootstrap(a, b, outcome, models, REFERENCE_ROUNDS), 1)
    reference = measured * (1 + N_BOOT) / (1 + REFERENCE_ROUNDS)
    return [[f"BT + {N_BOOT} bootstrap fits vs old notebook (sklearn)", f"{len(a):,} x {models} models",
             f"{ours:.3f}", f"{reference:.1f} (est.)", ratio(ours, reference)]]


def agreement_and_elo_rows(a, b, outcome, repeats: int) -> list[list]:
    matrix = ratings_matrix(len(a))
    size = f"{len(matrix):,} items x 3"
    ours, _ = timed(lambda: krippendorff_alpha(matrix, "nominal"), repeats)
    reference, _ = timed(lambda: krippendorff.alpha(matrix.T, level_of_measurement="nominal"), repeats)
    rows = [["nominal alpha vs krippendorff", size, f"{ours:.3f}", f"{reference:.3f}", ratio(ours, reference)]]
    ours, _ = timed(lambda: fleiss_kappa(matrix), repeats)
    reference, _ = timed(lambda: statsmodels_fleiss_kappa(aggregate_raters(matrix.astype(int))[0]), repeats)
    rows.append(["Fleiss kappa vs statsmodels", size, f"{ours:.3f}", f"{reference:.3f}", ratio(ours, reference)])
    frame = pd.DataFrame({"model_a": a, "model_b": b, "outcome": outcome})
    ours, _ = timed(lambda: online_elo(a, b, outcome), repeats)
    reference, _ = timed(lambda: notebook_elo(frame), 1)
    rows.append(["online Elo vs DataFrame loop", f"{len(a):,}", f"{ours:.3f}", f"{reference:.3f}",
                 ratio(ours, reference)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgments", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--arena-only", action="store_true", help="Only ours against Arena's current method.")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    n, models, repeats = args.judgments, args.models, args.repeats
    a, b, outcome = battles(n, models)
    rows, notes = arena_current_rows(a, b, outcome, models, repeats)
    if not args.arena_only:
        rows += notebook_rows(a, b, outcome, models, repeats)
        rows += agreement_and_elo_rows(a, b, outcome, repeats)
    print_table("Ratings and agreement maths (median seconds; ratio = reference / ours, above 1: ours faster)",
                ["figure", "size", "ours (s)", "reference (s)", "ratio"], rows)
    print()
    for note in notes:
        print(note)
    print("Ours: pairwise_arrays (counted cells from the rows) + bradley_terry_bootstrap (full fit and "
          f"{N_BOOT} refits in one batched L-BFGS run, one process). Arena current: see the module docstring.")
    print(f"Old notebook: scikit-learn LogisticRegression(C=inf) on 2 x {n:,} duplicated rows, "
          f"timed on 1 full fit + {REFERENCE_ROUNDS} bootstrap rounds, extrapolated to 1 + {N_BOOT} fits.")
    print("Elo reference: a notebook-style loop over DataFrame.itertuples with a dict of ratings.")
    print(f"OPENBLAS_NUM_THREADS: {os.environ.get('OPENBLAS_NUM_THREADS', 'unset (one per core)')}; "
          f"load average before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
