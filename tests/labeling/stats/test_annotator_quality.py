"""Annotator quality: leave-one-out majority, gold, rates, and the sequential outlier test."""

import csv
from pathlib import Path

import numpy as np
import pytest

from labeling.stats.annotator_quality import (
    agreement_e_process,
    annotator_report,
    gold_correct,
    majority_agreement,
)

DATA = Path(__file__).resolve().parents[2] / "data"
nan = np.nan


@pytest.fixture(scope="module")
def pandalm_rows():
    """PandaLM as judgment rows: (annotator, item, label), 999 items x 3 raters."""
    with open(DATA / "pandalm_testset_labels.csv") as f:
        rows = list(csv.DictReader(f))
    items = np.repeat([int(r["idx"]) for r in rows], 3)
    annotators = np.tile(["rater1", "rater2", "rater3"], len(rows))
    labels = np.array([[float(r[f"annotator{i}"]) for i in (1, 2, 3)] for r in rows]).ravel()
    return annotators, items, labels


def by_annotator(report):
    return {row["annotator"]: row for row in report}


def test_majority_agreement_leaves_the_rater_out():
    # item 1 (0, 0, 1): each 0-rater sees {0, 1} among the others, a tie, so is not
    # compared; the 1-rater sees {0, 0} and disagrees. Item 2 (5, 5, 5, 6): the 5s
    # see a 5-majority, the 6 sees {5, 5, 5}.
    items = [1, 1, 1, 2, 2, 2, 2]
    labels = [0, 0, 1, 5, 5, 5, 6]
    compared, agrees = majority_agreement(items, labels)
    assert compared.tolist() == [False, False, True, True, True, True, True]
    assert agrees.tolist() == [False, False, False, True, True, True, False]


def test_majority_agreement_skips_missing_labels_and_lonely_items():
    compared, agrees = majority_agreement([1, 1, 2], [3, nan, 3])
    assert compared.tolist() == [False, False, False]
    assert not agrees.any()


def test_majority_agreement_with_one_other_rater_uses_that_rater():
    compared, agrees = majority_agreement(["q", "q"], [1, 2])
    assert compared.tolist() == [True, True] and agrees.tolist() == [False, False]


def test_gold_correct_checks_only_gold_items_that_were_answered():
    has_gold, correct = gold_correct([1, 2, 3, 1], [1, 0, 1, nan], {1: 1, 3: 2})
    assert has_gold.tolist() == [True, False, True, False]
    assert correct.tolist() == [True, False, False, False]


def test_report_rates_by_hand():
    annotators = ["ann", "ann", "ann", "ann", "bob", "bob"]
    items = [1, 2, 3, 4, 1, 2]
    labels = [1, 0, nan, 2, 1, 2]
    report = by_annotator(annotator_report(
        annotators, items, labels, seconds=[10, 30, 20, nan, 5, 7],
        flagged=[False, True, False, False, False, False], tie_answer=0, gold={4: 2, 1: 0},
    ))
    ann, bob = report["ann"], report["bob"]
    assert (ann["n"], ann["skip_rate"], ann["tie_rate"], ann["flag_rate"]) == (4, 0.25, 1 / 3, 0.25)
    assert ann["median_seconds"] == 20.0 and bob["median_seconds"] == 6.0
    assert (ann["n_gold"], ann["gold_accuracy"]) == (2, 0.5)
    # items 1 and 2 are shared; ann agrees with bob on item 1 only
    assert (ann["n_agreement"], ann["agreement"]) == (2, 0.5)
    assert (bob["n_agreement"], bob["agreement"]) == (2, 0.5)


def test_report_figures_without_data_are_none():
    row = annotator_report(["ann"], [1], [nan])[0]
    assert row["agreement"] is None and row["gold_accuracy"] is None
    assert row["median_seconds"] is None and row["tie_rate"] is None and row["flag_rate"] is None
    assert row["skip_rate"] == 1.0 and row["e_value"] == 1.0 and row["outlier"] is False


def test_pandalm_raters_agree_with_majority_and_are_not_flagged(pandalm_rows):
    report = annotator_report(*pandalm_rows, tie_answer=0)
    assert [row["n"] for row in report] == [999, 999, 999]
    for row in report:
        assert row["agreement"] > 0.9
        assert row["outlier"] is False
    # the data README: rater 1 gave 97 ties, rater 2 116, rater 3 113
    assert [round(row["tie_rate"] * 999) for row in report] == [97, 116, 113]


def test_pandalm_random_rater_is_flagged(pandalm_rows):
    annotators, items, labels = pandalm_rows
    rng = np.random.default_rng(0)
    # a fourth rater who answers at random on every item
    spammer_items = np.unique(items)
    report = by_annotator(annotator_report(
        np.concatenate([annotators, np.full(len(spammer_items), "spammer")]),
        np.concatenate([items, spammer_items]),
        np.concatenate([labels, rng.integers(0, 3, len(spammer_items)).astype(float)]),
    ))
    assert report["spammer"]["outlier"] is True
    assert report["spammer"]["e_value"] > 20
    assert not any(report[f"rater{i}"]["outlier"] for i in (1, 2, 3))


def test_e_process_keeps_false_alarms_below_alpha():
    # 400 annotators who agree exactly at the reference rate, 300 judgments each
    rng = np.random.default_rng(1)
    codes = np.repeat(np.arange(400), 300)
    agrees = rng.random(len(codes)) < 0.8
    _, _, flagged = agreement_e_process(codes, agrees, 0.8, n_annotators=400, alpha=0.05)
    assert flagged.mean() <= 0.05


def test_e_process_catches_a_poor_annotator_and_follows_order():
    codes = np.zeros(60, dtype=int)
    agrees = np.r_[np.ones(30), np.zeros(30)]
    e_value, peak, flagged = agreement_e_process(codes, agrees, 0.9, n_annotators=1, alpha=0.05)
    assert flagged[0] and peak[0] >= 20 and e_value[0] == peak[0]
    # order puts the failures first: the same judgments, read in the other order
    e_later, _, _ = agreement_e_process(codes, agrees, 0.9, n_annotators=1,
                                        order=np.arange(60)[::-1], alpha=0.05)
    assert e_later[0] != e_value[0]


def test_e_process_never_bets_on_good_agreement():
    codes = np.zeros(50, dtype=int)
    e_value, peak, flagged = agreement_e_process(codes, np.ones(50), 0.7, n_annotators=1)
    assert e_value[0] == 1.0 and peak[0] == 1.0 and not flagged[0]


def test_e_process_without_a_usable_reference_flags_nobody():
    e_value, _, flagged = agreement_e_process([0, 1], [0, 0], 1.0, n_annotators=3)
    assert e_value.tolist() == [1.0, 1.0, 1.0] and not flagged.any()


# --- implausibly fast answers ---------------------------------------------------------------------


def test_speed_flags_an_annotator_answering_faster_than_anyone_reads():
    from labeling.stats.annotator_quality import MIN_TIMED, plausible_seconds, speed_figures

    # 1,200 characters to read take at least 20 s at a 60-characters-a-second skim
    assert plausible_seconds([1200, 10]).tolist() == [20.0, 1.0]
    codes = np.array([0] * MIN_TIMED + [1] * MIN_TIMED)
    seconds = np.array([2.0] * 5 + [30.0] * 5 + [25.0] * MIN_TIMED)  # annotator 0: half too fast
    figures = speed_figures(codes, seconds, np.full(2 * MIN_TIMED, 1200), size=2)
    assert figures["fast_rate"].tolist() == [0.5, 0.0]
    assert figures["fastest_seconds"].tolist() == [2.0, 25.0]
    assert figures["too_fast"].tolist() == [1.0, 0.0]
    # too few timed judgments to say: not flagged, whatever the rate
    few = speed_figures(np.zeros(3, int), np.array([1.0, 1.0, np.nan]), np.full(3, 1200), size=1)
    assert few["fast_rate"].tolist() == [1.0] and few["too_fast"].tolist() == [0.0]


def test_report_carries_speed_when_reading_lengths_are_given():
    rows = annotator_report([1, 1, 2], [10, 11, 10], [1.0, -1.0, 1.0], seconds=[0.5, 40.0, 40.0],
                            chars=[1200, 1200, 1200])
    assert [(r["fast_rate"], r["fastest_seconds"], r["too_fast"]) for r in rows] == [(0.5, 0.5, False), (0.0, 40.0, False)]
