"""Ratings and agreement maths on synthetic data at 1M judgments, ours against references.

    python bench/bench_stats_math.py [--judgments 1000000] [--models 50] [--repeats 3]

BLAS threads are left as the environment sets them (OPENBLAS_NUM_THREADS) for both
sides; the count is printed. On a busy machine, one thread speeds up our L-BFGS
fits, whose BLAS calls are tiny.

References: the old Chatbot Arena notebook approach (scikit-learn LogisticRegression
on duplicated rows, refitted per bootstrap round; only a few rounds are run and
the time is extrapolated to 100), the ``krippendorff`` package, statsmodels'
Fleiss kappa, and a notebook-style Elo loop over DataFrame rows.
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import median, print_table  # noqa: E402

from labeling.agreement import fleiss_kappa, krippendorff_alpha  # noqa: E402
from labeling.ratings import bradley_terry_bootstrap, online_elo, pairwise_arrays  # noqa: E402

N_BOOT = 100
REFERENCE_ROUNDS = 2  # bootstrap rounds actually run for the sklearn reference


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


def timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return median(times)


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
    return f"{reference / ours:.0f}x" if reference / ours >= 10 else f"{reference / ours:.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgments", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n, models, repeats = args.judgments, args.models, args.repeats
    a, b, outcome = battles(n, models)
    rows = []

    def ours_bt():
        bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=N_BOOT, seed=0)

    ours = timed(ours_bt, repeats)
    measured = timed(lambda: sklearn_bootstrap(a, b, outcome, models, REFERENCE_ROUNDS), 1)
    reference = measured * (1 + N_BOOT) / (1 + REFERENCE_ROUNDS)
    rows.append([f"BT + {N_BOOT} bootstrap fits", f"{n:,} x {models} models", f"{ours:.3f}",
                 f"{reference:.1f} (est.)", ratio(ours, reference)])

    matrix = ratings_matrix(n)
    ours = timed(lambda: krippendorff_alpha(matrix, "nominal"), repeats)
    reference = timed(lambda: krippendorff.alpha(matrix.T, level_of_measurement="nominal"),
                      repeats)
    rows.append(["nominal alpha", f"{len(matrix):,} items x 3", f"{ours:.3f}", f"{reference:.3f}",
                 ratio(ours, reference)])

    ours = timed(lambda: fleiss_kappa(matrix), repeats)
    reference = timed(
        lambda: statsmodels_fleiss_kappa(aggregate_raters(matrix.astype(int))[0]), repeats)
    rows.append(["Fleiss kappa", f"{len(matrix):,} items x 3", f"{ours:.3f}", f"{reference:.3f}",
                 ratio(ours, reference)])

    frame = pd.DataFrame({"model_a": a, "model_b": b, "outcome": outcome})
    ours = timed(lambda: online_elo(a, b, outcome), repeats)
    reference = timed(lambda: notebook_elo(frame), 1)
    rows.append(["online Elo", f"{n:,}", f"{ours:.3f}", f"{reference:.3f}",
                 ratio(ours, reference)])

    print_table("Ratings and agreement maths (median seconds)",
                ["figure", "size", "ours (s)", "reference (s)", "ratio"], rows)
    print(f"\nBT reference: scikit-learn LogisticRegression(C=inf) on 2 x {n:,} duplicated rows, "
          f"timed on 1 full fit + {REFERENCE_ROUNDS} bootstrap rounds, extrapolated to "
          f"1 + {N_BOOT} fits. Ours includes building the counted cells from the rows.")
    print("Elo reference: a notebook-style loop over DataFrame.itertuples with a dict of ratings.")
    print(f"OPENBLAS_NUM_THREADS: {os.environ.get('OPENBLAS_NUM_THREADS', 'unset (one per core)')}")


if __name__ == "__main__":
    main()
