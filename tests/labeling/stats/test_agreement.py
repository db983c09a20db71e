"""Agreement figures: hand-checked cases, independent implementations, real data."""

import csv
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from labeling.stats.agreement import (
    LEVELS,
    bootstrap_alpha_ci,
    bootstrap_alpha_ci_rows,
    cohen_kappa_mean,
    cohen_kappa_mean_rows,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    rating_matrix,
    signed_preference,
)

DATA = Path(__file__).resolve().parents[2] / "data"
nan = np.nan


@pytest.fixture(scope="module")
def pandalm():
    with open(DATA / "pandalm_testset_labels.csv") as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r[f"annotator{i}"]) for i in (1, 2, 3)] for r in rows])  # (999, 3)


def random_matrix(seed, items=60, raters=5, categories=4, missing=0.3):
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, categories, size=(items, raters)).astype(float)
    matrix[rng.random(matrix.shape) < missing] = nan
    return matrix


def reference_kappa_mean(matrix):
    """sklearn's kappa of every rater pair, averaged with the units the pair shares as weights."""
    kappas, shared = [], []
    for i in range(matrix.shape[1]):
        for j in range(i + 1, matrix.shape[1]):
            both = ~np.isnan(matrix[:, i]) & ~np.isnan(matrix[:, j])
            if both.any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    kappa = cohen_kappa_score(matrix[both, i], matrix[both, j])
                if np.isfinite(kappa):
                    kappas.append(kappa)
                    shared.append(both.sum())
    return np.average(kappas, weights=shared) if kappas else None


# hand-checkable cases


def test_perfect_agreement_gives_alpha_one():
    matrix = np.array([[1, 1], [2, 2], [3, 3.0]])
    assert krippendorff_alpha(matrix) == pytest.approx(1.0)


def test_nominal_alpha_of_two_raters_by_hand():
    # o = [[2, 1], [1, 2]] over n = 6 pairable values; n_c = (3, 3)
    # D_o = 2/6, D_e = 2*3*3 / (6*5) = 0.6, alpha = 1 - (1/3)/0.6 = 4/9
    matrix = np.array([[0, 0], [1, 1], [0, 1.0]])
    assert krippendorff_alpha(matrix, "nominal") == pytest.approx(4 / 9)


def test_percent_agreement_pools_pairs():
    # item 1: 3 of 3 pairs agree, item 2: 1 of 3 pairs, item 3 has one rating
    matrix = np.array([[1, 1, 1], [1, 1, 2], [2, nan, nan]])
    assert percent_agreement(matrix) == pytest.approx(4 / 6)


def test_fleiss_kappa_none_when_items_have_different_numbers_of_ratings():
    matrix = np.array([[1, 1, 1], [1, 2, nan]])
    assert fleiss_kappa(matrix) is None


def test_fleiss_kappa_ignores_items_nobody_rated():
    matrix = np.array([[1, 1], [1, 2], [nan, nan], [2, 2.0]])
    assert fleiss_kappa(matrix) == pytest.approx(fleiss_kappa(matrix[[0, 1, 3]]))


@pytest.mark.parametrize(
    "matrix",
    [
        np.array([[1.0], [2.0]]),  # one rater
        np.array([[1, nan], [nan, 2.0]]),  # no item with two ratings
        np.array([[1, 1], [1, 1.0]]),  # one category only: no expected disagreement
        np.empty((0, 3)),
    ],
    ids=["one-rater", "no-pairable-item", "one-category", "empty"],
)
def test_undefined_figures_are_none(matrix):
    for level in LEVELS:
        assert krippendorff_alpha(matrix, level) is None
    assert bootstrap_alpha_ci(matrix, n_boot=20, seed=0) is None
    assert cohen_kappa_mean(matrix) is None


def test_fleiss_and_percent_agreement_undefined_without_pairs():
    assert fleiss_kappa(np.array([[1, 1], [1, 1.0]])) is None
    assert percent_agreement(np.array([[1, nan], [nan, 2.0]])) is None


def test_unknown_level_is_rejected():
    with pytest.raises(ValueError):
        krippendorff_alpha(np.array([[1, 2], [2, 1.0]]), "ratio")


def test_tie_is_midpoint_for_ordinal_but_own_category_for_nominal():
    winner = np.array([["a", "tie"], ["b", "tie"], ["a", "a"], ["b", "b"]])
    matrix = signed_preference(winner.ravel()).reshape(winner.shape)
    assert matrix[0].tolist() == [1.0, 0.0]
    # a-vs-tie is half as far as a-vs-b on an interval scale, a full mismatch nominally
    assert krippendorff_alpha(matrix, "interval") > krippendorff_alpha(matrix, "nominal")


def test_signed_preference_scales_by_strength_and_rejects_unknown_winners():
    scores = signed_preference(["a", "b", "tie"], strength=[3, 2, 1])
    assert scores.tolist() == [3.0, -2.0, 0.0]
    with pytest.raises(ValueError):
        signed_preference(["a", "left"])


def test_rating_matrix_places_values_by_item_and_rater():
    matrix, items, raters = rating_matrix(["q2", "q1", "q2"], ["bob", "ann", "ann"], [1, 0, 2])
    assert items.tolist() == ["q1", "q2"]
    assert raters.tolist() == ["ann", "bob"]
    np.testing.assert_array_equal(matrix, [[0, nan], [2, 1]])


def test_rating_matrix_rejects_a_rater_rating_an_item_twice():
    with pytest.raises(ValueError):
        rating_matrix([1, 1], [7, 7], [0, 1])


# against independent implementations


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_krippendorff_package_on_random_data(seed, level):
    matrix = random_matrix(seed)
    expected = krippendorff.alpha(matrix.T, level_of_measurement=level)
    assert krippendorff_alpha(matrix, level) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_krippendorff_package_on_signed_scores(level):
    rng = np.random.default_rng(3)
    matrix = rng.integers(-3, 4, size=(80, 4)).astype(float)  # -3..+3, 0 = tie
    matrix[rng.random(matrix.shape) < 0.25] = nan
    expected = krippendorff.alpha(matrix.T, level_of_measurement=level)
    assert krippendorff_alpha(matrix, level) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_kappa_matches_statsmodels(seed):
    matrix = random_matrix(seed, missing=0.0)
    table, _ = aggregate_raters(matrix.astype(int))
    assert fleiss_kappa(matrix) == pytest.approx(statsmodels_fleiss_kappa(table), abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_cohen_kappa_mean_matches_sklearn(seed):
    matrix = random_matrix(seed, items=40, raters=4, missing=0.4)
    assert cohen_kappa_mean(matrix) == pytest.approx(reference_kappa_mean(matrix), abs=1e-6)


@pytest.mark.parametrize("id_gap", [1, 1_000_003], ids=["dense-ids", "sparse-ids"])
def test_cohen_kappa_mean_from_rows_with_database_ids_matches_sklearn(id_gap):
    # ids as the database gives them, values as the service passes them (signed winners)
    matrix = random_matrix(4, items=50, raters=6, categories=3, missing=0.4) - 1.0
    item, rater = np.nonzero(~np.isnan(matrix))
    unit_ids, rater_ids = 7 + item * id_gap, 500 + rater * id_gap
    ours = cohen_kappa_mean_rows(unit_ids, rater_ids, matrix[item, rater].astype(np.int64))
    assert ours == pytest.approx(reference_kappa_mean(matrix), abs=1e-6)


def test_cohen_kappa_mean_weighs_each_pair_by_the_units_it_shares():
    # raters 10 and 11 share four units and agree throughout (kappa 1); rater 12 shares two
    # units with rater 10 and disagrees on both (observed 0, chance 1/2: kappa -1)
    unit = [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 5, 6]
    rater = [10, 10, 10, 10, 11, 11, 11, 11, 10, 10, 12, 12]
    value = [0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0]
    # (4 * 1 + 2 * -1) / 6, where the unweighted mean would say 0
    assert cohen_kappa_mean_rows(unit, rater, value) == pytest.approx(1 / 3)


def test_rows_with_no_shared_unit_have_no_cohen_kappa():
    assert cohen_kappa_mean_rows([1, 2, 3], [10, 11, 12], [0, 1, 0]) is None
    assert cohen_kappa_mean_rows([], [], []) is None


def naive_alpha_interval(matrix, n_boot, seed):
    """Resample items with replacement and recompute alpha each round: the textbook bootstrap."""
    matrix = matrix[np.sum(~np.isnan(matrix), axis=1) >= 2]
    rng = np.random.default_rng(seed)
    alphas = [krippendorff_alpha(matrix[rng.integers(0, len(matrix), len(matrix))]) for _ in range(n_boot)]
    return tuple(np.percentile([a for a in alphas if a is not None], [2.5, 97.5]))


def test_pattern_bootstrap_matches_the_textbook_bootstrap_and_is_seeded():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 200)
    matrix = np.where(rng.random((200, 4)) < 0.7, truth[:, None], rng.integers(0, 3, (200, 4))).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = nan
    item, _ = np.nonzero(~np.isnan(matrix))
    ours = bootstrap_alpha_ci_rows(item, matrix[~np.isnan(matrix)], n_boot=3000, seed=1)
    assert ours == pytest.approx(naive_alpha_interval(matrix, 3000, seed=2), abs=0.015)  # Monte Carlo error
    assert ours == bootstrap_alpha_ci(matrix, n_boot=3000, seed=1)  # the matrix form: same draws
    assert bootstrap_alpha_ci_rows(item, np.ones(len(item))) is None  # one value: alpha undefined


def test_bootstrap_rejects_an_unknown_level():
    with pytest.raises(ValueError):
        bootstrap_alpha_ci_rows([1, 1], [0, 1], "ratio")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(2, 30),
    st.integers(2, 5),
    st.integers(2, 5),
    st.sampled_from(LEVELS),
)
def test_alpha_matches_krippendorff_package_property(seed, items, raters, categories, level):
    matrix = random_matrix(seed, items, raters, categories, missing=0.3)
    ours = krippendorff_alpha(matrix, level)
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = krippendorff.alpha(matrix.T, level_of_measurement=level)
    except ValueError:  # the package refuses data with a single value or no pairs
        expected = None
    if ours is None or expected is None or not np.isfinite(expected):
        assert ours is None
    else:
        assert ours == pytest.approx(expected, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_alpha_does_not_depend_on_item_or_rater_order(seed):
    matrix = random_matrix(seed, items=20, raters=4)
    rng = np.random.default_rng(seed)
    shuffled = matrix[rng.permutation(20)][:, rng.permutation(4)]
    for level in LEVELS:
        ours, again = krippendorff_alpha(matrix, level), krippendorff_alpha(shuffled, level)
        assert (ours is None and again is None) or ours == pytest.approx(again)


# real data: PandaLM, 999 items x 3 raters


def test_pandalm_alpha_matches_krippendorff_package(pandalm):
    for level in LEVELS:
        expected = krippendorff.alpha(pandalm.T, level_of_measurement=level)
        assert krippendorff_alpha(pandalm, level) == pytest.approx(expected, abs=1e-6)


def test_pandalm_kappas_match_statsmodels_and_sklearn(pandalm):
    table, _ = aggregate_raters(pandalm.astype(int))
    assert fleiss_kappa(pandalm) == pytest.approx(statsmodels_fleiss_kappa(table), abs=1e-6)
    assert cohen_kappa_mean(pandalm) == pytest.approx(reference_kappa_mean(pandalm), abs=1e-6)


def test_pandalm_percent_agreement_from_split_counts(pandalm):
    # the data README: 879 unanimous items and 120 two-to-one splits (1 of 3 pairs agree)
    assert percent_agreement(pandalm) == pytest.approx((879 * 3 + 120 * 1) / (999 * 3))


def test_pandalm_bootstrap_interval_brackets_alpha_and_is_seeded(pandalm):
    alpha = krippendorff_alpha(pandalm)
    low, high = bootstrap_alpha_ci(pandalm, n_boot=300, seed=7)
    assert low < alpha < high
    assert high - low < 0.1
    assert bootstrap_alpha_ci(pandalm, n_boot=300, seed=7) == (low, high)


def test_bootstrap_interval_narrows_with_more_items():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, size=2000)
    noisy = np.where(rng.random((2000, 3)) < 0.8, truth[:, None], rng.integers(0, 3, (2000, 3)))
    small = bootstrap_alpha_ci(noisy[:200].astype(float), n_boot=200, seed=1)
    large = bootstrap_alpha_ci(noisy.astype(float), n_boot=200, seed=1)
    assert large[1] - large[0] < small[1] - small[0]


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_with_many_distinct_values_matches_krippendorff_package(level):
    # more distinct values than the comparison fast path handles: the bincount path
    rng = np.random.default_rng(11)
    truth = rng.normal(size=150)
    matrix = np.round(truth[:, None] + rng.normal(scale=0.5, size=(150, 4)), 1)
    matrix[rng.random(matrix.shape) < 0.2] = nan
    assert len(np.unique(matrix[~np.isnan(matrix)])) > 20
    expected = krippendorff.alpha(matrix.T, level_of_measurement=level)
    assert krippendorff_alpha(matrix, level) == pytest.approx(expected, abs=1e-6)
    low, high = bootstrap_alpha_ci(matrix, level, n_boot=100, seed=0)
    assert low < krippendorff_alpha(matrix, level) < high
