"""Tiny offline models shared by the training tests; nothing here touches the network."""

import json
import os
import random
import shutil
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from training.ml.config import SFTConfig  # noqa: E402
from training.ml.sft import train_sft  # noqa: E402
from training.ml.tiny import build_tiny_causal_lm, build_tiny_reward_model  # noqa: E402

# The models are too small to gain from intra-op threads, and on a shared two-core
# machine extra threads spin against other processes.
torch.set_num_threads(1)

# Smaller than the default tiny model so each test takes seconds on two CPU cores.
SMALL = {
    "hidden_size": 64,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
}


@pytest.fixture(scope="session")
def tiny_lm_path(tmp_path_factory):
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny") / "lm", **SMALL)


@pytest.fixture(scope="session")
def tiny_rm_path(tmp_path_factory):
    return build_tiny_reward_model(tmp_path_factory.mktemp("tiny") / "rm", **SMALL)


def save_bf16_copy(source: Path, target: Path) -> Path:
    """A copy of the checkpoint at `source` with its weights stored in bfloat16, as real 7B-8B
    releases are (so transformers' dtype "auto" would load it in bf16)."""
    shutil.copytree(source, target)
    weights = load_file(source / "model.safetensors")
    halves = {name: tensor.to(torch.bfloat16) for name, tensor in weights.items()}
    save_file(halves, target / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((source / "config.json").read_text())
    config["dtype"] = config["torch_dtype"] = "bfloat16"  # transformers 5 and 4 spellings
    (target / "config.json").write_text(json.dumps(config))
    return target


@pytest.fixture(scope="session")
def tiny_lm_bf16_path(tmp_path_factory, tiny_lm_path):
    return save_bf16_copy(tiny_lm_path, tmp_path_factory.mktemp("tiny") / "lm-bf16")


@pytest.fixture(scope="session")
def tiny_rm_bf16_path(tmp_path_factory, tiny_rm_path):
    return save_bf16_copy(tiny_rm_path, tmp_path_factory.mktemp("tiny") / "rm-bf16")


# Prompts for the online RL stages (PPO, GRPO, RLOO).
SAY_PROMPTS = [{"prompt": [{"role": "user", "content": f"Say {i}"}]} for i in range(16)]


def share_of_a(prompts, completions):
    """A reward we control: the share of the response's characters that are 'a'."""
    return [sum(ch == "a" for ch in text) / max(len(text), 1) for text in completions]


@pytest.fixture(scope="session")
def ab_policy(tmp_path_factory, tiny_lm_path):
    """The tiny LM after a little SFT on random strings of a and b: a policy with room to move."""
    rng = random.Random(0)
    demos = [
        {"prompt": p["prompt"], "completion": "".join(rng.choice("ab") for _ in range(8))}
        for p in SAY_PROMPTS
    ]
    config = SFTConfig(
        learning_rate=3e-3, batch_size=8, max_steps=30, max_length=48, max_prompt_length=24
    )
    output_dir = tmp_path_factory.mktemp("rl") / "ab"
    train_sft(config, tiny_lm_path, demos, [], output_dir)
    return output_dir


def polite_pairs() -> list[dict]:
    """Six pairs where the chosen answer is always the polite one."""
    return [
        {
            "prompt": [{"role": "user", "content": f"Can you help with task {i}?"}],
            "chosen": "Yes, gladly. Here it is.",
            "rejected": "no",
            "margin": None,
        }
        for i in range(6)
    ]


@pytest.fixture
def pairs():
    return polite_pairs()


class Recorder:
    """A progress callback that records every call and can ask to stop at a given step."""

    def __init__(self, stop_at: int | None = None):
        self.calls = []
        self.stop_at = stop_at

    def __call__(self, step, total_steps, metrics):
        self.calls.append((step, total_steps, dict(metrics)))
        return step != self.stop_at

    def series(self, key):
        return [metrics[key] for _, _, metrics in self.calls]


@pytest.fixture
def recorder():
    return Recorder()
