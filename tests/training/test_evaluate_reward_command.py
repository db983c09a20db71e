"""`manage.py evaluate_reward`: a reward model scored on a preference file that never entered the app."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from training.models import ModelCheckpoint

LONG, SHORT = "Yes, gladly. Here it is.", "no"


@pytest.fixture(scope="module")
def per_criterion_model(tmp_path_factory):
    """A tiny reward model for which helpful prefers the long answer and harmless the short one."""
    from tests.training.ml.conftest import SMALL
    from training.ml.config import RewardConfig
    from training.ml.reward import train_reward
    from training.ml.tiny import build_tiny_reward_model

    pairs = []
    for i in range(6):
        prompt = [{"role": "user", "content": f"Can you help with task {i}?"}]
        pairs += [
            {"prompt": prompt, "chosen": LONG, "rejected": SHORT, "criterion": "helpful"},
            {"prompt": prompt, "chosen": SHORT, "rejected": LONG, "criterion": "harmless"},
        ]
    config = RewardConfig(max_steps=40, learning_rate=1e-3, batch_size=3, max_length=96, max_prompt_length=48,
                          criteria=["helpful", "harmless"])
    directory = tmp_path_factory.mktemp("evaluate")
    output_dir = directory / "rm"
    train_reward(config, build_tiny_reward_model(directory / "base", **SMALL), pairs, [], output_dir)
    return str(output_dir)


def hh_file(tmp_path, chosen=LONG, rejected=SHORT, extra=None):
    rows = [
        {"chosen": f"\n\nHuman: Can you help with task {i}?\n\nAssistant: {chosen}",
         "rejected": f"\n\nHuman: Can you help with task {i}?\n\nAssistant: {rejected}", **(extra or {})}
        for i in range(4)
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def evaluate(*args) -> dict:
    out = io.StringIO()
    call_command("evaluate_reward", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_scores_a_file_on_the_criterion_asked_for(tmp_path, per_criterion_model):
    data = str(hh_file(tmp_path))
    helpful = evaluate("--checkpoint", per_criterion_model, "--data", data, "--format", "hh-rlhf", "--criterion", "helpful")
    assert (helpful["accuracy"], helpful["count"]) == (1.0, 4)
    harmless = evaluate("--checkpoint", per_criterion_model, "--data", data, "--format", "hh-rlhf", "--criterion", "harmless")
    assert harmless["accuracy"] == 0.0 and harmless["mean_margin"] < 0


def test_a_rows_own_criterion_wins_over_the_flag(tmp_path, per_criterion_model):
    data = hh_file(tmp_path, chosen=SHORT, rejected=LONG, extra={"criterion": "harmless"})
    result = evaluate("--checkpoint", per_criterion_model, "--data", str(data), "--format", "hh-rlhf", "--criterion", "helpful")
    assert result["accuracy"] == 1.0


def test_errors_name_what_is_wrong(tmp_path, per_criterion_model):
    data = hh_file(tmp_path)
    with pytest.raises(CommandError, match="'criterion' must be one of helpful, harmless"):
        evaluate("--checkpoint", per_criterion_model, "--data", str(data), "--format", "hh-rlhf")
    with data.open("a") as f:
        f.write('{"chosen": "no transcript"}\n')
    with pytest.raises(CommandError, match="pairs.jsonl line 5"):
        evaluate("--checkpoint", per_criterion_model, "--data", str(data), "--format", "hh-rlhf", "--criterion", "helpful")
    with pytest.raises(CommandError, match=f"--data {tmp_path / 'missing.jsonl'}: no such file"):
        evaluate("--checkpoint", per_criterion_model, "--data", str(tmp_path / "missing.jsonl"), "--format", "hh-rlhf")
    with pytest.raises(CommandError, match="not a checkpoint id or a model directory"):
        evaluate("--checkpoint", str(tmp_path / "nowhere"), "--data", str(data), "--format", "hh-rlhf")


def test_a_line_without_a_criterion_is_named_by_its_line_with_the_way_out(tmp_path, per_criterion_model):
    """A per-criterion model needs each pair's criterion: the error names the file's line (not an
    index into the pairs kept) and says how to give one."""
    data = hh_file(tmp_path, extra={"criterion": "helpful"})
    rows = data.read_text().splitlines()
    same = json.dumps({"chosen": "\n\nHuman: hi\n\nAssistant: x", "rejected": "\n\nHuman: hi\n\nAssistant: x"})
    rows[2:2] = [same, json.dumps({k: v for k, v in json.loads(rows[2]).items() if k != "criterion"})]
    data.write_text("\n".join(rows) + "\n")  # line 3 is skipped (identical), line 4 names no criterion
    with pytest.raises(CommandError, match=r"pairs.jsonl line 4: 'criterion' must be one of helpful, harmless .*--criterion"):
        evaluate("--checkpoint", per_criterion_model, "--data", str(data), "--format", "hh-rlhf")
    assert evaluate("--checkpoint", per_criterion_model, "--data", str(data), "--format", "hh-rlhf",
                    "--criterion", "helpful")["skipped_lines"] == [3]
    unknown = hh_file(tmp_path, extra={"criterion": "honest"})
    with pytest.raises(CommandError, match="pairs.jsonl line 1: 'criterion' must be one of helpful, harmless .*got 'honest'"):
        evaluate("--checkpoint", per_criterion_model, "--data", str(unknown), "--format", "hh-rlhf")


@pytest.mark.django_db
def test_a_checkpoint_id_must_be_a_reward_model(tmp_path, project, tiny_policy_model):
    policy = ModelCheckpoint.objects.create(project=project, name="p", kind="policy", path=tiny_policy_model)
    with pytest.raises(CommandError, match=f"checkpoint {policy.pk} is a policy model, not a reward model"):
        evaluate("--checkpoint", str(policy.pk), "--data", str(hh_file(tmp_path)), "--format", "hh-rlhf")


def test_report_breaks_accuracy_down_by_group_and_measures_length_bias(tmp_path, per_criterion_model):
    helpful = [json.loads(line) for line in hh_file(tmp_path, extra={"criterion": "helpful", "source": "h"}).open()]
    harmless = [json.loads(line) for line in hh_file(tmp_path, SHORT, LONG, {"criterion": "harmless", "source": "r"}).open()]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in helpful + harmless))
    result = evaluate("--checkpoint", per_criterion_model, "--data", str(path), "--format", "hh-rlhf", "--report")
    report = result["report"]
    assert report["overall"]["count"] == 8 and report["overall"]["accuracy"] == result["accuracy"] == 1.0
    assert {name: g["accuracy"] for name, g in report["groups"]["criterion"].items()} == {"harmless": 1.0, "helpful": 1.0}
    assert set(report["groups"]["source"]) == {"h", "r"}
    low, high = report["overall"]["interval"]
    assert low < 1.0 == high  # 8 of 8 right is not certainty
    bias = report["length_bias"]
    assert bias["longer_chosen"]["count"] == bias["shorter_chosen"]["count"] == 4
    # right on both halves, so it follows the criterion, not length: it prefers the longer half the time
    assert bias["longer_chosen"]["accuracy"] == bias["shorter_chosen"]["accuracy"] == 1.0
    assert bias["prefers_longer"] == 0.5
    assert 0.0 <= report["calibration"]["ece"] <= 1.0
    assert sum(b["count"] for b in report["calibration"]["bins"]) == 8


def test_rewardbench_layout_scores_per_subset_and_section(per_criterion_model):
    from pathlib import Path

    data = Path(__file__).parents[1] / "data" / "rewardbench_layout.jsonl"
    result = evaluate("--checkpoint", per_criterion_model, "--data", str(data), "--format", "rewardbench",
                      "--criterion", "helpful")
    subsets = {name: g["accuracy"] for name, g in result["report"]["groups"]["subset"].items()}
    assert subsets == {"alpacaeval-easy": 1.0, "mt-bench-easy": 1.0, "refusals-dangerous": 0.0}
    sections = result["report"]["rewardbench_sections"]
    assert (sections["Chat"]["score"], sections["Safety"]["score"]) == (1.0, 0.0)
    assert "Reasoning" not in sections
