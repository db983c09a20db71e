"""Dawid–Skene: labels weighted by each annotator's estimated reliability (no Django).

A majority vote treats a careless annotator like a careful one. Dawid & Skene (1979,
"Maximum likelihood estimation of observer error-rates using the EM algorithm") model each
annotator by a confusion matrix ``pi[r, true, given]`` and each item by a hidden true class, and
fit both by expectation–maximisation:

    E-step  T[i, k] ∝ p_k · Π_{(r, l) rated i} pi[r, k, l]
    M-step  p_k = mean_i T[i, k];   pi[r, k, l] ∝ Σ_{rows of r with label l} T[i, k]

The fit starts from the (soft) majority vote, so with equally reliable annotators it stays
close to the majority, and moves away from it as some annotators prove better than others.
Classes are integers ``0..C-1`` (for a pairwise verdict: a, b, tie).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DawidSkeneFit:
    posterior: np.ndarray  # (items, C): P(true class | all labels); rows sum to 1
    confusion: np.ndarray  # (raters, C, C): P(label l | true class k) for each annotator
    priors: np.ndarray  # (C,): share of each true class
    iterations: int

    @property
    def labels(self) -> np.ndarray:
        """The most probable class per item, (items,)."""
        return self.posterior.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """The posterior probability of that class, (items,)."""
        return self.posterior.max(axis=1)

    @property
    def reliability(self) -> np.ndarray:
        """Each annotator's expected accuracy, Σ_k p_k · pi[r, k, k], (raters,)."""
        return np.einsum("k,rkk->r", self.priors, self.confusion)


def majority_posterior(items, labels, n_items: int, n_classes: int) -> np.ndarray:
    """Each item's share of votes per class, (items, C): the soft majority vote."""
    counts = np.zeros((n_items, n_classes))
    np.add.at(counts, (items, labels), 1.0)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def dawid_skene(
    items,
    raters,
    labels,
    n_classes: int,
    *,
    smoothing: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> DawidSkeneFit:
    """Fit Dawid–Skene to label rows ``(items[j], raters[j], labels[j])``.

    ``items`` and ``raters`` are 0-based indices (0..n-1, every index used); ``labels`` are
    ``0..n_classes-1``. ``smoothing`` is a pseudo-count added to every confusion cell and
    class count, so an annotator seen on few items is not declared perfect (0 fits the plain
    maximum-likelihood model). Stops when no posterior moves by more than ``tol``.
    """
    items, raters, labels = (np.asarray(a, dtype=np.int64) for a in (items, raters, labels))
    if not len(items) or max_iter < 1:
        raise ValueError("no labels to aggregate, or max_iter below 1")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    n_items, n_raters = int(items.max()) + 1, int(raters.max()) + 1
    posterior = majority_posterior(items, labels, n_items, n_classes)
    iterations, change = 0, np.inf
    while iterations < max_iter and change >= tol:
        priors, confusion = _m_step(posterior, items, raters, labels, n_raters, smoothing)
        updated = _e_step(priors, confusion, items, raters, labels, n_items)
        change = np.abs(updated - posterior).max()
        posterior, iterations = updated, iterations + 1
    return DawidSkeneFit(posterior, confusion, priors, iterations)


def _m_step(posterior, items, raters, labels, n_raters: int, smoothing: float):
    n_classes = posterior.shape[1]
    priors = posterior.sum(axis=0) + smoothing
    priors /= priors.sum()
    counts = np.full((n_raters, n_classes, n_classes), smoothing)  # (R, true, given)
    # each row adds its item's posterior over the true class into (rater, :, given label)
    np.add.at(counts, (raters, slice(None), labels), posterior[items])
    totals = counts.sum(axis=2, keepdims=True)
    # a rater never seen with some true class (possible without smoothing): uniform row
    confusion = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 1.0 / n_classes)
    return priors, confusion


def _e_step(priors, confusion, items, raters, labels, n_items: int) -> np.ndarray:
    with np.errstate(divide="ignore"):
        log_confusion = np.log(confusion)
        log_posterior = np.tile(np.log(priors), (n_items, 1))  # (items, C)
    np.add.at(log_posterior, items, log_confusion[raters, :, labels])  # rows: (n, C)
    log_posterior -= log_posterior.max(axis=1, keepdims=True)
    posterior = np.exp(log_posterior)
    return posterior / posterior.sum(axis=1, keepdims=True)
