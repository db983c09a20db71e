"""The frozen reference a policy is held to, as every stage but reward, SFT and generate loads it.

The preference stages (DPO, KTO) take its log-probs once, before training, and then drop it from
memory: it never changes, so a second forward per step would be wasted. With LoRA and no
reference_model_path the reference is the policy with its adapters off (adapters.reference_view),
one copy of the base; otherwise it is loaded frozen, used, and dropped before the policy loads,
so the two are never in memory together. The online stages (PPO, GRPO, RLOO) keep theirs: they
score fresh rollouts with it every step.
"""

from training.ml.adapters import reference_view
from training.ml.checkpoints import load_causal_lm, load_trainable_lm
from training.ml.logps import run_pair_logps
from training.ml.loop import disable_dropout


def policy_and_reference_logps(session, feature_sets: list[list[dict]], collate=None):
    """The policy to train (dropout off) and, taken before training, the reference's log-probs
    of each feature set (logps.pair_logps with `collate`). `session` is the trainer.Session:
    the reference is its reference_model_path, else its base model, held as config.torch_dtype
    says."""
    accelerator, config, tokenizer = session.accelerator, session.config, session.tokenizer
    base, logps = session.base_model_path, run_pair_logps(session, collate)
    if config.lora_r and session.reference_model_path is None:
        model = disable_dropout(load_trainable_lm(base, tokenizer, config))
        if not config.load_in_4bit:  # a 4-bit model is placed on its GPU as it loads
            model = model.to(accelerator.device)
        with reference_view(model) as reference:
            return model, [logps(reference, features) for features in feature_sets]
    # Frozen, so not wrapped by accelerate (DDP refuses modules with nothing to train).
    reference = load_causal_lm(session.reference_model_path or base, tokenizer, config)
    reference = reference.requires_grad_(False).to(accelerator.device)
    ref_logps = [logps(reference, features) for features in feature_sets]
    del reference
    accelerator.free_memory()
    return disable_dropout(load_trainable_lm(base, tokenizer, config)), ref_logps


def online_policy_and_reference(config, base_model_path, tokenizer, accelerator, wrap):
    """The policy an online stage trains (dropout off) and its frozen reference, both built by
    `wrap` around a causal LM (PPO adds a value head). They score fresh rollouts every step, so
    the reference stays, on the accelerator's device and unwrapped by accelerate (DDP refuses
    modules with nothing to train); with LoRA it is None: the policy with its adapters off."""
    model = wrap(disable_dropout(load_trainable_lm(base_model_path, tokenizer, config)))
    if config.lora_r:
        return model, None
    reference = wrap(load_causal_lm(base_model_path, tokenizer, config))
    return model, reference.eval().requires_grad_(False).to(accelerator.device)
