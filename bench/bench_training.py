"""Training throughput against TRL.

    python bench/bench_training.py [--steps 20] [--batch-size 8] [--max-length 384] [--lora R]

Trains the same tiny model (built here, offline) on the same HH-RLHF pairs
with the same batch size, once with our loop and once with TRL's RewardTrainer /
SFTTrainer (on the chosen responses, prompt masked) / DPOTrainer / KTOTrainer (reference
log-probs precomputed in both), and prints samples/s and tokens/s
for each, plus model FLOPs utilisation on a GPU. Steps are timed from the end of the
first step to the end of the last, so model loading, tokenisation and the reference
pass are left out of both. Only pairs that fit max_length untruncated are used, so both
implementations see exactly the same tokens. With --lora R both train rank-R LoRA adapters
through peft on every linear layer but the output head (TRL's trainers take a peft_config).

Reward-model learning on the HH-RLHF sample is bench/bench_reward_learning.py.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from training.ml.checkpoints import load_tokenizer  # noqa: E402
from training.ml.config import DPOConfig, KTOConfig, RewardConfig, SFTConfig  # noqa: E402
from training.ml.config_limits import MIN_COMPLETION_TOKENS  # noqa: E402
from training.ml.data import (  # noqa: E402
    encode_all,
    encode_preference,
    encode_sft,
    format_prompt,
    preference_from_hh,
)
from training.ml.dpo import train_dpo  # noqa: E402
from training.ml.kto import train_kto  # noqa: E402
from training.ml.reward import train_reward  # noqa: E402
from training.ml.sft import train_sft  # noqa: E402
from training.ml.tiny import build_tiny_causal_lm, build_tiny_reward_model  # noqa: E402

HH_SAMPLE = REPO.parent / "shared" / "data" / "hh_rlhf_sample.jsonl"


def load_pairs(path: Path) -> list[dict]:
    """Preference examples from an HH-RLHF file, without the rows whose two sides are equal.

    Each keeps the row's `source` subset where the file has one (the shared sample does).
    """
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    pairs = [
        {**preference_from_hh(row["chosen"], row["rejected"]), "source": row.get("source", "")}
        for row in rows
    ]
    return [p for p in pairs if p["chosen"] != p["rejected"]]


class StepClock:
    """Timestamps at the end of each optimizer step; rates exclude the first (warm-up) step."""

    def __init__(self):
        self.times = []

    def __call__(self, step, total_steps, metrics):
        self.times.append(time.perf_counter())
        return True

    def per_second(self, items_per_step: float) -> float:
        return items_per_step * (len(self.times) - 1) / (self.times[-1] - self.times[0])


def fitting_pairs(tokenizer, pairs, max_length, count):
    """The first `count` pairs whose both sides fit max_length whole, and their encodings."""
    features = encode_all(encode_preference, tokenizer, pairs, 10**6, 10**6)
    kept = [
        (p, f)
        for p, f in zip(pairs, features, strict=True)
        if max(len(f["chosen_ids"]), len(f["rejected_ids"])) <= max_length
    ]
    if len(kept) < count:
        raise SystemExit(f"only {len(kept)} pairs fit max_length {max_length}; need {count}")
    return [p for p, _ in kept[:count]], [f for _, f in kept[:count]]


def trl_args(config_class, args, output_dir, **extra):
    return config_class(
        output_dir=str(output_dir),
        per_device_train_batch_size=args.batch_size,
        max_steps=args.steps,
        learning_rate=1e-4,
        lr_scheduler_type="linear",
        warmup_steps=0,
        logging_steps=10**6,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        seed=0,
        dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),
        max_length=args.max_length,
        # TRL's own defaults are bf16 autocast and gradient checkpointing (even on CPU, where
        # bf16 is several times slower); match our loop's settings instead.
        bf16=args.bf16,
        gradient_checkpointing=False,
        **extra,
    )


def peft_config(args, task_type: str):
    """With --lora R: the same adapters as ours (rank R, alpha 2R, no dropout, every linear
    layer but the output head, the reward model's score head trained in full), else None."""
    if not args.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(r=args.lora, lora_alpha=2 * args.lora, lora_dropout=0.0, target_modules="all-linear",
                      task_type=task_type)


def trl_train(trainer_class, model, trainer_args, data, tokenizer, peft=None) -> StepClock:
    """Train with a TRL trainer, its steps timed as StepClock times ours."""
    from transformers import TrainerCallback

    clock = StepClock()

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            clock(state.global_step, state.max_steps, {})

    trainer_class(
        model=model,
        args=trainer_args,
        train_dataset=data,
        processing_class=tokenizer,
        callbacks=[Clock()],
        peft_config=peft,
    ).train()
    return clock


def ours_config(config_class, args, **extra):
    if args.lora:
        extra |= {"lora_r": args.lora, "lora_alpha": 2 * args.lora, "lora_dropout": 0.0}
    return config_class(
        learning_rate=1e-4,
        batch_size=args.batch_size,
        max_steps=args.steps,
        max_length=args.max_length,
        # prompts as long as a config allows (the pairs used fit max_length whole, as TRL's)
        max_prompt_length=args.max_length - MIN_COMPLETION_TOKENS,
        mixed_precision="bf16" if args.bf16 else "no",
        show_samples=False,  # TRL generates nothing while it trains: the same work on both sides
        **extra,
    )


def ours_reward(model_dir, pairs, features, args, output_dir) -> StepClock:
    clock = StepClock()
    train_reward(ours_config(RewardConfig, args), model_dir, pairs, [], output_dir, clock)
    return clock


def trl_reward(model_dir, pairs, features, args, output_dir) -> StepClock:
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig as TRLRewardConfig
    from trl import RewardTrainer

    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, num_labels=1, use_safetensors=True
    )
    # Our own token ids, so both see exactly the same sequences.
    data = Dataset.from_list(
        [{"chosen_ids": f["chosen_ids"], "rejected_ids": f["rejected_ids"]} for f in features]
    )
    return trl_train(
        RewardTrainer,
        model,
        trl_args(TRLRewardConfig, args, output_dir, center_rewards_coefficient=None),
        data,
        load_tokenizer(model_dir),
        peft_config(args, "SEQ_CLS"),
    )


def ours_dpo(model_dir, pairs, features, args, output_dir) -> StepClock:
    clock = StepClock()
    train_dpo(ours_config(DPOConfig, args, beta=0.1), model_dir, pairs, [], output_dir, clock)
    return clock


def trl_dpo(model_dir, pairs, features, args, output_dir) -> StepClock:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import DPOConfig as TRLDPOConfig
    from trl import DPOTrainer

    tokenizer = load_tokenizer(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, use_safetensors=True)
    # Text that tokenizes exactly as ours does: the byte-level tiny tokenizer has no merges.
    data = Dataset.from_list(
        [
            {
                "prompt": format_prompt(tokenizer, p["prompt"]),
                "chosen": p["chosen"],
                "rejected": p["rejected"],
            }
            for p in pairs
        ]
    )
    return trl_train(
        DPOTrainer,
        model,
        trl_args(TRLDPOConfig, args, output_dir, beta=0.1, precompute_ref_log_probs=True),
        data,
        tokenizer,
        peft_config(args, "CAUSAL_LM"),
    )


def demonstrations(pairs):
    """SFT examples from preference pairs: the chosen response is the demonstration."""
    return [{"prompt": p["prompt"], "completion": p["chosen"]} for p in pairs]


def ours_sft(model_dir, pairs, features, args, output_dir) -> StepClock:
    clock = StepClock()
    train_sft(ours_config(SFTConfig, args), model_dir, demonstrations(pairs), [], output_dir, clock)
    return clock


def trl_sft(model_dir, pairs, features, args, output_dir) -> StepClock:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig as TRLSFTConfig
    from trl import SFTTrainer

    tokenizer = load_tokenizer(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, use_safetensors=True)
    # Our own token ids and prompt mask, so both train on exactly the same tokens.
    encoded = encode_all(encode_sft, tokenizer, demonstrations(pairs), 10**6, 10**6)
    data = Dataset.from_list(
        [
            {
                "input_ids": e["input_ids"],
                "completion_mask": [0] * e["prompt_length"]
                + [1] * (len(e["input_ids"]) - e["prompt_length"]),
            }
            for e in encoded
        ]
    )
    return trl_train(
        SFTTrainer,
        model,
        trl_args(TRLSFTConfig, args, output_dir, completion_only_loss=True, packing=False),
        data,
        tokenizer,
        peft_config(args, "CAUSAL_LM"),
    )


def kto_rows(pairs):
    """Unpaired KTO rows from preference pairs, as the `kto` export writes them."""
    return [
        {"prompt": p["prompt"], "completion": p[side], "label": side == "chosen"}
        for p in pairs
        for side in ("chosen", "rejected")
    ][: len(pairs)]


def ours_kto(model_dir, pairs, features, args, output_dir) -> StepClock:
    clock = StepClock()
    train_kto(
        ours_config(KTOConfig, args, beta=0.1), model_dir, kto_rows(pairs), [], output_dir, clock
    )
    return clock


def trl_kto(model_dir, pairs, features, args, output_dir) -> StepClock:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import KTOConfig as TRLKTOConfig
    from trl import KTOTrainer

    tokenizer = load_tokenizer(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, use_safetensors=True)
    data = Dataset.from_list(
        [
            {
                "prompt": format_prompt(tokenizer, r["prompt"]),
                "completion": r["completion"],
                "label": r["label"],
            }
            for r in kto_rows(pairs)
        ]
    )
    return trl_train(
        KTOTrainer,
        model,
        trl_args(TRLKTOConfig, args, output_dir, beta=0.1, precompute_ref_log_probs=True),
        data,
        tokenizer,
        peft_config(args, "CAUSAL_LM"),
    )


def mfu(tokens_per_s: float, num_params: int, peak_tflops: float) -> str:
    """Model FLOPs utilisation: 6·N FLOPs per trained token (forward + backward), over the peak."""
    if not torch.cuda.is_available():
        return "n/a (cpu)"
    return f"{6 * num_params * tokens_per_s / (peak_tflops * 1e12):.1%}"


RUNS = {
    ("reward", "ours"): ours_reward,
    ("reward", "trl"): trl_reward,
    ("sft", "ours"): ours_sft,
    ("sft", "trl"): trl_sft,
    ("dpo", "ours"): ours_dpo,
    ("dpo", "trl"): trl_dpo,
    ("kto", "ours"): ours_kto,
    ("kto", "trl"): trl_kto,
}


def throughput(args):
    """Each (method, implementation) run `repeats` times, interleaved; the median rate is kept.

    A sample is a pair for reward and DPO (chosen + rejected tokens), a demonstration (the
    prompt and the chosen response) for SFT, and one labelled completion for KTO (its
    mismatched prompt/completion pair runs too, in both implementations).
    """
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lm = build_tiny_causal_lm(work / "lm")
        models = {"reward": build_tiny_reward_model(work / "rm"), "sft": lm, "dpo": lm, "kto": lm}
        count = args.steps * args.batch_size
        pairs, features = fitting_pairs(
            load_tokenizer(lm), load_pairs(args.data), args.max_length, count
        )
        pair_tokens = sum(len(f["chosen_ids"]) + len(f["rejected_ids"]) for f in features) / count
        tokens_per_sample = {
            "reward": pair_tokens,
            "dpo": pair_tokens,
            "sft": sum(len(f["chosen_ids"]) for f in features) / count,
            "kto": pair_tokens / 2,  # a completion, whose mismatched pair both also run
        }
        runs = {key: run for key, run in RUNS.items() if key[0] in args.methods}
        rates = {key: [] for key in runs}
        for repeat in range(args.repeats):
            for (method, impl), run in runs.items():
                clock = run(
                    models[method], pairs, features, args, work / f"{method}-{impl}-{repeat}"
                )
                rates[(method, impl)].append(clock.per_second(args.batch_size))
        params = sum(p.numel() for p in _load_lm(lm).parameters())
    device = (
        torch.cuda.get_device_name()
        if torch.cuda.is_available()
        else f"cpu, {torch.get_num_threads()} threads"
    )
    print(
        f"\ntiny Llama, {params / 1e6:.2f}M parameters ({device}); {args.steps} steps of "
        f"{args.batch_size} samples{f', LoRA r={args.lora}' if args.lora else ''} (pairs for reward and DPO, {pair_tokens:.0f} tokens each; "
        f"demonstrations for SFT, {tokens_per_sample['sft']:.0f} tokens each; KTO rows, one "
        f"completion each, {tokens_per_sample['kto']:.0f} tokens, with a mismatched pair), "
        f"median of {args.repeats} interleaved runs"
    )
    print(
        f"{'method':<8}{'impl':<6}{'samples/s':>10}{'tokens/s':>12}{'MFU':>12}   all runs (samples/s)"
    )
    for (method, impl), runs in rates.items():
        per_s = statistics.median(runs)
        tokens_per_s = per_s * tokens_per_sample[method]
        spread = ", ".join(f"{r:.2f}" for r in runs)
        print(
            f"{method:<8}{impl:<6}{per_s:>10.2f}{tokens_per_s:>12.0f}"
            f"{mfu(tokens_per_s, params, args.peak_tflops):>12}   {spread}"
        )


def _load_lm(path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, use_safetensors=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=HH_SAMPLE, help="HH-RLHF jsonl file")
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps per run")
    parser.add_argument("--batch-size", type=int, default=8, help="pairs per step")
    parser.add_argument("--max-length", type=int, default=384, help="tokens per sequence")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["reward", "sft", "dpo", "kto"],
        choices=["reward", "sft", "dpo", "kto"],
        help="stages to compare",
    )
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast in both (GPU only)")
    parser.add_argument(
        "--lora", type=int, default=0, help="LoRA rank R in both (peft; alpha 2R, every linear layer); 0 = full"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved runs per implementation"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--peak-tflops",
        type=float,
        default=989.0,
        help="GPU peak for MFU (H100 SXM bf16 dense: 989)",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    throughput(args)


if __name__ == "__main__":
    main()
