"""Dawid–Skene: answers weighted by each annotator's estimated reliability (no Django).

A majority treats a careless annotator like a careful one. Dawid & Skene (1979,
"Maximum likelihood estimation of observer error-rates using the EM algorithm") model each
annotator by a confusion matrix ``pi[r, true, given]`` and each unit by a hidden true class, and
fit both by expectation–maximisation:

    E-step  T[i, k] ∝ p_k · Π_{(r, l) rated i} pi[r, k, l]
    M-step  p_k = mean_i T[i, k];   pi[r, k, l] ∝ Σ_{rows of r with answer l} T[i, k]

The fit starts from the (soft) majority, so with equally reliable annotators it stays
close to the majority, and moves away from it as some annotators prove better than others.
Classes are integers ``0..C-1`` (for a pairwise verdict: a, b, tie).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DawidSkeneFit:
    posterior: np.ndarray  # (units, C): P(true class | all answers); rows sum to 1
    confusion: np.ndarray  # (raters, C, C): P(answer l | true class k) for each annotator
    priors: np.ndarray  # (C,): share of each true class
    iterations: int

    @property
    def classes(self) -> np.ndarray:
        """The most probable class per unit, (units,)."""
        return self.posterior.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """The posterior probability of that class, (units,)."""
        return self.posterior.max(axis=1)

    @property
    def reliability(self) -> np.ndarray:
        """Each annotator's expected accuracy, Σ_k p_k · pi[r, k, k], (raters,)."""
        return np.einsum("k,rkk->r", self.priors, self.confusion)


def majority_posterior(units, answers, n_units: int, n_classes: int) -> np.ndarray:
    """Each unit's share of answers per class, (units, C): the soft majority."""
    counts = np.bincount(units * n_classes + answers, minlength=n_units * n_classes).reshape(n_units, n_classes)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def dawid_skene(
    units,
    raters,
    answers,
    n_classes: int,
    *,
    smoothing: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> DawidSkeneFit:
    """Fit Dawid–Skene to answer rows ``(units[j], raters[j], answers[j])``.

    ``units`` and ``raters`` are 0-based indices (0..n-1, every index used); ``answers`` are
    ``0..n_classes-1``. ``smoothing`` is a pseudo-count added to every confusion cell and
    class count, so an annotator seen on few units is not declared perfect (0 fits the plain
    maximum-likelihood model). Stops when no posterior moves by more than ``tol``.
    """
    units, raters, answers = (np.asarray(a, dtype=np.int64) for a in (units, raters, answers))
    if not len(units) or max_iter < 1:
        raise ValueError("no answers to aggregate, or max_iter below 1")
    if answers.min() < 0 or answers.max() >= n_classes:
        raise ValueError(f"answers must lie in 0..{n_classes - 1}")
    n_units, n_raters = int(units.max()) + 1, int(raters.max()) + 1
    posterior = majority_posterior(units, answers, n_units, n_classes)
    iterations, change = 0, np.inf
    while iterations < max_iter and change >= tol:
        priors, confusion = _m_step(posterior, units, raters, answers, n_raters, smoothing)
        updated = _e_step(priors, confusion, units, raters, answers, n_units)
        change = np.abs(updated - posterior).max()
        posterior, iterations = updated, iterations + 1
    return DawidSkeneFit(posterior, confusion, priors, iterations)


def _m_step(posterior, units, raters, answers, n_raters: int, smoothing: float):
    n_classes = posterior.shape[1]
    priors = posterior.sum(axis=0) + smoothing
    priors /= priors.sum()
    # each row adds its unit's posterior over the true class into (rater, :, given answer): one
    # weighted bincount per true class (np.add.at over the rows is several times slower)
    cell = raters * n_classes + answers
    by_true = [np.bincount(cell, weights=posterior[units, k], minlength=n_raters * n_classes) for k in range(n_classes)]
    counts = np.stack(by_true).reshape(n_classes, n_raters, n_classes).transpose(1, 0, 2) + smoothing  # (R, true, given)
    totals = counts.sum(axis=2, keepdims=True)
    # a rater never seen with some true class (possible without smoothing): uniform row
    confusion = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 1.0 / n_classes)
    return priors, confusion


def _e_step(priors, confusion, units, raters, answers, n_units: int) -> np.ndarray:
    with np.errstate(divide="ignore"):
        log_confusion = np.log(confusion)
        log_priors = np.log(priors)
    n_classes = len(priors)
    # Σ over a unit's rows of log pi[r, k, answer], one weighted bincount per class k
    log_posterior = np.stack(
        [np.bincount(units, weights=log_confusion[raters, k, answers], minlength=n_units) for k in range(n_classes)],
        axis=1,
    ) + log_priors  # (units, C)
    log_posterior -= log_posterior.max(axis=1, keepdims=True)
    posterior = np.exp(log_posterior)
    return posterior / posterior.sum(axis=1, keepdims=True)
