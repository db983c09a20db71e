"""A reward checkpoint's report (issue #18 item 3): written by the reward run that made it, equal
to what ``evaluate_reward --report --json`` prints for the same checkpoint and pairs, served to
the project's admins in a closed shape, and absent (null) where there is none."""

import io
import json
import shutil
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.security.test_response_shapes import assert_documented
from tests.training.conftest import reward_config
from tests.training.test_runs import create, train_now
from training.checkpoint_reports import report_path
from training.inputs import stage_examples
from training.ml import reward_report
from training.models import ModelCheckpoint, RunStatus, TrainingRun

pytestmark = pytest.mark.django_db

URL = "/api/checkpoints/{}/report/"


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def trained(labelled_project, tiny_reward_model, admin_user):
    """A reward run trained on CPU with a validation split, and the checkpoint it registered."""
    run = create(labelled_project, base_model=tiny_reward_model, config=reward_config(max_steps=4), user=admin_user)
    started = time.perf_counter()
    train_now(run)
    print(f"tiny reward run, report included: {time.perf_counter() - started:.2f} s")
    return run, ModelCheckpoint.objects.get(run=run)


def write_pairs(records, path) -> None:
    """The validation records as a trl file (string prompt messages, chosen, rejected, groups)."""
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            row = {k: record[k] for k in ("prompt", "chosen", "rejected", "criterion", "label_source") if k in record}
            f.write(json.dumps(row) + "\n")


def close_to(a, b, path="report"):
    """Equal structures, floats within 1e-5 (the run scored in memory, the command from disk)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            close_to(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close_to(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=1e-5), path
    else:
        assert a == b, path


def test_a_reward_run_writes_the_report_evaluate_reward_prints_for_its_validation_pairs(trained, tmp_path):
    run, checkpoint = trained
    saved = json.loads(report_path(checkpoint).read_text())
    val = stage_examples(run)[1]
    assert saved["split"] == "validation" and saved["overall"]["count"] == len(val) > 0
    assert saved["overall"]["accuracy"] == pytest.approx(checkpoint.metrics["val_accuracy"])
    assert sum(b["count"] for b in saved["calibration"]["bins"]) == len(val)
    pairs = tmp_path / "val.jsonl"
    write_pairs(val, pairs)
    out = io.StringIO()
    call_command("evaluate_reward", "--checkpoint", str(checkpoint.pk), "--data", str(pairs), "--format", "trl",
                 "--report", "--json", stdout=out)
    printed = json.loads(out.getvalue())["report"]
    close_to({k: v for k, v in saved.items() if k != "split"}, printed)


def test_evaluate_reward_save_writes_the_report_the_page_reads(project, admin_user, api, tiny_reward_model, tmp_path):
    checkpoint = ModelCheckpoint.objects.create(project=project, name="by hand", kind="reward", path=str(tmp_path / "m"))
    shutil.copytree(tiny_reward_model, tmp_path / "m")  # --save writes into it: not the shared tiny model
    assert api(admin_user).get(URL.format(checkpoint.pk)).json()["report"] is None
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"prompt": [{"role": "user", "content": f"q{i}"}], "chosen": "yes " * (i + 1), "rejected": "no", "source": "s"}
            for i in range(6)]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    call_command("evaluate_reward", "--checkpoint", str(checkpoint.pk), "--data", str(pairs), "--format", "trl",
                 "--save", stdout=io.StringIO())
    report = api(admin_user).get(URL.format(checkpoint.pk)).json()["report"]
    assert report["split"] == "pairs.jsonl" and report["overall"]["count"] == 6
    assert set(report["groups"]["source"]) == {"s"}


def test_the_report_has_exactly_its_documented_fields(openapi, trained, admin_user, api):
    _, checkpoint = trained
    response = api(admin_user).get(URL.format(checkpoint.pk))
    assert response.status_code == 200
    assert_documented(openapi, "get", "/api/checkpoints/{checkpoint_id}/report/", response)
    body = response.json()
    assert body["checkpoint"]["id"] == checkpoint.pk and body["report"]["calibration"]["bins"]
    assert body["judge_annotator"] is None and body["judge_run"] is None


def test_only_the_projects_admins_see_a_report(project, admin_user, annotator, outsider, api, tiny_reward_model):
    checkpoint = ModelCheckpoint.objects.create(project=project, name="r", kind="reward", path=tiny_reward_model)
    assert api(admin_user).get(URL.format(checkpoint.pk)).status_code == 200
    assert api(annotator).get(URL.format(checkpoint.pk)).status_code == 403
    assert api(outsider).get(URL.format(checkpoint.pk)).status_code == 404
    assert api(None).get(URL.format(checkpoint.pk)).status_code in (401, 403)
    assert api(admin_user).get(URL.format(checkpoint.pk + 1000)).status_code == 404


def test_no_report_yet_is_null_and_a_judge_run_names_the_judge(openapi, project, admin_user, api, tiny_reward_model):
    checkpoint = ModelCheckpoint.objects.create(project=project, name="r", kind="reward", path=tiny_reward_model)
    TrainingRun.objects.create(project=project, stage="judge", base_checkpoint=checkpoint, status=RunStatus.SUCCEEDED,
                               result={"judge": "r", "annotator": 41})
    response = api(admin_user).get(URL.format(checkpoint.pk))
    assert_documented(openapi, "get", "/api/checkpoints/{checkpoint_id}/report/", response)
    body = response.json()
    assert body["report"] is None
    assert body["judge_annotator"] == 41 and body["judge_run_status"] == "succeeded"


def test_a_revise_run_is_not_the_checkpoints_judge_run(project, admin_user, api, tiny_policy_model):
    """A causal LM that judged and then revised keeps its judge: the newer revise run stores no
    verdicts and names no annotator."""
    checkpoint = ModelCheckpoint.objects.create(project=project, name="lm", kind="policy", path=tiny_policy_model)
    judged = TrainingRun.objects.create(project=project, stage="judge", base_checkpoint=checkpoint, config={"which": "all"},
                                        status=RunStatus.SUCCEEDED, result={"judge": "lm", "annotator": 41},
                                        finished_at=timezone.now() - timedelta(minutes=5))
    TrainingRun.objects.create(project=project, stage="judge", base_checkpoint=checkpoint, config={"mode": "revise"},
                               status=RunStatus.SUCCEEDED, result={"mode": "revise", "snapshot": None},
                               finished_at=timezone.now())
    body = api(admin_user).get(URL.format(checkpoint.pk)).json()
    assert (body["judge_annotator"], body["judge_run"], body["judge_run_status"]) == (41, judged.pk, "succeeded")


def test_a_hub_id_checkpoint_reads_no_file_relative_to_the_working_directory(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org" / "model").mkdir(parents=True)
    (tmp_path / "org" / "model" / reward_report.REPORT_FILE).write_text("{}")
    checkpoint = ModelCheckpoint.objects.create(project=project, name="hub", kind="reward", path="org/model")
    assert report_path(checkpoint) is None
