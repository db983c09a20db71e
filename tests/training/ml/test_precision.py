"""A bf16 checkpoint learns as far as its float32 original: optimizers step float32 weights.

AdamW on bf16 weights drops every update below the weights' 8-bit mantissa, so at DPO's
learning rate of 1e-6 a bf16 policy hardly moves (ten steps moved it 17x less than from
float32). Each stage trains ten steps at its default learning rate on one full batch, from the
tiny model and from a bf16 copy of it, and must move at least half as far from the copy.
"""

import pytest
import torch

from tests.training.ml.conftest import Recorder
from training.ml.checkpoints import load_causal_lm, load_options, load_tokenizer
from training.ml.config import DPOConfig, KTOConfig, RewardConfig, SFTConfig
from training.ml.dpo import train_dpo
from training.ml.kto import train_kto
from training.ml.reward import train_reward, trainable_reward_model
from training.ml.sft import train_sft

LENGTHS = {"max_steps": 10, "max_length": 64, "max_prompt_length": 40}


def loss_drop(recorder: Recorder) -> float:
    losses = recorder.series("loss")
    return losses[0] - losses[-1]


def reward_spread(first: str, second: str):
    """How far the implicit rewards moved from 0 (policy == reference) by the last step."""

    def measure(recorder: Recorder) -> float:
        last = recorder.calls[-1][2]
        return abs(last[first]) + abs(last[second])

    return measure


def kto_rows(pairs):
    return [
        {"prompt": pair["prompt"], "completion": pair[side], "label": side == "chosen"}
        for pair in pairs
        for side in ("chosen", "rejected")
    ]


def sft_demos(pairs):
    return [{"prompt": pair["prompt"], "completion": pair["chosen"]} for pair in pairs]


STAGES = {
    "dpo": (
        train_dpo,
        DPOConfig(batch_size=6, **LENGTHS),
        "lm",
        None,
        reward_spread("chosen_reward", "rejected_reward"),
    ),
    "kto": (
        train_kto,
        KTOConfig(batch_size=12, **LENGTHS),
        "lm",
        kto_rows,
        reward_spread("desirable_reward", "undesirable_reward"),
    ),
    "reward": (train_reward, RewardConfig(batch_size=6, **LENGTHS), "rm", None, loss_drop),
    "sft": (train_sft, SFTConfig(batch_size=6, **LENGTHS), "lm", sft_demos, loss_drop),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_bf16_checkpoint_learns_as_far_as_its_float32_original(stage, request, tmp_path, pairs):
    train, config, model, examples, movement = STAGES[stage]
    examples = examples(pairs) if examples else pairs
    moved = {}
    for precision in ("fp32", "bf16"):
        suffix = "" if precision == "fp32" else "_bf16"
        base = request.getfixturevalue(f"tiny_{model}{suffix}_path")
        recorder = Recorder()
        train(config, base, examples, [], tmp_path / precision, recorder)
        moved[precision] = movement(recorder)
    assert moved["fp32"] > 0
    assert moved["bf16"] >= 0.5 * moved["fp32"], moved


def test_trained_weights_load_in_float32_and_frozen_ones_as_torch_dtype_says(tiny_lm_bf16_path):
    tokenizer = load_tokenizer(tiny_lm_bf16_path)
    trained = load_causal_lm(tiny_lm_bf16_path, tokenizer, DPOConfig(), trainable=True)
    frozen = load_causal_lm(tiny_lm_bf16_path, tokenizer, DPOConfig(torch_dtype="bfloat16"))
    assert {p.dtype for p in trained.parameters()} == {torch.float32}
    assert {p.dtype for p in frozen.parameters()} == {torch.bfloat16}
    # On a CPU "auto" holds frozen parts in float32: half-precision matmuls there gain nothing.
    assert load_options(DPOConfig(), tiny_lm_bf16_path, trainable=False)["dtype"] == torch.float32


def test_attention_implementation_reaches_the_model(tiny_lm_path):
    tokenizer = load_tokenizer(tiny_lm_path)
    model = load_causal_lm(tiny_lm_path, tokenizer, SFTConfig(attn_implementation="eager"))
    assert model.config._attn_implementation == "eager"


def test_flash_attention_without_the_package_is_refused_by_name(tmp_path, tiny_lm_path, pairs):
    pytest.importorskip("torch")
    try:
        import flash_attn  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("flash-attn is installed here")
    config = SFTConfig(attn_implementation="flash_attention_2", **LENGTHS)
    with pytest.raises(ValueError, match="flash_attention_2.*flash-attn"):
        train_sft(config, tiny_lm_path, sft_demos(pairs), [], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_lora_holds_the_base_as_torch_dtype_says_and_trains_float32_adapters_and_head(
    tmp_path, tiny_rm_bf16_path, pairs, recorder
):
    config = RewardConfig(
        lora_r=8, torch_dtype="bfloat16", learning_rate=1e-3, batch_size=3, **LENGTHS
    )
    model = trainable_reward_model(tiny_rm_bf16_path, load_tokenizer(tiny_rm_bf16_path), config)
    trained = {p.dtype for p in model.parameters() if p.requires_grad}
    frozen = {p.dtype for p in model.parameters() if not p.requires_grad}
    assert (trained, frozen) == ({torch.float32}, {torch.bfloat16})
    # The float32 score head reads the bf16 base's activations (no autocast on a CPU).
    train_reward(config, tiny_rm_bf16_path, pairs, [], tmp_path / "out", recorder)
    assert recorder.series("loss")[-1] < recorder.series("loss")[0]


@pytest.mark.parametrize(
    ("config", "trainable", "dtype"),
    [
        (DPOConfig(), False, torch.float32),  # the reference computes as the float32 policy
        (DPOConfig(mixed_precision="bf16"), False, torch.bfloat16),  # both under bf16 autocast
        (DPOConfig(lora_r=8), True, torch.bfloat16),  # LoRA's frozen base
        (DPOConfig(lora_r=8, torch_dtype="float16"), True, torch.float16),
        (DPOConfig(mixed_precision="bf16"), True, torch.float32),  # what the optimizer steps
        (None, False, torch.bfloat16),  # a model only scored or sampled from
    ],
)
def test_on_a_gpu_auto_holds_frozen_parts_in_the_checkpoints_dtype_unless_a_policy_needs_float32(
    monkeypatch, tiny_lm_bf16_path, config, trainable, dtype
):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert load_options(config, tiny_lm_bf16_path, trainable)["dtype"] == dtype
