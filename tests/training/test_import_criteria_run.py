"""A reward model per criterion, trained in the app from labels imported per criterion: HH-RLHF's
subsets (helpful-base, harmless-base) as the project's criteria, each line naming its own."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from labeling.imports.services import import_file
from labeling.models import Project
from tests.factories import ProjectFactory
from tests.training.conftest import DEMO_HH, reward_config
from tests.training.test_runs import create, train_now
from training.inputs import stage_examples
from training.models import ModelCheckpoint, RunStatus, TrainingRun

SUBSETS = ["helpful-base", "harmless-base"]


def test_labels_imported_per_subset_train_one_reward_model_on_both_criteria(db, tiny_reward_model, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    project = ProjectFactory(criteria=SUBSETS)
    with open(DEMO_HH, "rb") as f:
        rows = [json.loads(next(f)) for _ in range(40)]
    lines = [json.dumps(row | {"criterion": SUBSETS[i % 2]}).encode() for i, row in enumerate(rows)]
    assert import_file(project=project, lines=lines, format="hh-rlhf", with_labels=True).counts["judgments"] == 40
    run = create(project, base_model=tiny_reward_model, config=reward_config(criteria=SUBSETS))
    train, validation = stage_examples(run)
    examples = train + validation
    assert len(examples) == 40  # each pair once, under the subset its line named
    assert [sum(e["criterion"] == s for e in examples) for s in SUBSETS] == [20, 20]
    result = train_now(run)
    assert ModelCheckpoint.objects.get(pk=result["checkpoint"]).criteria == SUBSETS


SHARED_HH = Path(__file__).resolve().parents[3] / "shared" / "data" / "hh_rlhf_sample.jsonl"


def subset_lines(rows: list[dict], start: int, count: int, criterion: bool = True) -> list[str]:
    """``count`` rows of each subset from ``start`` on, each naming its subset as its criterion."""
    picked = [r for s in SUBSETS for r in [r for r in rows if r["source"] == s][start:start + count]]
    return [json.dumps(r | {"criterion": r["source"]} if criterion else r) + "\n" for r in picked]


def evaluate(*args) -> dict:
    out = io.StringIO()
    call_command("evaluate_reward", *args, "--format", "hh-rlhf", "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not SHARED_HH.exists(), reason="../shared/data is not beside this checkout")
def test_the_shared_sample_by_subset_imports_trains_per_criterion_and_scores_each_line_on_its_own(
    tiny_reward_model, tmp_path
):
    """Issue #18's acceptance, through the commands a user runs: the shared HH-RLHF sample with each
    line's subset as its criterion imports with labels, trains one per-criterion reward model in
    the app, and that model scores a file of other lines each on the criterion the line names."""
    rows = [json.loads(line) for line in SHARED_HH.open()]
    train, held = tmp_path / "train.jsonl", tmp_path / "held.jsonl"
    train.write_text("".join(subset_lines(rows, 0, 30)))
    held.write_text("".join(subset_lines(rows, 30, 12)))
    call_command("import_data", str(train), project="subsets", format="hh-rlhf", with_labels=True,
                 criteria=",".join(SUBSETS), no_progress=True, stdout=io.StringIO())
    project = Project.objects.get(slug="subsets")
    assert project.criteria == SUBSETS
    base = ModelCheckpoint.objects.create(project=project, name="tiny-reward", kind="reward", path=tiny_reward_model)
    config = {"criteria": SUBSETS, "max_steps": 4, "batch_size": 8, "max_length": 128, "max_prompt_length": 96}
    out = io.StringIO()
    call_command("train", project="subsets", stage="reward", base_checkpoint=base.pk, config=json.dumps(config),
                 inline=True, stdout=out)
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert out.getvalue().strip().splitlines()[-2].startswith(f"checkpoint {run.result['checkpoint']} (reward)")
    assert run.result["train_examples"] + run.result["validation_examples"] == 60  # each pair under its subset
    model = ModelCheckpoint.objects.get(pk=run.result["checkpoint"])
    assert model.criteria == SUBSETS

    both = evaluate("--checkpoint", str(model.pk), "--data", str(held), "--report")
    groups = both["report"]["groups"]["criterion"]
    assert {name: group["count"] for name, group in groups.items()} == {s: 12 for s in SUBSETS}
    for subset in SUBSETS:  # each line was scored on its own criterion: as if the file held that subset alone
        alone = tmp_path / f"{subset}.jsonl"
        alone.write_text("".join(subset_lines([r for r in rows if r["source"] == subset], 30, 12, criterion=False)))
        flagged = evaluate("--checkpoint", str(model.pk), "--data", str(alone), "--criterion", subset)
        assert flagged["count"] == 12 and groups[subset]["accuracy"] == pytest.approx(flagged["accuracy"])
    with pytest.raises(CommandError, match="line 1: 'criterion' must be one of helpful-base, harmless-base"):
        evaluate("--checkpoint", str(model.pk), "--data", str(tmp_path / "helpful-base.jsonl"))
