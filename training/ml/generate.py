"""The generate stage: sampling responses from a causal-LM checkpoint.

`generate` returns plain dicts, one per (prompt, sample), the records of sampling.py:

    {"prompt_index": int, "sample_index": int, "prompt": messages,
     "completion": str, "num_tokens": int, "finished": bool}

`finished` is False when the response hit max_new_tokens before end-of-sequence.
Prompts are rendered exactly as in training (data.prompt_ids) and left-padded so every
response starts at the same column.
"""

import time
from pathlib import Path

import torch
from accelerate.utils import set_seed

from training.ml.checkpoints import check_model_options, load_causal_lm, load_tokenizer
from training.ml.data import PROMPT_KEYS, check_examples, prompt_ids, special_tokens
from training.ml.generate_config import GenerateConfig
from training.ml.loop import Callback, TrainingCancelled
from training.ml.sampling import sample, sample_record
from training.ml.vllm_generation import generate_vllm, resolve_backend


def generate(
    config: GenerateConfig,
    model_path: str | Path,
    prompts: list[dict],
    callback: Callback | None = None,
) -> list[dict]:
    """Sample config.num_samples responses for each {"prompt": messages} in `prompts`.

    The callback gets (batch number, number of batches, {"samples_per_s"}) after each
    batch of prompts; returning False raises TrainingCancelled. config.generation_backend
    picks vLLM or transformers (vllm_generation.resolve_backend); the records are the same.
    """
    check_examples(prompts, PROMPT_KEYS, "prompt")
    check_model_options(config)
    if resolve_backend(config.generation_backend) == "vllm":
        return generate_vllm(config, model_path, prompts, callback)
    set_seed(config.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = load_tokenizer(model_path)
    model = load_causal_lm(model_path, tokenizer, config).to(device).eval()
    results, start = [], time.perf_counter()
    batches = range(0, len(prompts), config.batch_size)
    for number, first in enumerate(batches, start=1):
        results += sample_batch(model, tokenizer, config, prompts, first)
        speed = {"samples_per_s": len(results) / (time.perf_counter() - start)}
        if callback is not None and callback(number, len(batches), speed) is False:
            raise TrainingCancelled(number, len(batches))
    return results


def sample_batch(model, tokenizer, config: GenerateConfig, prompts: list[dict], first: int) -> list[dict]:
    """The records of config.num_samples responses to each of the batch of prompts from `first`."""
    special = special_tokens(tokenizer)
    chunk = prompts[first : first + config.batch_size]
    ids = [prompt_ids(tokenizer, p["prompt"], config.max_prompt_length, special) for p in chunk]
    repeated = [seq for seq in ids for _ in range(config.num_samples)]
    responses, mask = sample(
        model, tokenizer, repeated, config.max_new_tokens, config.temperature, config.top_p
    )
    records = []
    for row in range(len(repeated)):
        prompt_index, sample_index = divmod(row, config.num_samples)
        tokens = responses[row][mask[row].bool()].tolist()
        messages = chunk[prompt_index]["prompt"]
        records.append(sample_record(tokenizer, first + prompt_index, sample_index, messages, tokens))
    return records
