"""Dawid–Skene aggregation: hand-checkable cases, simulated annotators with known reliability,
and agreement with crowd-kit's independent implementation."""

import numpy as np
import pytest

from labeling.stats.dawid_skene import dawid_skene, majority_posterior


def simulate(reliabilities, n_items=1500, per_item=3, n_classes=3, seed=0):
    """Each annotator gives the true class with probability `reliability`, else a uniformly
    random other class; each item is labelled by `per_item` distinct random annotators."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(n_classes, size=n_items)
    items, raters, labels = [], [], []
    for item in range(n_items):
        for rater in rng.choice(len(reliabilities), size=per_item, replace=False):
            correct = rng.random() < reliabilities[rater]
            wrong = (truth[item] + rng.integers(1, n_classes)) % n_classes
            items.append(item)
            raters.append(rater)
            labels.append(truth[item] if correct else wrong)
    return truth, np.array(items), np.array(raters), np.array(labels)


def test_unanimous_annotators_give_certain_labels():
    fit = dawid_skene([0, 0, 1, 1], [0, 1, 0, 1], [2, 2, 0, 0], n_classes=3)
    assert fit.classes.tolist() == [2, 0]
    assert fit.confidence.min() > 0.95
    np.testing.assert_allclose(fit.posterior.sum(axis=1), 1.0)


def test_majority_posterior_is_the_share_of_each_answer():
    shares = majority_posterior(np.array([0, 0, 0, 1]), np.array([1, 1, 2, 0]), 2, 3)
    np.testing.assert_allclose(shares, [[0, 2 / 3, 1 / 3], [1, 0, 0]])


def test_relabelling_classes_permutes_the_posterior():
    _, items, raters, labels = simulate([0.9, 0.7, 0.6, 0.5], n_items=300)
    fit = dawid_skene(items, raters, labels, 3)
    permuted = dawid_skene(items, raters, (labels + 1) % 3, 3)
    np.testing.assert_allclose(permuted.posterior, np.roll(fit.posterior, 1, axis=1), atol=1e-6)


def test_beats_majority_when_reliability_differs_and_recovers_each_annotator():
    reliabilities = [0.92, 0.88, 0.5, 0.4, 0.38]
    truth, items, raters, labels = simulate(reliabilities)
    fit = dawid_skene(items, raters, labels, 3)
    majority = majority_posterior(items, labels, len(truth), 3)
    # a majority tie is decided by argmax's first class, as a fixed tie-break would be
    majority_accuracy = (majority.argmax(axis=1) == truth).mean()
    ds_accuracy = (fit.classes == truth).mean()
    print(f"accuracy: majority {majority_accuracy:.3f}, Dawid-Skene {ds_accuracy:.3f}")
    assert ds_accuracy > majority_accuracy + 0.05
    np.testing.assert_allclose(fit.reliability, reliabilities, atol=0.05)
    # the posterior is calibrated: its mean confidence matches how often it is right
    assert abs(fit.confidence.mean() - ds_accuracy) < 0.03


@pytest.mark.filterwarnings("ignore")  # crowd-kit's own pandas deprecations
def test_matches_crowd_kit():
    pd = pytest.importorskip("pandas")
    crowdkit = pytest.importorskip("crowdkit.aggregation")
    _, items, raters, labels = simulate([0.9, 0.8, 0.6, 0.45], n_items=400, seed=3)
    ours = dawid_skene(items, raters, labels, 3, smoothing=0.0, max_iter=500, tol=1e-10)
    frame = pd.DataFrame({"task": items, "worker": raters, "label": labels})
    theirs = crowdkit.DawidSkene(n_iter=500, tol=1e-12).fit(frame)
    probas = theirs.probas_.sort_index()[[0, 1, 2]].to_numpy()
    np.testing.assert_allclose(ours.posterior, probas, atol=1e-4)


def test_refuses_labels_outside_the_classes():
    with pytest.raises(ValueError, match="0..2"):
        dawid_skene([0], [0], [3], n_classes=3)
