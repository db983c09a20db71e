"""Sampling responses from a causal-LM checkpoint (the `generate` stage, and PPO's rollouts).

`generate` returns plain dicts, one per (prompt, sample):

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
from transformers import GenerationConfig

from training.ml.checkpoints import check_model_options, load_causal_lm, load_tokenizer
from training.ml.config import GenerateConfig
from training.ml.data import PROMPT_KEYS, check_examples, pad, prompt_ids, special_tokens
from training.ml.loop import Callback, TrainingCancelled
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
    special = special_tokens(tokenizer)
    results, start = [], time.perf_counter()
    batches = range(0, len(prompts), config.batch_size)
    for number, first in enumerate(batches, start=1):
        chunk = prompts[first : first + config.batch_size]
        ids = [prompt_ids(tokenizer, p["prompt"], config.max_prompt_length, special) for p in chunk]
        repeated = [seq for seq in ids for _ in range(config.num_samples)]
        responses, mask = sample(
            model, tokenizer, repeated, config.max_new_tokens, config.temperature, config.top_p
        )
        results += [
            completion_record(
                tokenizer,
                first + row // config.num_samples,
                row % config.num_samples,
                prompts[first + row // config.num_samples]["prompt"],
                responses[row],
                mask[row],
            )
            for row in range(len(repeated))
        ]
        speed = {"samples_per_s": len(results) / (time.perf_counter() - start)}
        if callback is not None and callback(number, len(batches), speed) is False:
            raise TrainingCancelled(number, len(batches))
    return results


@torch.no_grad()
def sample(
    model,
    tokenizer,
    prompts: list[list[int]],
    max_new_tokens: int,
    temperature: float,
    top_p: float = 1.0,
):
    """Sample one response per prompt (token-id lists) with plain temperature sampling.

    Returns (responses (B, R), response_mask (B, R)): the mask is 1 up to and including
    the first end-of-sequence token. top_k is off so the sampling distribution is exactly
    softmax(logits / temperature), which PPO's log-probs assume.
    """
    device = next(model.parameters()).device
    input_ids, attention_mask = pad(prompts, tokenizer.pad_token_id, left=True)
    # A fresh GenerationConfig, so a checkpoint's own defaults (top_k, repetition_penalty,
    # ...) cannot change the distribution.
    settings = GenerationConfig(
        do_sample=True,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        top_k=0,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    sequences = model.generate(
        input_ids=input_ids.to(device),
        attention_mask=attention_mask.to(device),
        generation_config=settings,
    )
    responses = sequences[:, input_ids.shape[1] :]  # (B, R)
    return responses, response_mask(responses, tokenizer.eos_token_id)


def response_mask(responses: torch.Tensor, eos_id: int) -> torch.Tensor:
    """1 on tokens up to and including the first eos, 0 after it: (B, R) long."""
    is_eos = (responses == eos_id).long()
    eos_before = is_eos.cumsum(-1) - is_eos  # eos tokens strictly before each position
    return (eos_before == 0).long()


def completion_record(tokenizer, prompt_index, sample_index, messages, response, mask) -> dict:
    kept = response[mask.bool()].tolist()
    finished = bool(kept) and kept[-1] == tokenizer.eos_token_id
    return {
        "prompt_index": prompt_index,
        "sample_index": sample_index,
        "prompt": messages,
        "completion": tokenizer.decode(kept, skip_special_tokens=True).strip(),
        "num_tokens": len(kept),
        "finished": finished,
    }
