"""The ``judges`` block of the stats payload: each judge measured against the humans; plain numpy.

A judge's judgments are stored under its own user (``labeling.models.Judge``); the payload keeps
them out of the human figures (agreement, annotator rows, counts, ratings) and lists them here,
one entry per judge, with the maths of ``judge_agreement``. "Humans" are every other annotator,
imported labels included: an imported human label is the reference a judge is checked against.
Gold comparisons are left out, as in agreement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from labeling.stats.arrays import agreement_units, pair_rows
from labeling.stats.judge_agreement import (
    earlier_position_share,
    judge_against_humans,
    longer_response_share,
)

if TYPE_CHECKING:
    from labeling.stats.selectors import JudgmentArrays, PositionArrays

SEED = 20240601
NO_HUMAN_MAJORITY = "no comparison this judge labelled has a human majority verdict"
NO_HUMAN_PAIR = "no comparison this judge labelled has two human judgments"


def judges_block(
    judges: dict[int, tuple[str, str]], counts: dict[int, int], judgments: JudgmentArrays,
    criteria: dict[str, JudgmentArrays], positions: PositionArrays,
) -> list[dict]:
    """One entry per judge (``{user id: (name, kind)}``), by name: ``counts`` its judgments;
    ``judgments`` and ``criteria`` the regular comparisons' judgments, humans' and judges'."""
    if not judges:
        return []
    judge_ids = np.array(sorted(judges), dtype=np.int64)
    comparison, annotator, signed, rankings, levels = touched = _touched(judgments, judge_ids)
    main = _units(*touched)
    by_criterion = {name: _units(*_touched(rows, judge_ids)) for name, rows in criteria.items()}
    rows = pair_rows(comparison, signed, rankings,
                     (positions.comparison, positions.position, positions.model, positions.length), levels)
    row_rater, row_comparison = annotator[rows.judgment], comparison[rows.judgment]
    entries = []
    for user_id, (name, kind) in sorted(judges.items(), key=lambda item: item[1][0]):
        agreement = _agreement(main, user_id, judge_ids)
        agreement["criteria"] = {c: _agreement(units, user_id, judge_ids) for c, units in by_criterion.items()}
        mine = row_rater == user_id
        humans = ~np.isin(row_rater, judge_ids) & np.isin(row_comparison, row_comparison[mine])
        entries.append({
            "name": name, "kind": kind, "annotator": user_id, "count": counts.get(user_id, 0),
            "agreement_with_humans": agreement,
            "position_bias": _position_bias(main, user_id, judge_ids),
            "length_bias": {
                "judge": longer_response_share(rows.outcome[mine], rows.length_a[mine], rows.length_b[mine]),
                "humans": longer_response_share(rows.outcome[humans], rows.length_a[humans], rows.length_b[humans]),
            },
        })
    return entries


def _touched(judgments: JudgmentArrays, judge_ids: np.ndarray) -> tuple:
    """``(comparison, annotator, signed, rankings, levels)`` of the comparisons some judge judged: the
    only ones the figures read (a few thousand of a million judgments, typically)."""
    keep = np.isin(judgments.comparison, judgments.comparison[np.isin(judgments.annotator, judge_ids)])
    rankings = None if judgments.rankings is None else [judgments.rankings[i] for i in np.flatnonzero(keep)]
    levels = None if judgments.levels is None else [judgments.levels[i] for i in np.flatnonzero(keep)]
    return judgments.comparison[keep], judgments.annotator[keep], judgments.signed[keep], rankings, levels


def _units(comparison, annotator, signed, rankings, levels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return agreement_units(comparison, annotator, signed, rankings, levels)


def _agreement(units, user_id: int, judge_ids: np.ndarray) -> dict:
    unit, rater, value = units
    mine, human = rater == user_id, ~np.isin(rater, judge_ids)
    figures = judge_against_humans(unit[mine], value[mine], unit[human], value[human], seed=SEED)
    reason = NO_HUMAN_MAJORITY if figures["n"] == 0 else None
    ceiling_reason = NO_HUMAN_PAIR if figures["human_ceiling"]["n"] == 0 else None
    return {**figures, "reason": reason, "human_ceiling": {**figures["human_ceiling"], "reason": ceiling_reason}}


def _position_bias(units, user_id: int, judge_ids: np.ndarray) -> dict:
    """Share of the earlier position's wins: the judge's, and the humans' on the same units."""
    unit, rater, value = units
    mine = rater == user_id
    humans = ~np.isin(rater, judge_ids) & np.isin(unit, unit[mine])
    return {"judge": earlier_position_share(value[mine]), "humans": earlier_position_share(value[humans])}
