"""LoRA / QLoRA adapters (through peft) and gradient checkpointing, as every stage sets them up.

With `config.lora_r` > 0 the loaded model's weights stay frozen in the dtype they were held in
(checkpoints.load_options: the checkpoint's dtype on GPU, or 4-bit NF4 with load_in_4bit) and
peft adds rank-r adapters in float32, the only weights the optimizer steps. A reward model's
score head trains with them (peft's modules_to_save for sequence classifiers; the
MeanPooledRewardModel head is outside the adapted backbone and stays trainable).

The frozen reference of DPO, KTO, PPO, GRPO and RLOO is then the same model with its adapters
switched off (`reference_view`), so a LoRA run holds one copy of the base, not two.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import torch

# peft's task types: they decide which head stays trainable and how the model is wrapped.
CAUSAL_LM, SEQ_CLS = "CAUSAL_LM", "SEQ_CLS"


def prepare_trainable(model, config, task_type: str | None):
    """Turn on gradient checkpointing and, with config.lora_r, wrap `model` in LoRA adapters
    whose weights (and any head trained beside them) are float32. Returns the model to train."""
    if config.gradient_checkpointing:
        # Non-reentrant checkpointing also backpropagates through frozen inputs (LoRA).
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if not config.lora_r:
        return model
    from peft import LoraConfig, get_peft_model

    if config.gradient_checkpointing:
        model.enable_input_require_grads()
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.lora_target_modules) or "all-linear",
        task_type=task_type,
    )
    model = get_peft_model(model, lora)
    for parameter in model.parameters():
        if parameter.requires_grad:  # adapters and modules_to_save: AdamW needs float32
            parameter.data = parameter.data.float()
    float_inputs_to_trained_heads(model)
    return model


def float_inputs_to_trained_heads(model) -> None:
    """Feed float32 to the heads trained beside the adapters (a classifier's score), which now
    read the activations of a base held in half precision; LoRA layers cast their own input."""
    from peft.utils import ModulesToSaveWrapper

    for module in model.modules():
        if isinstance(module, ModulesToSaveWrapper):
            module.register_forward_pre_hook(_to_float)


def _to_float(module, args):
    return tuple(a.float() if torch.is_floating_point(a) else a for a in args)


def peft_part(model):
    """The PeftModel inside `model` (itself, or a direct child such as a reward backbone), or None."""
    from peft import PeftModel

    if isinstance(model, PeftModel):
        return model
    return next((m for m in model.children() if isinstance(m, PeftModel)), None)


@contextmanager
def reference_view(policy, reference=None) -> Iterator[torch.nn.Module]:
    """The frozen reference to score with: `reference` when there is one, else (LoRA) the
    policy with its adapters switched off, which is the base it started from."""
    if reference is not None:
        yield reference
        return
    with peft_part(policy).disable_adapter():
        yield policy


def merged(model):
    """`model` with its LoRA adapters merged into the base weights and peft's wrapper gone."""
    from peft import PeftModel

    if isinstance(model, PeftModel):
        return _merge(model)
    for name, child in model.named_children():
        if isinstance(child, PeftModel):
            setattr(model, name, _merge(child))
    return model


def _merge(peft_model):
    untie_adapted_head(peft_model.get_base_model())
    return peft_model.merge_and_unload()


def untie_adapted_head(base) -> None:
    """Give an adapted output head its own copy of weights it shares with the input embeddings.

    Merging adds the head's LoRA delta to its weight in place: tied, that would change the
    input embeddings too, which training never did.
    """
    from peft.tuners.lora import LoraLayer

    head, embeddings = base.get_output_embeddings(), base.get_input_embeddings()
    if not isinstance(head, LoraLayer) or head.base_layer.weight is not embeddings.weight:
        return
    untied = torch.nn.Parameter(embeddings.weight.detach().clone(), requires_grad=False)
    head.base_layer.weight = untied
    base.config.tie_word_embeddings = False
