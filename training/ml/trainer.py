"""The shared runner of the offline stages (reward, SFT, DPO, KTO): one skeleton, the stage's
own parts plugged in.

A stage module gives a `Stage`: its name, the keys its examples need, and three functions:

    setup(session, train_examples, val_examples) -> Setup
        load the model to train (and take a frozen reference's log-probs), encode the examples;
    step(model, setup, config, batch) -> (loss, stats, samples)
        one micro-batch forward and the stage's loss (loop.train_loop sums, steps and reports);
    validation(session, model, setup) -> evaluate() -> {"val_<name>": float}
        built once the model is prepared; run every config.eval_steps and after the last step.

`train_stage(stage, config, StageInputs(...))` does the rest, the same for every stage: check the inputs and claim output_dir
(loop.begin_run), prepare the loader, optimizer and schedule, run the loop with its callback,
periodic states and resume (loop.py, resume.py), and write the checkpoint and metrics.json
(checkpoints.finish_run).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from training.ml.checkpoints import finish_run
from training.ml.data import encode_all
from training.ml.loop import RunInputs, begin_run, final_metrics, prepare_training, train_loop
from training.ml.sampling import with_samples

SHOWS_SAMPLES = ("sft", "dpo", "kto")  # the offline stages that train a policy


@dataclass(frozen=True)
class Session:
    """What a stage's setup and validation work with."""

    accelerator: Any
    tokenizer: Any
    config: Any
    base_model_path: str | Path
    reference_model_path: str | Path | None = None

    def encode(self, encode, examples: list[dict]) -> list[dict]:
        """`examples` encoded with `encode` (data.encode_preference, ...) at the config's lengths."""
        config = self.config
        return encode_all(encode, self.tokenizer, examples, config.max_length, config.max_prompt_length)


@dataclass
class Setup:
    """What a stage's setup gives the runner: the model to train, the encoded examples and their
    collate (data.collate_*, given pad_id by the runner), and what its step and validation read."""

    model: Any
    train_features: list[dict]
    val_features: list[dict]
    collate: Callable
    reference: tuple | None = None  # the frozen reference's log-probs of the training features
    val_reference: tuple | None = None  # and of the validation features
    save_extra: Callable | None = None  # writes the stage's own files into the checkpoint (finish_run)


@dataclass(frozen=True)
class Stage:
    """One offline stage's own parts (see the module docstring)."""

    name: str  # recorded in training_config.json
    keys: dict[str, type]  # what every example must hold (data.check_examples)
    setup: Callable[[Session, list[dict], list[dict]], Setup]
    step: Callable
    validation: Callable
    uses_reference: bool = False  # DPO and KTO hold the policy to a frozen reference


@dataclass(frozen=True)
class StageInputs(RunInputs):
    """What an offline stage trains from, besides its config: the arguments of train_reward,
    train_sft, train_dpo and train_kto, in their order. reference_model_path (DPO and KTO
    only) is the frozen reference; None: a frozen copy of the base model."""

    reference_model_path: str | Path | None = None


def train_stage(stage: Stage, config, inputs: StageInputs) -> dict:
    """Train `stage` and save it to `inputs.output_dir`; the result every stage returns:
    {"status": "succeeded", "output_dir", "steps", "metrics", "history"}."""
    if inputs.reference_model_path is not None and not stage.uses_reference:
        raise TypeError(f"the {stage.name} stage takes no reference_model_path")
    base, train, val = inputs.base_model_path, inputs.train_examples, inputs.val_examples or []
    output_dir, accelerator, tokenizer = begin_run(config, base, train, val, stage.keys, inputs.output_dir)
    session = Session(accelerator, tokenizer, config, base, inputs.reference_model_path)
    setup = stage.setup(session, train, val)
    collate = partial(setup.collate, pad_id=tokenizer.pad_token_id)
    prepared = prepare_training(accelerator, setup.model, setup.train_features, collate, config)
    compute = partial(stage.step, prepared.model, setup, config)
    evaluate = stage.validation(session, prepared.model, setup) if setup.val_features else None
    callback = inputs.callback
    if stage.name in SHOWS_SAMPLES:  # a policy: a few greedy responses go to the run page
        callback = with_samples(callback, accelerator, prepared.model, tokenizer, val or train, config)
    history = train_loop(
        accelerator, prepared, compute, config, callback, output_dir=output_dir, evaluate=evaluate
    )
    final = final_metrics(history, evaluate)
    return finish_run(
        accelerator, prepared.model, tokenizer, output_dir, stage.name, config, base, history, final,
        save_extra=setup.save_extra,
    )
