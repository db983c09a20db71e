"""The stats' faster paths (issue #17) give what the plain numpy computations give."""

import numpy as np
import pytest

from labeling.stats import annotator_quality
from labeling.stats.annotator_quality import annotator_report
from labeling.stats.arrays import pair_keys, pairs_among


@pytest.mark.parametrize("partition_groups", [2000, 3])  # few groups: partitions; many: one sort
def test_median_seconds_per_annotator_are_the_medians(monkeypatch, partition_groups):
    monkeypatch.setattr(annotator_quality, "MEDIAN_PARTITION_GROUPS", partition_groups)
    rng = np.random.default_rng(3)
    annotators = rng.integers(100, 140, 5000)  # 40 people, even and odd counts
    seconds = np.round(rng.exponential(20.0, 5000), 1)  # repeated values too
    seconds[rng.random(5000) < 0.1] = np.nan  # untimed rows are left out
    rows = annotator_report(annotators, np.arange(5000), np.ones(5000), seconds=seconds)
    assert len(rows) == 40
    for row in rows:
        timed = seconds[(annotators == row["annotator"]) & ~np.isnan(seconds)]
        assert row["median_seconds"] == float(np.median(timed))


def test_flagged_pairs_are_found_as_by_their_keys():
    rng = np.random.default_rng(5)
    comparison, annotator = rng.integers(1, 2000, 20000), rng.integers(1, 50, 20000)
    flagged = np.column_stack([rng.integers(1, 2000, 300), rng.integers(1, 50, 300)])
    expected = np.isin(pair_keys(comparison, annotator), pair_keys(flagged[:, 0], flagged[:, 1]))
    assert expected.sum() > 0
    assert np.array_equal(pairs_among(comparison, annotator, flagged), expected)
    assert not pairs_among(comparison, annotator, np.zeros((0, 2), np.int64)).any()
