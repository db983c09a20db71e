"""Exports and snapshots with judges (issue #18) and rejected judgments (issue #19): people's
judgments by default, judges' or both with ``labels``, each row then saying its ``label_source``;
a judgment rejected in review is never exported."""

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from labeling.exports.options import ExportError, ExportFilters, ExportOptions, SnapshotOptions
from labeling.exports.services import export_rows, export_stream
from labeling.exports.snapshots import snapshot_options, snapshot_records
from tests.factories import UserFactory, make_comparison
from tests.labeling.exports.builders import snapshot_of
from tests.labeling.stats.judge_builders import make_judge, rejected, verdict

EXPORT_URL = "/api/projects/{}/export/"
FILE_FORMATS = [("trl", "jsonl"), ("hh-rlhf", "jsonl"), ("kto", "jsonl"), ("raw", "jsonl"), ("raw", "csv"),
                ("trl", "parquet"), ("raw", "parquet")]


def export(project, fmt="trl", **options) -> list[dict]:
    return [row for _, row in export_rows(project=project, options=ExportOptions(fmt, **options), filters=ExportFilters())]


def file_bytes(project, fmt, file_type, **options) -> bytes:
    options = ExportOptions(fmt, **options)
    return b"".join(export_stream(project=project, options=options, filters=ExportFilters(), file_type=file_type))


@pytest.fixture
def people_only(project, annotator, second_annotator):
    """A clear win for A by two people, and one person's win for B."""
    clear = make_comparison(project, texts=["clear A", "clear B"])
    verdict(clear, annotator, "a", strength=2)
    verdict(clear, second_annotator, "a", strength=3)
    lone = make_comparison(project, texts=["lone A", "lone B"])
    verdict(lone, annotator, "b", strength=1)
    return clear, lone


@pytest.fixture
def with_judge(project, people_only):
    """``people_only`` plus a judge on both comparisons and a third, and a rejected judgment."""
    clear, lone = people_only
    judge = make_judge(project, "rm-9")
    verdict(clear, judge.user, "a", strength=1)
    verdict(lone, judge.user, "a", strength=1)
    only_judged = make_comparison(project, texts=["judge A", "judge B"])
    verdict(only_judged, judge.user, "b", strength=1)
    return clear, lone, only_judged


@pytest.mark.parametrize(("fmt", "file_type"), FILE_FORMATS)
def test_the_default_export_is_byte_identical_with_judges_and_rejected_judgments_added(project, people_only, fmt, file_type):
    before = file_bytes(project, fmt, file_type)
    judge = make_judge(project)
    for comparison in people_only:
        verdict(comparison, judge.user, "b", strength=3)
        rejected(comparison, UserFactory(), "b", strength=3)
    assert file_bytes(project, fmt, file_type) == before


def test_model_labels_export_the_judges_judgments_only(project, with_judge):
    rows = export(project, labels="model", aggregation="none")
    assert [(r["chosen"], r["label_source"]) for r in rows] == [
        ("clear A", "model"), ("lone A", "model"), ("judge B", "model")]


def test_all_labels_mark_each_preference_human_model_or_mixed(project, with_judge):
    rows = export(project, labels="all")
    # clear: two people and the judge for A; lone: a person for B, the judge for A (a split, dropped)
    assert [(r["chosen"], r["label_source"]) for r in rows] == [("clear A", "mixed"), ("judge B", "model")]
    unaggregated = export(project, labels="all", aggregation="none")
    assert [r["label_source"] for r in unaggregated] == ["human", "human", "model", "human", "model", "model"]


def test_human_labels_leave_the_judges_out_and_add_no_column(project, with_judge):
    rows = export(project)
    assert [r["chosen"] for r in rows] == ["clear A", "lone B"]
    assert all("label_source" not in r for r in rows)


def test_every_format_carries_the_source_when_labels_are_not_human(project, with_judge, annotator):
    for fmt in ("trl", "hh-rlhf", "kto", "raw"):
        assert all(r["label_source"] in ("human", "model", "mixed") for r in export(project, fmt, labels="all")), fmt
    raw = list(csv.DictReader(io.StringIO(file_bytes(project, "raw", "csv", labels="all").decode())))
    assert [r["label_source"] for r in raw] == ["human", "human", "model", "human", "model", "model"]
    table = pq.read_table(io.BytesIO(file_bytes(project, "trl", "parquet", labels="model")))
    assert table.column("label_source").to_pylist() == ["model", "model", "model"]


def test_rejected_judgments_are_never_exported(project, people_only, annotator):
    clear, lone = people_only
    for _ in range(3):  # three rejected verdicts for B would otherwise outvote the two for A
        rejected(clear, UserFactory(), "b")
    assert [r["chosen"] for r in export(project, labels="all")] == ["clear A", "lone B"]
    raw = export(project, "raw", labels="all")
    assert len(raw) == 3 and {r["label_source"] for r in raw} == {"human"}
    snapshot = snapshot_of(project=project, format="trl", aggregation="mean-strength", validation_fraction=0)
    assert [r["chosen"] for r in snapshot_records(snapshot)] == ["clear A", "lone B"]


def test_dawid_skene_reads_the_same_labels_and_marks_the_source(project, with_judge):
    rows = export(project, labels="model", aggregation="dawid-skene")
    # one annotator alone: its reliability, and so the verdicts, are the fit's to say
    assert len(rows) == 3 and {r["label_source"] for r in rows} == {"model"}
    assert all("label_source" not in r for r in export(project, aggregation="dawid-skene"))


def test_unknown_labels_are_refused():
    with pytest.raises(ExportError, match="labels"):
        ExportOptions("trl", labels="robots")


def test_snapshots_store_labels_and_their_records_keep_the_source(project, with_judge):
    default = SnapshotOptions.from_json({"format": "trl"})
    assert "labels" not in default.stored()["options"]  # snapshots made before keep their stored options
    snapshot = snapshot_of(project=project, format="trl", labels="all", validation_fraction=0)
    assert snapshot.options["labels"] == "all" and snapshot_options(snapshot).export.labels == "all"
    records = snapshot_records(snapshot)
    assert sorted(r["label_source"] for r in records) == ["mixed", "model"]
    human = snapshot_of(project=project, format="trl", validation_fraction=0)
    assert [r["chosen"] for r in snapshot_records(human)] == ["clear A", "lone B"]


def test_api_and_command_take_labels(api, admin_user, project, with_judge, tmp_path):
    url = EXPORT_URL.format(project.pk)
    response = api(admin_user).get(url, {"format": "trl", "labels": "model"})
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [r["label_source"] for r in rows] == ["model", "model", "model"]
    assert api(admin_user).get(url, {"format": "trl", "labels": "robots"}).status_code == 400
    created = api(admin_user).post(f"/api/projects/{project.pk}/snapshots/", {"format": "trl", "labels": "all"},
                                   format="json")
    assert created.status_code == 202 and created.json()["options"]["labels"] == "all"
    out = tmp_path / "model.jsonl"
    call_command("export_data", "--project", project.slug, "--format", "raw", "--labels", "model", "--out", str(out))
    assert [json.loads(line)["label_source"] for line in out.read_text().splitlines()] == ["model"] * 3
