"""A judge run from the worker's side (issue #18): which comparisons it reads, what the project
asks of a judge, and its verdicts stored as the judgments of the checkpoint's judge. The
verdicts themselves come from training.ml.judge, in a launched process that never touches the
database; everything here goes through labeling's public functions (labeling.judges)."""

from labeling.annotation.priority import judge_priority_set
from labeling.judges.selectors import judge_comparison_ids, judge_comparisons, judge_rubric
from labeling.judges.services import judge_for_checkpoint, judge_verdicts_store
from labeling.models import JudgeKind
from training.models import ModelCheckpoint, TrainingRun

JUDGE_KINDS = {ModelCheckpoint.Kind.REWARD: JudgeKind.REWARD_MODEL, ModelCheckpoint.Kind.POLICY: JudgeKind.CAUSAL_LM}


def run_judge_of(run: TrainingRun, config):
    """The judge of the run's checkpoint in its project, or of the endpoint's model (made on its
    first run); ``config`` the run's JudgeConfig."""
    if config.endpoint_model:
        return judge_for_checkpoint(
            project=run.project, checkpoint_id=None, name=config.endpoint_model, kind=JudgeKind.ENDPOINT
        )
    checkpoint = run.base_checkpoint
    return judge_for_checkpoint(
        project=run.project, checkpoint_id=checkpoint.pk, name=checkpoint.name, kind=JUDGE_KINDS[checkpoint.kind]
    )


def judge_inputs(run: TrainingRun, judge, config) -> tuple[list[dict], dict]:
    """The comparisons the run judges (config.which) and the project's rubric for its judge."""
    ids = judge_comparison_ids(
        project=run.project, judge=judge, which=config.which, sample_size=config.sample_size, seed=config.seed
    )
    return judge_comparisons(ids), judge_rubric(run.project, judge.kind)


def store_judge_verdicts(judge, verdicts: list[dict], which: str) -> dict:
    """Store the verdicts and, where the project has judge_priority on, set the serving order from
    them; the run's result: its judge, what was stored, and a summary of the verdicts (share of
    each pairwise winner) as its metrics."""
    counts = judge_verdicts_store(judge=judge, verdicts=verdicts)
    # where the project asks for it, people are served first where judges are least sure
    priorities = judge_priority_set(project=judge.project)
    pairwise = [v["winner"] for v in verdicts if "winner" in v]
    metrics = {"judged": len(verdicts), **counts, "priorities_set": priorities}
    if pairwise:
        metrics |= {f"share_{w}": pairwise.count(w) / len(pairwise) for w in ("a", "b", "tie")}
    return {"judge": judge.name, "judge_id": judge.pk, "annotator": judge.user_id, "which": which, "metrics": metrics}
