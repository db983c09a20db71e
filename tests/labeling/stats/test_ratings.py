"""Ratings: Bradley-Terry against scikit-learn, properties, Elo, helpers, real Arena votes."""

import csv
import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from labeling.imports.formats import messages_hash
from labeling.imports.services import import_file
from labeling.models import Judgment, Prompt, Response
from labeling.rankings import LETTERS
from labeling.stats.leaderboard import bradley_terry_bootstrap
from labeling.stats.payload import project_stats_compute
from labeling.stats.ratings import (
    bradley_terry,
    length_controlled_bradley_terry,
    online_elo,
    pairwise_arrays,
    ranking_to_pairs,
    win_rate_matrix,
)
from tests.factories import UserFactory, new_client_key

# L-BFGS stops where the loss no longer changes in float64: ~1e-5 rating points
TOLERANCE = 1e-4
DATA = Path(__file__).resolve().parents[2] / "data"
OUTCOME_OF_WINNER = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}


@pytest.fixture(scope="module")
def arena():
    with gzip.open(DATA / "chatbot_arena_battles.csv.gz", "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    model_a = np.array([r["model_a"] for r in rows])
    model_b = np.array([r["model_b"] for r in rows])
    outcome = np.array([OUTCOME_OF_WINNER[r["winner"]] for r in rows])
    return model_a, model_b, outcome


def random_battles(seed, n=3000, models=6, tie_share=0.2):
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 150, models)
    a = rng.integers(0, models, n)
    b = (a + rng.integers(1, models, n)) % models
    p_a = 1 / (1 + 10 ** ((strength[b] - strength[a]) / 400))
    u = rng.random(n)
    decisive = (1 - tie_share) * p_a
    outcome = np.where(u < decisive, 1.0, np.where(u < decisive + tie_share, 0.5, 0.0))
    names = np.array([f"m{i}" for i in range(models)])
    return names[a], names[b], outcome


def sklearn_ratings(model_a, model_b, outcome, weight=None):
    """The notebook approach: logistic regression without penalty on +-log(10) one-hot rows.

    A tie becomes one A win and one B win, each with half the row's weight.
    """
    models = np.unique(np.concatenate([model_a, model_b]))
    a, b = np.searchsorted(models, model_a), np.searchsorted(models, model_b)
    n = len(a)
    weight = np.ones(n) if weight is None else np.asarray(weight, float)
    x = np.zeros((n, len(models)))
    x[np.arange(n), a] = math.log(10)
    x[np.arange(n), b] = -math.log(10)
    tie = outcome == 0.5
    x = np.vstack([x, x[tie]])
    y = np.concatenate([np.where(tie, 1, outcome), np.zeros(tie.sum())]).astype(int)
    w = np.concatenate([np.where(tie, 0.5, 1.0) * weight, 0.5 * weight[tie]])
    model = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10_000)
    model.fit(x, y, sample_weight=w)
    ratings = 400 * model.coef_[0]
    return models, ratings - ratings.mean() + 1000


def ratings_by_model(model_a, model_b, outcome, weight=None):
    matchups = pairwise_arrays(model_a, model_b, outcome, weight)
    return dict(zip(matchups.models.tolist(), bradley_terry(matchups), strict=True))


# hand-checkable cases


def test_three_wins_in_four_recovers_gap_of_400_log10_3():
    ratings = ratings_by_model(["x"] * 4, ["y"] * 4, [1, 1, 1, 0])
    assert ratings["x"] - ratings["y"] == pytest.approx(400 * math.log10(3), abs=TOLERANCE)
    assert (ratings["x"] + ratings["y"]) / 2 == pytest.approx(1000)


def test_tie_counts_half_a_win_each_way():
    with_ties = ratings_by_model(["x"] * 4, ["y"] * 4, [1, 1, 0.5, 0.5])
    assert with_ties["x"] - with_ties["y"] == pytest.approx(400 * math.log10(3), abs=TOLERANCE)


def test_weight_equals_repeating_the_row():
    weighted = ratings_by_model(["x", "x", "y"], ["y", "z", "z"], [1, 0, 1], [3, 1, 2])
    repeated = ratings_by_model(["x"] * 3 + ["x"] + ["y"] * 2, ["y"] * 3 + ["z"] + ["z"] * 2,
                                [1] * 3 + [0] + [1] * 2)
    for model, rating in repeated.items():
        assert weighted[model] == pytest.approx(rating, abs=TOLERANCE)


def test_anchor_model_gets_anchor_rating_and_gaps_are_kept():
    model_a, model_b, outcome = random_battles(0)
    matchups = pairwise_arrays(model_a, model_b, outcome)
    free = bradley_terry(matchups)
    anchored = bradley_terry(matchups, anchor="m2", anchor_rating=1200)
    assert anchored[2] == pytest.approx(1200)
    np.testing.assert_allclose(anchored - free, anchored[0] - free[0])
    with pytest.raises(ValueError):
        bradley_terry(matchups, anchor="nobody")


def test_ridge_keeps_an_undefeated_model_finite():
    matchups = pairwise_arrays(["x", "x", "y"], ["y", "z", "z"], [1, 1, 0.5])
    ratings = bradley_terry(matchups, l2=0.01)
    assert np.all(np.isfinite(ratings)) and ratings.max() < 2000


def test_pairwise_arrays_counts_unique_cells():
    matchups = pairwise_arrays(["x", "x", "x", "y"], ["y", "y", "y", "x"], [1, 1, 0.5, 1])
    cells = sorted(zip(matchups.a.tolist(), matchups.b.tolist(), matchups.outcome.tolist(),
                       matchups.count.tolist(), strict=True))
    assert cells == [(0, 1, 0.5, 1.0), (0, 1, 1.0, 2.0), (1, 0, 1.0, 1.0)]
    assert matchups.appearances().tolist() == [4, 4]


def test_pairwise_arrays_accepts_integer_ids():
    matchups = pairwise_arrays([10, 10, 7], [7, 3, 3], [1, 0, 0.5])
    assert matchups.models.tolist() == [3, 7, 10]
    assert matchups.appearances().tolist() == [2, 2, 2]


@pytest.mark.parametrize(
    ("model_a", "model_b", "outcome"),
    [(["x"], ["y"], [2]), (["x"], ["y"], [0.3]), (["x"], ["x"], [1]), (["x", "y"], ["y", "x"], [1])],
    ids=["outcome-2", "outcome-0.3", "self-match", "length-mismatch"],
)
def test_pairwise_arrays_rejects_bad_rows(model_a, model_b, outcome):
    with pytest.raises(ValueError):
        pairwise_arrays(model_a, model_b, outcome)


# against scikit-learn (the old notebook approach)


@pytest.mark.parametrize("seed", range(4))
def test_bradley_terry_matches_sklearn_logistic_regression(seed):
    model_a, model_b, outcome = random_battles(seed)
    models, expected = sklearn_ratings(model_a, model_b, outcome)
    matchups = pairwise_arrays(model_a, model_b, outcome)
    assert matchups.models.tolist() == models.tolist()
    np.testing.assert_allclose(bradley_terry(matchups), expected, atol=1e-3)


def test_weighted_bradley_terry_matches_weighted_sklearn():
    model_a, model_b, outcome = random_battles(9)
    weight = np.random.default_rng(9).integers(1, 4, len(outcome)).astype(float)
    _, expected = sklearn_ratings(model_a, model_b, outcome, weight)
    ours = bradley_terry(pairwise_arrays(model_a, model_b, outcome, weight))
    np.testing.assert_allclose(ours, expected, atol=1e-3)


def test_arena_votes_match_sklearn(arena):
    models, expected = sklearn_ratings(*arena)
    np.testing.assert_allclose(bradley_terry(pairwise_arrays(*arena)), expected, atol=1e-3)


def test_arena_leaderboard_puts_gpt4_first_with_seeded_intervals(arena):
    rows = bradley_terry_bootstrap(pairwise_arrays(*arena), n_boot=50, seed=0)
    assert [r["model"] for r in rows[:2]] == ["gpt-4", "claude-v1"]
    assert rows[0]["rank"] == 1 and rows[0]["n"] == 3356
    assert sum(r["n"] for r in rows) == 2 * len(arena[0])
    assert all(r["ci_low"] <= r["rating"] <= r["ci_high"] for r in rows)
    assert rows == bradley_terry_bootstrap(pairwise_arrays(*arena), n_boot=50, seed=0)


# properties


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_swapping_sides_and_negating_outcomes_keeps_ratings(seed):
    model_a, model_b, outcome = random_battles(seed, n=400, models=4)
    original = ratings_by_model(model_a, model_b, outcome)
    swapped = ratings_by_model(model_b, model_a, 1.0 - outcome)
    for model, rating in original.items():
        assert swapped[model] == pytest.approx(rating, abs=TOLERANCE)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_ratings_do_not_depend_on_row_order(seed):
    model_a, model_b, outcome = random_battles(seed, n=400, models=4)
    order = np.random.default_rng(seed).permutation(len(outcome))
    original = ratings_by_model(model_a, model_b, outcome)
    shuffled = ratings_by_model(model_a[order], model_b[order], outcome[order])
    for model, rating in original.items():
        assert shuffled[model] == pytest.approx(rating, abs=TOLERANCE)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 50))
def test_75_percent_win_rate_recovers_log10_3_at_any_sample_size(wins):
    ratings = ratings_by_model(["x"] * 4 * wins, ["y"] * 4 * wins, [1, 1, 1, 0] * wins)
    assert ratings["x"] - ratings["y"] == pytest.approx(400 * math.log10(3), abs=TOLERANCE)


def test_bootstrap_rank_counts_models_clearly_above():
    model_a, model_b, outcome = random_battles(1, n=20_000)
    rows = bradley_terry_bootstrap(pairwise_arrays(model_a, model_b, outcome), n_boot=60, seed=3)
    for row in rows:
        above = sum(other["ci_low"] > row["ci_high"] for other in rows)
        assert row["rank"] == 1 + above
    assert [r["rating"] for r in rows] == sorted((r["rating"] for r in rows), reverse=True)


# online Elo


def test_online_elo_first_update_by_hand():
    rows = online_elo(["x"], ["y"], [1.0], k=4)
    assert rows == [{"model": "x", "rating": 1002.0, "n": 1}, {"model": "y", "rating": 998.0, "n": 1}]


def test_online_elo_matches_the_textbook_update_on_arena_votes(arena):
    expected = {}
    for model_a, model_b, outcome in zip(*arena, strict=True):
        ra, rb = expected.get(model_a, 1000.0), expected.get(model_b, 1000.0)
        ea = 1 / (1 + 10 ** ((rb - ra) / 400))
        expected[model_a], expected[model_b] = ra + 4 * (outcome - ea), rb - 4 * (outcome - ea)
    for row in online_elo(*arena, k=4):
        assert row["rating"] == pytest.approx(expected[row["model"]], abs=1e-9)


def test_online_elo_is_zero_sum_and_depends_on_order():
    model_a, model_b, outcome = random_battles(2, n=500)
    forward = {r["model"]: r["rating"] for r in online_elo(model_a, model_b, outcome, k=16)}
    backward = {r["model"]: r["rating"] for r in online_elo(model_a[::-1], model_b[::-1],
                                                            outcome[::-1], k=16)}
    assert sum(forward.values()) == pytest.approx(1000 * len(forward))
    assert any(abs(forward[m] - backward[m]) > 1e-6 for m in forward)


# win rates, length control, rankings


def test_win_rate_matrix_counts_both_seatings_and_ties_as_half():
    matchups = pairwise_arrays(["x", "y", "x", "x"], ["y", "x", "y", "z"], [1, 1, 0.5, 0])
    rates = win_rate_matrix(matchups)
    # x vs y: x won row 1, lost row 2, tied row 3 -> 1.5 of 3
    assert rates[0, 1] == pytest.approx(0.5)
    assert rates[0, 2] == 0.0 and rates[2, 0] == 1.0
    assert np.isnan(rates[1, 2]) and np.isnan(rates[0, 0])


def test_length_control_finds_a_pure_length_effect():
    rng = np.random.default_rng(4)
    model_a, model_b, _ = random_battles(4, n=20_000, models=5)
    length_a, length_b = rng.integers(50, 500, (2, len(model_a)))
    diff = (length_a - length_b) / (length_a + length_b)
    outcome = (rng.random(len(diff)) < 1 / (1 + np.exp(-2.0 * diff))).astype(float)
    result = length_controlled_bradley_terry(model_a, model_b, outcome, length_a, length_b)
    assert result["length_coef"] == pytest.approx(2.0, abs=0.2)
    assert all(abs(row["rating"] - 1000) < 15 for row in result["rows"])


def test_length_control_matches_sklearn_with_length_column():
    model_a, model_b, outcome = random_battles(5, tie_share=0.0)
    rng = np.random.default_rng(5)
    length_a, length_b = rng.integers(10, 900, (2, len(outcome)))
    models = np.unique(np.concatenate([model_a, model_b]))
    x = np.zeros((len(outcome), len(models) + 1))
    x[np.arange(len(outcome)), np.searchsorted(models, model_a)] = math.log(10)
    x[np.arange(len(outcome)), np.searchsorted(models, model_b)] = -math.log(10)
    x[:, -1] = (length_a - length_b) / (length_a + length_b)
    reference = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10_000)
    reference.fit(x, outcome.astype(int))
    expected = 400 * reference.coef_[0, :-1]
    expected = dict(zip(models.tolist(), expected - expected.mean() + 1000, strict=True))
    result = length_controlled_bradley_terry(model_a, model_b, outcome, length_a, length_b)
    assert result["length_coef"] == pytest.approx(reference.coef_[0, -1], abs=TOLERANCE)
    for row in result["rows"]:
        assert row["rating"] == pytest.approx(expected[row["model"]], abs=1e-3)


def test_ranking_to_pairs_expands_best_first_lists():
    model_a, model_b, outcome, index = ranking_to_pairs([["x", "y", "z"], ["q"], ["y", "x"]])
    pairs = sorted(zip(index.tolist(), model_a.tolist(), model_b.tolist(), strict=True))
    assert pairs == [(0, "x", "y"), (0, "x", "z"), (0, "y", "z"), (2, "y", "x")]
    assert outcome.tolist() == [1.0] * 4


def test_ranking_to_pairs_of_nothing_is_empty():
    model_a, _, _, index = ranking_to_pairs([["only"]])
    assert len(model_a) == 0 and len(index) == 0


def test_consistent_rankings_order_the_models():
    rankings = [["x", "y", "z"]] * 5 + [["y", "x", "z"]] * 2
    model_a, model_b, outcome, _ = ranking_to_pairs(rankings)
    ratings = ratings_by_model(model_a, model_b, outcome)
    assert ratings["x"] > ratings["y"]


# the PandaLM test set replayed through the app (real data: import, judgments, stats)

PANDALM = Path(__file__).resolve().parents[4] / "shared" / "data" / "pandalm_testset_3annotators.jsonl"
PANDALM_RATERS = ("annotator1", "annotator2", "annotator3")
PANDALM_OUTCOME = {1: 1.0, 2: 0.0, 0: 0.5}  # response1 better, response2 better, similar quality


def pandalm_text(value) -> str:
    """Six outputs are JSON ``true`` in the source; as an answer they read 'true'."""
    return value if isinstance(value, str) else json.dumps(value)


def pandalm_candidates(row: dict) -> dict:
    """One item as a ``candidates`` line: ``cmp_key`` is "<model of response1>_<model of response2>"."""
    model_1, model_2 = row["cmp_key"].split("_")
    prompt = row["instruction"] + (f"\n\n{row['input']}" if row["input"] else "")
    return {"prompt": prompt, "id": str(row["idx"]), "responses": [
        {"text": pandalm_text(row["response1"]), "model": model_1},
        {"text": pandalm_text(row["response2"]), "model": model_2}]}


def judge_pandalm(project, rows: list[dict]) -> None:
    """Each rater's label on each item as a judgment on the item's stored comparison."""
    letters = {}  # (prompt id, {model: text}) -> {model: letter}
    for comparison in project.comparisons.prefetch_related("positions__response"):
        positions = comparison.positions.all()
        key = (comparison.prompt_id, frozenset((s.response.model_name, s.response.text) for s in positions))
        letters[key] = (comparison, {s.response.model_name: LETTERS[s.position] for s in positions})
    prompts = dict(Prompt.objects.filter(project=project).values_list("content_hash", "id"))
    raters = [UserFactory(username=name) for name in PANDALM_RATERS]
    judgments = []
    for row in rows:
        line = pandalm_candidates(row)
        key = frozenset((r["model"], r["text"]) for r in line["responses"])
        prompt_hash = messages_hash([{"role": "user", "content": line["prompt"]}])
        comparison, letter = letters[(prompts[prompt_hash], key)]
        for rater, name in zip(raters, PANDALM_RATERS, strict=True):
            label = row[name]
            winner = "tie" if label == 0 else letter[line["responses"][label - 1]["model"]]
            judgments.append(Judgment(project=project, comparison=comparison, annotator=rater, winner=winner,
                                      client_key=new_client_key()))
    Judgment.objects.bulk_create(judgments)


@pytest.mark.skipif(not PANDALM.exists(), reason="../shared/data is not beside this checkout")
def test_pandalm_imports_as_it_is_and_three_raters_give_the_independent_bradley_terry_fit(project):
    """999 items, 54 empty outputs, and models that gave the same text to one prompt (e.g. opt-7b
    and bloom-7b both answering "Good evening."): every label must count for the model it judged."""
    rows = [json.loads(line) for line in PANDALM.read_text().splitlines()]
    lines = [json.dumps(pandalm_candidates(row)).encode() for row in rows]
    result = import_file(project=project, lines=lines, format="candidates")
    assert result.skipped == [] and result.counts["comparisons"] == 999
    empty = {(r["instruction"], r["input"], r["cmp_key"].split("_")[i]) for r in rows for i in (0, 1) if r[f"response{i + 1}"] == ""}
    assert Response.objects.filter(project=project, text="").count() == len(empty)
    judge_pandalm(project, rows)

    model_a = np.array([r["cmp_key"].split("_")[0] for r in rows for _ in PANDALM_RATERS])
    model_b = np.array([r["cmp_key"].split("_")[1] for r in rows for _ in PANDALM_RATERS])
    outcome = np.array([PANDALM_OUTCOME[r[name]] for r in rows for name in PANDALM_RATERS])
    models, expected = sklearn_ratings(model_a, model_b, outcome)
    ratings = project_stats_compute(project)["ratings"]
    assert ratings["n"] == 2997 and ratings["excluded"] == {"same_model": 0, "no_model": 0}
    got = {row["model"]: row["rating"] for row in ratings["bradley_terry"]}
    assert got == pytest.approx(dict(zip(models.tolist(), expected, strict=True)), abs=0.01)
    counts = {row["model"]: row["n"] for row in ratings["bradley_terry"]}
    assert counts == {m: int(np.sum(model_a == m) + np.sum(model_b == m)) for m in models}


def test_the_length_coefficients_standard_error_matches_statsmodels():
    """The observed-information standard error, against statsmodels' logistic regression on the
    same design (model 0 held fixed)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    n, size = 3000, 4
    a = rng.integers(0, size, n)
    b = (a + rng.integers(1, size, n)) % size
    length_a, length_b = rng.integers(50, 500, n).astype(float), rng.integers(50, 500, n).astype(float)
    diff = (length_a - length_b) / (length_a + length_b)
    strength = np.array([0.3, 0.0, -0.2, 0.1])
    p = 1 / (1 + np.exp(-(math.log(10) * (strength[a] - strength[b]) + 0.8 * diff)))
    outcome = (rng.random(n) < p).astype(float)
    ours = length_controlled_bradley_terry(a, b, outcome, length_a, length_b)
    design = np.zeros((n, size))
    design[np.arange(n), a] += math.log(10)
    design[np.arange(n), b] -= math.log(10)
    fit = sm.Logit(outcome, np.column_stack([design[:, 1:], diff])).fit(disp=0)
    assert ours["length_coef"] == pytest.approx(fit.params[-1], abs=1e-6)
    assert ours["length_coef_se"] == pytest.approx(fit.bse[-1], rel=1e-6)


def test_length_told_apart_from_nothing_has_no_standard_error():
    """Every response of m1 longer than m2's: length and model are one, its coefficient has no
    estimate (a walkthrough saw "longer responses won more often (coefficient 3.46)" on this)."""
    model_a, model_b = ["m1", "m2"] * 20, ["m2", "m1"] * 20
    outcome = [1.0, 0.0] * 10 + [0.0, 1.0] * 10
    length_a, length_b = [400.0, 100.0] * 20, [100.0, 400.0] * 20
    assert length_controlled_bradley_terry(model_a, model_b, outcome, length_a, length_b)["length_coef_se"] is None

