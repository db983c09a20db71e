"""Sampling responses with transformers, shared by the generate stage and the online stages'
rollouts (rollouts.py), and the record a sampled response becomes (vllm_generation.py too).

A sampled response's record:

    {"prompt_index": int, "sample_index": int, "prompt": messages,
     "completion": str, "num_tokens": int, "finished": bool}

`finished` is False when the response hit max_new_tokens before end-of-sequence.

A few responses per logging step also go to the run page, beside the metrics: the progress
callback's metrics carry them under SAMPLES_KEY as shown samples (shown_sample), on the steps
samples_due picks, and the worker stores them (training/run_samples.py), never the ranks.
"""

import math

import torch
from transformers import GenerationConfig

from training.ml.data import pad, prompt_ids, special_tokens


@torch.no_grad()
def sample(
    model,
    tokenizer,
    prompts: list[list[int]],
    max_new_tokens: int,
    temperature: float,
    top_p: float = 1.0,
    greedy: bool = False,
):
    """Sample one response per prompt (token-id lists) with plain temperature sampling, or the
    most likely token at each step where `greedy`.

    Returns (responses (B, R), response_mask (B, R)): the mask is 1 up to and including
    the first end-of-sequence token. top_k is off so the sampling distribution is exactly
    softmax(logits / temperature), which PPO's log-probs assume.
    """
    device = next(model.parameters()).device
    input_ids, attention_mask = pad(prompts, tokenizer.pad_token_id, left=True)
    # A fresh GenerationConfig, so a checkpoint's own defaults (top_k, repetition_penalty,
    # ...) cannot change the distribution.
    drawn = {} if greedy else {"temperature": temperature, "top_p": top_p, "top_k": 0}
    settings = GenerationConfig(
        do_sample=not greedy,
        max_new_tokens=max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        **drawn,
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


def sample_record(tokenizer, prompt_index: int, sample_index: int, messages, tokens: list[int]) -> dict:
    """The record of one sampled response, its tokens up to and including eos (see the module doc)."""
    return {
        "prompt_index": prompt_index,
        "sample_index": sample_index,
        "prompt": messages,
        "completion": tokenizer.decode(tokens, skip_special_tokens=True).strip(),
        "num_tokens": len(tokens),
        "finished": bool(tokens) and tokens[-1] == tokenizer.eos_token_id,
    }


SAMPLES_KEY = "samples"  # where a step's shown samples ride in the progress callback's metrics
SAMPLES_PER_STEP = 4
SAMPLED_STEPS = 100  # at most this many steps of a run carry samples, evenly spread, the last one too
SAMPLE_CHARS = 2000  # prompt and response are cut to this many characters for the run page


def samples_due(step: int, total_steps: int) -> bool:
    """Whether `step` shows samples: every step of a short run, about SAMPLED_STEPS of a long one."""
    return step == total_steps or step % max(1, math.ceil(total_steps / SAMPLED_STEPS)) == 0


def prompt_text(messages) -> str:
    """A prompt's messages as the run page shows them: a lone user turn as its text, a
    conversation as "role: content" paragraphs."""
    if len(messages) == 1 and messages[0].get("role") == "user":
        return str(messages[0].get("content", ""))
    return "\n\n".join(f"{m.get('role', '')}: {m.get('content', '')}" for m in messages)


def shown_sample(messages, response: str, score: float | None = None, truncated: bool | None = None) -> dict:
    """One sampled response as the run page shows it: {"prompt", "response", "score", "truncated"}
    (score None where nothing scored it, truncated None where it is not known), texts cut to
    SAMPLE_CHARS so a progress line stays small. The texts are model output: untrusted."""
    return {
        "prompt": prompt_text(messages)[:SAMPLE_CHARS],
        "response": response[:SAMPLE_CHARS],
        "score": None if score is None or not math.isfinite(score) else float(score),
        "truncated": truncated,
    }


SAMPLE_NEW_TOKENS = 64  # most tokens of a greedy response shown for SFT, DPO or KTO


def with_samples(callback, accelerator, model, tokenizer, examples: list[dict], config):
    """`callback` with greedy responses to the first few `examples`' prompts under SAMPLES_KEY
    on the steps samples_due picks, so the run page shows how an SFT, DPO or KTO policy answers
    as it trains. Only the main process calls a callback, so it generates alone: not under a
    sharding engine (fsdp, deepspeed), whose model needs every rank to run a forward."""
    sharded = accelerator.num_processes > 1 and config.distributed != "ddp"
    if callback is None or not examples or not config.show_samples or sharded:
        return callback
    special = special_tokens(tokenizer)
    prompts = [e["prompt"] for e in examples[:SAMPLES_PER_STEP]]
    ids = [prompt_ids(tokenizer, p, config.max_prompt_length, special) for p in prompts]
    new_tokens = max(1, min(SAMPLE_NEW_TOKENS, config.max_length - config.max_prompt_length))

    def sampled(step: int, total_steps: int, metrics: dict):
        if samples_due(step, total_steps):
            shown = greedy_samples(accelerator, model, tokenizer, prompts, ids, new_tokens)
            metrics = {**metrics, SAMPLES_KEY: shown}
        return callback(step, total_steps, metrics)

    return sampled


@torch.no_grad()
def greedy_samples(accelerator, model, tokenizer, prompts: list, ids: list[list[int]], max_new_tokens: int) -> list[dict]:
    """The policy's greedy response to each prompt (messages, and their token ids), shown."""
    lm = accelerator.unwrap_model(model)
    training = lm.training
    lm.eval()
    try:
        with accelerator.autocast():
            responses, mask = sample(lm, tokenizer, ids, max_new_tokens, 1.0, greedy=True)
    finally:
        lm.train(training)
    shown = []
    for messages, response, kept in zip(prompts, responses, mask, strict=True):
        text = tokenizer.decode(response[kept.bool()], skip_special_tokens=True).strip()
        finished = bool((response[kept.bool()] == tokenizer.eos_token_id).any())
        shown.append(shown_sample(messages, text, truncated=not finished))
    return shown
