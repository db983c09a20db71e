"""Closing the loop: responses sampled from a checkpoint become new comparisons in the project.

Each new response is paired with existing responses from other models for the same prompt, so
annotators compare the checkpoint against what came before and the ratings can rank it: first
the model it was trained from (checkpoint N against N-1, whether the last training step helped),
then the prompt's first response (one anchor every checkpoint meets, which keeps all their
ratings on one connected scale), then the newest other models.
"""

from pathlib import Path

from labeling.imports.formats import ImportRecord, same_text
from labeling.imports.services import import_records
from labeling.models import Prompt
from training.models import TrainingRun

OPPONENTS_PER_SAMPLE = 2


def checkpoint_model_name(run: TrainingRun) -> str:
    if run.base_checkpoint is not None:
        return run.base_checkpoint.name
    return Path(run.base_model).name or run.base_model


def generation_prompts(run: TrainingRun, limit: int) -> tuple[list[Prompt], list[str]]:
    """At most ``limit`` (config max_prompts) of the project's prompts, those the checkpoint has
    no response to yet first, each group oldest first, so runs in turn cover every prompt; and
    a warning naming how many were left out, when some were."""
    prompts = Prompt.objects.filter(project=run.project)
    answered = prompts.filter(responses__model_name=checkpoint_model_name(run)).values("pk")
    chosen = list(prompts.exclude(pk__in=answered).order_by("id")[:limit])
    if len(chosen) < limit:
        chosen += prompts.filter(pk__in=answered).order_by("id")[: limit - len(chosen)]
    total, fresh = prompts.count(), prompts.exclude(pk__in=answered).count()
    if total <= limit:
        return chosen, []
    return chosen, [f"generated for {len(chosen)} of the project's {total} prompts (max_prompts {limit}); "
                    f"{max(0, fresh - limit)} have no response from this model yet: run it again to cover them"]


def predecessor_model_name(run: TrainingRun) -> str | None:
    """The name the model that ``run``'s checkpoint was trained from has in the project's
    responses; None when the run samples a base model, or a checkpoint registered by hand."""
    checkpoint = run.base_checkpoint
    if checkpoint is None or checkpoint.run is None:
        return None
    return checkpoint_model_name(checkpoint.run)


def opponent_order(others: list[tuple[str, str]], predecessor: str | None) -> list[tuple[str, str]]:
    """``others`` ((text, model) responses, oldest first) in the order a new sample meets them:
    the predecessor's, the anchor (the first response), then the newest; each model's first
    response before any model's second, so two opponents are two models where there are two."""
    ordered = list(dict.fromkeys([r for r in others if r[1] == predecessor] + others[:1] + others[::-1]))
    first_of_model, later, models = [], [], set()
    for response in ordered:
        (later if response[1] in models else first_of_model).append(response)
        models.add(response[1])
    return first_of_model + later


def _records(prompt: Prompt, completions: list[str], model_name: str, predecessor: str | None,
             ranking_k: int | None) -> list[ImportRecord]:
    """The samples as records under the checkpoint's name: a sample whose text another model
    already gave is still the checkpoint's response (the import keys responses by model), and an
    empty sample is a real output to be judged. A sample is never paired with the same text."""
    others = [(r.text, r.model_name) for r in prompt.responses.exclude(model_name=model_name).order_by("id")]
    others = opponent_order(others, predecessor)
    fresh = [(text, model_name) for text in dict.fromkeys(completions)]
    if ranking_k:  # K-way: the new samples ranked together with earlier responses
        pool = fresh + others[: max(0, ranking_k - len(fresh))]
        return [ImportRecord(prompt.messages, pool)] if len(pool) >= 2 else []
    return [
        ImportRecord(prompt.messages, [sample, opponent])
        for sample in fresh
        for opponent in [o for o in others if not same_text(o[0], sample[0])][:OPPONENTS_PER_SAMPLE]
    ]


def add_generated_responses(*, run: TrainingRun, prompts: list[Prompt], samples: list[dict]) -> dict:
    """Store ``samples`` (training.ml.generate records: prompt_index, completion) as comparisons."""
    model_name, predecessor = checkpoint_model_name(run), predecessor_model_name(run)
    by_prompt: dict[int, list[str]] = {}
    for sample in samples:
        by_prompt.setdefault(sample["prompt_index"], []).append(sample["completion"])
    project = run.project
    k = project.responses_per_comparison if project.task_type == "ranking" else None
    records = [rec for i, texts in by_prompt.items() for rec in _records(prompts[i], texts, model_name, predecessor, k)]
    result = import_records(project=project, records=records, source_name=f"generate:run{run.pk}", user=run.created_by)
    return {"model_name": model_name, "samples": len(samples), **result.counts}
