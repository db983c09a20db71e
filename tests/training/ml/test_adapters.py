"""LoRA (lora_r 8) in every stage: it learns, trains only the adapters (and a reward head),
uses the base with adapters off as the reference, and leaves a checkpoint, adapters or
merged, that the next stage, evaluate_reward and scoring load. Gradient checkpointing
changes memory, not what is learned."""

import json
import math

import pytest
import torch
from safetensors.torch import load_file

import training.ml.dpo as dpo
import training.ml.ppo as ppo
import training.ml.reference as reference
from tests.training.ml.conftest import SAY_PROMPTS, Recorder, polite_pairs, share_of_a
from training.ml.checkpoints import load_causal_lm, load_tokenizer
from training.ml.config import (
    DPOConfig,
    GenerateConfig,
    GRPOConfig,
    KTOConfig,
    PPOConfig,
    RewardConfig,
    RLOOConfig,
    SFTConfig,
)
from training.ml.evaluate import evaluate_reward
from training.ml.generate import generate
from training.ml.group_rl import train_grpo, train_rloo
from training.ml.kto import train_kto
from training.ml.reward import train_reward
from training.ml.scoring import load_reward_fn
from training.ml.sft import train_sft

LENGTHS = {"max_length": 64, "max_prompt_length": 40}
LORA = {"lora_r": 8, **LENGTHS}
ROLLOUTS = {"max_new_tokens": 8, "max_length": 48, "max_prompt_length": 24}


def demos(pairs):
    return [{"prompt": pair["prompt"], "completion": pair["chosen"]} for pair in pairs]


def training_config(directory) -> dict:
    return json.loads((directory / "training_config.json").read_text())


def is_adapter(name: str) -> bool:
    return "lora_" in name


def test_sft_with_lora_learns_and_saves_only_the_adapters(tmp_path, tiny_lm_path, pairs, recorder):
    config = SFTConfig(learning_rate=3e-3, batch_size=3, max_steps=8, merge_adapters=False, **LORA)
    train_sft(config, tiny_lm_path, demos(pairs), [], tmp_path / "out", recorder)
    losses = recorder.series("loss")
    assert losses[-1] < losses[0] - 0.2
    out = tmp_path / "out"
    assert training_config(out)["adapter"] is True
    assert not (out / "model.safetensors").exists()
    adapters = load_file(out / "adapter_model.safetensors")
    assert adapters and all(is_adapter(name) for name in adapters)
    assert any(name.endswith("lora_B.weight") and v.abs().sum() > 0 for name, v in adapters.items())
    # Loaded as a base, it is the original weights with the adapters merged into the projections.
    base = load_file(tiny_lm_path / "model.safetensors")
    loaded = load_causal_lm(out, load_tokenizer(out)).state_dict()
    assert torch.equal(loaded["model.embed_tokens.weight"], base["model.embed_tokens.weight"])
    assert torch.equal(loaded["model.norm.weight"], base["model.norm.weight"])
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(loaded[name], base[name])
    samples = generate(GenerateConfig(num_samples=1, max_new_tokens=4), out, demos(pairs)[:1])
    assert len(samples) == 1 and samples[0]["num_tokens"] >= 1


def test_merged_lora_checkpoint_is_a_full_model_whose_frozen_weights_are_unchanged(
    tmp_path, tiny_lm_path, pairs
):
    config = SFTConfig(learning_rate=3e-3, batch_size=3, max_steps=2, **LORA)  # merge_adapters
    train_sft(config, tiny_lm_path, demos(pairs), [], tmp_path / "out")
    base, after = (
        load_file(tiny_lm_path / "model.safetensors"),
        load_file(tmp_path / "out" / "model.safetensors"),
    )
    assert training_config(tmp_path / "out")["adapter"] is False
    assert set(after) == set(base)
    changed = {name for name in base if not torch.equal(base[name], after[name])}
    assert changed and all(name.endswith("proj.weight") for name in changed)


@pytest.fixture(scope="module")
def lora_reward(tmp_path_factory, tiny_rm_path):
    """A reward model trained with LoRA, saved as adapters only."""
    pairs = polite_pairs()
    config = RewardConfig(
        learning_rate=1e-3, batch_size=3, max_steps=12, merge_adapters=False, **LORA
    )
    out = tmp_path_factory.mktemp("lora-reward") / "out"
    recorder = Recorder()
    result = train_reward(config, tiny_rm_path, pairs, pairs, out, recorder)
    return result, recorder, out, pairs


def test_reward_with_lora_learns_and_its_head_trains_with_the_adapters(lora_reward):
    result, recorder, out, _ = lora_reward
    losses = recorder.series("loss")
    assert losses[-1] < losses[0] and result["metrics"]["val_accuracy"] == 1.0
    saved = load_file(out / "adapter_model.safetensors")
    assert any("score" in name for name in saved)  # the head is saved beside the adapters


def test_a_lora_reward_checkpoint_scores_in_evaluate_reward_and_drives_ppo(
    lora_reward, tmp_path, tiny_lm_path
):
    result, _, out, pairs = lora_reward
    scored = evaluate_reward(out, pairs)
    assert scored["accuracy"] == 1.0
    assert scored["mean_margin"] == pytest.approx(result["metrics"]["val_mean_margin"], abs=1e-4)
    score = load_reward_fn(out, "cpu")
    prompts = [pair["prompt"] for pair in pairs[:2]]
    chosen, rejected = score(prompts, ["Yes, gladly. Here it is."] * 2), score(prompts, ["no"] * 2)
    assert (chosen > rejected).all()
    config = PPOConfig(learning_rate=1e-3, max_steps=1, batch_size=4, mini_batch_size=4, **ROLLOUTS)
    run = ppo.train_ppo(
        config,
        tiny_lm_path,
        SAY_PROMPTS[:4],
        SAY_PROMPTS[:2],
        tmp_path / "ppo",
        reward_model_path=out,
    )
    assert math.isfinite(run["metrics"]["reward"]) and math.isfinite(run["metrics"]["val_reward"])


def test_mean_pooled_reward_with_lora_trains_its_head_and_adapters_and_scores_the_same_loaded(
    tmp_path, tiny_rm_path, pairs, recorder
):
    config = RewardConfig(
        learning_rate=3e-3, batch_size=3, max_steps=6, pooling="mean", merge_adapters=False, **LORA
    )
    result = train_reward(config, tiny_rm_path, pairs, pairs, tmp_path / "out", recorder)
    losses = recorder.series("loss")
    assert losses[-1] < losses[0]
    out = tmp_path / "out"
    assert (out / "reward_head.safetensors").exists() and (
        out / "adapter_model.safetensors"
    ).exists()
    scored = evaluate_reward(out, pairs)
    assert scored["mean_margin"] == pytest.approx(result["metrics"]["val_mean_margin"], abs=1e-4)


def test_dpo_with_lora_learns_against_the_base_with_adapters_off(
    tmp_path, tiny_lm_path, pairs, recorder, monkeypatch
):
    loads = []
    real = reference.load_causal_lm
    monkeypatch.setattr(reference, "load_causal_lm", lambda *a, **k: loads.append(a) or real(*a, **k))
    config = DPOConfig(learning_rate=2e-3, batch_size=3, max_steps=8, **LORA)
    result = dpo.train_dpo(config, tiny_lm_path, pairs, pairs[:3], tmp_path / "out", recorder)
    assert loads == []  # no second copy of the model for the reference
    losses, margins = recorder.series("loss"), recorder.series("margin")
    assert losses[0] == pytest.approx(math.log(2), abs=1e-5)  # adapters start at zero
    assert losses[-1] < losses[0] and margins[-1] > margins[0]
    assert result["metrics"]["val_accuracy"] > 0.5


def test_kto_with_lora_pushes_desirable_rewards_above_undesirable_ones(
    tmp_path, tiny_lm_path, pairs, recorder
):
    rows = [
        {"prompt": pair["prompt"], "completion": pair[side], "label": side == "chosen"}
        for pair in pairs
        for side in ("chosen", "rejected")
    ]
    config = KTOConfig(learning_rate=2e-3, batch_size=4, max_steps=8, **LORA)
    result = train_kto(config, tiny_lm_path, rows, rows, tmp_path / "out", recorder)
    assert recorder.series("loss")[0] == pytest.approx(0.5, abs=1e-5)  # policy == reference
    metrics = result["metrics"]
    assert metrics["val_desirable_reward"] > 0 > metrics["val_undesirable_reward"]


def no_reference_loaded(monkeypatch) -> list:
    loads = []
    real = reference.load_causal_lm
    monkeypatch.setattr(reference, "load_causal_lm", lambda *a, **k: loads.append(a) or real(*a, **k))
    return loads


@pytest.mark.parametrize(
    ("config_class", "train"),
    [(GRPOConfig, train_grpo), (RLOOConfig, train_rloo)],
    ids=["grpo", "rloo"],
)
def test_group_rl_with_lora_raises_the_reward_without_a_reference_copy(
    tmp_path, ab_policy, recorder, monkeypatch, config_class, train
):
    loads = no_reference_loaded(monkeypatch)
    config = config_class(
        learning_rate=1e-2,
        max_steps=12,
        batch_size=4,
        num_generations=4,
        mini_batch_size=8,
        ppo_epochs=2,
        lora_r=8,
        **{**ROLLOUTS, "max_new_tokens": 10},
    )
    train(config, ab_policy, SAY_PROMPTS, [], tmp_path / "out", recorder, reward_fn=share_of_a)
    rewards, kls = recorder.series("reward"), recorder.series("kl")
    assert loads == []
    assert kls[0] == pytest.approx(0, abs=1e-5)  # the reference is the base: adapters start at 0
    # From 0.30 (GRPO) / 0.35 (RLOO) over the first 4 steps to 0.46 / 0.44 over the last 4.
    assert sum(rewards[-4:]) / 4 > sum(rewards[:4]) / 4 + 0.05


# The tiny policy ties its output head to its embeddings, and the a-versus-b reward is reached
# mostly through that head: full fine-tuning with the embeddings frozen does not raise it in 12
# PPO steps either (0.44 -> 0.44, against 0.58 -> 0.76 with them). So PPO's adapters include it.
WITH_HEAD = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"]


def test_ppo_with_lora_raises_the_reward_training_only_adapters_and_value_head(
    tmp_path, ab_policy, recorder, monkeypatch
):
    loads = no_reference_loaded(monkeypatch)
    config = PPOConfig(
        learning_rate=1e-2,
        max_steps=12,
        batch_size=8,
        mini_batch_size=4,
        lora_r=8,
        lora_target_modules=WITH_HEAD,
        merge_adapters=False,
        **{**ROLLOUTS, "max_new_tokens": 10},
    )
    ppo.train_ppo(
        config, ab_policy, SAY_PROMPTS, [], tmp_path / "out", recorder, reward_fn=share_of_a
    )
    assert loads == []
    rewards, kls = recorder.series("reward"), recorder.series("kl")
    assert kls[0] == pytest.approx(0, abs=1e-5)  # the reference is the base: adapters start at 0
    assert sum(rewards[-4:]) / 4 > sum(rewards[:4]) / 4 + 0.15  # 0.59 -> 0.86
    out = tmp_path / "out"
    saved = load_file(out / "adapter_model.safetensors")  # peft adds the (tied) head it adapted
    assert all(is_adapter(name) for name in saved if ".layers." in name)
    assert load_file(out / "value_head.safetensors")["weight"].abs().sum() > 0


def test_qlora_on_a_machine_without_a_gpu_is_refused_by_name(tmp_path, tiny_lm_path, pairs):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    config = SFTConfig(load_in_4bit=True, merge_adapters=False, max_steps=1, **LORA)
    with pytest.raises(ValueError, match="load_in_4bit.*GPU"):
        train_sft(config, tiny_lm_path, demos(pairs), [], tmp_path / "out")


class CheckpointCounter:
    """Stands in for torch's checkpoint function inside transformers, counting its calls."""

    def __init__(self, real):
        self.real, self.calls = real, []

    def __call__(self, *args, **kwargs):
        self.calls.append(kwargs.get("use_reentrant"))
        return self.real(*args, **kwargs)


def sft_run(config, base, pairs, out, recorder):
    return train_sft(config, base, demos(pairs), [], out, recorder)


def dpo_run(config, base, pairs, out, recorder):
    return dpo.train_dpo(config, base, pairs, [], out, recorder)


def reward_run(config, base, pairs, out, recorder):
    return train_reward(config, base, pairs, [], out, recorder)


@pytest.mark.parametrize(
    ("run", "config_class", "model", "lora_r"),
    [
        (sft_run, SFTConfig, "lm", 0),
        (sft_run, SFTConfig, "lm", 8),
        (dpo_run, DPOConfig, "lm", 8),
        (reward_run, RewardConfig, "rm", 0),
    ],
    ids=["sft", "sft-lora", "dpo-lora", "reward"],
)
def test_gradient_checkpointing_recomputes_activations_and_learns_the_same(
    request, tmp_path, pairs, monkeypatch, run, config_class, model, lora_r
):
    import transformers.modeling_utils

    base = request.getfixturevalue(f"tiny_{model}_path")
    config = {"learning_rate": 2e-3, "batch_size": 3, "max_steps": 3, "lora_r": lora_r, **LENGTHS}
    plain, checkpointed = Recorder(), Recorder()
    run(config_class(**config), base, pairs, tmp_path / "plain", plain)
    counter = CheckpointCounter(transformers.modeling_utils.checkpoint)
    monkeypatch.setattr(transformers.modeling_utils, "checkpoint", counter)
    run(
        config_class(gradient_checkpointing=True, **config),
        base,
        pairs,
        tmp_path / "gc",
        checkpointed,
    )
    assert counter.calls and set(counter.calls) == {False}  # non-reentrant, every layer
    assert checkpointed.series("loss") == pytest.approx(plain.series("loss"), abs=1e-5)
    assert plain.series("loss")[-1] < plain.series("loss")[0]


def test_ppo_with_gradient_checkpointing_and_lora_runs(tmp_path, ab_policy, recorder):
    config = PPOConfig(
        learning_rate=2e-3,
        max_steps=2,
        batch_size=4,
        mini_batch_size=4,
        lora_r=8,
        gradient_checkpointing=True,
        **ROLLOUTS,
    )
    ppo.train_ppo(
        config, ab_policy, SAY_PROMPTS, [], tmp_path / "out", recorder, reward_fn=share_of_a
    )
    assert all(math.isfinite(loss) for loss in recorder.series("policy_loss"))


@pytest.mark.parametrize("merge_adapters", [True, False])
def test_an_adapted_tied_output_head_merges_without_changing_the_input_embeddings(
    tmp_path, tiny_lm_path, pairs, merge_adapters
):
    config = SFTConfig(
        learning_rate=3e-3,
        batch_size=3,
        max_steps=2,
        lora_target_modules=WITH_HEAD,
        merge_adapters=merge_adapters,
        **LORA,
    )
    train_sft(config, tiny_lm_path, demos(pairs), [], tmp_path / "out")
    base = load_file(tiny_lm_path / "model.safetensors")  # tied: the head is the embeddings
    loaded = load_causal_lm(tmp_path / "out", load_tokenizer(tiny_lm_path))
    embeddings = base["model.embed_tokens.weight"]
    assert torch.equal(loaded.get_input_embeddings().weight, embeddings)
    assert not torch.allclose(loaded.get_output_embeddings().weight, embeddings)
