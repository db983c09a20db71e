"""Each annotator's Dawid–Skene reliability in the annotator rows (issue #18, deliverable 7):
simulated annotators of known accuracy, the null cases, and the payload's rows."""

import numpy as np
import pytest

from labeling.stats import reliability
from labeling.stats.payload import project_stats_compute
from labeling.stats.reliability import MIN_SHARED_JUDGMENTS, annotator_reliability
from tests.factories import UserFactory, add_member, make_comparison
from tests.labeling.stats.judge_builders import make_judge, rejected, verdict

SIGNED = np.array([1, -1, 0])  # verdict classes a, b, tie as JudgmentArrays.signed codes them


def simulate(accuracies, n_comparisons=600, seed=0):
    """Every annotator judges every comparison: the true verdict with probability ``accuracy``,
    else one of the other two at random. Returns judgment arrays (comparison, annotator, signed)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(3, size=n_comparisons)
    comparison, annotator, signed = [], [], []
    for person, accuracy in enumerate(accuracies, start=100):
        right = rng.random(n_comparisons) < accuracy
        wrong = (truth + rng.integers(1, 3, size=n_comparisons)) % 3
        comparison.append(np.arange(n_comparisons) + 7)
        annotator.append(np.full(n_comparisons, person))
        signed.append(SIGNED[np.where(right, truth, wrong)])
    return np.concatenate(comparison), np.concatenate(annotator), np.concatenate(signed)


def test_a_careful_annotator_is_more_reliable_than_a_random_one_and_near_its_accuracy():
    # 100: careful (90%), 101: random (right a third of the time, like a uniform guess), 102-103: the crowd
    reliability = annotator_reliability(*simulate([0.9, 1 / 3, 0.75, 0.7]))
    assert set(reliability) == {100, 101, 102, 103}
    assert reliability[100] > reliability[102] > reliability[101]
    assert reliability[100] == pytest.approx(0.9, abs=0.04)
    assert reliability[101] == pytest.approx(1 / 3, abs=0.06)


def test_a_ranking_is_read_as_its_implied_pairs():
    rng = np.random.default_rng(1)
    comparison, annotator, rankings = [], [], []
    for c in range(200):
        truth = rng.permutation(3).tolist()
        for person, careful in ((1, True), (2, True), (3, False)):
            comparison.append(c)
            annotator.append(person)
            rankings.append(truth if careful and rng.random() < 0.9 else rng.permutation(3).tolist())
    reliability = annotator_reliability(comparison, annotator, np.zeros(len(comparison)), rankings)
    # a careful pair verdict is right 90% + 10% x 1/2 of the time, a random one half the time
    assert reliability[1] == pytest.approx(0.95, abs=0.04) and reliability[2] == pytest.approx(0.95, abs=0.04)
    assert reliability[3] == pytest.approx(0.5, abs=0.1)


def test_a_single_annotator_gets_no_reliability():
    comparison, annotator, signed = simulate([0.9])
    assert annotator_reliability(comparison, annotator, signed) == {100: None}
    assert annotator_reliability([], [], []) == {}


def test_too_few_judgments_shared_with_others_give_null():
    comparison, annotator, signed = simulate([0.9, 0.8, 0.7], n_comparisons=50)
    late = MIN_SHARED_JUDGMENTS - 1  # judged this many comparisons the others judged, and 30 alone
    comparison = np.r_[comparison, np.arange(late) + 7, np.arange(30) + 1000]
    annotator = np.r_[annotator, np.full(late + 30, 200)]
    signed = np.r_[signed, np.ones(late + 30, dtype=np.int64)]
    reliability = annotator_reliability(comparison, annotator, signed)
    assert reliability[200] is None
    assert all(reliability[person] is not None for person in (100, 101, 102))
    # nobody shares a comparison: nothing to fit
    assert annotator_reliability([1, 2, 3, 4, 5, 6], [1, 1, 1, 2, 2, 2], [1, 1, 0, -1, 1, 0]) == {1: None, 2: None}


# --- the payload's annotator rows --------------------------------------------------------------


@pytest.fixture
def crowd(project):
    """Three people on nine comparisons: two agree (a, b, tie in turn), the third never does.

    The true verdicts vary: were one always right, a dissenter could not be told from the rest."""
    users = [UserFactory(username=f"crowd-{i}") for i in range(3)]
    for user in users:
        add_member(project, user)
    comparisons = [make_comparison(project) for _ in range(9)]
    for n, comparison in enumerate(comparisons):
        agreed, other = ("a", "b", "tie")[n % 3], ("b", "tie", "a")[n % 3]
        for user, winner in zip(users, (agreed, agreed, other), strict=True):
            verdict(comparison, user, winner, strength=1)
    return users, comparisons


def test_annotator_rows_carry_the_reliability(project, crowd):
    users, _ = crowd
    rows = {row["annotator"]: row for row in project_stats_compute(project)["annotators"]}
    agreeing, dissenting = rows[users[0].pk]["reliability"], rows[users[2].pk]["reliability"]
    assert agreeing > 0.9 and dissenting < 0.2
    assert rows[users[1].pk]["reliability"] == pytest.approx(agreeing)


def test_judges_and_rejected_judgments_do_not_count_toward_reliability(project, annotator):
    judge = make_judge(project)
    late = UserFactory(username="rejected-rater")
    add_member(project, late)
    for _ in range(8):
        comparison = make_comparison(project)
        verdict(comparison, annotator, "a", strength=1)
        verdict(comparison, judge.user, "b", strength=1)
        rejected(comparison, late, "b", strength=1)
    rows = project_stats_compute(project)["annotators"]
    assert [(row["annotator"], row["reliability"]) for row in rows] == [(annotator.pk, None)]


def test_a_large_project_is_fitted_on_a_sample_that_moves_no_estimate_much(monkeypatch):
    rng = np.random.default_rng(3)
    n_comparisons, accuracy = 6000, np.r_[np.full(8, 0.9), np.full(4, 0.6)]
    comparison = np.repeat(np.arange(n_comparisons), 3)
    annotator = np.concatenate([rng.choice(12, 3, replace=False) for _ in range(n_comparisons)]) + 1
    truth = rng.choice([1, -1, 0], n_comparisons, p=[0.45, 0.45, 0.1])[comparison]
    right = rng.random(len(comparison)) < accuracy[annotator - 1]
    signed = np.where(right, truth, rng.choice([1, -1, 0], len(comparison)))
    whole = annotator_reliability(comparison, annotator, signed)
    monkeypatch.setattr(reliability, "MAX_UNITS", 2000)
    monkeypatch.setattr(reliability, "FULL_BELOW", 10)
    sampled = annotator_reliability(comparison, annotator, signed)
    assert whole.keys() == sampled.keys()
    assert max(abs(whole[a] - sampled[a]) for a in whole) < 0.03  # a third of the units, ~500 rows each
    assert whole != sampled  # the sample was taken
