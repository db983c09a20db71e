"""generation_backend: which backend samples, the vLLM records, and the transformers path kept."""

from types import SimpleNamespace

import pytest

from training.ml import vllm_generation
from training.ml.checkpoints import load_tokenizer
from training.ml.config import ConfigError, GenerateConfig, config_from_dict
from training.ml.generate import generate
from training.ml.vllm_generation import record, resolve_backend, vllm_available

PROMPTS = [{"prompt": [{"role": "user", "content": f"Say {i}"}]} for i in range(3)]


def test_auto_samples_with_vllm_only_where_it_can_run(monkeypatch):
    monkeypatch.setattr(vllm_generation, "vllm_available", lambda: False)
    assert resolve_backend("auto") == resolve_backend("transformers") == "transformers"
    monkeypatch.setattr(vllm_generation, "vllm_available", lambda: True)
    assert resolve_backend("auto") == resolve_backend("vllm") == "vllm"
    assert resolve_backend("transformers") == "transformers"


def test_asking_for_vllm_where_it_cannot_run_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(vllm_generation, "vllm_available", lambda: False)
    with pytest.raises(ValueError, match=r"generation_backend 'vllm' needs the vllm package and a CUDA GPU .*GPU"):
        resolve_backend("vllm")


def test_rollouts_take_every_backend():  # vLLM rollouts themselves: test_vllm_rollouts.py
    for backend in ("auto", "vllm", "transformers"):
        assert config_from_dict("grpo", {"generation_backend": backend}).generation_backend == backend
    with pytest.raises(ConfigError, match=r"GRPOConfig\.generation_backend must be one of"):
        config_from_dict("grpo", {"generation_backend": "tgi"})


def test_the_transformers_backend_keeps_the_generate_records(tiny_lm_path):
    config = GenerateConfig(num_samples=2, max_new_tokens=6, batch_size=2)
    chosen = generate(GenerateConfig(**{**config.to_dict(), "generation_backend": "transformers"}), tiny_lm_path, PROMPTS)
    if not vllm_available():  # here auto is transformers: the same samples, record for record
        assert generate(config, tiny_lm_path, PROMPTS) == chosen
    assert [(r["prompt_index"], r["sample_index"]) for r in chosen] == [(p, s) for p in range(3) for s in range(2)]
    assert all(set(r) == {"prompt_index", "sample_index", "prompt", "completion", "num_tokens", "finished"} for r in chosen)


def test_a_vllm_completion_becomes_the_same_record_as_a_transformers_one(tiny_lm_path):
    tokenizer = load_tokenizer(tiny_lm_path)
    eos, a = tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("a")
    ended = record(tokenizer, 1, PROMPTS[1]["prompt"], 0, SimpleNamespace(token_ids=[a, a], finish_reason="stop"))
    assert ended == {"prompt_index": 1, "sample_index": 0, "prompt": PROMPTS[1]["prompt"], "completion": "aa",
                     "num_tokens": 3, "finished": True}  # the eos counted, as transformers counts it
    cut = record(tokenizer, 0, PROMPTS[0]["prompt"], 1, SimpleNamespace(token_ids=[a, a, a], finish_reason="length"))
    assert (cut["num_tokens"], cut["finished"]) == (3, False)
    kept = record(tokenizer, 0, PROMPTS[0]["prompt"], 0, SimpleNamespace(token_ids=[a, eos], finish_reason="stop"))
    assert (kept["num_tokens"], kept["finished"], kept["completion"]) == (2, True, "a")


def test_vllm_samples_the_same_contract_on_a_gpu(tiny_lm_path):
    if not vllm_available():
        pytest.skip("vLLM path: needs the vllm package and a CUDA GPU (neither is required on CPU workers)")
    config = GenerateConfig(num_samples=2, max_new_tokens=6, batch_size=2, generation_backend="vllm")
    results = generate(config, tiny_lm_path, PROMPTS)
    assert [(r["prompt_index"], r["sample_index"]) for r in results] == [(p, s) for p in range(3) for s in range(2)]
    assert all(0 < r["num_tokens"] <= 6 for r in results)
