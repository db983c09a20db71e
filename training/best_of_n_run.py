"""The best_of_n stage on a worker: a policy samples N responses to each prompt of the run's
snapshot, a reward checkpoint scores them (training.ml.best_of_n), and the selections come back
as new snapshots, written by labeling: each prompt's best sample as SFT demonstrations (the
``sft`` snapshot the result names as ``snapshot``), and best against worst as preference pairs
(a ``trl`` snapshot, ``pairs_snapshot``; none when every prompt's samples scored alike: one
snapshot holds one format). Where the config asks, each prompt's best sample and the policy's
first sample also become a new comparison, for people to check the selection.
"""

from labeling.exports.options import ExportOptions, SnapshotOptions
from labeling.exports.records import PreferenceRecord, SFTRecord
from labeling.exports.snapshots import (
    snapshot_create,
    snapshot_from_records,
    snapshot_prompt_records,
)
from labeling.imports.formats import ImportRecord, same_text
from labeling.imports.services import import_records
from training.generation import checkpoint_model_name
from training.models import RunStatus, Stage, TrainingRun
from training.validation import resolve_model_path


def run_best_of_n(run: TrainingRun, control):
    """Sample, score, select; write the selections; the run's result names what was written."""
    from training.jobs import launched_stage
    from training.ml.best_of_n import run_best_of_n as best_of_n_job
    from training.ml.config import config_from_dict
    from training.runner import AttemptEnd, base_model_path

    config = config_from_dict(Stage.BEST_OF_N, run.config)
    prompts = best_of_n_prompts(run, config)
    extra = {"reward_model_path": resolve_model_path(run.reward_checkpoint.path)}
    out = launched_stage(run, control, best_of_n_job, {"prompts": prompts}, config=config,
                         model_path=base_model_path(run), num_processes=1, extra=extra)["samples"]
    result = {"prompts": len(prompts), "metrics": out["metrics"], **selection_snapshots(run, config, out)}
    if config.new_comparisons:
        result["comparisons"] = add_selection_comparisons(run, config, out)
    return AttemptEnd(RunStatus.SUCCEEDED, result)


def best_of_n_prompts(run: TrainingRun, config) -> list[dict]:
    """The distinct prompts of the run's snapshot (train split first), at most config.max_prompts;
    a run without a snapshot exports the project's preferences into one first."""
    if run.snapshot_id is None:
        options = SnapshotOptions(ExportOptions("trl"), split_seed=config.split_seed)
        run.snapshot = snapshot_create(project=run.project, options=options, user=run.created_by)
        TrainingRun.objects.filter(pk=run.pk).update(snapshot=run.snapshot)
    seen, prompts = set(), []
    for split in ("train", "validation"):
        for record in snapshot_prompt_records(run.snapshot, split):
            key = repr(record["prompt"])
            if key not in seen:
                seen.add(key)
                prompts.append({"prompt": record["prompt"]})
    return prompts[: config.max_prompts]


def selection_snapshots(run: TrainingRun, config, out: dict) -> dict:
    """The demonstrations as an ``sft`` snapshot, the pairs as a ``trl`` one: their ids."""
    name = f"{checkpoint_model_name(run)} best-of-{config.num_samples}"
    demonstrations = [SFTRecord(prompt=d["prompt"], completion=d["completion"]) for d in out["demonstrations"]]
    pairs = [
        PreferenceRecord(prompt=p["prompt"], chosen=p["chosen"], rejected=p["rejected"], chosen_model=name,
                         rejected_model=name, margin=None, label_confidence=None)
        for p in out["pairs"]
    ]
    written = {"snapshot": None, "pairs_snapshot": None, "demonstrations": len(demonstrations), "pairs": len(pairs)}
    for key, fmt, records in (("snapshot", "sft", demonstrations), ("pairs_snapshot", "trl", pairs)):
        if records:
            options = SnapshotOptions(ExportOptions(fmt), split_seed=config.split_seed)
            written[key] = snapshot_from_records(
                project=run.project, records=records, options=options, user=run.created_by
            ).pk
    return written


def add_selection_comparisons(run: TrainingRun, config, out: dict) -> dict:
    """Each prompt's best sample against the policy's first, as a new comparison (none where the
    two are the same text): people check whether selection helped."""
    policy = checkpoint_model_name(run)
    best_name = f"{policy} best-of-{config.num_samples}"
    records = [
        ImportRecord(best["prompt"], [(best["completion"], best_name), (first["completion"], policy)])
        for best, first in zip(out["demonstrations"], out["first_samples"], strict=True)
        if not same_text(best["completion"], first["completion"])
    ]
    if not records:
        return {"comparisons": 0}
    imported = import_records(project=run.project, records=records, source_name=f"best_of_n:run{run.pk}",
                              user=run.created_by)
    return imported.counts
