"""vLLM rollouts for PPO, GRPO and RLOO (generation_backend, training/ml/vllm_rollouts.py).

vLLM cannot run here (it is not installed and there is no GPU), so all but the last test drive
our adapter through a FAKE `vllm` module put into sys.modules. The fake's LLM samples with the
tiny policy's own transformers generate (sampling.sample) from its own copy of the model, which
changes only through load_weights, and it records every push and request. So these tests check
our side of the contract (what we ask vLLM for, which weights we push and when, what batch we
build from its answer), not vLLM itself. The last test runs the real engine where vllm and a
CUDA GPU exist, and is skipped with a message elsewhere.
"""

import copy
import math
import os
import sys
import types
from importlib.machinery import ModuleSpec
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from tests.training.ml.conftest import SAY_PROMPTS, share_of_a
from training.ml import vllm_generation
from training.ml.checkpoints import load_tokenizer
from training.ml.config import ConfigError, GRPOConfig, PPOConfig, config_from_dict
from training.ml.group_rl import train_grpo
from training.ml.ppo import train_ppo
from training.ml.rollouts import sample_responses
from training.ml.sampling import sample
from training.ml.vllm_generation import vllm_available
from training.ml.vllm_rollouts import VllmRollouts, load_weights, policy_weights, rollout_backend

FAST = {"batch_size": 2, "num_generations": 2, "mini_batch_size": 4, "ppo_epochs": 1,
        "max_new_tokens": 6, "max_length": 40, "max_prompt_length": 24, "learning_rate": 1e-3}


class FakeLLM:
    """Stands in for vllm.LLM (see the module doc): transformers sampling, recorded pushes."""

    made: list = []

    def __init__(self, model, **options):
        self.options, self.requests, self.pushes, self.loading = options, [], [], {}
        dtype = getattr(torch, options.get("dtype", "float32"))
        self.model = AutoModelForCausalLM.from_pretrained(model, dtype=dtype).eval()
        self.tokenizer = load_tokenizer(model)
        FakeLLM.made.append(self)

    def collective_rpc(self, method, args=()):
        worker = SimpleNamespace(model_runner=SimpleNamespace(model=SimpleNamespace(load_weights=self.load)))
        return [method(worker, *args)]

    def load(self, weights):
        parameters = dict(self.model.named_parameters())
        for name, tensor in weights:
            parameters[name].data.copy_(tensor)  # an unknown name fails, as it does in vLLM
            self.loading[name] = tensor.detach().clone()

    def reset_prefix_cache(self):  # called once after each push's last load
        self.pushes.append(self.loading)
        self.loading = {}

    def generate(self, prompts, params, use_tqdm=True):
        self.requests.append([(p["prompt_token_ids"], sp.kwargs) for p, sp in zip(prompts, params, strict=True)])
        first = params[0]
        rows = [p["prompt_token_ids"] for p, sp in zip(prompts, params, strict=True) for _ in range(sp.n)]
        with torch.no_grad():
            responses, _ = sample(self.model, self.tokenizer, rows, first.max_tokens, first.temperature, first.top_p)
        completions = iter(self.completion(r.tolist()) for r in responses)
        return [SimpleNamespace(outputs=[next(completions) for _ in range(sp.n)]) for sp in params]

    def completion(self, tokens):
        """As vLLM reports one: the eos kept in token_ids, nothing after it."""
        eos = self.tokenizer.eos_token_id
        if eos in tokens:
            return SimpleNamespace(token_ids=tokens[: tokens.index(eos) + 1], finish_reason="stop")
        return SimpleNamespace(token_ids=tokens, finish_reason="length")


class FakeSamplingParams:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.__dict__.update(kwargs)


@pytest.fixture
def fake_vllm(monkeypatch):
    """The fake `vllm` importable, and vLLM taken to be runnable (there is no GPU here)."""
    module, inputs = types.ModuleType("vllm"), types.ModuleType("vllm.inputs")
    module.__spec__, inputs.__spec__ = ModuleSpec("vllm", None), ModuleSpec("vllm.inputs", None)
    module.LLM, module.SamplingParams, module.__version__ = FakeLLM, FakeSamplingParams, "0.fake"
    inputs.TokensPrompt = dict
    module.inputs = inputs
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)
    monkeypatch.setenv("VLLM_ENABLE_V1_MULTIPROCESSING", "1")  # restored after the test
    monkeypatch.setattr(FakeLLM, "made", [])
    return monkeypatch


def test_auto_rolls_out_with_transformers_on_cpu(tiny_lm_path, fake_vllm):
    # vllm importable (the fake), but no GPU: auto is transformers, and asking for vLLM says why not
    assert not torch.cuda.is_available()
    assert rollout_backend(GRPOConfig(**FAST), tiny_lm_path) == "transformers"
    with pytest.raises(ValueError, match=r"generation_backend 'vllm' needs the vllm package and a CUDA GPU .*GPU absent"):
        rollout_backend(GRPOConfig(generation_backend="vllm", **FAST), tiny_lm_path)
    fake_vllm.setattr(vllm_generation, "vllm_available", lambda: True)
    assert rollout_backend(GRPOConfig(**FAST), tiny_lm_path) == "vllm"
    assert rollout_backend(GRPOConfig(generation_backend="transformers", **FAST), tiny_lm_path) == "transformers"
    quantized = GRPOConfig(lora_r=4, load_in_4bit=True, merge_adapters=False, **FAST)
    assert rollout_backend(quantized, tiny_lm_path) == "transformers"  # vLLM cannot hold a 4-bit base


def test_the_config_takes_vllm_for_rollouts_but_not_with_a_4bit_base():
    assert config_from_dict("grpo", {"generation_backend": "vllm"}).generation_backend == "vllm"
    assert config_from_dict("ppo", {"vllm_gpu_memory_utilization": 0.5}).vllm_gpu_memory_utilization == 0.5
    with pytest.raises(ConfigError, match=r"vllm_gpu_memory_utilization"):
        config_from_dict("rloo", {"vllm_gpu_memory_utilization": 0})
    with pytest.raises(ConfigError, match=r"generation_backend 'vllm' cannot hold a 4-bit base"):
        config_from_dict("grpo", {"generation_backend": "vllm", "lora_r": 4, "load_in_4bit": True,
                                  "merge_adapters": False})


def test_the_vllm_batch_is_the_transformers_batch(tiny_lm_path, fake_vllm):
    tokenizer = load_tokenizer(tiny_lm_path)
    policy = AutoModelForCausalLM.from_pretrained(tiny_lm_path, dtype=torch.float32).eval()
    ids = [tokenizer.encode(t) for t in ("Say 1", "Say 1", "Say 1", "Longer prompt 2", "Longer prompt 2", "x")]
    config = GRPOConfig(**{**FAST, "temperature": 0.7})
    torch.manual_seed(0)
    expected = sample_responses(policy, tokenizer, ids, config)
    engine = VllmRollouts(FakeLLM(tiny_lm_path))
    torch.manual_seed(0)  # the fake draws exactly as transformers would from the pushed weights
    got = sample_responses(policy, tokenizer, ids, config, engine)
    assert set(got) == set(expected) and got["prompt_width"] == expected["prompt_width"]
    for key in ("sequences", "attention_mask", "responses", "mask", "finished"):
        assert got[key].dtype == expected[key].dtype and torch.equal(got[key], expected[key]), key
    (request,) = engine.llm.requests  # a group of equal prompts is one request with n = its size
    assert [(prompt, params["n"]) for prompt, params in request] == [(ids[0], 3), (ids[3], 2), (ids[5], 1)]
    assert request[0][1] == {"n": 3, "temperature": 0.7, "top_p": 1.0, "max_tokens": 6, "detokenize": False}


def test_eos_padding_and_truncation_flags_follow_the_transformers_layout(tiny_lm_path, fake_vllm):
    tokenizer = load_tokenizer(tiny_lm_path)
    eos, pad, a = tokenizer.eos_token_id, tokenizer.pad_token_id, tokenizer.convert_tokens_to_ids("a")
    said = [SimpleNamespace(token_ids=[a, a, eos], finish_reason="stop"),  # vLLM kept the eos
            SimpleNamespace(token_ids=[a], finish_reason="stop"),  # it left the eos out
            SimpleNamespace(token_ids=[a, a, a, a], finish_reason="length"),  # cut at max_new_tokens
            SimpleNamespace(token_ids=[a, a, a, a], finish_reason="stop")]  # a stop token at the limit
    llm = SimpleNamespace(generate=lambda prompts, params, use_tqdm: [SimpleNamespace(outputs=said)])
    config = GRPOConfig(**{**FAST, "max_new_tokens": 4})
    batch = sample_responses(torch.nn.Linear(1, 1), tokenizer, [[a]] * 4, config, VllmRollouts(llm, stale=False))
    assert batch["responses"].tolist() == [[a, a, eos, pad], [a, eos, pad, pad], [a] * 4, [a] * 4]
    assert batch["mask"].tolist() == [[1, 1, 1, 0], [1, 1, 0, 0], [1] * 4, [1] * 4]
    assert batch["finished"].tolist() == [True, True, False, False]
    assert batch["sequences"].shape == (4, 1 + 4)
    assert batch["attention_mask"][:, 1:].tolist() == batch["mask"].long().tolist()


def varied(prompts, completions):
    """A reward that tells almost any two responses apart, so every group has something to learn."""
    return [sum(map(ord, text)) % 97 / 97 for text in completions]


def grpo(config, base, out, **named):
    return train_grpo(config, base, SAY_PROMPTS[:4], SAY_PROMPTS[4:6], out, reward_fn=varied, **named)


def test_grpo_pushes_the_updated_weights_before_each_rollout_batch(tmp_path, tiny_lm_path, fake_vllm):
    fake_vllm.setattr(vllm_generation, "vllm_available", lambda: True)
    config = GRPOConfig(max_steps=2, generation_backend="vllm", **FAST)
    result = grpo(config, tiny_lm_path, tmp_path / "vllm")
    (llm,) = FakeLLM.made  # one engine for the run, colocated as configured
    assert llm.options == {"dtype": "float32", "seed": config.seed, "gpu_memory_utilization": 0.3,
                           "enforce_eager": True, "max_model_len": 40, "tensor_parallel_size": 1}
    assert os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0"  # its engine core in this process
    assert len(llm.requests) == 3  # step 1, step 2, then val_reward after the last update
    assert len(llm.pushes) == 3  # once before each of them: each follows an update but the first
    base, trained = load_file(tiny_lm_path / "model.safetensors"), load_file(tmp_path / "vllm" / "model.safetensors")
    first, second, last = llm.pushes
    assert set(first) == set(dict(llm.model.named_parameters()))
    assert all(torch.equal(first[name], base[name]) for name in first)  # the policy as loaded
    assert any(not torch.equal(second[name], first[name]) for name in first)  # step 1 moved it
    assert all(torch.equal(last[name], trained[name]) for name in last)  # the policy as saved
    # so the engine now samples from the trained policy: its logits are the saved model's
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "vllm", dtype=torch.float32).eval()
    probe = torch.tensor([[1, 70, 71, 72]])
    with torch.no_grad():
        assert torch.allclose(llm.model(probe).logits, saved(probe).logits)
    reference = grpo(GRPOConfig(max_steps=2, generation_backend="transformers", **FAST), tiny_lm_path, tmp_path / "tf")
    assert set(result) == set(reference) and set(result["metrics"]) == set(reference["metrics"])
    assert result["steps"] == reference["steps"] == 2
    assert all(math.isfinite(v) for v in result["metrics"].values() if isinstance(v, float))
    assert 0 < result["metrics"]["response_length"] <= 6


def lora_model(path):
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32),
                           LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    torch.manual_seed(1)
    for name, parameter in model.named_parameters():
        if "lora_B" in name:  # zero at the start: give the adapters something to merge
            parameter.data.normal_(std=0.1)
    return model


def test_lora_is_merged_for_the_push_and_the_policy_left_as_it_was(tiny_lm_path):
    model = lora_model(tiny_lm_path)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    pushed = dict(policy_weights(model))
    merged = copy.deepcopy(model).merge_and_unload()
    names = dict(merged.named_parameters())
    assert set(pushed) == set(names)  # the checkpoint's names: no lora_A/B, no base_layer, no prefix
    for name, tensor in pushed.items():
        assert torch.allclose(tensor, names[name], atol=1e-6), name
    q_proj = "model.layers.0.self_attn.q_proj.weight"
    base = model.get_base_model().model.layers[0].self_attn.q_proj.base_layer.weight
    assert not torch.allclose(pushed[q_proj], base)  # the delta is in what was pushed...
    assert all(torch.equal(p, before[name]) for name, p in model.named_parameters())  # ...not in the policy
    assert not any(getattr(m, "merged", False) for m in model.modules())


def test_a_lora_run_pushes_merged_weights_and_ppo_pushes_no_value_head(tmp_path, tiny_lm_path, fake_vllm):
    fake_vllm.setattr(vllm_generation, "vllm_available", lambda: True)
    lora = {"lora_r": 4, "lora_alpha": 8, "lora_dropout": 0.0}
    grpo(GRPOConfig(max_steps=1, generation_backend="vllm", **lora, **FAST), tiny_lm_path, tmp_path / "lora")
    (llm,) = FakeLLM.made
    saved = load_file(tmp_path / "lora" / "model.safetensors")  # merge_adapters: the merged model
    first, last = llm.pushes  # before step 1, and before val_reward after its update
    assert set(last) <= set(saved) and not any("lora" in name for name in last)
    assert all(torch.allclose(last[name], saved[name], atol=1e-6) for name in last)
    assert any(not torch.equal(first[name], last[name]) for name in last)
    ppo = PPOConfig(max_steps=1, generation_backend="vllm", batch_size=2, mini_batch_size=2, ppo_epochs=1,
                    max_new_tokens=6, max_length=40, max_prompt_length=24)
    train_ppo(ppo, tiny_lm_path, SAY_PROMPTS[:2], [], tmp_path / "ppo", reward_fn=share_of_a)
    assert len(FakeLLM.made) == 2 and len(FakeLLM.made[1].pushes) == 1
    assert not any("value_head" in name for name in FakeLLM.made[1].pushes[0])


def test_a_vllm_without_a_way_to_load_weights_is_refused(fake_vllm):
    weights = [("w", torch.zeros(1))]
    loaded = []
    older = SimpleNamespace(llm_engine=SimpleNamespace(model_executor=SimpleNamespace(driver_worker=SimpleNamespace(
        model_runner=SimpleNamespace(model=SimpleNamespace(load_weights=lambda pairs: loaded.extend(pairs)))))))
    load_weights(older, weights)  # a vLLM before collective_rpc: its driver worker's model
    assert loaded == weights
    with pytest.raises(RuntimeError, match=r"vLLM 0\.fake has neither LLM\.collective_rpc nor .*'transformers'"):
        load_weights(SimpleNamespace(), weights)


def test_grpo_with_vllm_keeps_the_results_contract_on_a_gpu(tmp_path, tiny_lm_path, monkeypatch):
    if not vllm_available():
        pytest.skip("vLLM rollouts: need the vllm package and a CUDA GPU (neither is required on CPU workers)")
    pushes = []
    push = VllmRollouts.push
    monkeypatch.setattr(VllmRollouts, "push", lambda self, lm: (pushes.append(1), push(self, lm)))
    config = GRPOConfig(max_steps=3, generation_backend="vllm", vllm_gpu_memory_utilization=0.2, **FAST)
    result = grpo(config, tiny_lm_path, tmp_path / "vllm")
    reference = grpo(GRPOConfig(**{**config.to_dict(), "generation_backend": "transformers"}), tiny_lm_path,
                     tmp_path / "tf")
    assert len(pushes) == 4  # before each of 3 rollout batches and val_reward: after every update
    assert set(result) == set(reference) and set(result["metrics"]) == set(reference["metrics"])
    assert result["steps"] == 3 and 0 < result["metrics"]["response_length"] <= 6
    assert all(math.isfinite(v) for v in result["metrics"].values() if isinstance(v, float))
