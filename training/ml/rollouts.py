"""Sampling and scoring rollouts, shared by the online stages (PPO, GRPO, RLOO; online.py).

A batch of rollouts is a dict of tensors over B responses: sequences and attention_mask
(B, P + R) with the prompts left-padded to width P, responses and mask (B, R), finished (B,).
Everything here that runs a model over the whole batch does so in micro-batches
(in_micro_batches), and log-probs never upcast every row's logits to float32 at once
(losses.selective_logps), so memory follows the micro-batch, not the responses per step.
"""

from collections.abc import Callable
from functools import partial

import torch
from accelerate.utils import set_seed

from training.ml.adapters import reference_view
from training.ml.data import pad
from training.ml.generation_view import generation_view
from training.ml.losses import kl_k3, selective_logps
from training.ml.sampling import SAMPLES_PER_STEP, sample, shown_sample


def seed_rollouts(accelerator, seed: int) -> None:
    """Seed the RNGs that sampling draws from with seed + this process's index.

    Every process starts from `seed` so that their weights (the value head) begin alike;
    from here on each must draw its own rollouts, or the processes sample in lockstep and
    a step's responses are less diverse than its batch size says.
    """
    set_seed(seed + accelerator.process_index)


def sample_responses(lm, tokenizer, ids: list[list[int]], config, engine=None) -> dict:
    """One sampled response per prompt (token ids), after its left-padded prompt.

    sequences and attention_mask are (B, P + R), prompt_width is P, responses and mask
    (float, 1 up to and including the first eos) are (B, R), finished (bool, the response
    ended in eos rather than at max_new_tokens) is (B,). `engine` (vllm_rollouts.VllmRollouts)
    samples them instead of transformers' generate when the run has one: the same batch.
    """
    if engine is None:
        responses, mask = sample(lm, tokenizer, ids, config.max_new_tokens, config.temperature)
    else:
        responses, mask = engine.sample(lm, tokenizer, ids, config)
    prompt_tokens, prompt_mask = (
        t.to(responses.device) for t in pad(ids, tokenizer.pad_token_id, left=True)
    )
    return {
        "sequences": torch.cat([prompt_tokens, responses], dim=1),  # (B, P + R)
        "attention_mask": torch.cat([prompt_mask, mask], dim=1),  # (B, P + R)
        "prompt_width": prompt_tokens.shape[1],
        "responses": responses,
        "mask": mask.float(),
        "finished": (responses == tokenizer.eos_token_id).any(-1),  # (B,)
    }


@torch.no_grad()
def sample_and_score(run, config, ids: list[list[int]], forward: Callable, lm: Callable = lambda m: m):
    """Sample one response per prompt (token ids) from the policy, then run
    `forward(model, batch, rows) -> tuple of (rows, ...) tensors` over the responses with the
    policy and with its frozen reference, mini_batch_size rows at a time.

    `lm(policy)` is the causal LM that samples (PPO's sits inside its value-head wrapper).
    Returns (batch, the policy's outputs, the reference's outputs).
    """
    accelerator = run.accelerator
    policy = accelerator.unwrap_model(run.model)
    policy.eval()
    with generation_view(accelerator, run.model) as whole:  # weights gathered once, not per token
        batch = sample_responses(lm(whole), run.tokenizer, ids, config, run.engine)
    size, count = config.mini_batch_size, batch["mask"].shape[0]
    with accelerator.autocast():
        policy_out = in_micro_batches(partial(forward, policy, batch), size, count)
        with reference_view(policy, run.reference) as frozen:
            reference_out = in_micro_batches(partial(forward, frozen, batch), size, count)
    policy.train()
    return batch, policy_out, reference_out


def in_micro_batches(forward: Callable, size: int, count: int) -> tuple:
    """forward(rows) over consecutive slices of `size` of `count` rows, each of its outputs
    concatenated along the rows: rollouts are scored (policy, reference, reward) this way, so
    their peak memory follows mini_batch_size, not the number of responses per step."""
    parts = [forward(slice(first, first + size)) for first in range(0, count, size)]
    return tuple(torch.cat(outputs) for outputs in zip(*parts, strict=True))


def lm_forward(lm, input_ids, attention_mask, **kwargs):
    """The LM's output on left-padded sequences, with positions that count real tokens only."""
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    return lm(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids,
        use_cache=False,
        **kwargs,
    )


def response_logps(logits, sequences, prompt_width: int, temperature: float):
    """The response positions' logits as the model gave them (B, R, V; a view, not scaled) and
    the sampled tokens' log-probs under logits / temperature (B, R), taken one sequence at a
    time so no float32 copy of every row's logits is made (losses.selective_logps)."""
    logits = logits[:, prompt_width - 1 : -1]  # (B, R, V)
    return logits, selective_logps(logits, sequences[:, prompt_width:], temperature)


def score_responses(tokenizer, reward_fn, prompts: list[dict], batch: dict, config) -> torch.Tensor:
    """reward_fn's score of each decoded response (special tokens dropped) to its prompt, less
    config.missing_eos_penalty for a response cut at max_new_tokens: (B,).

    reward_fn(prompts, completions, finished) is told which responses ended in eos, so a
    reward model does not see an eos that was never sampled (rewards.py).

    reward_fn sees mini_batch_size responses at a time, so a reward model's memory does not
    grow with the responses per step.
    """
    completions = [
        tokenizer.decode(response[mask.bool()], skip_special_tokens=True).strip()
        for response, mask in zip(batch["responses"], batch["mask"], strict=True)
    ]
    messages, device = [p["prompt"] for p in prompts], batch["mask"].device
    finished = batch["finished"].tolist()

    def score(rows: slice):
        scores = reward_fn(messages[rows], completions[rows], finished[rows])
        return (torch.as_tensor(scores, dtype=torch.float, device=device).reshape(-1),)

    (scores,) = in_micro_batches(score, config.mini_batch_size, len(completions))
    return penalize_missing_eos(scores, batch["finished"], config.missing_eos_penalty)


def penalize_missing_eos(scores, finished, penalty: float | None) -> torch.Tensor:
    """Scores (B,) less `penalty` where the response did not end in eos (finished (B,) bool).

    TRL's missing_eos_penalty: a reward model scores a response cut at max_new_tokens as if it
    had ended there, so without it a policy can gain by running on (length hacking).
    """
    if not penalty:
        return scores
    return scores - penalty * (~finished).float()


def rollout_stats(accelerator, batch: dict) -> dict:
    """Mean score, summed KL per response, response length and the share of responses cut at
    max_new_tokens (truncation_rate), averaged over processes.

    The KL shown is the k3 estimate (never negative), not the k1 one the reward penalty uses
    (``batch["kl"]``): both are unbiased, but k1 summed over a few responses often went below 0
    early in a run, which reads as a bug and let a drifting policy's figure cancel out."""
    k3 = kl_k3(batch["logps"], batch["ref_logps"]) * batch["mask"]
    local = torch.stack(
        [
            batch["scores"].mean(),
            k3.sum(-1).mean(),
            batch["mask"].sum(-1).mean(),
            1 - batch["finished"].float().mean(),
        ]
    )
    reward, kl, length, truncated = accelerator.reduce(local, reduction="mean").tolist()
    return {"reward": reward, "kl": kl, "response_length": length, "truncation_rate": truncated}


def rollout_samples(tokenizer, prompts: list[dict], batch: dict, count: int = SAMPLES_PER_STEP) -> list[dict]:
    """The first response to each of the first `count` prompts of a scored batch (rows are
    prompt-major), as the run page shows them (sampling.shown_sample): this process's only."""
    per_prompt = batch["mask"].shape[0] // len(prompts)
    shown = []
    for index, prompt in enumerate(prompts[:count]):
        row = index * per_prompt
        tokens = batch["responses"][row][batch["mask"][row].bool()]
        text = tokenizer.decode(tokens, skip_special_tokens=True).strip()
        shown.append(shown_sample(prompt["prompt"], text, float(batch["scores"][row]), not bool(batch["finished"][row])))
    return shown
