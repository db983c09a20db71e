"""What the online stages (PPO, GRPO, RLOO) share in their configs (torch-free, see config.py)."""

from dataclasses import dataclass

from training.ml.config_base import (
    TrainConfig,
    backend_name,
    batch_option,
    epochs_option,
    learning_rate_option,
    new_tokens_option,
    option,
    positive,
    share,
    steps_option,
    tokens_option,
)
from training.ml.config_limits import (
    MAX_COEFFICIENT,
    MAX_MAGNITUDE,
    MAX_TEMPERATURE,
    MAX_WINDOW,
    Between,
    UpTo,
)


@dataclass(frozen=True)
class RolloutConfig(TrainConfig):
    """What the online stages (PPO, GRPO, RLOO) share: sample responses, then `ppo_epochs`
    passes over them in mini-batches with a clipped policy ratio."""

    learning_rate: float = learning_rate_option(1e-6)
    save_steps: int | None = steps_option(
        "Save the full training state every this many steps (policy or adapters, PPO's value "
        "head, optimizer, schedule, RNG, the prompts' place, the reward monitor), so a run whose "
        "worker dies resumes there; null = only the final model.",
    )
    eval_steps: int | None = steps_option(
        "Measure val_reward (and score the gold reward, when one is set) every this many steps; "
        "null = val_reward only after the last step, the gold reward every step.",
    )
    max_length: int = tokens_option(384, "Most tokens per prompt + response.")
    mini_batch_size: int = batch_option(
        4,
        "Responses per gradient computation inside an epoch, and per forward when the rollouts "
        "are scored (policy, reference, reward model).",
    )
    ppo_epochs: int = epochs_option(4, "Optimisation passes over each step's responses.")
    max_new_tokens: int = new_tokens_option(64, "Most tokens sampled per response.")
    temperature: float = option(
        1.0, "Sampling temperature for rollouts; logits are scaled the same in training.", UpTo(MAX_TEMPERATURE)
    )
    clip_range: float = option(0.2, "Policy ratio clip ε.", UpTo(MAX_COEFFICIENT))
    reward_criterion: str | None = option(
        None,
        "For a reward model trained per criterion: the criterion it scores rollouts on.",
    )
    missing_eos_penalty: float | None = option(
        None,
        "Subtracted from the score of a response cut at max_new_tokens before it ended (no "
        "eos), so running on does not pay (as TRL's); null or 0 = off.",
        Between(0, MAX_MAGNITUDE),
    )
    kl_budget: float | None = option(
        None,
        "Stop the run (saving the policy as it is) once a step's mean KL to the reference per "
        "response passes this; null = no budget.",
        UpTo(MAX_MAGNITUDE),
    )
    gold_reward_checkpoint: int | None = option(
        None,
        "A second, held-out reward model checkpoint (id) that scores the step's responses too "
        "(gold_reward; every step, or every eval_steps when set): a proxy reward rising while "
        "the gold one falls is reward hacking.",
        positive,
    )
    divergence_window: int = option(
        8, "Steps over which the proxy and gold reward trends are compared.", Between(2, MAX_WINDOW)
    )
    stop_on_divergence: bool = option(
        False, "Stop the run when the proxy reward rises while the gold reward falls."
    )
    generation_backend: str = option(
        "auto",
        "What samples the rollouts: 'vllm' (a vLLM engine colocated with training, given the "
        "policy's new weights after every update; needs the vllm package and a GPU), "
        "'transformers', or 'auto' = vLLM where it can run, transformers elsewhere (CPU).",
        backend_name,
    )
    vllm_gpu_memory_utilization: float = option(
        0.3,
        "With vLLM rollouts: the share of the GPU's memory the colocated engine may take (its "
        "weights and key-value cache); the rest is training's.",
        share,
    )

    def validate(self) -> None:
        super().validate()
        if self.generation_backend == "vllm" and self.load_in_4bit:
            self._fail("generation_backend", "'vllm' cannot hold a 4-bit base (load_in_4bit): use 'auto' or 'transformers'")
        responses = self.responses_per_step
        if (
            responses % self.mini_batch_size
            or (responses // self.mini_batch_size) % self.gradient_accumulation_steps
        ):
            self._fail(
                "mini_batch_size",
                f"× gradient_accumulation_steps ({self.gradient_accumulation_steps}) must divide "
                f"the {responses} responses sampled per step, got {self.mini_batch_size}",
            )
        if self.max_prompt_length + self.max_new_tokens > self.max_length:
            self._fail(
                "max_new_tokens",
                f"plus max_prompt_length ({self.max_prompt_length}) must fit in max_length ({self.max_length})",
            )

    @property
    def responses_per_step(self) -> int:
        """Responses sampled per step: one per prompt unless a subclass says otherwise."""
        return self.batch_size

    @property
    def updates_per_step(self) -> int:
        """Optimizer steps per step (per batch of prompts)."""
        return (
            self.ppo_epochs
            * self.responses_per_step
            // (self.mini_batch_size * self.gradient_accumulation_steps)
        )
