"""The most each size field of a training config may be, and the range checks that say so
(torch-free; config_base.py builds the fields on them, config.py exports them all)."""

# The most each size field may be (config validation refuses more, naming the field and this):
# a run must end in bounded time and memory, since one run holds the GPU queue for every project.
MAX_STEPS = 1_000_000  # optimizer steps (max_steps, save_steps, eval_steps)
MAX_EPOCHS = 100  # passes over the data (epochs, ppo_epochs)
MAX_BATCH = 4096  # examples per device per step, or per mini-batch
MAX_ACCUMULATION = 1024  # micro-batches per optimizer step
MAX_TOKENS = 131_072  # tokens per sequence (max_length, max_prompt_length): 128k
MAX_NEW_TOKENS = 32_768  # tokens sampled per response
MAX_STATES = 100  # saved training states kept
MAX_SAMPLES = 16  # generate: responses per prompt (C(n, 2) comparisons each)
MAX_GENERATE_PROMPTS = 10_000  # generate: prompts one run samples for (as best_of_n's max_prompts)
MAX_GENERATIONS = 256  # GRPO/RLOO responses per prompt
MAX_PROCESSES = 64  # processes per machine (one per GPU: nodes hold 8, 16 at most today); 10,000 were launched
MAX_MACHINES = 1024  # machines one run spans
MAX_LEARNING_RATE = 1.0  # AdamW at lr > 1 diverges at once: such a value is a typo (0x10 read as 16)
MAX_LORA_RANK = 1024  # LoRA adapters' rank: 2·r·d parameters per layer; 100,000 took 6.6 GB before a step
MAX_LORA_ALPHA = 4096  # LoRA scale α (the adapters are scaled by α / r)
MAX_WINDOW = 10_000  # steps a trend is measured over (divergence_window)

# Float fields: finite (Config refuses NaN and ±Infinity), > 0 where 0 means nothing, and at most
# these, generous beyond any useful value: past them a value is a typo (1e3 for 1e-3) that would
# train on NaNs, or sample noise, for hours before anyone saw it.
MAX_TEMPERATURE = 10  # sampling temperature (OpenAI's API takes 2 at most): past it, samples are noise
MAX_COEFFICIENT = 1000  # a loss's weight or coefficient (β, γ, λ, weight decay, a ratio's clip ε)
MAX_MAGNITUDE = 1_000_000  # a threshold in the model's own units: a gradient norm, a score's penalty or margin, a KL
# Tokens max_length keeps beyond max_prompt_length. The sequence's special tokens (<bos> or [CLS],
# eos or [SEP]) and a reward model's criterion line lie outside max_prompt_length, so with less a
# completion kept none or next to none of its tokens: max_length 2 with max_prompt_length 1
# trained on prompts alone.
MIN_COMPLETION_TOKENS = 8


class UpTo:
    """A size check (or a float's): > 0 and at most `maximum`."""

    def __init__(self, maximum: int):
        self.maximum = maximum
        self.__doc__ = f"> 0 and at most {maximum}"

    def __call__(self, value) -> bool:
        return 0 < value <= self.maximum

    @property
    def bounds(self) -> dict:
        """The same rule as JSON-schema-style bounds, for forms."""
        return {"exclusive_minimum": 0, "maximum": self.maximum}


class Between(UpTo):
    """A size check whose least value is `minimum` (0: the field is off at 0)."""

    def __init__(self, minimum: int, maximum: int):
        super().__init__(maximum)
        self.minimum = minimum
        self.__doc__ = f">= {minimum} and at most {maximum}"

    def __call__(self, value) -> bool:
        return self.minimum <= value <= self.maximum

    @property
    def bounds(self) -> dict:
        return {"minimum": self.minimum, "maximum": self.maximum}
