"""Per-annotator quality figures from judgment rows.

All inputs are arrays with one entry per judgment row: ``annotator_ids``,
``comparison_ids`` and ``answers`` (numeric answer codes, ``np.nan`` for a skipped
comparison that got no answer). Nothing here touches the database.

Outlier test. Chatbot Arena (Chiang et al., arXiv:2403.04132, section 5.1)
flags anomalous users by testing, judgment by judgment, whether a user's judgments
look like the historical distribution and stopping once the accumulated
evidence is strong. We keep that sequential shape with a simpler per-judgment
signal: did the annotator agree with the leave-one-out majority of the other
raters on the same comparison? The null hypothesis is "this annotator agrees at
least at ``reference_rate``"; the evidence against it is a betting e-process
(Waudby-Smith & Ramdas, "Estimating means of bounded random variables by
betting", JRSS-B 2024): wealth K_t = prod_s (1 + lambda_s (p0 - x_s)) with x_s
in {0, 1}, lambda_s >= 0 chosen from judgments before s only. Under the null K is a
non-negative supermartingale, so by Ville's inequality P(sup_t K_t >= 1/alpha)
<= alpha: flagging when K ever reaches 1/alpha is valid however long we watch.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from labeling.stats.arrays import id_codes

# Faster than anyone reads: a judgment given in less time than its responses take to skim at
# SKIM_CHARS_PER_SECOND (about 600 words a minute) is implausibly fast, and an annotator is
# flagged when at least FAST_SHARE of at least MIN_TIMED timed judgments are.
SKIM_CHARS_PER_SECOND = 60.0
MIN_READ_SECONDS = 1.0
FAST_SHARE = 0.25
MIN_TIMED = 10
MEDIAN_PARTITION_GROUPS = 2000


def plausible_seconds(chars) -> np.ndarray:
    """The least time a person needs to read ``chars`` characters of responses, (n,)."""
    return np.maximum(np.asarray(chars, dtype=float) / SKIM_CHARS_PER_SECOND, MIN_READ_SECONDS)


def speed_figures(codes, seconds, chars, size: int) -> dict[str, np.ndarray]:
    """Per annotator: ``fast_rate`` (share of timed rows faster than plausible_seconds),
    ``fastest_seconds`` and ``too_fast`` (1.0 when flagged, see FAST_SHARE). NaN seconds
    (skips, imported labels) are not timed."""
    seconds = np.asarray(seconds, dtype=float)
    timed = ~np.isnan(seconds)
    fast = timed & (np.where(timed, seconds, np.inf) < plausible_seconds(chars))
    n_timed = np.bincount(codes[timed], minlength=size)
    rate = np.divide(np.bincount(codes[fast], minlength=size), n_timed,
                     out=np.full(size, np.nan), where=n_timed > 0)
    fastest = np.full(size, np.inf)
    np.minimum.at(fastest, codes[timed], seconds[timed])
    too_fast = (n_timed >= MIN_TIMED) & (np.nan_to_num(rate) >= FAST_SHARE)
    return {"fast_rate": rate, "fastest_seconds": np.where(np.isinf(fastest), np.nan, fastest),
            "too_fast": too_fast.astype(float)}


def comparison_chars(positions, comparisons: np.ndarray) -> np.ndarray:
    """Characters of all responses of each of ``comparisons`` (0 for one with no position), (n,);
    ``positions``: ``selectors.PositionArrays`` (its ``comparison`` and ``length`` arrays).

    A project's comparison ids lie in a narrow range, so the totals are a dense table indexed
    by id: no sort and no search (a million judgments in about 0.04 s; np.unique took 0.3 s)."""
    if not len(positions.comparison):
        return np.zeros(len(comparisons))
    low, high = int(positions.comparison.min()), int(positions.comparison.max())
    totals = np.bincount(positions.comparison - low, weights=positions.length.astype(float), minlength=high - low + 1)
    inside = (comparisons >= low) & (comparisons <= high)
    return np.where(inside, totals[np.clip(comparisons - low, 0, high - low)], 0.0)


def _codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each row's index into them (database ids: ``id_codes``'s
    lookup table, where ``np.unique`` sorts a million ids twice per report)."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return id_codes(values)
    index, codes = np.unique(values, return_inverse=True)
    return index, codes.ravel()


def _group_position(group: np.ndarray) -> np.ndarray:
    """0-based position of each row within its run of equal ``group`` values.

    ``group`` must be sorted so that each group's rows are contiguous.
    """
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, len(group)])
    return np.arange(len(group)) - np.repeat(starts, lengths)


def majority_agreement(comparison_ids, answers) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row agrees with the majority of the *other* ratings of its comparison.

    Returns ``(compared, agrees)``, boolean arrays with one entry per row.
    ``compared`` is False for skipped rows, for comparisons nobody else answered,
    and where the other raters' top answer is tied (no majority to agree with).
    """
    answers = np.asarray(answers, dtype=float)
    answered = ~np.isnan(answers)
    comparison_index, comparisons = _codes(comparison_ids)
    values = np.unique(answers[answered])
    size = max(len(values), 1)
    # skipped rows get code 0 but are masked out of every count below
    codes = np.searchsorted(values, np.where(answered, answers, -np.inf)).clip(0, size - 1)
    cells = comparisons[answered] * size + codes[answered]
    counts = np.bincount(cells, minlength=len(comparison_index) * size).reshape(-1, size)
    others = counts[comparisons]  # (rows, V) answers each row's comparison got
    others[np.arange(len(answers)), codes] -= answered.astype(np.int64)  # leave own judgment out
    top = others.max(axis=1)
    unique_top = (others == top[:, None]).sum(axis=1) == 1
    # with one other rater, that rater's answer is the majority
    compared = answered & (top > 0) & unique_top
    agrees = compared & (others.argmax(axis=1) == codes)
    return compared, agrees


def gold_correct(comparison_ids, answers, gold: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Which rows have a gold answer, and which of those match it.

    ``gold`` maps comparison id to the expected answer. Returns ``(has_gold, correct)``,
    boolean arrays with one entry per row; skipped rows have no gold check.
    """
    answers = np.asarray(answers, dtype=float)
    comparison_ids = np.asarray(comparison_ids)
    if not gold:
        empty = np.zeros(len(answers), dtype=bool)
        return empty, empty
    gold_comparisons = np.array(list(gold.keys()))
    gold_answers = np.array(list(gold.values()), dtype=float)
    order = np.argsort(gold_comparisons, kind="stable")
    gold_comparisons, gold_answers = gold_comparisons[order], gold_answers[order]
    where = np.clip(np.searchsorted(gold_comparisons, comparison_ids), 0, len(gold_comparisons) - 1)
    has_gold = (gold_comparisons[where] == comparison_ids) & ~np.isnan(answers)
    return has_gold, has_gold & (gold_answers[where] == answers)


def agreement_e_process(annotator_codes, agrees, reference_rate, *, n_annotators: int,
                        order=None, alpha: float = 0.05,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sequential betting test of "agreement rate >= reference_rate" per annotator.

    ``annotator_codes`` are integer codes 0..A-1 and ``agrees`` 0/1 per compared
    row; ``order`` (e.g. timestamps) sets the sequence, default row order.
    The bet on judgment s is the growth-optimal (Kelly) fraction for a Bernoulli
    with the annotator's agreement so far, shrunk toward the reference by one
    pseudo-judgment, clipped to [0, 0.5 / (1 - p0)] so one judgment never stakes all.
    Returns per annotator ``(e_value, peak, flagged)``: the wealth after the
    last judgment (a valid e-value), its running maximum, and whether the maximum
    reached 1/alpha. With ``reference_rate`` outside (0, 1) nothing is tested:
    every e-value is 1 and nobody is flagged.
    """
    codes = np.asarray(annotator_codes, dtype=np.int64)
    agrees = np.asarray(agrees, dtype=float)
    p0 = float(reference_rate)
    e_value = np.ones(n_annotators)
    if len(codes) == 0 or not 0.0 < p0 < 1.0:
        return e_value, np.ones(n_annotators), np.zeros(n_annotators, dtype=bool)
    sequence = np.arange(len(codes)) if order is None else np.asarray(order)
    sort = np.lexsort((np.arange(len(codes)), sequence, codes))  # stable within ties
    codes, agrees = codes[sort], agrees[sort]
    seen = _group_position(codes)
    agreed_before = _group_cumsum(codes, agrees) - agrees
    estimate = (agreed_before + p0) / (seen + 1.0)
    bet = np.clip((p0 - estimate) / (p0 * (1.0 - p0)), 0.0, 0.5 / (1.0 - p0))
    log_wealth = _group_cumsum(codes, np.log1p(bet * (p0 - agrees)))
    last = np.r_[codes[1:] != codes[:-1], True]
    e_value[codes[last]] = np.exp(log_wealth[last])
    peak_log = np.zeros(n_annotators)  # wealth starts at 1, so the peak is at least 1
    np.maximum.at(peak_log, codes, log_wealth)
    peak = np.exp(peak_log)
    return e_value, peak, peak >= 1.0 / alpha


def _group_cumsum(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each new run of ``group``."""
    total = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    offset = np.r_[0.0, total][starts]
    lengths = np.diff(np.r_[starts, len(group)])
    return total - np.repeat(offset, lengths)


def _rate(hits, mask, codes, size) -> np.ndarray:
    """Per-annotator share of ``hits`` among rows in ``mask``; NaN with no rows."""
    denominator = np.bincount(codes[mask], minlength=size)
    numerator = np.bincount(codes[mask], weights=np.asarray(hits, float)[mask], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _median_by_group(codes, seconds, size) -> np.ndarray:
    """Per-annotator median of ``seconds`` ignoring NaN; NaN with no values.

    Rows are grouped by a stable sort of the codes (a radix sort when they are small); each
    group's two middle values are then found by a partition, O(n) in all, or, with more than
    ``MEDIAN_PARTITION_GROUPS`` groups (a loop per group would cost more), by one sort of all values.
    """
    seconds = np.asarray(seconds, dtype=float)
    keep = ~np.isnan(seconds)
    medians = np.full(size, np.nan)
    if not keep.any():
        return medians
    codes, seconds = codes[keep], seconds[keep]
    small = np.int16 if size < 2**15 else np.int64
    counts = np.bincount(codes, minlength=size)
    groups = np.flatnonzero(counts)
    if len(groups) > MEDIAN_PARTITION_GROUPS:
        order = np.argsort(seconds)
        order = order[np.argsort(codes[order].astype(small), kind="stable")]
    else:
        order = np.argsort(codes.astype(small), kind="stable")
    grouped, starts = seconds[order], np.cumsum(counts) - counts
    low, high = starts + (counts - 1) // 2, starts + counts // 2
    if len(groups) <= MEDIAN_PARTITION_GROUPS:
        for code in groups:  # in place: ``grouped`` is this function's copy
            grouped[starts[code]:starts[code] + counts[code]].partition([low[code] - starts[code], high[code] - starts[code]])
    medians[groups] = (grouped[low[groups]] + grouped[high[groups]]) / 2.0
    return medians


def _none_if_nan(value):
    return None if np.isnan(value) else float(value)


def annotator_report(annotator_ids, comparison_ids, answers, *, seconds=None, flagged=None,
                     tie_answer=None, tied=None, gold: Mapping | None = None, order=None,
                     reference_rate: float | None = None, margin: float = 0.1,
                     alpha: float = 0.05, chars=None, gold_only=None) -> list[dict]:
    """One dict per annotator (sorted by id) with their quality figures.

    Keys: ``annotator``, ``n`` (rows), ``agreement`` (share agreeing with the
    leave-one-out majority), ``n_agreement`` (rows compared), ``gold_accuracy``,
    ``n_gold``, ``median_seconds``, ``tie_rate`` (among answered rows, needs ``tie_answer``, the
    answer that is a tie, or ``tied``, whether each row holds one, as a ranking ranking positions
    equal), ``skip_rate`` (rows with a NaN answer), ``flag_rate`` (needs ``flagged``), ``e_value``, ``outlier``, and with ``chars`` (characters of responses each
    row had to read) ``fast_rate``, ``fastest_seconds`` and ``too_fast`` (speed_figures). A
    figure with no rows behind it is ``None``. ``reference_rate`` defaults to the pooled agreement of all
    annotators minus ``margin``, so only annotators credibly worse than the
    crowd by more than the margin are flagged. ``gold_only`` (annotator ids, comparison ids,
    answers) are rows scored against gold and nothing else: judgments rejected in review, which
    count nowhere but must not take an annotator's gold mistakes off their record.
    """
    answers = np.asarray(answers, dtype=float)
    annotators, codes = _codes(annotator_ids)
    size = len(annotators)
    compared, agrees = majority_agreement(comparison_ids, answers)
    has_gold, correct = gold_correct(comparison_ids, answers, gold or {})
    gold_codes, gold_hits = codes[has_gold], correct[has_gold]
    if gold_only is not None:
        extra_codes, extra_hits = _gold_only_rows(annotators, *gold_only, gold or {})
        gold_codes, gold_hits = np.r_[gold_codes, extra_codes], np.r_[gold_hits, extra_hits]
    e_value, outlier = _outliers(codes[compared], agrees[compared], size, order=None if order is None else
                                 np.asarray(order)[compared], margin=margin, reference_rate=reference_rate, alpha=alpha)
    columns = {
        "agreement": _rate(agrees, compared, codes, size),
        "gold_accuracy": _rate(gold_hits, np.ones(len(gold_codes), bool), gold_codes, size),
        **_answer_columns(codes, answers, size, seconds=seconds, flagged=flagged, tied=tied, tie_answer=tie_answer),
    }
    flags = {}
    if chars is not None and seconds is not None:
        speed = speed_figures(codes, seconds, chars, size)
        columns |= {"fast_rate": speed["fast_rate"], "fastest_seconds": speed["fastest_seconds"]}
        flags = {"too_fast": speed["too_fast"].astype(bool)}
    counts = {
        "n": np.bincount(codes, minlength=size),
        "n_agreement": np.bincount(codes[compared], minlength=size),
        "n_gold": np.bincount(gold_codes, minlength=size),
    }
    return _report_rows(annotators, counts, columns | {"e_value": e_value}, {"outlier": outlier} | flags)


def _gold_only_rows(annotators, annotator_ids, comparison_ids, answers, gold: Mapping):
    """The codes (into the sorted ``annotators``) and hits of the gold-only rows that have a gold
    answer and an annotator of the report; others are dropped."""
    annotator_ids = np.asarray(annotator_ids, dtype=np.int64)
    where = np.clip(np.searchsorted(annotators, annotator_ids), 0, max(len(annotators) - 1, 0))
    known = (annotators[where] == annotator_ids) if len(annotators) else np.zeros(len(annotator_ids), bool)
    has_gold, correct = gold_correct(np.asarray(comparison_ids, dtype=np.int64), np.asarray(answers, dtype=float), gold)
    keep = known & has_gold
    return where[keep], correct[keep]


def _report_rows(annotators, counts: dict, columns: dict, flags: dict) -> list[dict]:
    """One dict per annotator: counts as ints, columns as floats (None for NaN), flags as bools."""
    return [
        {"annotator": annotators[i].item(), **{key: int(value[i]) for key, value in counts.items()},
         **{key: _none_if_nan(value[i]) for key, value in columns.items()},
         **{key: bool(value[i]) for key, value in flags.items()}}
        for i in range(len(annotators))
    ]


def _outliers(codes, agrees, size: int, *, order, margin: float, reference_rate, alpha: float):
    """``(e_value, outlier)`` per annotator from the compared rows: the e-process against
    ``reference_rate``, by default the pooled agreement minus ``margin``."""
    pooled = agrees.mean() if len(agrees) else np.nan
    p0 = pooled - margin if reference_rate is None else reference_rate
    e_value, _, outlier = agreement_e_process(
        codes, agrees, p0 if np.isfinite(p0) else 0.0, n_annotators=size, order=order, alpha=alpha)
    return e_value, outlier


def _answer_columns(codes, answers, size: int, *, seconds, flagged, tied, tie_answer) -> dict[str, np.ndarray]:
    """Per annotator: median seconds, and the tie, skip and flag rates (NaN where not given)."""
    if tied is None and tie_answer is not None:
        tied = answers == tie_answer
    everyone = np.ones(len(answers), dtype=bool)
    answered = ~np.isnan(answers)
    return {
        "median_seconds": (np.full(size, np.nan) if seconds is None
                           else _median_by_group(codes, seconds, size)),
        "tie_rate": (np.full(size, np.nan) if tied is None
                     else _rate(np.asarray(tied, bool), answered, codes, size)),
        "skip_rate": _rate(~answered, everyone, codes, size),
        "flag_rate": (np.full(size, np.nan) if flagged is None
                      else _rate(np.asarray(flagged, bool), everyone, codes, size)),
    }
