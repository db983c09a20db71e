"""What a reward model's scores on labelled pairs say about it, beyond one accuracy (numpy only).

Input: each pair's margin, score(chosen) − score(rejected), with the two responses' lengths and
the groups the pair belongs to (criterion, source or subset). A pair is correct when its margin
is positive, as in `scoring.preference_metrics`.

- accuracy with a 95% Wilson interval, overall and per group;
- calibration: the model's stated confidence that it is right, max(σ(m), 1 − σ(m)), against how
  often it is right, in equal-width bins (a reliability diagram), and the expected calibration
  error (Naeini et al. 2015; Guo et al. 2017, eq. 3);
- length bias: the correlation between margin and length difference (chosen − rejected), and
  accuracy on pairs where people chose the longer response against those where they chose the
  shorter one. A model that learnt "longer is better" is right on the first and wrong on the
  second.
- RewardBench sections (Lambert et al. 2024): a file in RewardBench's layout carries `subset`,
  and each section's score is its subsets' accuracies weighted by their sizes, math-prm
  weighted as much as all the code subsets together, as RewardBench does.
"""

from collections import defaultdict

import numpy as np

Z95 = 1.959963984540054

REWARDBENCH_SECTIONS = {
    "Chat": ["alpacaeval-easy", "alpacaeval-length", "alpacaeval-hard", "mt-bench-easy", "mt-bench-med"],
    "Chat Hard": [
        "mt-bench-hard", "llmbar-natural", "llmbar-adver-neighbor", "llmbar-adver-GPTInst",
        "llmbar-adver-GPTOut", "llmbar-adver-manual",
    ],
    "Safety": [
        "refusals-dangerous", "refusals-offensive", "xstest-should-refuse", "xstest-should-respond",
        "donotanswer",
    ],
    "Reasoning": ["math-prm", "hep-cpp", "hep-go", "hep-java", "hep-js", "hep-python", "hep-rust"],
}


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion; (0, 1) for no trials."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def accuracy_summary(correct: np.ndarray) -> dict:
    """{"accuracy", "interval", "count"} of a boolean vector."""
    n, k = int(correct.size), int(correct.sum())
    return {"accuracy": k / n if n else None, "interval": list(wilson_interval(k, n)), "count": n}


def calibration(margins: np.ndarray, bins: int = 10) -> dict:
    """Reliability diagram and expected calibration error of σ(margin) as a verdict.

    The model's verdict on a pair is the response it scores higher, its confidence
    σ(|margin|) in [0.5, 1]; bins split [0.5, 1] evenly. A margin of exactly 0 is no verdict
    and counts as wrong, at confidence 0.5.
    """
    confidence = 1.0 / (1.0 + np.exp(-np.abs(margins)))
    correct = margins > 0
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        if not n:
            continue
        conf, acc = float(confidence[mask].mean()), float(correct[mask].mean())
        ece += n / margins.size * abs(acc - conf)
        rows.append({"low": float(edges[b]), "high": float(edges[b + 1]), "count": n,
                     "confidence": conf, "accuracy": acc})
    return {"ece": ece, "bins": rows}


def length_bias(margins: np.ndarray, chosen_len: np.ndarray, rejected_len: np.ndarray) -> dict:
    """How far the scores follow length (see the module docstring); lengths in characters."""
    diff = chosen_len.astype(float) - rejected_len.astype(float)
    correct = margins > 0
    both_vary = diff.std() > 0 and margins.std() > 0
    return {
        "margin_length_correlation": float(np.corrcoef(margins, diff)[0, 1]) if both_vary else None,
        "longer_chosen": accuracy_summary(correct[diff > 0]),
        "shorter_chosen": accuracy_summary(correct[diff < 0]),
        "prefers_longer": float((np.sign(margins) == np.sign(diff))[diff != 0].mean())
        if (diff != 0).any() else None,
    }


def group_accuracy(correct: np.ndarray, groups: list) -> dict:
    """accuracy_summary per distinct group value (None values are left out), by name."""
    members = defaultdict(list)
    for index, group in enumerate(groups):
        if group is not None:
            members[str(group)].append(index)
    return {name: accuracy_summary(correct[idx]) for name, idx in sorted(members.items())}


def rewardbench_sections(per_subset: dict) -> dict:
    """Each RewardBench section's score from per-subset accuracy summaries present in the file."""
    code_total = sum(per_subset[s]["count"] for s in REWARDBENCH_SECTIONS["Reasoning"]
                     if s.startswith("hep-") and s in per_subset)
    sections = {}
    for section, subsets in REWARDBENCH_SECTIONS.items():
        present = [s for s in subsets if s in per_subset and per_subset[s]["count"]]
        if not present:
            continue
        weights = np.array([code_total if s == "math-prm" and code_total else per_subset[s]["count"]
                            for s in present], dtype=float)
        scores = np.array([per_subset[s]["accuracy"] for s in present])
        sections[section] = {"score": float(weights @ scores / weights.sum()), "subsets": present}
    return sections


def reward_report(margins, chosen_len, rejected_len, groups: dict[str, list] | None = None) -> dict:
    """The whole report: overall accuracy, per-group accuracy for each named grouping
    (e.g. {"criterion": [...], "source": [...]}, one value or None per pair), calibration and
    length bias; RewardBench sections when a "subset" grouping names its subsets."""
    margins = np.asarray(margins, dtype=float)
    correct = margins > 0
    report = {
        "overall": accuracy_summary(correct),
        "mean_margin": float(margins.mean()) if margins.size else None,
        "calibration": calibration(margins),
        "length_bias": length_bias(margins, np.asarray(chosen_len), np.asarray(rejected_len)),
        "groups": {},
    }
    for name, values in (groups or {}).items():
        if any(v is not None for v in values):
            report["groups"][name] = group_accuracy(correct, values)
    if "subset" in report["groups"]:
        report["rewardbench_sections"] = rewardbench_sections(report["groups"]["subset"])
    return report


# A pair's fields that group the report: `criterion` (scored on), `source` and `subset` (files),
# `label_source` (a snapshot's human / model / mixed labels).
GROUP_FIELDS = ("criterion", "source", "subset", "label_source")
REPORT_FILE = "report.json"  # beside a reward checkpoint's weights; read by the web side as JSON


def pairs_report(examples: list[dict], margins, criterion: str | None = None) -> dict:
    """reward_report of preference examples (dicts with "chosen", "rejected" and any of
    GROUP_FIELDS) from their margins; lengths in characters. `criterion` stands for a pair's
    own where it has none (what a per-criterion model scored it on)."""
    groups = {field: [e.get(field) or None for e in examples] for field in GROUP_FIELDS}
    if criterion:
        groups["criterion"] = [c or criterion for c in groups["criterion"]]
    chosen_len = [len(e["chosen"]) for e in examples]
    rejected_len = [len(e["rejected"]) for e in examples]
    return reward_report(margins, chosen_len, rejected_len, groups)
