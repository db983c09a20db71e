"""What each stage reads: the records of a dataset snapshot (``labeling/exports/records.py``).

A snapshot's rows reach a stage one way: ``snapshot_records`` reads each split's file into typed
records (``PreferenceRecord``, ``KTORecord``, ``SFTRecord``), which the stage takes as they are;
online RL rolls out to the records' prompts (``PromptRecord``). Runs without a snapshot get one
made from the project's current data first, so every run is traceable to the exact rows it saw.
"""

from labeling.exports.options import ExportOptions, SnapshotOptions
from labeling.exports.records import PromptRecord, Record
from labeling.exports.snapshots import snapshot_create, snapshot_prompt_records, snapshot_records
from labeling.models import DatasetSnapshot
from training.models import ModelCheckpoint, Stage, TrainingRun

SNAPSHOT_FORMAT = {
    Stage.REWARD: "trl", Stage.DPO: "trl", Stage.KTO: "kto", Stage.PPO: "trl", Stage.GRPO: "trl",
    Stage.RLOO: "trl", Stage.SFT: "sft",
}
POLICY, REWARD = ModelCheckpoint.Kind.POLICY.value, ModelCheckpoint.Kind.REWARD.value
# What a stage starts from and what it leaves behind (training/runner.py).
STAGE_INPUTS = {
    Stage.REWARD: {"base_kinds": [REWARD, POLICY], "needs_reward_checkpoint": False, "produces": REWARD},
    Stage.SFT: {"base_kinds": [POLICY], "needs_reward_checkpoint": False, "produces": POLICY},
    Stage.DPO: {"base_kinds": [POLICY], "needs_reward_checkpoint": False, "produces": POLICY},
    Stage.KTO: {"base_kinds": [POLICY], "needs_reward_checkpoint": False, "produces": POLICY},
    Stage.PPO: {"base_kinds": [POLICY], "needs_reward_checkpoint": True, "produces": POLICY},
    Stage.GRPO: {"base_kinds": [POLICY], "needs_reward_checkpoint": True, "produces": POLICY},
    Stage.RLOO: {"base_kinds": [POLICY], "needs_reward_checkpoint": True, "produces": POLICY},
    Stage.GENERATE: {"base_kinds": [POLICY], "needs_reward_checkpoint": False, "produces": "responses"},
    Stage.JUDGE: {"base_kinds": [REWARD, POLICY], "needs_reward_checkpoint": False, "produces": "judgments"},
    Stage.BEST_OF_N: {"base_kinds": [POLICY], "needs_reward_checkpoint": True, "produces": "snapshot"},
}
# Stages that roll out responses to the snapshot's prompts and score them with a reward model.
ONLINE_RL = (Stage.PPO, Stage.GRPO, Stage.RLOO)


def run_snapshot_options(run: TrainingRun) -> SnapshotOptions:
    """The snapshot a run without one exports: its stage's format, split by the run's seed."""
    sft = run.stage == Stage.SFT
    export = ExportOptions(
        SNAPSHOT_FORMAT[run.stage], conversational=not sft, include_winners=sft,
        criteria=run.config.get("criteria") or (),
    )
    return SnapshotOptions(export, split_seed=run.config.get("seed", 0))


def ensure_snapshot(run: TrainingRun) -> DatasetSnapshot:
    if run.snapshot_id is None:
        run.snapshot = snapshot_create(project=run.project, options=run_snapshot_options(run), user=run.created_by)
        TrainingRun.objects.filter(pk=run.pk).update(snapshot=run.snapshot)
    return run.snapshot


def stage_examples(run: TrainingRun) -> tuple[list[Record | PromptRecord], list[Record | PromptRecord]]:
    """(train, validation) records for ``run``'s stage from its snapshot."""
    snapshot = ensure_snapshot(run)
    read = snapshot_prompt_records if run.stage in ONLINE_RL else snapshot_records
    return read(snapshot, "train"), read(snapshot, "validation")
