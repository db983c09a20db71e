"""Tiny offline models shared by the training tests; nothing here touches the network."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

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


@pytest.fixture
def pairs():
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
