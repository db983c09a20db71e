"""The leaderboard rates only the models the data can rate, and its intervals resample comparisons.

A model that never won has no maximum-likelihood rating: it was shown at wherever the optimiser
stopped (−1672 beside 2390 and 2282 in an audit), with a zero-width interval, and it dragged the
others' figures through the mean. Judgments of one comparison were resampled one by one, as if
independent, and the intervals were too narrow with overlap above 1."""

import math

import numpy as np
import pytest

from labeling.stats.leaderboard import bradley_terry_bootstrap
from labeling.stats.ratings import pairwise_arrays


def battles(*groups):
    """Rows from (model a, model b, outcome, times) groups."""
    a, b, outcome = [], [], []
    for model_a, model_b, result, times in groups:
        a += [model_a] * times
        b += [model_b] * times
        outcome += [result] * times
    return a, b, outcome


def by_model(rows):
    return {row["model"]: row for row in rows}


def test_a_model_that_never_won_is_below_and_the_others_are_fitted_as_if_it_were_not_there():
    a, b, outcome = battles(("A", "B", 1, 24), ("A", "B", 0, 12), ("A", "B", 0.5, 4), ("A", "Z", 1, 15), ("B", "Z", 1, 15))
    rows = bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=50, seed=0)
    # A vs B alone: A scored 26 of 40 points, so 400·log10(26/14) apart, centred on 1000.
    gap = 400 * math.log10(26 / 14)
    models = by_model(rows)
    assert models["A"]["rating"] == pytest.approx(1000 + gap / 2, abs=1e-3)
    assert models["B"]["rating"] == pytest.approx(1000 - gap / 2, abs=1e-3)
    assert rows[-1] == {"model": "Z", "rating": None, "ci_low": None, "ci_high": None, "rank": 3, "n": 30,
                        "unrated": "below"}
    assert models["A"]["unrated"] is None and models["A"]["ci_low"] < models["A"]["rating"] < models["A"]["ci_high"]


def test_a_model_that_never_lost_is_above_and_ranked_over_every_rated_one():
    a, b, outcome = battles(("A", "B", 1, 10), ("A", "B", 0, 10), ("T", "A", 1, 5), ("T", "B", 0.0, 0), ("B", "T", 0, 5))
    rows = bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=30, seed=1)
    assert rows[0]["model"] == "T" and rows[0]["unrated"] == "above" and rows[0]["rank"] == 1
    assert {row["model"]: row["rank"] for row in rows[1:]} == {"A": 2, "B": 2}  # even: neither clearly above


def test_a_tie_is_a_result_both_ways():
    """Z tied once and lost otherwise: it scored against the others, so it has a rating."""
    a, b, outcome = battles(("A", "B", 1, 5), ("A", "B", 0, 5), ("A", "Z", 1, 9), ("A", "Z", 0.5, 1), ("B", "Z", 1, 10))
    models = by_model(bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=30, seed=2))
    assert models["Z"]["unrated"] is None and models["Z"]["rating"] < models["B"]["rating"] - 400


def test_models_no_result_connects_are_apart_without_a_rank():
    a, b, outcome = battles(("A", "B", 1, 6), ("A", "B", 0, 6), ("A", "B", 1, 2), ("C", "D", 1, 3), ("C", "D", 0, 3))
    rows = bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=30, seed=3)
    assert [(row["model"], row["unrated"], row["rank"]) for row in rows[2:]] == [("C", "apart", None), ("D", "apart", None)]
    assert np.mean([row["rating"] for row in rows[:2]]) == pytest.approx(1000)


def test_an_interval_end_is_open_where_resamples_leave_a_model_unbounded():
    """C won one comparison in 15: about a third of the resamples leave that one out, and in them C
    has no lower limit, so neither has its interval; A and B, rated in every resample, keep theirs."""
    a, b, outcome = battles(("A", "B", 1, 20), ("A", "B", 0, 20), ("C", "A", 0, 14), ("C", "A", 1, 1))
    matchups = pairwise_arrays(a, b, outcome, cluster=range(len(a)))
    rows = by_model(bradley_terry_bootstrap(matchups, n_boot=100, seed=4))
    assert rows["C"]["ci_low"] is None and rows["C"]["ci_high"] is not None and rows["C"]["unrated"] is None
    assert all(rows[m]["ci_low"] is not None and rows[m]["ci_high"] is not None for m in "AB")
    assert rows["C"]["rating"] == pytest.approx(1000 - 2 / 3 * 400 * math.log10(14), abs=1e-2)


def test_resampling_comparisons_widens_the_interval_when_their_judgments_agree():
    """Three people per comparison giving the same verdict hold the information of one: resampled
    by comparison, the interval is about √3 as wide as resampling the judgments one by one."""
    rng = np.random.default_rng(5)
    verdicts = rng.random(300) < 0.6  # A beats B in 60% of the comparisons
    a, b = ["A"] * 900, ["B"] * 900
    outcome = np.repeat(verdicts, 3).astype(float)
    comparison = np.repeat(np.arange(300), 3)
    judgments = by_model(bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=200, seed=6))
    comparisons = by_model(bradley_terry_bootstrap(pairwise_arrays(a, b, outcome, cluster=comparison), n_boot=200, seed=6))
    width = {name: rows["A"]["ci_high"] - rows["A"]["ci_low"] for name, rows in
             (("judgments", judgments), ("comparisons", comparisons))}
    assert width["comparisons"] / width["judgments"] == pytest.approx(math.sqrt(3), rel=0.2)
    assert comparisons["A"]["rating"] == judgments["A"]["rating"]  # the estimate itself does not change


def test_one_judgment_per_comparison_resamples_as_judgments_do():
    a, b, outcome = battles(("A", "B", 1, 60), ("A", "B", 0, 40), ("B", "C", 1, 55), ("B", "C", 0, 45))
    plain = by_model(bradley_terry_bootstrap(pairwise_arrays(a, b, outcome), n_boot=300, seed=7))
    clustered = by_model(bradley_terry_bootstrap(pairwise_arrays(a, b, outcome, cluster=range(200)), n_boot=300, seed=7))
    for model in "ABC":
        width = plain[model]["ci_high"] - plain[model]["ci_low"]
        assert clustered[model]["ci_high"] - clustered[model]["ci_low"] == pytest.approx(width, rel=0.25)
