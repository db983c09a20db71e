"""The ML side of training: plain torch + transformers + accelerate, no Django.

Stages, one module each, none importing another; each holds its step, its loss and (in a
torch-free <stage>_config module beside it) its config:

    reward.train_reward(config, base_model_path, train_examples, val_examples, output_dir, callback=None)
    sft.train_sft(...)                                       same arguments
    dpo.train_dpo(..., reference_model_path=None)
    kto.train_kto(..., reference_model_path=None)
    ppo.train_ppo(..., reward_model_path=None, reward_fn=None)   exactly one reward source
    group_rl.train_grpo(...), group_rl.train_rloo(...)           same as ppo
        -> {"status": "succeeded", "output_dir", "steps", "metrics", "history"}
    generate.generate(config, model_path, prompts, callback=None) -> list[dict]
    evaluate.evaluate_reward(model_path, examples) -> {"accuracy", "mean_margin", "count"}
    judge.judge(config, model_path, comparisons, callback=None, rubric=None, endpoint=None)
        -> verdict records, one per comparison (a reward model, causal LM or endpoint as judge)
    best_of_n.run_best_of_n(config, policy_path, prompts, callback=None, reward_model_path=None)
        -> the best and worst of N samples per prompt with their rewards, and best-of-k metrics

The arguments after the config are a typed bundle (trainer.StageInputs, online.OnlineInputs).
Two shared runners do the rest: trainer.py (reward, SFT, DPO, KTO: setup, the loop of loop.py,
evaluation, saving and metrics) and online.py (PPO, GRPO, RLOO: the same around rollouts).

Shared pieces, by topic: losses.py (pure tensor maths stages share), logps.py (sequence
log-probs), reference.py (the frozen reference), rollouts.py and sampling.py (sampling and
scoring responses), scoring.py (reward-model scores, accuracy, reward functions), rewards.py
(an online stage's reward sources), checkpoints.py (loading, the artifact layout, precision
rules), adapters.py (LoRA / QLoRA, gradient checkpointing), resume.py (periodic states),
data.py (examples to token tensors). Examples are plain dicts (see data.py); configs are
frozen dataclasses named by stage in config.py, which imports no torch so the web process can
validate with it; the callback contract and TrainingCancelled are in loop.py.

Importing this package sets HF_HUB_OFFLINE and HF_HUB_DISABLE_TELEMETRY (unless the
environment already sets them) before anything imports transformers: huggingface_hub
reads them once, at import time. A worker with internet may export HF_HUB_OFFLINE=0.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
