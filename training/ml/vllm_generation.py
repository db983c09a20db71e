"""The generate stage through vLLM where it is installed and a GPU is present (generation_backend).

`generate_vllm` returns the same records as generate.generate, from the same prompt tokens
(data.prompt_ids, passed to vLLM as token ids so nothing is tokenized twice) and the same
sampling parameters (num_samples, temperature, top_p, max_new_tokens, seed). vLLM is an
optional package for GPU workers; on CPU the stage stays on transformers, which is what the
tests exercise. The rollouts of PPO, GRPO and RLOO sample through vllm_rollouts.py, with
the same rules (resolve_backend, completion_tokens).
"""

import importlib.util
import time
from pathlib import Path

import torch

from training.ml.checkpoints import load_tokenizer, read_training_config
from training.ml.data import prompt_ids, special_tokens
from training.ml.loop import TrainingCancelled
from training.ml.sampling import sample_record


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None and torch.cuda.is_available()


def resolve_backend(requested: str) -> str:
    """'vllm' or 'transformers' for a run asking for `requested` ('auto': vLLM when it can run)."""
    if requested == "transformers":
        return "transformers"
    if requested == "vllm" and not vllm_available():
        raise ValueError(
            "generation_backend 'vllm' needs the vllm package and a CUDA GPU on this worker "
            f"(vllm {'installed' if importlib.util.find_spec('vllm') else 'not installed'}, "
            f"GPU {'present' if torch.cuda.is_available() else 'absent'}); use 'auto' or 'transformers'"
        )
    return "vllm" if vllm_available() else "transformers"


def generate_vllm(config, model_path: str | Path, prompts: list[dict], callback=None) -> list[dict]:
    """generate.generate's contract, sampled by vLLM (one engine for the run, batches as there)."""
    from vllm import LLM, SamplingParams
    from vllm.inputs import TokensPrompt

    if read_training_config(model_path).get("adapter"):
        raise ValueError(f"{model_path} holds LoRA adapters; vLLM samples from a full model (merge_adapters true)")
    tokenizer = load_tokenizer(model_path)
    special = special_tokens(tokenizer)
    dtype = "auto" if config.torch_dtype == "auto" else config.torch_dtype
    llm = LLM(model=str(model_path), dtype=dtype, seed=config.seed)
    params = SamplingParams(
        n=config.num_samples, temperature=config.temperature, top_p=config.top_p,
        max_tokens=config.max_new_tokens, seed=config.seed,
    )
    results, start = [], time.perf_counter()
    batches = range(0, len(prompts), config.batch_size)
    for number, first in enumerate(batches, start=1):
        chunk = prompts[first : first + config.batch_size]
        ids = [prompt_ids(tokenizer, p["prompt"], config.max_prompt_length, special) for p in chunk]
        outputs = llm.generate([TokensPrompt(prompt_token_ids=i) for i in ids], params, use_tqdm=False)
        for offset, output in enumerate(outputs):
            results += [record(tokenizer, first + offset, chunk[offset]["prompt"], s, c) for s, c in enumerate(output.outputs)]
        speed = {"samples_per_s": len(results) / (time.perf_counter() - start)}
        if callback is not None and callback(number, len(batches), speed) is False:
            raise TrainingCancelled(number, len(batches))
    return results


def record(tokenizer, prompt_index: int, messages, sample_index: int, completion) -> dict:
    """One vLLM completion as generate's record: tokens up to and including eos, as there."""
    tokens = completion_tokens(tokenizer.eos_token_id, completion)
    return sample_record(tokenizer, prompt_index, sample_index, messages, tokens)


def completion_tokens(eos: int, completion, limit: int | None = None) -> list[int]:
    """A vLLM completion's tokens as transformers samples them: up to and including the first
    eos; one that stopped without it (vLLM left it out, or stopped on another stop token) gets
    it appended, unless that would pass `limit` (max_new_tokens), as transformers would not."""
    tokens = list(completion.token_ids)
    if eos in tokens:
        return tokens[: tokens.index(eos) + 1]
    if completion.finish_reason == "stop" and (limit is None or len(tokens) < limit):
        tokens.append(eos)
    return tokens
