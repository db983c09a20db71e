"""The ML side of training: plain torch + transformers + accelerate, no Django.

Entry points, one file per method, all of the same shape:

    reward.train_reward(config, base_model_path, train_examples, val_examples, output_dir, callback=None)
    sft.train_sft(...)                                       same arguments
    dpo.train_dpo(..., reference_model_path=None)
    kto.train_kto(..., reference_model_path=None)
    ppo.train_ppo(..., reward_model_path=None, reward_fn=None)   exactly one reward source
    group_rl.train_grpo(...), group_rl.train_rloo(...)           same as ppo
        -> {"status": "succeeded", "output_dir", "steps", "metrics", "history"}
    generate.generate(config, model_path, prompts, callback=None) -> list[dict]
    evaluate.evaluate_reward(model_path, examples) -> {"accuracy", "mean_margin", "count"}

Examples are plain dicts (see data.py), configs are frozen dataclasses (config.py, which
imports no torch so the web process can validate with it), the callback contract and
TrainingCancelled are in loop.py, the artifact layout and precision rules in checkpoints.py,
LoRA / QLoRA adapters and gradient checkpointing in adapters.py.

Importing this package sets HF_HUB_OFFLINE and HF_HUB_DISABLE_TELEMETRY (unless the
environment already sets them) before anything imports transformers: huggingface_hub
reads them once, at import time. A worker with internet may export HF_HUB_OFFLINE=0.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
