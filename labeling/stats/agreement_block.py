"""The stats payload's agreement block: Krippendorff's alpha (nominal with its interval; ordinal
and interval on the strength scale), Fleiss' and Cohen's kappa and percent agreement, for the
main verdict and each criterion, with the reason of every figure that is null.

Gold comparisons are left out (``labeling.stats.payload`` says what counts where). A ranking's
implied pairs are the units. The figures on the strength scale take only the verdicts on it
(``JudgmentArrays.scored``): an imported label carries no strength and is left out of them, never
read as the weakest strength.
"""

from __future__ import annotations

import numpy as np

from labeling.models import Project
from labeling.stats.agreement import (
    ValueCounts,
    bootstrap_alpha_ci_rows,
    cohen_kappa_mean_rows,
    fleiss_kappa,
)
from labeling.stats.arrays import agreement_units, equal_count_rows, id_codes, unit_matrix
from labeling.stats.selectors import JudgmentArrays

SEED = 20240601  # every random step is seeded: the same data gives the same payload
ALPHA_CI_ROUNDS = 1000

NO_JUDGMENTS = "no judgments yet"
ONE_RATER = "only one annotator"
NO_OVERLAP = "no comparison was judged by two annotators"
NO_VARIATION = "every judgment gave the same answer, so agreement beyond chance is undefined"
NO_COHEN_PAIR = "no pair of annotators has a defined kappa (each pair gave one answer throughout)"
NO_SCALE = "the project has no strength scale"
RANKING_NO_STRENGTH = "ranking judgments have no strength"
NO_STRENGTH_GIVEN = "no judgment carries a strength (imported labels have none)"
NO_STRENGTH_OVERLAP = "no comparison was judged with a strength by two annotators"


def agreement_with_criteria(project: Project, judgments: JudgmentArrays, criteria: dict, context) -> dict:
    """The main result's agreement, with each criterion's under ``criteria`` (gold left out)."""
    block = _agreement(project, judgments)
    block["criteria"] = {
        name: _agreement(project, rows.select(~np.isin(rows.comparison, list(context.gold))))
        for name, rows in criteria.items()
    }
    return block


def _agreement(project: Project, judgments: JudgmentArrays) -> dict:
    """Agreement among raters on regular comparisons (a ranking's implied pairs are the units).

    Nominal figures take the winner as a category (a, tie and b equally far apart); ordinal and
    interval alpha take the signed strength score (-S..S, a tie at 0) of the verdicts on the
    strength scale (``JudgmentArrays.scored``: imported labels carry no strength).
    """
    unit, rater, value = agreement_units(judgments.comparison, judgments.annotator, judgments.signed, judgments.rankings,
                                         judgments.levels)
    scores = unit_matrix(unit, value)
    winners = np.sign(scores)  # NaN stays NaN
    rated = np.sum(~np.isnan(scores), axis=1)
    raters = len(id_codes(rater)[0])
    block = {
        "unit": "comparison" if judgments.rankings is None else "implied pair",
        "n_units": int(np.sum(rated >= 2)), "n_raters": raters, "n_ratings": int(len(value)),
    }
    reason = NO_JUDGMENTS if len(value) == 0 else ONE_RATER if raters < 2 else NO_OVERLAP if block["n_units"] == 0 else None
    figures, reasons = _agreement_figures(winners, unit, rater, np.sign(value), reason)
    strength = _strength_figures(project, judgments, (unit, value, scores), reason)
    figures.update(strength[0])
    reasons.update(strength[1])
    return {**block, **figures, "reason": reason, "reasons": reasons}


def _agreement_figures(winners, unit, rater, nominal, reason) -> tuple[dict, dict]:
    names = ("krippendorff_alpha", "krippendorff_alpha_ci", "fleiss_kappa", "cohen_kappa_mean", "percent_agreement")
    if reason:
        return {**dict.fromkeys(names), "fleiss_units": 0, "fleiss_ratings_per_unit": 0}, dict.fromkeys(names, reason)
    fleiss_rows, per_unit = equal_count_rows(winners)
    counted = ValueCounts.of(winners)  # one count for alpha and percent agreement
    figures = {
        "krippendorff_alpha": counted.alpha("nominal"),
        "krippendorff_alpha_ci": bootstrap_alpha_ci_rows(unit, nominal, "nominal", n_boot=ALPHA_CI_ROUNDS, seed=SEED),
        # Fleiss needs equal counts: computed on the units with the most common count
        "fleiss_kappa": fleiss_kappa(fleiss_rows),
        "fleiss_units": len(fleiss_rows),
        "fleiss_ratings_per_unit": per_unit,
        "cohen_kappa_mean": cohen_kappa_mean_rows(unit, rater, nominal),
        "percent_agreement": counted.percent(),
    }
    reasons = {name: NO_VARIATION for name in names if figures[name] is None}
    if figures["cohen_kappa_mean"] is None:
        reasons["cohen_kappa_mean"] = NO_COHEN_PAIR
    return figures, reasons


def _strength_figures(project: Project, judgments: JudgmentArrays, units: tuple, reason) -> tuple[dict, dict]:
    """Ordinal and interval alpha on the verdicts with a strength; ``units``: ``(unit, value,
    scores)`` of all verdicts (``scores`` their unit matrix). A verdict without one is left out,
    never read as the weakest strength."""
    names = ("krippendorff_alpha_ordinal", "krippendorff_alpha_interval")
    unit, value, scores = units
    scored = judgments.scored if judgments.scored is not None else np.zeros(len(value), bool)
    if judgments.rankings is not None:
        reason = reason or RANKING_NO_STRENGTH
    elif not project.strength_scale:
        reason = reason or NO_SCALE
    elif not scored.any():
        reason = reason or NO_STRENGTH_GIVEN
    if not reason and not scored.all():
        scores = unit_matrix(unit[scored], value[scored])
        reason = NO_STRENGTH_OVERLAP if not np.any(np.sum(~np.isnan(scores), axis=1) >= 2) else None
    if reason:
        return dict.fromkeys(names), dict.fromkeys(names, reason)
    counted = ValueCounts.of(scores)
    figures = {"krippendorff_alpha_ordinal": counted.alpha("ordinal"), "krippendorff_alpha_interval": counted.alpha("interval")}
    return figures, {name: NO_VARIATION for name in names if figures[name] is None}
