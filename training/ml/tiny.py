"""Tiny models built locally from a config, for tests and the offline demo.

Nothing here downloads anything: the tokenizer is byte-level (256 byte symbols plus
pad/bos/eos) and is built with `tokenizers`, and the models are randomly initialised
Llama configs of about 1M parameters. Everything is saved with safetensors so the
rest of the code loads these like any local checkpoint.
"""

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    PreTrainedTokenizerFast,
)

PAD, BOS, EOS = "<|pad|>", "<|bos|>", "<|eos|>"

# Same transcript shape as HH-RLHF; the generation prompt ends with a space so a raw
# completion can be appended directly.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '\\n\\nHuman: ' }}"
    "{% elif message['role'] == 'assistant' %}{{ '\\n\\nAssistant: ' }}"
    "{% else %}{{ '\\n\\nSystem: ' }}{% endif %}"
    "{{ message['content'] }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '\\n\\nAssistant: ' }}{% endif %}"
)

TINY_LLAMA = {
    "hidden_size": 128,
    "intermediate_size": 512,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "max_position_embeddings": 2048,
    "tie_word_embeddings": True,
}


def build_tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer: every UTF-8 byte is one token, bos is prepended."""
    specials = [PAD, BOS, EOS]
    vocab = {
        token: i for i, token in enumerate(specials + sorted(pre_tokenizers.ByteLevel.alphabet()))
    }
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))  # no merges: one token per byte
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, vocab[BOS])]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token=PAD, bos_token=BOS, eos_token=EOS
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_llama_config(tokenizer: PreTrainedTokenizerFast, **overrides) -> LlamaConfig:
    """The tiny Llama config, sized to the tokenizer; `overrides` replace any field."""
    fields = {**TINY_LLAMA, **overrides}
    return LlamaConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **fields,
    )


def build_tiny_causal_lm(output_dir: str | Path, seed: int = 0, **overrides) -> Path:
    """Save a randomly initialised ~1M-parameter causal LM and its tokenizer to `output_dir`."""
    return _build(LlamaForCausalLM, output_dir, seed, overrides)


def build_tiny_reward_model(output_dir: str | Path, seed: int = 0, **overrides) -> Path:
    """Save a tiny sequence-classification model (one score per sequence) and its tokenizer."""
    return _build(LlamaForSequenceClassification, output_dir, seed, {"num_labels": 1, **overrides})


def _build(model_class, output_dir: str | Path, seed: int, overrides: dict) -> Path:
    import torch

    output_dir = Path(output_dir)
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(seed)
    model = model_class(tiny_llama_config(tokenizer, **overrides))
    model.save_pretrained(output_dir, safe_serialization=True)
    tokenizer.save_pretrained(output_dir)
    return output_dir
