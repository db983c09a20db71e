"""A run's shown samples: the few responses a stage sampled at a logging step, stored by the
worker for the run page (the ranks print them with their progress line; training/ml/sampling.py).

The write is idempotent per step, so a retried one (runner.with_db_retry) replaces, never
doubles. What arrives is checked here, since it crossed a process boundary: texts are cut (and a
NUL a model wrote, which PostgreSQL cannot store, shown as U+FFFD), a score that is not a finite
number is dropped, and at most MAX_PER_STEP are kept.
"""

import math

from training.models import RunSample

MAX_PER_STEP = 8
MAX_CHARS = 4000
SAMPLES_KEY = "samples"  # training.ml.sampling.SAMPLES_KEY (named here: the web side never loads torch)


def split_samples(metrics: dict) -> tuple[dict, list]:
    """A step's progress metrics apart from the samples that rode with them ([] when none)."""
    samples = metrics.get(SAMPLES_KEY)
    return {k: v for k, v in metrics.items() if k != SAMPLES_KEY}, samples if isinstance(samples, list) else []


def run_samples_record(*, run_id: int, step: int, samples: list) -> int:
    """Store `samples` ({"prompt", "response", "score", "truncated"}) as step `step`'s; how many."""
    rows = [
        RunSample(run_id=run_id, step=step, index=index, **_fields(sample))
        for index, sample in enumerate(samples[:MAX_PER_STEP])
        if isinstance(sample, dict)
    ]
    RunSample.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["run", "step", "index"],
        update_fields=["prompt", "response", "score", "truncated"],
    )
    return len(rows)


def _fields(sample: dict) -> dict:
    score, truncated = sample.get("score"), sample.get("truncated")
    finite = isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
    return {
        "prompt": _text(sample.get("prompt", "")),
        "response": _text(sample.get("response", "")),
        "score": float(score) if finite else None,
        "truncated": truncated if isinstance(truncated, bool) else None,
    }


def _text(value) -> str:
    return str(value)[:MAX_CHARS].replace("\x00", "\ufffd")
