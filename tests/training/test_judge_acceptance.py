"""Issue #18's acceptance: a reward model trained on HH-RLHF pairs judges a project holding other
HH-RLHF pairs with their human labels imported, and the stats' judge entry agrees with the humans
exactly as often as evaluate_reward finds the model accurate on the same pairs; the judge's
labels count toward neither overlap nor the humans' own agreement."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from labeling.models import Comparison, Judge, Judgment, Lease
from training.ml.config import RewardConfig
from training.ml.data import preference_from_hh
from training.ml.evaluate import evaluate_reward
from training.ml.reward import train_reward
from training.models import ModelCheckpoint, RunStatus, TrainingRun

ROOT = Path(__file__).resolve().parents[2]
JUDGED = ROOT / "tests" / "data" / "hh_rlhf_50.jsonl"  # the shared sample's first 50 pairs
TRAINING = ROOT / "demo" / "hh_rlhf_300.jsonl"  # its first 300: the other 250 train the judge

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def pairs(path: Path, skip: int = 0) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()[skip:]]
    return [preference_from_hh(row["chosen"], row["rejected"]) for row in rows]


@pytest.fixture(scope="module")
def hh_reward_model(tmp_path_factory, tiny_reward_model) -> Path:
    judged = {(p["chosen"], p["rejected"]) for p in pairs(JUDGED)}
    train = [p for p in pairs(TRAINING, skip=50) if (p["chosen"], p["rejected"]) not in judged]
    config = RewardConfig(learning_rate=1e-3, batch_size=8, max_steps=12, max_length=192, max_prompt_length=128)
    out = tmp_path_factory.mktemp("judge") / "hh-rm"
    assert train_reward(config, tiny_reward_model, train, [], out)["status"] == "succeeded"
    return out


def stats_json(project) -> dict:
    out = io.StringIO()
    call_command("project_stats", "--project", project.slug, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_a_reward_model_judges_agreement_with_humans_is_its_accuracy(project, hh_reward_model):
    call_command("import_data", str(JUDGED), project=project.slug, format="hh-rlhf", with_labels=True, no_progress=True)
    seats = list(Comparison.objects.filter(project=project).order_by("id").values_list("holders", "judgment_count", "is_open"))
    humans_before = stats_json(project)
    checkpoint = ModelCheckpoint.objects.create(project=project, name="hh-rm", kind="reward", path=str(hh_reward_model))
    call_command("train", project=project.slug, stage="judge", base_checkpoint=checkpoint.pk,
                 config=json.dumps({"which": "all"}), inline=True, stdout=io.StringIO())
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED, run.error

    held = [p for p in pairs(JUDGED) if p["chosen"] != p["rejected"]]  # the import skips a pair of equal texts
    assert len(held) == Comparison.objects.filter(project=project).count() == 49
    accuracy = evaluate_reward(hh_reward_model, held)
    stats = stats_json(project)
    [entry] = stats["judges"]
    agreement = entry["agreement_with_humans"]
    assert entry["name"] == "hh-rm" and entry["count"] == accuracy["count"] == 49
    assert agreement["n"] == 49  # one imported human label per pair: each is the majority
    low, high = agreement["raw_ci"]
    assert low <= accuracy["accuracy"] <= high
    assert agreement["raw"] == pytest.approx(accuracy["accuracy"])
    print(f"judge agreement {agreement['raw']:.3f} ({low:.3f}-{high:.3f}); evaluate_reward {accuracy}")

    # The judge's labels counted nowhere they must not: seats, leases, the humans' figures.
    after = list(Comparison.objects.filter(project=project).order_by("id").values_list("holders", "judgment_count", "is_open"))
    assert after == seats and not Lease.objects.exists()
    judge = Judge.objects.get(project=project)
    assert Judgment.objects.filter(annotator=judge.user).count() == 49
    assert stats["agreement"] == humans_before["agreement"]
    assert stats["counts"]["judgments"] == humans_before["counts"]["judgments"]
