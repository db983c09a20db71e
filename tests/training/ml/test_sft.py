import math

import pytest
import torch
from safetensors.torch import load_file

from tests.training.ml.conftest import Recorder
from training.ml.checkpoints import load_causal_lm, load_tokenizer
from training.ml.config import SFTConfig
from training.ml.data import collate_sft, encode_sft, special_tokens
from training.ml.loop import TrainingCancelled
from training.ml.sft import completion_nll, train_sft

FAST = {"learning_rate": 3e-3, "batch_size": 4, "max_length": 64, "max_prompt_length": 32}


@pytest.fixture
def demos():
    return [
        {
            "prompt": [{"role": "user", "content": f"Greet person {i}"}],
            "completion": "Hello there, friend!",
        }
        for i in range(8)
    ]


def test_loss_falls_and_parameters_change(tmp_path, tiny_lm_path, demos, recorder):
    result = train_sft(
        SFTConfig(max_steps=12, **FAST), tiny_lm_path, demos, demos[:2], tmp_path / "out", recorder
    )
    losses = recorder.series("loss")
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[-1] < losses[0] - 1.0
    assert result["metrics"]["val_loss"] < losses[0]
    before, after = (
        load_file(tiny_lm_path / "model.safetensors"),
        load_file(tmp_path / "out" / "model.safetensors"),
    )
    assert all(not torch.equal(before[name], after[name]) for name in before)


def test_prompt_tokens_do_not_count_towards_the_loss(tiny_lm_path, demos):
    tokenizer = load_tokenizer(tiny_lm_path)
    model = load_causal_lm(tiny_lm_path, tokenizer)
    special = special_tokens(tokenizer)

    def nll(example):
        feature = encode_sft(tokenizer, example, 64, 32, special)
        return completion_nll(model, collate_sft([feature], tokenizer.pad_token_id))

    short, tokens = nll(demos[0])
    long_prompt, long_tokens = nll({**demos[0], "prompt": [{"role": "user", "content": "x" * 20}]})
    assert tokens == long_tokens == len("Hello there, friend!") + 1  # completion bytes + eos
    assert short.item() != long_prompt.item()  # same targets, different context


def test_cancel_stops_at_the_requested_step(tmp_path, tiny_lm_path, demos):
    recorder = Recorder(stop_at=1)
    with pytest.raises(TrainingCancelled):
        train_sft(
            SFTConfig(max_steps=5, **FAST), tiny_lm_path, demos, [], tmp_path / "out", recorder
        )
    assert len(recorder.calls) == 1 and not (tmp_path / "out").exists()
