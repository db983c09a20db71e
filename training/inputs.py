"""What each stage reads: rows of a dataset snapshot turned into the plain examples of training.ml.

Runs without a snapshot get one made from the project's current data first, so every run is
traceable to the exact rows it saw.
"""

from labeling.exports.snapshots import snapshot_create, snapshot_rows
from labeling.imports.formats import messages_hash
from labeling.models import DatasetSnapshot, Prompt
from training.models import Stage, TrainingRun

SNAPSHOT_FORMAT = {
    Stage.REWARD: "trl", Stage.DPO: "trl", Stage.KTO: "kto", Stage.PPO: "trl", Stage.GRPO: "trl",
    Stage.RLOO: "trl", Stage.SFT: "sft",
}
# Stages that roll out responses to the snapshot's prompts and score them with a reward model.
ONLINE_RL = (Stage.PPO, Stage.GRPO, Stage.RLOO)


def ensure_snapshot(run: TrainingRun) -> DatasetSnapshot:
    if run.snapshot_id is None:
        sft = run.stage == Stage.SFT
        run.snapshot = snapshot_create(
            project=run.project, format=SNAPSHOT_FORMAT[run.stage], conversational=not sft,
            include_winners=sft, split_seed=run.config.get("seed", 0), user=run.created_by,
            criteria=run.config.get("criteria") or (),
        )
        TrainingRun.objects.filter(pk=run.pk).update(snapshot=run.snapshot)
    return run.snapshot


def _messages(value) -> list[dict]:
    return [{"role": "user", "content": value}] if isinstance(value, str) else list(value)


def _reply(value) -> str:
    return value if isinstance(value, str) else value[-1]["content"]


def preference_example(row: dict) -> dict:
    """A trl row (standard or conversational) as ``{"prompt": messages, "chosen", "rejected", "margin"}``,
    plus its ``criterion`` when the snapshot was exported per criterion."""
    example = {
        "prompt": _messages(row["prompt"]),
        "chosen": _reply(row["chosen"]),
        "rejected": _reply(row["rejected"]),
        "margin": row.get("margin"),
        "label_confidence": row.get("label_confidence"),
    }
    return example | ({"criterion": row["criterion"]} if row.get("criterion") else {})


def kto_example(row: dict) -> dict:
    """A kto row (standard or conversational) as ``{"prompt": messages, "completion", "label"}``."""
    return {"prompt": _messages(row["prompt"]), "completion": _reply(row["completion"]), "label": bool(row["label"])}


def sft_example(row: dict) -> dict:
    messages = row["messages"]
    return {"prompt": messages[:-1], "completion": messages[-1]["content"]}


def prompt_examples(rows, project) -> list[dict]:
    """Unique prompts, in first-seen order (PPO, GRPO and RLOO rollouts), each with the
    ``verify`` check its metadata holds, if any (verifiable rewards)."""
    seen, out = set(), []
    for row in rows:
        messages = _messages(row["prompt"])
        key = repr(messages)
        if key not in seen:
            seen.add(key)
            out.append({"prompt": messages})
    checks = dict(
        Prompt.objects.filter(project=project, metadata__has_key="verify").values_list("content_hash", "metadata__verify")
    )
    return [e | ({"verify": checks[h]} if (h := messages_hash(e["prompt"])) in checks else {}) for e in out]


def stage_examples(run: TrainingRun) -> tuple[list[dict], list[dict]]:
    """(train, validation) examples for ``run``'s stage from its snapshot."""
    snapshot = ensure_snapshot(run)
    train, val = snapshot_rows(snapshot, "train"), snapshot_rows(snapshot, "validation")
    if run.stage == Stage.SFT:
        return [sft_example(r) for r in train], [sft_example(r) for r in val]
    if run.stage in ONLINE_RL:
        return prompt_examples(train, run.project), prompt_examples(val, run.project)
    if run.stage == Stage.KTO:
        return [kto_example(r) for r in train], [kto_example(r) for r in val]
    return [preference_example(r) for r in train], [preference_example(r) for r in val]
