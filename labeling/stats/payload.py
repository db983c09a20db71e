"""Project statistics: agreement, annotator quality and model ratings, computed into one payload.

``project_stats_compute`` reads the project (``labeling.stats.selectors``), reshapes the rows
(``labeling.stats.arrays``) and runs the maths (``agreement``, ``annotator_quality``,
``ratings``) into one JSON payload; ``labeling.stats.services`` caches it. Every random step is seeded, so the same data gives the
same payload. Figures that are undefined are ``None`` with a reason, never a made-up number.

What is counted where:

* Gold comparisons are quality checks (often hand-made, served to everyone): they feed the
  annotators' gold accuracy, not agreement or ratings, where they would outweigh the rest.
* Imported labels (users named ``import:<source>``) stand for many unknown people: they get no
  annotator row and are left out of the leave-one-out majorities, but they count in agreement
  (as one rater) and in the ratings, which are about the models, not the people.
* Judges' judgments (``labeling.models.Judge``) count nowhere but in ``judges``: not in
  agreement, annotator rows, counts (beyond ``judge_judgments``) or ratings (``labels: human``).
* Judgments rejected in review are never read (``selectors.counted_judgments``).
* A ranking of K responses counts as its K(K-1)/2 implied pairs in the ratings and in
  agreement. The pairs of one ranking are not independent, so the bootstrap intervals of a
  ranking project are somewhat narrower than they should be.
"""

from __future__ import annotations

import math
import time

import numpy as np
from django.utils import timezone
from threadpoolctl import threadpool_limits  # a scikit-learn dependency

from labeling.models import Project
from labeling.stats.agreement import (
    ValueCounts,
    bootstrap_alpha_ci_rows,
    cohen_kappa_mean_rows,
    fleiss_kappa,
)
from labeling.stats.annotator_quality import annotator_report, comparison_chars
from labeling.stats.arrays import (
    MISSING,
    PairRows,
    agreement_units,
    equal_count_rows,
    gold_label,
    id_codes,
    merge_by_comparison,
    pair_rows,
    pairs_among,
    unit_matrix,
)
from labeling.stats.context import (
    ProjectContext,
    annotator_identities,
    import_sources,
    project_context,
)
from labeling.stats.judges import judges_block
from labeling.stats.ratings import (
    bradley_terry,
    bradley_terry_bootstrap,
    length_controlled_bradley_terry,
    online_elo,
    pairwise_arrays,
    win_rate_matrix,
)
from labeling.stats.reliability import annotator_reliability
from labeling.stats.selectors import (
    JudgmentArrays,
    PositionArrays,
    criterion_arrays,
    in_snapshot,
    judgment_arrays,
    position_arrays,
    stats_snapshot,
)

SEED = 20240601
ALPHA_CI_ROUNDS = 1000
RATING_ROUNDS = 100  # Chatbot Arena's bootstrap
UNNAMED_MODEL = "(unnamed)"
# Whose verdicts the leaderboard counts: humans' (imported labels included), never judges'. A
# judge rating the models it may have been trained against would grade its own homework.
RATING_LABELS = "human"

NO_JUDGMENTS = "no judgments yet"
ONE_RATER = "only one annotator"
NO_OVERLAP = "no comparison was judged by two annotators"
NO_VARIATION = "every judgment gave the same answer, so agreement beyond chance is undefined"
NO_COHEN_PAIR = "no pair of annotators has a defined kappa (each pair gave one answer throughout)"
NO_SCALE = "the project has no strength scale"
RANKING_NO_STRENGTH = "ranking judgments have no strength"
NO_MODEL_NAMES = "the responses carry no model names (as in HH-RLHF), so there are no models to rate"


# --- the payload ------------------------------------------------------------------------------


def project_stats_compute(project: Project) -> dict:
    """Read the project and compute its statistics payload (see the API for its schema).

    Reads run in one snapshot; nothing is written. ``seconds`` says how long each part took.
    Judges' judgments count in ``judges`` only; rejected judgments are not read at all.
    """
    started, clock = timezone.now(), time.perf_counter()
    with stats_snapshot() as snapshot:
        # the position and response scans take about as long as the judgment scan: a second
        # connection; the small reads (their scans of leases and comparisons) a third, so that
        # they no longer wait for the judgment read to end
        pending_positions = in_snapshot(snapshot, position_arrays, project)
        pending_context = in_snapshot(snapshot, project_context, project)
        judgments = judgment_arrays(project)
        context = pending_context.result()
        criteria = {name: criterion_arrays(project, name) for name in project.criteria}
        names, judges = annotator_identities(project, judgments.annotator, context.skipped[:, 1])
        positions = pending_positions.result()
    seconds = {"read": time.perf_counter() - clock}
    humans, human_criteria = _people(judgments, criteria, judges)
    regular = _subset(humans, ~np.isin(humans.comparison, list(context.gold)))
    payload = {
        "project": project.pk,
        "task_type": project.task_type,
        "computed_at": started.isoformat(),
        "judgments": len(judgments.id),  # the watermark: judgments this payload counts, judges' too
        "last_judgment_id": int(judgments.id.max()) if len(judgments.id) else 0,
        "counts": _counts(project, humans, context, names) | {"judge_judgments": len(judgments.id) - len(humans.id)},
    }
    # The BLAS calls here are tiny (50 x 50 at most): BLAS threads only spin, and cost about
    # 20% more CPU time on two cores.
    with threadpool_limits(limits=1, user_api="blas"):
        payload["agreement"], seconds["agreement"] = _timed(_agreement_with_criteria, project, regular, human_criteria, context)
        payload["annotators"], seconds["annotators"] = _timed(_annotators, project, humans, context, names, positions)
        payload["ratings"], seconds["ratings"] = _timed(_ratings, project, regular, positions)
        payload["judges"], seconds["judges"] = _timed(_judges, judges, judgments, criteria, context, positions)
    payload["seconds"] = {**seconds, "total": time.perf_counter() - clock}
    return _json_safe(payload)


def _people(judgments: JudgmentArrays, criteria: dict, judges: dict) -> tuple[JudgmentArrays, dict]:
    """The judgments and criterion verdicts of people: without the judges' (no copy without judges)."""
    if not judges:
        return judgments, criteria
    judge_ids = np.array(list(judges), dtype=np.int64)
    return (_subset(judgments, ~np.isin(judgments.annotator, judge_ids)),
            {name: _subset(rows, ~np.isin(rows.annotator, judge_ids)) for name, rows in criteria.items()})


def _judges(judges: dict, judgments: JudgmentArrays, criteria: dict, context, positions) -> list[dict]:
    """Each judge against the humans on regular comparisons (``labeling.stats.judges``)."""
    if not judges:
        return []
    gold = list(context.gold)
    counts = dict(zip(*np.unique(judgments.annotator, return_counts=True), strict=True))
    regular = {name: _subset(rows, ~np.isin(rows.comparison, gold)) for name, rows in criteria.items()}
    return judges_block(judges, counts, _subset(judgments, ~np.isin(judgments.comparison, gold)), regular, positions)


def _timed(function, *args) -> tuple[object, float]:
    start = time.perf_counter()
    return function(*args), time.perf_counter() - start


def _subset(arrays: JudgmentArrays, keep: np.ndarray) -> JudgmentArrays:
    if keep.all():  # no judge, import or gold to leave out: no copy of a million rows
        return arrays
    rankings = None if arrays.rankings is None else [arrays.rankings[i] for i in np.flatnonzero(keep)]
    levels = None if arrays.levels is None else [arrays.levels[i] for i in np.flatnonzero(keep)]
    return JudgmentArrays(
        id=arrays.id[keep], comparison=arrays.comparison[keep], annotator=arrays.annotator[keep],
        signed=arrays.signed[keep], seconds=arrays.seconds[keep], rankings=rankings, levels=levels,
    )


def _counts(project: Project, judgments: JudgmentArrays, context: ProjectContext, names: dict) -> dict:
    judged, codes = id_codes(judgments.comparison)
    regular = ~np.isin(judgments.comparison, list(context.gold))
    per_comparison = np.bincount(codes[regular], minlength=len(judged))
    imported = import_sources(judgments.annotator, names)
    return {
        "comparisons": context.comparisons,
        "gold_comparisons": len(context.gold),
        "judgments": len(judgments.id),
        "judged_comparisons": len(judged),
        "complete_comparisons": int(np.sum(per_comparison >= project.overlap)),
        # Judgments holding a tie: a pairwise tie, or a ranking with positions ranked equal (levels: None if none has).
        "ties": int(np.sum(judgments.signed == 0)) if judgments.rankings is None
        else sum(len(set(levels)) < len(levels) for levels in judgments.levels or []),
        "skips": len(context.skipped),
        "flags": context.flags,
        "annotators": len(id_codes(judgments.annotator[~imported])[0]),
        "imported_judgments": int(imported.sum()),
    }


# --- agreement --------------------------------------------------------------------------------


def _agreement_with_criteria(project: Project, judgments: JudgmentArrays, criteria: dict, context) -> dict:
    """The main result's agreement, with each criterion's under ``criteria`` (gold left out)."""
    block = _agreement(project, judgments)
    block["criteria"] = {
        name: _agreement(project, _subset(rows, ~np.isin(rows.comparison, list(context.gold))))
        for name, rows in criteria.items()
    }
    return block


def _agreement(project: Project, judgments: JudgmentArrays) -> dict:
    """Agreement among raters on regular comparisons (a ranking's implied pairs are the units).

    Nominal figures take the winner as a category (a, tie and b equally far apart); ordinal and
    interval alpha take the signed strength score (-S..S, a tie at 0).
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
    strength = _strength_figures(project, judgments, scores, reason)
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


def _strength_figures(project: Project, judgments: JudgmentArrays, scores, reason) -> tuple[dict, dict]:
    names = ("krippendorff_alpha_ordinal", "krippendorff_alpha_interval")
    if judgments.rankings is not None:
        reason = reason or RANKING_NO_STRENGTH
    elif not project.strength_scale:
        reason = reason or NO_SCALE
    if reason:
        return dict.fromkeys(names), dict.fromkeys(names, reason)
    counted = ValueCounts.of(scores)
    figures = {"krippendorff_alpha_ordinal": counted.alpha("ordinal"), "krippendorff_alpha_interval": counted.alpha("interval")}
    return figures, {name: NO_VARIATION for name in names if figures[name] is None}


# --- annotators -------------------------------------------------------------------------------


def _annotators(
    project: Project, judgments: JudgmentArrays, context: ProjectContext, names: dict, positions: PositionArrays
) -> list[dict]:
    """Quality rows for the people who judged or skipped (import sources left out).

    Rows are judgments (label: the winner's sign, or a ranking's top position) and skipped
    leases (label NaN). Agreement is with the leave-one-out majority of the other people; a
    judgment's reading is its comparison's responses (too_fast: annotator_quality.speed_figures).
    ``reliability``: the Dawid–Skene estimate over the people's verdicts (``reliability``).
    """
    human = ~import_sources(judgments.annotator, names)
    ranking = judgments.rankings is not None
    labels = (np.array([r[0] for r in judgments.rankings], dtype=float) if ranking
              else np.sign(judgments.signed).astype(float))
    skipped = context.skipped[~import_sources(context.skipped[:, 1], names)]
    comparison = np.r_[judgments.comparison[human], skipped[:, 0]]
    annotator = np.r_[judgments.annotator[human], skipped[:, 1]]
    if len(annotator) == 0:
        return []
    gold = {cid: gold_label(answer, ranking) for cid, answer in context.gold.items()}
    report = annotator_report(
        annotator, comparison, np.r_[labels[human], np.full(len(skipped), np.nan)],
        seconds=np.r_[judgments.seconds[human], np.full(len(skipped), np.nan)],
        flagged=pairs_among(comparison, annotator, context.flagged),
        tie_answer=None if ranking else 0.0,
        gold={cid: label for cid, label in gold.items() if label is not None},
        order=np.r_[judgments.id[human], np.zeros(len(skipped), np.int64)],  # skips are never compared
        chars=comparison_chars(positions, comparison),
        gold_only=(context.rejected_gold[:, 0], context.rejected_gold[:, 1], context.rejected_gold[:, 2]),
    )
    people = _subset(judgments, human)
    reliability = annotator_reliability(people.comparison, people.annotator, people.signed, people.rankings, people.levels)
    return [{"username": names.get(row["annotator"], ""), **row, "reliability": reliability.get(row["annotator"])}
            for row in report]


# --- ratings ----------------------------------------------------------------------------------


def _ratings(project: Project, judgments: JudgmentArrays, positions: PositionArrays) -> dict:
    """Bradley-Terry with intervals, online Elo, strength-weighted and length-controlled
    Bradley-Terry, and the win-rate matrix, over pairs of different models.

    Left out: pairs of one model with itself, and pairs that name no model (both responses
    unnamed, as in HH-RLHF, or a position not found). A named model against unnamed responses is
    rated, the unnamed ones pooled as ``UNNAMED_MODEL``.
    """
    rows = pair_rows(judgments.comparison, judgments.signed, judgments.rankings,
                     (positions.comparison, positions.position, positions.model, positions.length), judgments.levels)
    unnamed = positions.models.index("") if "" in positions.models else MISSING  # the blank name's code
    unknown = (rows.model_a == MISSING) | (rows.model_b == MISSING) | (
        (rows.model_a == unnamed) & (rows.model_b == unnamed))
    same = ~unknown & (rows.model_a == rows.model_b)
    rows = rows.select(~unknown & ~same)
    names = [name or UNNAMED_MODEL for name in positions.models]
    block = {"n": len(rows.outcome), "excluded": {"same_model": int(same.sum()), "no_model": int(unknown.sum())},
             "scale": "Elo points: 400 apart means 10:1 odds; the mean rating is 1000", "labels": RATING_LABELS}
    if len(rows.outcome) == 0:
        reason = NO_JUDGMENTS
        if same.any() or unknown.any():
            reason = NO_MODEL_NAMES if set(positions.models) <= {""} else "no judgment compares two different models"
        empty = {"bradley_terry": [], "elo": [], "strength_weighted": None,
                 "length_controlled": {"rows": [], "length_coef": None}, "win_rate": {"models": [], "matrix": []}}
        return {**block, **empty, "reason": reason}
    pairwise = judgments.rankings is None
    by_comparison = merge_by_comparison(rows, judgments.comparison) if pairwise else (rows, None)
    fits = _fits(rows, by_comparison, weighted=pairwise and bool(project.strength_scale))
    return {**block, **_named(fits, names), "reason": None}


def _fits(rows: PairRows, by_comparison: tuple[PairRows, np.ndarray | None], weighted: bool) -> dict:
    """The rating tables, models still as codes. ``by_comparison``: the rows merged for the
    length-controlled fit, whose cost grows with its rows (see ``merge_by_comparison``)."""
    matchups = pairwise_arrays(rows.model_a, rows.model_b, rows.outcome)
    merged, counts = by_comparison
    length = length_controlled_bradley_terry(
        merged.model_a, merged.model_b, merged.outcome, merged.length_a, merged.length_b, weight=counts)
    strength = None
    if weighted:  # a sensitivity check beside the leaderboard: the fit alone, no bootstrap
        weighted_matchups = pairwise_arrays(rows.model_a, rows.model_b, rows.outcome, rows.weight)
        strength = _ranked(weighted_matchups.models, bradley_terry(weighted_matchups), weighted_matchups.appearances())
    elo = online_elo(rows.model_a, rows.model_b, rows.outcome)
    return {
        "bradley_terry": bradley_terry_bootstrap(matchups, n_boot=RATING_ROUNDS, seed=SEED),
        "elo": _ranked([r["model"] for r in elo], [r["rating"] for r in elo], [r["n"] for r in elo]),
        "strength_weighted": strength,
        "length_controlled": length,
        "win_rate": {"models": matchups.models.tolist(), "matrix": win_rate_matrix(matchups).tolist()},
    }


def _ranked(models, ratings, appearances) -> list[dict]:
    """Rating rows without an interval (null), ranked by rating alone, best first."""
    ratings = np.asarray(ratings, dtype=float)
    order = np.argsort(-ratings, kind="stable")
    return [
        {"model": int(models[i]), "rating": float(ratings[i]), "ci_low": None, "ci_high": None,
         "rank": int(1 + np.sum(ratings > ratings[i])), "n": int(appearances[i])}
        for i in order
    ]


def _named(fits: dict, names: list[str]) -> dict:
    """Model codes replaced by names throughout the rating tables."""
    def rows(table):
        return None if table is None else [{**row, "model": names[row["model"]]} for row in table]

    length = fits["length_controlled"]
    return {
        **fits,
        **{key: rows(fits[key]) for key in ("bradley_terry", "elo", "strength_weighted")},
        "length_controlled": {"rows": rows(length["rows"]), "length_coef": length["length_coef"]},
        "win_rate": {"models": [names[m] for m in fits["win_rate"]["models"]], "matrix": fits["win_rate"]["matrix"]},
    }


def _json_safe(value):
    """numpy scalars to Python, NaN and infinities to None (JSON has neither)."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
