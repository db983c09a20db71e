"""The ML side of training: plain torch + transformers, no Django.

Entry points (one file per method, all with the same shape):

    reward.train_reward(config, base_model_path, train_examples, val_examples, output_dir, callback)
    sft.train_sft(...), dpo.train_dpo(...), ppo.train_ppo(..., reward_model_path=, reward_fn=)
    generate.generate(config, model_path, prompts, callback) -> list[dict]
    evaluate.evaluate_reward(model_path, examples) -> {"accuracy", "mean_margin", "count"}

Importing this package sets HF_HUB_OFFLINE and HF_HUB_DISABLE_TELEMETRY (unless the
environment already sets them) before anything imports transformers: huggingface_hub
reads them once, at import time. A worker with internet may export HF_HUB_OFFLINE=0.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
