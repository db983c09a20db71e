"""The reward-model report's figures on hand-checkable cases and against statsmodels."""

import numpy as np
import pytest

from training.ml.reward_report import (
    calibration,
    length_bias,
    reward_report,
    rewardbench_sections,
    wilson_interval,
)


@pytest.mark.parametrize(("k", "n"), [(8, 10), (0, 5), (5, 5), (37, 120)])
def test_wilson_interval_matches_statsmodels(k, n):
    from statsmodels.stats.proportion import proportion_confint

    np.testing.assert_allclose(wilson_interval(k, n), proportion_confint(k, n, method="wilson"), atol=1e-9)


def test_confident_and_right_is_calibrated_and_a_coin_flip_is_not():
    assert calibration(np.full(50, 12.0))["ece"] < 1e-4  # σ(12) ≈ 1, all right
    # margin 0: confidence 0.5 and no verdict (wrong): |0 − 0.5|
    assert calibration(np.zeros(10))["ece"] == pytest.approx(0.5)
    # confidence σ(1) = 0.731 but right only half the time
    report = calibration(np.array([1.0, -1.0] * 20))
    assert report["ece"] == pytest.approx(1 / (1 + np.exp(-1)) - 0.5)
    assert [b["count"] for b in report["bins"]] == [40]


def test_length_bias_separates_longer_and_shorter_chosen():
    margins = np.array([2.0, 1.0, -1.0, -3.0])  # scores follow length exactly
    chosen_len, rejected_len = np.array([30, 20, 5, 2]), np.array([10, 10, 20, 40])
    bias = length_bias(margins, chosen_len, rejected_len)
    assert bias["longer_chosen"]["accuracy"] == 1.0 and bias["shorter_chosen"]["accuracy"] == 0.0
    assert bias["prefers_longer"] == 1.0
    assert bias["margin_length_correlation"] > 0.9


def test_rewardbench_weights_math_like_all_code_together():
    per_subset = {
        "math-prm": {"accuracy": 1.0, "count": 10},
        "hep-go": {"accuracy": 0.0, "count": 30},
        "hep-js": {"accuracy": 0.5, "count": 10},
        "alpacaeval-easy": {"accuracy": 0.25, "count": 4},
    }
    sections = rewardbench_sections(per_subset)
    # math weighs 40 (= 30 + 10 of code): (40·1 + 30·0 + 10·0.5) / 80
    assert sections["Reasoning"]["score"] == pytest.approx(45 / 80)
    assert sections["Chat"]["score"] == 0.25 and "Safety" not in sections


def test_report_leaves_out_groupings_nobody_filled():
    report = reward_report([1.0, -1.0], [3, 3], [1, 1], {"criterion": [None, None], "source": ["a", "b"]})
    assert set(report["groups"]) == {"source"}
    assert report["overall"]["accuracy"] == 0.5
