"""The rollouts of PPO, GRPO and RLOO through vLLM, colocated with training (generation_backend).

One vLLM engine per run and process lives beside the policy on the same GPU (the colocate
pattern: a share of the GPU's memory, `vllm_gpu_memory_utilization`; no CUDA graphs; the
policy's dtype; seeded with seed + the process's index, as the transformers rollouts are).
It samples the rollout batch's responses with the same sampling parameters as
sampling.sample (temperature, top_p 1, no top-k, max_new_tokens; the responses to a prompt
repeated k times in a row, GRPO's and RLOO's groups, as one request with n = k), and
`VllmRollouts.sample` returns what sampling.sample returns: (responses (B, R), mask (B, R)),
rows in the order asked, R the longest response, padded with pad_token_id after eos, the
mask 1 up to and including the first eos. So rollouts.sample_responses builds the same
batch from either (sequences, attention_mask, prompt_width, responses, mask, finished).

The engine must sample from the policy as it is now: after every policy update the runner
marks it stale (online.online_step), and the next rollout batch pushes the policy's weights
into it first, once, inside the generation view that gathers sharded weights
(generation_view.py). A LoRA policy's adapters are merged into the pushed weights without
touching the policy (policy_weights). Pushing goes through vLLM's `LLM.collective_rpc` (in
process: the engine core runs in this process, VLLM_ENABLE_V1_MULTIPROCESSING=0, or torchrun's
external launcher with several processes), or, on older vLLM, the driver worker's model; a vLLM
with neither is refused with its version named.
"""

import os
from dataclasses import dataclass
from typing import Any

import torch

from training.ml.checkpoints import read_training_config
from training.ml.data import pad
from training.ml.sampling import response_mask
from training.ml.vllm_generation import completion_tokens, resolve_backend

# Wrapper names that sharding and checkpointing put into parameter names, not the checkpoint's.
WRAPPER_PARTS = ("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_orig_mod.")
PUSH_CHUNK = 32  # tensors per load_weights call


def rollout_backend(config, model_path) -> str:
    """'vllm' or 'transformers' for the rollouts of a run from `model_path`: as the generate
    stage decides (resolve_backend), except that 'auto' stays on transformers where vLLM could
    not hold the policy (a 4-bit base, an adapter checkpoint), which 'vllm' refuses."""
    if config.generation_backend == "transformers":
        return "transformers"
    unfit = None
    if config.load_in_4bit:
        unfit = "a 4-bit base (load_in_4bit)"
    elif read_training_config(model_path).get("adapter"):
        unfit = f"{model_path}, which holds LoRA adapters (train from a merged checkpoint)"
    if unfit and config.generation_backend == "auto":
        return "transformers"
    if unfit and config.generation_backend == "vllm":
        raise ValueError(f"generation_backend 'vllm': vLLM rollouts cannot hold {unfit}; use 'auto' or 'transformers'")
    return resolve_backend(config.generation_backend)


def rollout_engine(config, model_path, accelerator, policy) -> "VllmRollouts | None":
    """The run's vLLM engine when its rollouts use vLLM (rollout_backend), else None."""
    if rollout_backend(config, model_path) != "vllm":
        return None
    return VllmRollouts(start_engine(config, model_path, accelerator, policy))


def start_engine(config, model_path, accelerator, policy):
    """A vLLM LLM for `model_path` on this process's GPU, beside the policy (see the module doc)."""
    options = {}
    if accelerator.num_processes > 1:  # one engine per rank, in the ranks torchrun started
        options["distributed_executor_backend"] = "external_launcher"
    else:  # the engine core in this process, so weights are pushed as tensors, not pickled
        os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    from vllm import LLM

    return LLM(
        model=str(model_path),
        dtype=engine_dtype(config, policy),
        seed=config.seed + accelerator.process_index,
        gpu_memory_utilization=config.vllm_gpu_memory_utilization,
        enforce_eager=True,
        max_model_len=config.max_length,
        tensor_parallel_size=1,
        **options,
    )


def engine_dtype(config, policy) -> str:
    """The dtype the policy computes in: its autocast's under mixed_precision, else that of its
    causal LM's embeddings (float32 fully trained, the base's with LoRA)."""
    if config.mixed_precision == "bf16":
        return "bfloat16"
    if config.mixed_precision == "fp16":
        return "float16"
    lm = next(m for m in policy.modules() if hasattr(m, "get_input_embeddings"))
    return str(lm.get_input_embeddings().weight.dtype).removeprefix("torch.")


@dataclass
class VllmRollouts:
    """A run's colocated vLLM engine and whether it holds older weights than the policy."""

    llm: Any
    stale: bool = True  # True at the start too: a resumed policy is not the checkpoint on disk
    pushes: int = 0

    def sample(self, lm, tokenizer, ids: list[list[int]], config):
        """sampling.sample's (responses, mask) for prompts `ids` (token-id lists), drawn by vLLM
        from `lm`'s current weights (pushed first when the policy changed since the last push)."""
        from vllm.inputs import TokensPrompt

        if self.stale:
            self.push(lm)
        groups = prompt_groups(ids)
        prompts = [TokensPrompt(prompt_token_ids=list(prompt)) for prompt, _ in groups]
        params = [sampling_params(config, n) for _, n in groups]
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        eos = tokenizer.eos_token_id
        rows = [
            completion_tokens(eos, completion, config.max_new_tokens)
            for output in outputs for completion in output.outputs
        ]
        if len(rows) != len(ids):
            raise RuntimeError(f"vLLM returned {len(rows)} responses for {len(ids)} rollouts")
        responses, _ = pad([row or [tokenizer.pad_token_id] for row in rows], tokenizer.pad_token_id)
        responses = responses.to(next(lm.parameters()).device)
        return responses, response_mask(responses, eos)

    def push(self, lm) -> None:
        """Load `lm`'s weights (LoRA merged) into the engine, and forget the prompts' cached
        keys and values, which the old weights computed."""
        load_weights(self.llm, policy_weights(lm))
        if hasattr(self.llm, "reset_prefix_cache"):
            self.llm.reset_prefix_cache()
        self.stale, self.pushes = False, self.pushes + 1


def prompt_groups(ids: list[list[int]]) -> list[tuple[list[int], int]]:
    """Consecutive equal prompts as (prompt, count): GRPO's groups become one request each."""
    groups = []
    for prompt in ids:
        if groups and groups[-1][0] == prompt:
            groups[-1] = (prompt, groups[-1][1] + 1)
        else:
            groups.append((prompt, 1))
    return groups


def sampling_params(config, n: int):
    """sampling.sample's distribution in vLLM: softmax(logits / temperature), nothing cut
    (top_p 1, top-k left off), at most max_new_tokens, token ids only (no detokenizing)."""
    from vllm import SamplingParams

    return SamplingParams(
        n=n, temperature=config.temperature, top_p=1.0, max_tokens=config.max_new_tokens, detokenize=False
    )


@torch.no_grad()
def policy_weights(lm):
    """(name, tensor) pairs of `lm` in its checkpoint's names, as vLLM's load_weights reads them.

    A peft model gives its base model's weights with each LoRA layer's delta added (its active
    adapters', computed apart: the policy itself is not merged and unmerged, which would round
    its frozen base each time); adapter weights and wrapper names are left out.
    """
    base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm
    adapted = {name: module for name, module in base.named_modules() if is_lora_layer(module)}
    for name, parameter in base.named_parameters():
        if ".lora_" in name or ".original_module." in name:
            continue
        owner, _, leaf = name.rpartition(".base_layer.")
        if owner in adapted and leaf == "weight":
            yield checkpoint_name(f"{owner}.weight"), merged_weight(adapted[owner], parameter)
            continue
        yield checkpoint_name(name.replace(".base_layer.", ".")), parameter.detach()


def is_lora_layer(module) -> bool:
    return hasattr(module, "get_delta_weight") and hasattr(module, "base_layer")


def merged_weight(layer, weight: torch.Tensor) -> torch.Tensor:
    """A LoRA layer's base weight plus its active adapters' deltas, as merging would leave it."""
    merged = weight.detach().clone()
    if getattr(layer, "merged", False):  # already in the base weight
        return merged
    for adapter in layer.active_adapters:
        if adapter in getattr(layer, "lora_A", {}) or adapter in getattr(layer, "lora_embedding_A", {}):
            merged += layer.get_delta_weight(adapter).to(merged.dtype)
    return merged


def checkpoint_name(name: str) -> str:
    for part in WRAPPER_PARTS:
        name = name.replace(part, "")
    return name.replace("modules_to_save.default.", "")


def load_weights(llm, weights) -> None:
    """Load (name, tensor) pairs into the engine's model, through whichever door this vLLM has."""
    if hasattr(llm, "collective_rpc"):
        for chunk in chunks(weights, PUSH_CHUNK):  # a LoRA run's merged copies, a few at a time
            llm.collective_rpc(_load_into_worker, args=(chunk,))
        return
    runner = getattr(getattr(getattr(llm, "llm_engine", None), "model_executor", None), "driver_worker", None)
    model = getattr(getattr(runner, "model_runner", None), "model", None)
    if model is None or not hasattr(model, "load_weights"):
        import vllm

        raise RuntimeError(
            f"vLLM {getattr(vllm, '__version__', '?')} has neither LLM.collective_rpc nor the driver "
            "worker's model.load_weights, so the policy's new weights cannot reach its engine; "
            "install a vLLM with LLM.collective_rpc or use generation_backend 'transformers'"
        )
    model.load_weights(weights)


def chunks(pairs, size: int):
    chunk = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _load_into_worker(worker, weights) -> None:
    """Run inside vLLM's worker (collective_rpc): its wrapper or the worker itself."""
    worker = getattr(worker, "worker", None) or worker
    runner = worker.model_runner
    model = runner.get_model() if hasattr(runner, "get_model") else runner.model
    model.load_weights(weights)
