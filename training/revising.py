"""A judge run in mode 'revise' on a worker (issue #18, Constitutional AI's supervised phase): a
causal LM critiques and revises the responses of the comparisons the judge's options choose,
against the project's rubric (training.ml.revise), and the revisions come back as new snapshots,
written by labeling as best-of-N's are: the revisions as SFT demonstrations (an ``sft`` snapshot,
the result's ``snapshot``), and each revision against its original as a preference pair (a
``trl`` snapshot, ``pairs_snapshot``). No judgment is stored and no judge is made: the model
writes data, it gives no verdicts.
"""

from labeling.exports.options import ExportOptions, SnapshotOptions
from labeling.exports.records import PreferenceRecord, SFTRecord
from labeling.exports.snapshots import snapshot_from_records
from labeling.judges.selectors import judge_comparison_ids, judge_comparisons, judge_rubric
from labeling.models import JudgeKind
from training.generation import checkpoint_model_name
from training.guardrails import revise_warnings
from training.models import RunStatus, TrainingRun

ORIGINAL = "original"  # the rejected side's model name in the pairs: the comparison's response as it was


def run_revise(run: TrainingRun, control, config):
    """Critique, revise, write the revisions; the run's result names the snapshots written and
    carries the run's figures (training.ml.revise.revise_metrics) at its top level too."""
    from training.jobs import launched_stage
    from training.ml.revise import revise
    from training.runner import AttemptEnd, base_model_path

    ids = judge_comparison_ids(
        project=run.project, judge=None, which=config.which, sample_size=config.sample_size, seed=config.seed
    )
    comparisons = judge_comparisons(ids)
    out = {"demonstrations": [], "pairs": [], "metrics": {"responses": 0}}
    if comparisons:  # one process, as a judge: every rank would revise every response
        extra = {"rubric": judge_rubric(run.project, JudgeKind.CAUSAL_LM)}
        out = launched_stage(run, control, revise, {"prompts": comparisons}, config=config,
                             model_path=base_model_path(run), num_processes=1, extra=extra)["samples"]
    counts = {k: v for k, v in out["metrics"].items() if k in ("responses", "revised", "empty", "identical")}
    result = {"mode": "revise", "comparisons": len(comparisons), **counts, "metrics": out["metrics"]}
    return AttemptEnd(RunStatus.SUCCEEDED, result | revision_snapshots(run, config, out),
                      warnings=revise_warnings(counts))


def revision_snapshots(run: TrainingRun, config, out: dict) -> dict:
    """The revisions as an ``sft`` snapshot, revision-over-original pairs as a ``trl`` one: their
    ids (None where nothing was revised)."""
    name = f"{checkpoint_model_name(run)} revision"
    demonstrations = [SFTRecord(prompt=d["prompt"], completion=d["completion"]) for d in out["demonstrations"]]
    pairs = [
        PreferenceRecord(prompt=p["prompt"], chosen=p["chosen"], rejected=p["rejected"], chosen_model=name,
                         rejected_model=ORIGINAL, margin=None, label_confidence=None)
        for p in out["pairs"]
    ]
    written = {"snapshot": None, "pairs_snapshot": None, "demonstrations": len(demonstrations), "pairs": len(pairs)}
    for key, fmt, records in (("snapshot", "sft", demonstrations), ("pairs_snapshot", "trl", pairs)):
        if records:
            options = SnapshotOptions(ExportOptions(fmt), split_seed=config.seed)
            written[key] = snapshot_from_records(
                project=run.project, records=records, options=options, user=run.created_by
            ).pk
    return written
