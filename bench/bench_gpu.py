"""GPU check: memory and speed of real model shapes through the product's own stage functions.

    python bench/bench_gpu.py [--out results.json] [--peak-tflops 989]   # on a GPU, under 8 minutes
    python bench/bench_gpu.py --smoke                                     # tiny shapes on CPU: checks the script

No hub is reachable from the GPU machine, so every model is built here from a config with
random weights (speed and memory do not depend on the values) and saved as a bf16 checkpoint,
which is what real 8B releases are. It imports training.ml alone (no Django), so it runs where
only torch, transformers, accelerate and peft are installed.

Rows:
  sft-lora-8b   Llama-3-8B shape, LoRA r=16 on every projection, 2,048-token sequences,
                gradient checkpointing: peak GPU memory and tokens/s (target: under 40 GB)
  dpo-lora-8b   the same with DPO (chosen + rejected of 2,048 tokens; the reference is the
                base with adapters off, no second copy): target under 1.3× the SFT peak
  sft-full-1b   Llama-3.2-1B shape, full fine-tuning, fp32 master weights under bf16
                autocast: tokens/s and model-FLOPs utilisation (target ≥ 40%)
  grpo-1b-tf    GRPO on the 1B shape, rollouts through transformers' generate: generated
                tokens per second of rollout sampling, peak memory
  grpo-1b-vllm  the same with vLLM rollouts (colocated engine, the new weights pushed before
                each rollout batch, that push counted in the sampling time): target ≥ 5× the
                transformers row's generated tokens/s; skipped, saying why, without vllm or a GPU
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

from training.ml import rollouts  # noqa: E402
from training.ml.config import DPOConfig, GRPOConfig, SFTConfig  # noqa: E402
from training.ml.dpo import train_dpo  # noqa: E402
from training.ml.group_rl import train_grpo  # noqa: E402
from training.ml.sft import train_sft  # noqa: E402
from training.ml.tiny import build_tiny_tokenizer  # noqa: E402

SHAPES = {
    "8b": {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256},
    "1b": {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
           "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
           "tie_word_embeddings": True},
    "smoke": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512},
}


def build_model(shape: str, directory: Path, seq_len: int) -> tuple[Path, int]:
    """A randomly initialised bf16 Llama of `shape` with the byte tokenizer; (path, parameters)."""
    tokenizer = build_tiny_tokenizer()
    config = LlamaConfig(
        **SHAPES[shape], max_position_embeddings=max(seq_len * 2, 4096), rope_theta=500000.0,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    del model
    empty_cache()
    return directory, params


def text(rng: random.Random, n: int) -> str:
    """n bytes of words: the byte tokenizer makes each one token."""
    words = []
    while sum(len(w) + 1 for w in words) < n:
        words.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))))
    return " ".join(words)[:n]


def examples(count: int, seq_len: int, paired: bool) -> list[dict]:
    """Examples whose prompt + completion fill seq_len tokens (a quarter prompt)."""
    rng = random.Random(0)
    prompt_len, completion_len = seq_len // 4, seq_len - seq_len // 4 - 32
    rows = []
    for _ in range(count):
        prompt = [{"role": "user", "content": text(rng, prompt_len)}]
        if paired:
            rows.append({"prompt": prompt, "chosen": text(rng, completion_len),
                         "rejected": text(rng, completion_len)})
        else:
            rows.append({"prompt": prompt, "completion": text(rng, completion_len)})
    return rows


def empty_cache():
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gb() -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None


def timed(train, config, base: Path, rows: list[dict], out: Path) -> dict:
    """Run one stage; its last step's tokens/s (the loop's own meter) and the peak memory."""
    empty_cache()
    start = time.perf_counter()
    result = train(config, base, rows, [], out)
    return {"tokens_per_s": result["metrics"].get("tokens_per_s"), "peak_gb": peak_gb(),
            "seconds": time.perf_counter() - start, "steps": result["steps"]}


def run(args) -> dict:
    smoke = args.smoke
    seq_len, steps = (128, 2) if smoke else (2048, args.steps)
    big, small = ("smoke", "smoke") if smoke else ("8b", "1b")
    precision = "no" if smoke else "bf16"
    lora = {"lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.0, "gradient_checkpointing": True,
            "max_length": seq_len, "max_prompt_length": seq_len // 4 + 8, "batch_size": 1,
            "max_steps": steps, "mixed_precision": precision, "merge_adapters": False}
    rows, results = {}, {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        base, params = build_model(big, tmp / "big", seq_len)
        results["params_big"] = params
        rows["sft-lora-8b"] = timed(train_sft, SFTConfig(learning_rate=1e-4, **lora), base,
                                    examples(steps + 1, seq_len, False), tmp / "sft")
        rows["dpo-lora-8b"] = timed(train_dpo, DPOConfig(learning_rate=1e-5, **lora), base,
                                    examples(steps + 1, seq_len, True), tmp / "dpo")
        for path in base.glob("*.safetensors"):
            path.unlink()  # room on disk for the next model
        base, params = build_model(small, tmp / "small", seq_len)
        results["params_small"] = params
        full = SFTConfig(learning_rate=1e-5, max_length=seq_len, max_prompt_length=seq_len // 4 + 8,
                         batch_size=args.full_batch, max_steps=steps, mixed_precision=precision,
                         gradient_checkpointing=False)
        rows["sft-full-1b"] = timed(train_sft, full, base,
                                    examples(args.full_batch * (steps + 1), seq_len, False), tmp / "full")
        rows["sft-full-1b"]["mfu"] = mfu(rows["sft-full-1b"]["tokens_per_s"], params, args.peak_tflops)
        for backend in ("transformers", "vllm"):  # vLLM last: its engine's memory is freed last
            rows[f"grpo-1b-{'tf' if backend == 'transformers' else backend}"] = grpo_row(
                backend, base, tmp / f"grpo-{backend}", smoke, precision
            )
    results["rows"] = rows
    return results


def grpo_row(backend: str, base: Path, out: Path, smoke: bool, precision: str) -> dict:
    """GRPO with rollouts through `backend`: generated tokens per second of rollout sampling
    (rollouts.sample_responses timed; for vLLM the push of the new weights included)."""
    if backend == "vllm" and (importlib.util.find_spec("vllm") is None or not torch.cuda.is_available()):
        found = "installed" if importlib.util.find_spec("vllm") else "not installed"
        return {"skipped": f"vLLM rollouts need vllm and a CUDA GPU (vllm {found}, "
                           f"GPU {'present' if torch.cuda.is_available() else 'absent'})"}
    steps, prompts, group, new_tokens = (2, 2, 2, 8) if smoke else (3, 8, 8, 256)
    config = GRPOConfig(
        learning_rate=1e-6, batch_size=prompts, num_generations=group, mini_batch_size=prompts * group // 2,
        ppo_epochs=1, max_new_tokens=new_tokens, max_prompt_length=136, max_length=136 + new_tokens,
        max_steps=steps, mixed_precision=precision, gradient_checkpointing=not smoke,
        generation_backend=backend,
    )
    rng = random.Random(0)
    rows = [{"prompt": [{"role": "user", "content": text(rng, 120)}]} for _ in range(prompts * steps)]
    meter = {"seconds": 0.0, "tokens": 0}
    original = rollouts.sample_responses

    def timed_sampling(*args, **kwargs):
        sync()
        start = time.perf_counter()
        batch = original(*args, **kwargs)
        sync()
        meter["seconds"] += time.perf_counter() - start
        meter["tokens"] += int(batch["mask"].sum())
        return batch

    empty_cache()
    start = time.perf_counter()
    rollouts.sample_responses = timed_sampling  # sample_and_score looks it up here, per rollout
    try:
        result = train_grpo(config, base, rows, [], out, reward_fn=share_of_a)
    finally:
        rollouts.sample_responses = original
    return {"tokens_per_s": meter["tokens"] / meter["seconds"], "peak_gb": peak_gb(),
            "seconds": time.perf_counter() - start, "steps": result["steps"],
            "generation_s": meter["seconds"]}


def share_of_a(prompts, completions, finished=None):
    return [text.count("a") / max(len(text), 1) for text in completions]


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def mfu(tokens_per_s: float | None, params: int, peak_tflops: float) -> float | None:
    """Model FLOPs utilisation: 6·N FLOPs per trained token (forward + backward) over the peak.
    Attention's own FLOPs are left out, so this understates long sequences a little."""
    if not tokens_per_s or not torch.cuda.is_available():
        return None
    return 6 * params * tokens_per_s / (peak_tflops * 1e12)


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}"
    return f"CPU ({platform.processor() or platform.machine()}), torch {torch.__version__}"


def print_table(results: dict, args) -> None:
    print(f"machine: {machine()}")
    print(f"models: big {results['params_big'] / 1e9:.2f}B params, small {results['params_small'] / 1e9:.2f}B")
    print(f"{'row':<14}{'tokens/s':>12}{'peak GB':>10}{'MFU':>8}{'steps':>7}{'seconds':>9}")
    for name, row in results["rows"].items():
        if "skipped" in row:
            print(f"{name:<14}  skipped: {row['skipped']}")
            continue
        tps = f"{row['tokens_per_s']:.0f}" if row["tokens_per_s"] else "-"
        peak = f"{row['peak_gb']:.1f}" if row["peak_gb"] is not None else "-"
        util = f"{row['mfu']:.1%}" if row.get("mfu") is not None else "-"
        print(f"{name:<14}{tps:>12}{peak:>10}{util:>8}{row['steps']:>7}{row['seconds']:>9.1f}")
    tf, fast = results["rows"]["grpo-1b-tf"], results["rows"]["grpo-1b-vllm"]
    if "skipped" not in fast:
        print(f"GRPO rollouts, generated tokens/s: vLLM {fast['tokens_per_s'] / tf['tokens_per_s']:.1f}x "
              f"transformers (target >= 5x; sampling {fast['generation_s']:.1f} s vs {tf['generation_s']:.1f} s)")
    sft, dpo = results["rows"]["sft-lora-8b"], results["rows"]["dpo-lora-8b"]
    if sft["peak_gb"] and dpo["peak_gb"]:
        print(f"DPO / SFT peak memory: {dpo['peak_gb'] / sft['peak_gb']:.2f}x (target < 1.3x); "
              f"SFT LoRA 8B peak target < 40 GB; full 1B MFU target >= 40%")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny shapes, CPU: check the script runs")
    parser.add_argument("--steps", type=int, default=6, help="optimizer steps per row (the last is measured)")
    parser.add_argument("--full-batch", type=int, default=4, help="sequences per step for the 1B full fine-tune")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="bf16 dense peak (H100 SXM: 989)")
    parser.add_argument("--workdir", default=None, help="where the checkpoints are written (needs ~20 GB)")
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args()
    results = run(args)
    print_table(results, args)
    if args.out:
        Path(args.out).write_text(json.dumps({"machine": machine(), **results}, indent=2))


if __name__ == "__main__":
    main()
