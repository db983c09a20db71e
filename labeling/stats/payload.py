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
  (as one rater) and in the ratings, which are about the models, not the people; not in the
  figures on the strength scale (ordinal and interval alpha, strength-weighted ratings): they
  carry no strength, and are not the weakest one.
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
from labeling.stats.agreement_block import (  # the reasons, shared with the ratings and the tests
    NO_JUDGMENTS,
    NO_VARIATION,  # noqa: F401
    ONE_RATER,  # noqa: F401
    SEED,
    agreement_with_criteria,
)
from labeling.stats.annotator_quality import annotator_report, comparison_chars
from labeling.stats.arrays import (
    MISSING,
    PairRows,
    gold_label,
    id_codes,
    merge_by_comparison,
    pair_rows,
    pairs_among,
    ranking_tied,
    rows_beside,
    top_choice,
)
from labeling.stats.context import (
    ProjectContext,
    annotator_identities,
    import_sources,
    project_context,
)
from labeling.stats.judges import judges_block
from labeling.stats.leaderboard import bradley_terry_bootstrap, rated_models
from labeling.stats.ratings import (
    bradley_terry,
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

RATING_ROUNDS = 100  # Chatbot Arena's bootstrap
UNNAMED_MODEL = "(unnamed)"
# Whose verdicts the leaderboard counts: humans' (imported labels included), never judges'. A
# judge rating the models it may have been trained against would grade its own homework.
RATING_LABELS = "human"

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
        # who gave criterion verdicts alone (an import source naming its criterion) is named too
        alone = [rows.annotator[rows_beside(judgments.id, rows.id)] for rows in criteria.values()]
        names, judges = annotator_identities(project, judgments.annotator, context.skipped[:, 1], *alone)
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
        "counts": _counts(project, humans, human_criteria, context, names)
        | {"judge_judgments": len(judgments.id) - len(humans.id)},
    }
    # The BLAS calls here are tiny (50 x 50 at most): BLAS threads only spin, and cost about
    # 20% more CPU time on two cores.
    with threadpool_limits(limits=1, user_api="blas"):
        payload["agreement"], seconds["agreement"] = _timed(agreement_with_criteria, project, regular, human_criteria, context)
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
    return arrays.select(keep)  # no judge, import or gold to leave out: no copy of a million rows


def _counts(project: Project, judgments: JudgmentArrays, criteria: dict, context: ProjectContext, names: dict) -> dict:
    """Counts of people's judgments: every judgment, one giving criterion verdicts alone (an
    imported label naming its criterion) too, as the overview and ``judgment_count`` count them;
    the ties are the main verdict's."""
    comparison, annotator = _any_verdict(judgments, criteria)
    judged, codes = id_codes(comparison)
    regular = ~np.isin(comparison, list(context.gold))
    per_comparison = np.bincount(codes[regular], minlength=len(judged))
    imported = import_sources(annotator, names)
    return {
        "comparisons": context.comparisons,
        "gold_comparisons": len(context.gold),
        "judgments": len(comparison),
        "judged_comparisons": len(judged),
        "complete_comparisons": int(np.sum(per_comparison >= project.overlap)),
        # Judgments holding a tie: a pairwise tie, or a ranking with positions ranked equal (levels: None if none has).
        "ties": int(np.sum(judgments.signed == 0)) if judgments.rankings is None
        else sum(len(set(levels)) < len(levels) for levels in judgments.levels or []),
        "skips": len(context.skipped),
        "flags": context.flags,
        "annotators": len(id_codes(annotator[~imported])[0]),
        "imported_judgments": int(imported.sum()),
    }


def _any_verdict(judgments: JudgmentArrays, criteria: dict) -> tuple[np.ndarray, np.ndarray]:
    """Comparison and annotator of every judgment read: those with a main verdict, then those
    with criterion verdicts alone (usually none, so no copy is sorted)."""
    if not criteria:
        return judgments.comparison, judgments.annotator
    rows = list(criteria.values())
    more_ids = np.concatenate([r.id for r in rows])
    beside = rows_beside(judgments.id, more_ids)
    return (np.r_[judgments.comparison, np.concatenate([r.comparison for r in rows])[beside]],
            np.r_[judgments.annotator, np.concatenate([r.annotator for r in rows])[beside]])


# --- annotators -------------------------------------------------------------------------------


def _annotators(
    project: Project, judgments: JudgmentArrays, context: ProjectContext, names: dict, positions: PositionArrays
) -> list[dict]:
    """Quality rows for the people who judged or skipped (import sources left out).

    Rows are judgments (label: ``_quality_labels``) and skipped leases (label NaN). Agreement is
    with the leave-one-out majority of the other people; a judgment's reading is its comparison's responses (too_fast: annotator_quality.speed_figures).
    ``reliability``: the Dawid–Skene estimate over the people's verdicts (``reliability``).
    """
    human = ~import_sources(judgments.annotator, names)
    ranking = judgments.rankings is not None
    labels, tied = _quality_labels(project, judgments)
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
        tied=None if tied is None else np.r_[tied[human], np.zeros(len(skipped), bool)],
        gold={cid: label for cid, label in gold.items() if label is not None},
        order=np.r_[judgments.id[human], np.zeros(len(skipped), np.int64)],  # skips are never compared
        chars=comparison_chars(positions, comparison),
        gold_only=(context.rejected_gold[:, 0], context.rejected_gold[:, 1], context.rejected_gold[:, 2]),
    )
    people = _subset(judgments, human)
    reliability = annotator_reliability(people.comparison, people.annotator, people.signed, people.rankings, people.levels)
    return [{"username": names.get(row["annotator"], ""), **row, "reliability": reliability.get(row["annotator"])}
            for row in report]


def _quality_labels(project: Project, judgments: JudgmentArrays) -> tuple[np.ndarray, np.ndarray | None]:
    """Each judgment's label for agreement and gold (the winner's sign, or a ranking's
    ``top_choice``: a tie at the top is the set tied, never one of its letters) and whether it
    holds a tie (a pairwise tie, a ranking with positions ranked equal; None in a ranking
    project that allows no ties and has none, where a tie rate means nothing)."""
    if judgments.rankings is None:
        return np.sign(judgments.signed).astype(float), judgments.signed == 0
    tied = ranking_tied(judgments.levels, len(judgments.rankings))
    return top_choice(judgments.rankings, judgments.levels), tied if project.allow_ties or tied.any() else None


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
                 "length_controlled": {"rows": [], "length_coef": None, "length_coef_se": None}, "win_rate": {"models": [], "matrix": []}}
        return {**block, **empty, "reason": reason}
    pairwise = judgments.rankings is None
    by_comparison = merge_by_comparison(rows, judgments.comparison) if pairwise else (rows, None)
    fits = _fits(rows, judgments.comparison[rows.judgment], by_comparison,
                 scored=judgments.scored if pairwise and project.strength_scale else None)
    return {**block, **_named(fits, names), "reason": None}


def _fits(rows: PairRows, comparison: np.ndarray, by_comparison: tuple[PairRows, np.ndarray | None],
          scored: np.ndarray | None) -> dict:
    """The rating tables, models still as codes. ``comparison``: each row's, as the bootstrap
    resamples them. ``by_comparison``: the rows merged for the length-controlled fit, whose cost
    grows with its rows (see ``merge_by_comparison``). The fits beside the leaderboard take the
    models it rates (see ``leaderboard``): past them no fit exists. ``scored``: per judgment,
    whether its verdict sits on the strength scale, where the project has one (the strength-weighted
    fit takes those alone; null when there is none)."""
    matchups = pairwise_arrays(rows.model_a, rows.model_b, rows.outcome, cluster=comparison)
    elo = online_elo(rows.model_a, rows.model_b, rows.outcome)  # every row: online Elo is always finite
    leaderboard = bradley_terry_bootstrap(matchups, n_boot=RATING_ROUNDS, seed=SEED)
    rated = np.array([row["model"] for row in leaderboard if row["unrated"] is None])
    rows = rows.select(np.isin(rows.model_a, rated) & np.isin(rows.model_b, rated))
    merged, counts = by_comparison
    if counts is None:
        merged = rows
    else:
        keep = np.isin(merged.model_a, rated) & np.isin(merged.model_b, rated)
        merged, counts = merged.select(keep), counts[keep]
    if len(rows.outcome) == 0:  # one model rated: nothing to fit beside it
        return {"bradley_terry": leaderboard, "elo": _elo_rows(elo), "strength_weighted": None,
                "length_controlled": {"rows": [], "length_coef": None, "length_coef_se": None}, "win_rate": _win_rates(matchups)}
    length = length_controlled_bradley_terry(
        merged.model_a, merged.model_b, merged.outcome, merged.length_a, merged.length_b, weight=counts)
    return {
        "bradley_terry": leaderboard,
        "elo": _elo_rows(elo),
        "strength_weighted": None if scored is None else _strength_weighted(rows, scored[rows.judgment]),
        "length_controlled": length,
        "win_rate": _win_rates(matchups),
    }


def _strength_weighted(rows: PairRows, scored: np.ndarray) -> list[dict] | None:
    """A sensitivity check beside the leaderboard, the fit alone: Bradley-Terry counting a
    preference of strength s as s games, over the ``rows`` with a strength (``scored``) between
    the models they still connect. None where no such row is left."""
    if not scored.all():  # else they are the leaderboard's rows, whose models are connected
        rows = rows.select(scored)
        if not len(rows.outcome):
            return None
        connected = pairwise_arrays(rows.model_a, rows.model_b, rows.outcome, rows.weight)
        models = connected.models[rated_models(connected)]
        rows = rows.select(np.isin(rows.model_a, models) & np.isin(rows.model_b, models))
    if not len(rows.outcome):
        return None
    weighted = pairwise_arrays(rows.model_a, rows.model_b, rows.outcome, rows.weight)
    return _ranked(weighted.models, bradley_terry(weighted), weighted.appearances())


def _elo_rows(elo: list[dict]) -> list[dict]:
    return _ranked([r["model"] for r in elo], [r["rating"] for r in elo], [r["n"] for r in elo])


def _win_rates(matchups) -> dict:
    return {"models": matchups.models.tolist(), "matrix": win_rate_matrix(matchups).tolist()}


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
        "length_controlled": {**length, "rows": rows(length["rows"])},
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
