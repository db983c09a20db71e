"""The generate stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    Config,
    attention_option,
    backend_name,
    batch_option,
    inference_dtype_option,
    new_tokens_option,
    option,
    prompt_length_option,
    samples_option,
    seed_value,
    share,
)
from training.ml.config_limits import MAX_GENERATE_PROMPTS, MAX_TEMPERATURE, UpTo


@dataclass(frozen=True)
class GenerateConfig(Config):
    """Sampling N responses per prompt from a checkpoint."""

    generation_backend: str = option(
        "auto",
        "What samples: 'vllm' (needs the vllm package and a GPU), 'transformers', or 'auto' = "
        "vLLM where it can run, else transformers. Same records and sampling parameters either way.",
        backend_name,
    )
    num_samples: int = samples_option(2, "Responses sampled per prompt.")
    max_new_tokens: int = new_tokens_option(128, "Most tokens per response.")
    temperature: float = option(1.0, "Sampling temperature.", UpTo(MAX_TEMPERATURE))
    top_p: float = option(
        1.0, "Nucleus sampling: keep the smallest token set with this much probability.", share
    )
    max_prompts: int = option(
        256,
        "Most prompts sampled for: first those this checkpoint has no response to yet, then the "
        "rest, each oldest first; a project with more says in the run's warnings how many were "
        "left (run again to cover them).",
        UpTo(MAX_GENERATE_PROMPTS),
    )
    batch_size: int = batch_option(8, "Prompts per generate call.")
    max_prompt_length: int = prompt_length_option(512)
    seed: int = option(0, "Sampling seed.", seed_value)
    torch_dtype: str = inference_dtype_option()
    attn_implementation: str | None = attention_option()
