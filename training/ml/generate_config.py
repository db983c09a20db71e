"""The generate stage's config (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    MAX_BATCH,
    MAX_NEW_TOKENS,
    MAX_SAMPLES,
    MAX_TOKENS,
    Config,
    UpTo,
    attention_option,
    backend_name,
    inference_dtype_option,
    option,
    positive,
    seed_value,
)


@dataclass(frozen=True)
class GenerateConfig(Config):
    """Sampling N responses per prompt from a checkpoint."""

    generation_backend: str = option(
        "auto",
        "What samples: 'vllm' (needs the vllm package and a GPU), 'transformers', or 'auto' = "
        "vLLM where it can run, else transformers. Same records and sampling parameters either way.",
        backend_name,
    )
    num_samples: int = option(2, "Responses sampled per prompt.", UpTo(MAX_SAMPLES))
    max_new_tokens: int = option(128, "Most tokens per response.", UpTo(MAX_NEW_TOKENS))
    temperature: float = option(1.0, "Sampling temperature.", positive)
    top_p: float = option(
        1.0, "Nucleus sampling: keep the smallest token set with this much probability.", positive
    )
    batch_size: int = option(8, "Prompts per generate call.", UpTo(MAX_BATCH))
    max_prompt_length: int = option(
        512, "Most prompt tokens kept; longer prompts lose their oldest tokens.", UpTo(MAX_TOKENS)
    )
    seed: int = option(0, "Sampling seed.", seed_value)
    torch_dtype: str = inference_dtype_option()
    attn_implementation: str | None = attention_option()

    def validate(self) -> None:
        if self.top_p > 1:
            self._fail("top_p", f"must be in (0, 1], got {self.top_p}")
