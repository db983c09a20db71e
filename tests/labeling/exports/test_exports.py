"""Exports from the database: formats, filters, the API, the round trip, snapshots, the command."""

import csv
import hashlib
import io
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.db.models import F
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from annotation_site.celery import app as celery_app
from labeling import tasks
from labeling.errors import Conflict, InvalidInput
from labeling.exports import services as export_service
from labeling.exports import snapshots as snapshot_service
from labeling.exports.options import ExportError, ExportFilters, ExportOptions
from labeling.exports.services import export_rows, export_to_file
from labeling.exports.snapshots import (
    snapshot_file,
    snapshot_records,
    snapshot_rows,
    snapshot_verify,
)
from labeling.imports.formats import parse_hh_rlhf
from labeling.imports.services import import_file
from labeling.models import DatasetSnapshot, Demonstration, Flag, Judgment
from labeling.stats.services import project_stats_compute
from tests.factories import (
    ProjectFactory,
    UserFactory,
    make_comparison,
    make_prompt,
    new_client_key,
)
from tests.labeling.exports.builders import snapshot_of
from tests.workers import celery_worker, wait_for

HH_50 = Path(__file__).resolve().parents[2] / "data" / "hh_rlhf_50.jsonl"
EXPORT_URL = "/api/projects/{}/export/"


def judge(comparison, user, winner="a", strength=None, ranking=None, created_at=None, **fields) -> Judgment:
    judgment = Judgment.objects.create(
        project=comparison.project, comparison=comparison, annotator=user, winner="" if ranking else winner,
        strength=strength, ranking=ranking, client_key=new_client_key(), **fields,
    )
    if created_at:
        Judgment.objects.filter(pk=judgment.pk).update(created_at=created_at)
    return judgment


def texts(comparison) -> list[str]:
    return [position.response.text for position in comparison.positions.select_related("response")]


def export(project, fmt="trl", filters=None, **options) -> list[dict]:
    rows = export_rows(project=project, options=ExportOptions(fmt, **options), filters=filters or ExportFilters())
    return [row for _, row in rows]


def pairs(project, **filters) -> list[tuple[str, str]]:
    return [(r["chosen"], r["rejected"]) for r in export(project, filters=ExportFilters(**filters))]


def body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)  # never the whole file in memory
    return b"".join(response.streaming_content)


def jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines()]




@pytest.fixture
def voters(annotator, second_annotator):
    return annotator, second_annotator, UserFactory(username="cy-annotator")


@pytest.fixture
def labelled(project, voters):
    """Three comparisons: a clear win for A, a 1-1 split, and a gold item won by B."""
    ann, bob, _ = voters
    clear = make_comparison(project, texts=["clear A", "clear B"])
    judge(clear, ann, "a", 2)
    judge(clear, bob, "a", 3)
    split = make_comparison(project, texts=["split A", "split B"])
    judge(split, ann, "a")
    judge(split, bob, "b")
    gold = make_comparison(project, texts=["gold A", "gold B"], is_gold=True)
    judge(gold, ann, "b")
    return clear, split, gold


# --- formats ----------------------------------------------------------------------------------------


def test_trl_majority_exports_clear_wins_and_drops_split_verdicts(labelled):
    assert pairs(labelled[0].project) == [("clear A", "clear B"), ("gold B", "gold A")]


def test_every_judgment_as_its_own_row(labelled):
    rows = export(labelled[0].project, aggregation="none")
    assert [(r["chosen"], r["rejected"]) for r in rows] == [
        ("clear A", "clear B"), ("clear A", "clear B"), ("split A", "split B"), ("split B", "split A"), ("gold B", "gold A"),
    ]


def test_hh_rlhf_rows_parse_back_to_the_stored_conversation(project, annotator):
    c = make_comparison(project, texts=["Yes.", "No."], prompt=make_prompt(project, "Is water wet?"))
    judge(c, annotator, "b")
    [row] = export(project, "hh-rlhf")
    assert row["chosen"] == "\n\nHuman: Is water wet?\n\nAssistant: No."
    record = parse_hh_rlhf(row, with_labels=True)
    assert [t for t, _ in record.responses] == ["No.", "Yes."]


def test_kto_gives_one_desirable_and_one_undesirable_row_per_pair(labelled):
    rows = export(labelled[0].project, "kto", conversational=True)
    assert [(r["completion"][0]["content"], r["label"]) for r in rows] == [
        ("clear A", True), ("clear B", False), ("gold A", False), ("gold B", True),
    ]


def test_sft_has_demonstrations_and_optionally_winners(project, annotator, labelled):
    prompt = make_prompt(project, "Write a haiku.")
    Demonstration.objects.create(project=project, prompt=prompt, annotator=annotator, text="Old pond...", client_key="d1")
    assert export(project, "sft") == [
        {"messages": [{"role": "user", "content": "Write a haiku."}, {"role": "assistant", "content": "Old pond..."}]}
    ]
    with_winners = export(project, "sft", include_winners=True)
    assert [r["messages"][-1]["content"] for r in with_winners] == ["Old pond...", "clear A", "gold B"]
    Demonstration.objects.filter(client_key="d1").update(replaced_by=F("pk"))  # as demonstration_create replaces
    edited = Demonstration.objects.create(project=project, prompt=prompt, annotator=annotator, text="An old pond...", client_key="d2")
    Demonstration.objects.filter(client_key="d1").update(replaced_by=edited)
    assert [r["messages"][-1]["content"] for r in export(project, "sft")] == ["An old pond..."]  # the draft is not data


def test_raw_has_one_pseudonymous_row_per_judgment_with_details(project, annotator, labelled):
    Judgment.objects.filter(comparison=labelled[0], annotator=annotator).update(
        rationale="A is right", time_spent_ms=3100, criteria={"harmless": {"winner": "tie"}}
    )
    Flag.objects.create(project=project, comparison=labelled[0], annotator=annotator, reason="unsafe")
    rows = export(project, "raw")
    assert len(rows) == Judgment.objects.count() == 5
    first = rows[0]
    assert first["strength_label"] == "better" and first["scale_size"] == 3
    assert (first["rationale"], first["time_spent_ms"], first["flags"]) == ("A is right", 3100, ["unsafe"])
    assert json.loads(first["criteria"]) == {"harmless": {"winner": "tie"}}
    assert rows[1]["flags"] == []
    text = json.dumps(rows)
    assert annotator.username not in text and f'"annotator": {annotator.pk}' not in text
    assert len({r["annotator"] for r in rows}) == 2


def test_ranking_project_gives_all_pairs_or_best_versus_rest(voters):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3)
    c = make_comparison(project, models_=("m1", "m2", "m3"), texts=["one", "two", "three"])
    judge(c, voters[0], ranking=["b", "a", "c"])
    assert pairs(project) == [("two", "one"), ("one", "three"), ("two", "three")]
    best = export(project, pairs="best-vs-rest")
    assert [(r["chosen"], r["rejected"]) for r in best] == [("two", "one"), ("two", "three")]


# --- filters ----------------------------------------------------------------------------------------


def test_exclude_ties_drops_tie_judgments_before_aggregation(project, voters):
    c = make_comparison(project, texts=["A", "B"])
    judge(c, voters[0], "tie")
    judge(c, voters[1], "tie")
    judge(c, voters[2], "a")
    assert pairs(project) == []
    assert pairs(project, exclude_ties=True) == [("A", "B")]


def test_exclude_gold(labelled):
    assert ("gold B", "gold A") not in pairs(labelled[0].project, exclude_gold=True)


def test_exclude_flagged_drops_comparisons_anyone_flagged_resolved_or_not(labelled, annotator):
    project = labelled[0].project
    everything = pairs(project)
    Flag.objects.create(project=project, comparison=labelled[0], annotator=annotator, reason="unsafe", resolved=True)
    assert pairs(project, exclude_flagged=True) == [p for p in everything if p != ("clear A", "clear B")]
    assert pairs(project) == everything  # off by default: a flag is a report, not a verdict


def test_min_judgments_counts_what_is_left_after_row_filters(labelled, annotator):
    project = labelled[0].project
    assert pairs(project, min_judgments=2) == [("clear A", "clear B")]
    assert pairs(project, min_judgments=2, exclude_annotators=(annotator.pk,)) == []


def test_min_agreement(project, voters):
    c = make_comparison(project, texts=["A", "B"])
    for user, winner in zip(voters, "aab", strict=True):
        judge(c, user, winner)
    assert pairs(project, min_agreement=0.6) == [("A", "B")]
    assert pairs(project, min_agreement=0.7) == []


def test_exclude_annotators_flagged_by_the_stats(labelled, second_annotator):
    # Without bob the split becomes a clear win for A.
    assert ("split A", "split B") in pairs(labelled[0].project, exclude_annotators=(second_annotator.pk,))


def test_date_range_is_inclusive_then_exclusive(project, annotator):
    for day in (1, 2, 3):
        c = make_comparison(project, texts=[f"day {day} A", f"day {day} B"])
        judge(c, annotator, "a", created_at=datetime(2024, 3, day, tzinfo=UTC))
    window = pairs(project, created_after=datetime(2024, 3, 2, tzinfo=UTC), created_before=datetime(2024, 3, 3, tzinfo=UTC))
    assert window == [("day 2 A", "day 2 B")]


def test_models_keeps_comparisons_among_the_named_models(project, annotator):
    judge(make_comparison(project, models_=("gpt", "llama"), texts=["g", "l"]), annotator, "a")
    judge(make_comparison(project, models_=("gpt", "mistral"), texts=["g2", "m"]), annotator, "a")
    assert pairs(project, models=("gpt", "llama")) == [("g", "l")]


def test_two_models_with_the_same_text_are_each_credited_in_exports_and_ratings(project, annotator):
    """m1 and m2 answer "Yes." to one prompt, m3 "No."; "Yes." wins both comparisons."""
    line = {"prompt": "Is water wet?", "responses": [
        {"text": "Yes.", "model": "m1"}, {"text": "Yes.", "model": "m2"}, {"text": "No.", "model": "m3"}]}
    import_file(project=project, lines=[json.dumps(line).encode()], format="candidates")
    for comparison in project.comparisons.all():
        judge(comparison, annotator, "a" if texts(comparison)[0] == "Yes." else "b", 2)
    rows = export(project)
    assert sorted((r["chosen_model"], r["rejected_model"]) for r in rows) == [("m1", "m3"), ("m2", "m3")]
    ratings = project_stats_compute(project)["ratings"]
    for table in (ratings["bradley_terry"], ratings["elo"]):
        n = {row["model"]: row["n"] for row in table}
        assert n == {"m1": 1, "m2": 1, "m3": 2}
    # m3 never won: the two that beat it have no finite rating above it (leaderboard.py), and rank first
    bt = {row["model"]: (row["unrated"], row["rank"]) for row in ratings["bradley_terry"]}
    assert bt == {"m1": ("above", 1), "m2": ("above", 1), "m3": (None, 3)}
    elo = {row["model"]: row["rating"] for row in ratings["elo"]}
    assert elo["m3"] < min(elo["m1"], elo["m2"])


def test_judgments_are_read_in_batches_with_constant_queries(project, annotator, monkeypatch):
    monkeypatch.setattr(export_service, "BATCH_COMPARISONS", 2)
    for _ in range(6):
        judge(make_comparison(project), annotator, "a")
    with CaptureQueriesContext(connection) as queries:
        assert len(export(project)) == 6
    # whether any prompt is multi-turn (the file's representation), the judgment stream, then
    # prompts and responses per batch
    assert len(queries) == 1 + 1 + 3 * 2


def test_batches_are_bounded_in_count_and_id_span(monkeypatch):
    monkeypatch.setattr(export_service, "BATCH_COMPARISONS", 2)
    groups = [(cid, []) for cid in (1, 2, 3, 5, 100, 101)]
    batches = [[cid for cid, _ in batch] for batch in export_service._batches(iter(groups))]
    assert batches == [[1, 2], [3, 5], [100, 101]]
    assert [[c for c, _ in b] for b in export_service._batches(iter([(1, []), (9, [])]))] == [[1], [9]]


# --- API ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["trl", "hh-rlhf", "kto", "sft", "raw"])
def test_admin_gets_each_format_streamed(api, admin_user, labelled, fmt):
    response = api(admin_user).get(EXPORT_URL.format(labelled[0].project_id), {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert f"-{fmt}.jsonl" in response["Content-Disposition"]
    rows = jsonl(body(response))
    assert rows == export(labelled[0].project, fmt)


def test_api_filters_and_options_come_from_the_query_string(api, admin_user, labelled, annotator, second_annotator):
    url = EXPORT_URL.format(labelled[0].project_id)
    query = f"?format=trl&conversational=true&exclude_annotators={annotator.pk}&exclude_annotators={second_annotator.pk}"
    assert jsonl(body(api(admin_user).get(url + query))) == []
    rows = jsonl(body(api(admin_user).get(url + "?format=trl&conversational=true&min_judgments=2")))
    assert [r["chosen"] for r in rows] == [[{"role": "assistant", "content": "clear A"}]]


def test_annotator_is_forbidden_and_outsider_sees_no_project(api, annotator, outsider, labelled):
    url = EXPORT_URL.format(labelled[0].project_id)
    assert api(annotator).get(url, {"format": "trl"}).status_code == 403
    assert api(outsider).get(url, {"format": "trl"}).status_code == 404
    assert api(None).get(url, {"format": "trl"}).status_code in (401, 403)


def test_bad_options_are_a_400_before_streaming(api, admin_user, labelled):
    url = EXPORT_URL.format(labelled[0].project_id)
    response = api(admin_user).get(url, {"format": "trl", "file": "csv"})
    assert response.status_code == 400
    assert "raw" in response.json()["detail"]
    assert api(admin_user).get(url, {"format": "xml"}).status_code == 400
    assert api(admin_user).get(url, {"format": "raw", "comparison__annotator__password": "x"}).status_code == 200


def test_a_misspelt_filter_is_a_400_naming_it_not_dropped(api, admin_user, labelled):
    """A snapshot with filters {"bogus": 1} was written without them, as if unfiltered."""
    project_id = labelled[0].project_id
    response = api(admin_user).post(f"/api/projects/{project_id}/snapshots/",
                                    {"format": "trl", "filters": {"exclude_gold": True, "min_agreemnt": 0.8}}, format="json")
    assert response.status_code == 400
    assert "min_agreemnt" in str(response.json()) and "unknown field" in str(response.json())
    assert not DatasetSnapshot.objects.exists()


def test_a_misspelt_snapshot_option_is_a_400_naming_it_not_dropped(api, admin_user, labelled):
    """{"validation_fration": 0.3} was dropped: the snapshot was split at the default 0.1."""
    project_id = labelled[0].project_id
    response = api(admin_user).post(f"/api/projects/{project_id}/snapshots/",
                                    {"format": "trl", "validation_fration": 0.3}, format="json")
    assert response.status_code == 400 and "validation_fration" in str(response.json())
    assert not DatasetSnapshot.objects.exists()


def test_a_failing_query_fails_before_the_response_starts(project, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("connection lost")
        yield

    monkeypatch.setattr(export_service, "judged_comparisons", broken)
    with pytest.raises(DatabaseError):  # raised by export_stream itself, not mid-stream after a 200
        export_service.export_stream(project=project, options=ExportOptions("trl"), filters=ExportFilters(), file_type="jsonl")


def test_raw_csv_guards_against_formula_injection(api, admin_user, annotator, labelled):
    Judgment.objects.filter(annotator=annotator).update(rationale='=HYPERLINK("http://evil.example","click")')
    response = api(admin_user).get(EXPORT_URL.format(labelled[0].project_id), {"format": "raw", "file": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response).decode())))
    rationales = {r["rationale"] for r in rows}
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in rationales
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_parquet_is_streamed_too(api, admin_user, labelled):
    import pyarrow.parquet as pq

    response = api(admin_user).get(EXPORT_URL.format(labelled[0].project_id), {"format": "trl", "file": "parquet"})
    assert pq.read_table(io.BytesIO(body(response))).to_pylist() == export(labelled[0].project)


# --- Hugging Face datasets ---------------------------------------------------------------------------


@pytest.fixture
def hf_load(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from datasets import load_dataset

    def load(path: Path, file_type: str):
        builder = "json" if file_type == "jsonl" else "parquet"
        return load_dataset(builder, data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))

    return load


@pytest.mark.parametrize("file_type", ["jsonl", "parquet"])
@pytest.mark.parametrize(
    ("fmt", "options"),
    [("trl", {}), ("trl", {"conversational": True}), ("trl", {"aggregation": "mean-strength"}), ("hh-rlhf", {}),
     ("kto", {}), ("sft", {"include_winners": True}), ("raw", {})],
)
def test_datasets_loads_every_format(hf_load, tmp_path, project, annotator, labelled, fmt, options, file_type):
    Demonstration.objects.create(project=project, prompt=make_prompt(project), annotator=annotator, text="Demo.", client_key="d")
    path = tmp_path / f"out.{file_type}"
    result = export_to_file(project=project, options=ExportOptions(fmt, **options), filters=ExportFilters(), file_type=file_type, path=path)
    dataset = hf_load(path, file_type)
    assert dataset.num_rows == result.stats.rows > 0
    assert dataset[0] == export(project, fmt, **options)[0]


# --- round trip -------------------------------------------------------------------------------------


def round_trip(project, **options) -> tuple[list[dict], list[dict]]:
    """Export ``trl``, import it with labels into a new project, export that."""
    first = export(project, "trl", **options)
    lines = [json.dumps(row).encode() + b"\n" for row in first]
    copy = ProjectFactory()
    import_file(project=copy, lines=lines, format="trl", with_labels=True)
    return first, export(copy, "trl", **options)


@pytest.mark.parametrize("conversational", [False, True])
def test_trl_round_trip_gives_the_same_rows(labelled, conversational):
    first, again = round_trip(labelled[0].project, conversational=conversational)
    assert len(first) == 2
    assert again == first


@pytest.mark.parametrize("conversational", [None, True])  # None: message lists, as HH-RLHF is multi-turn
def test_real_hh_rlhf_data_round_trips_through_trl(project, conversational):
    with open(HH_50, "rb") as f:
        result = import_file(project=project, lines=f, format="hh-rlhf", with_labels=True)
    assert result.counts["judgments"] == 49  # one line has chosen equal to rejected
    first, again = round_trip(project, conversational=conversational)
    assert len(first) == 49
    assert again == first


def test_real_hh_rlhf_export_gives_back_the_source_transcripts(project):
    with open(HH_50, "rb") as f:
        source = [json.loads(line) for line in f]
    import_file(project=project, lines=[json.dumps(row) for row in source], format="hh-rlhf", with_labels=True)
    exported = export(project, "hh-rlhf")
    assert len(exported) == 49
    kept = [row for row in source if row["chosen"] != row["rejected"]]
    assert [(r["chosen"], r["rejected"]) for r in exported] == [(r["chosen"], r["rejected"]) for r in kept]


# --- snapshots --------------------------------------------------------------------------------------


@pytest.fixture
def artifacts(settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    return settings.ARTIFACT_DIR


@pytest.fixture
def many(project, voters):
    """40 prompts, each with two comparisons judged by two annotators."""
    for i in range(40):
        prompt = make_prompt(project, f"Prompt {i}")
        for j in range(2):
            c = make_comparison(project, prompt=prompt, texts=[f"{i}.{j} good", f"{i}.{j} bad"])
            judge(c, voters[0], "a")
            judge(c, voters[1], "a")
    return project


def prompts_of(rows) -> set[str]:
    return {row["prompt"] for row in rows}


def test_snapshot_records_sha256_of_its_content_and_row_counts(artifacts, many, admin_user):
    snapshot = snapshot_of(
        project=many, format="trl", aggregation="majority", filters={"min_judgments": 2}, split_seed=1,
        validation_fraction=0.25, user=admin_user,
    )
    directory = artifacts / snapshot.path
    content = (directory / "train.jsonl").read_bytes() + (directory / "validation.jsonl").read_bytes()
    assert snapshot.sha256 == hashlib.sha256(content).hexdigest()
    assert snapshot.row_counts["train"] + snapshot.row_counts["validation"] == 80
    assert snapshot.row_counts["validation"] > 0
    assert snapshot.status == "ready" and snapshot.finished_at is not None
    assert snapshot.filters == {"min_judgments": 2}
    assert snapshot.options == {"pairs": "all", "conversational": False, "include_winners": False, "file": "jsonl"}
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["sha256"] == snapshot.sha256 and manifest["row_counts"] == snapshot.row_counts
    assert snapshot_verify(snapshot)


def test_an_empty_split_has_no_file_and_the_snapshot_loads_with_datasets(artifacts, many, hf_load):
    """validation_fraction 0 wrote a 0-byte validation.jsonl, and ``datasets.load_dataset`` given both
    files refused ("corresponds to no data"). The manifest's files are the ones to load."""
    snapshot = snapshot_of(project=many, format="trl", aggregation="majority", filters={}, split_seed=1, validation_fraction=0, user=None)
    directory = artifacts / snapshot.path
    manifest = json.loads((directory / "manifest.json").read_text())
    assert sorted(p.name for p in directory.iterdir()) == ["manifest.json", "train.jsonl"]
    assert list(manifest["files"]) == ["train.jsonl"] and snapshot.row_counts == {"train": 80, "validation": 0}
    assert snapshot.sha256 == hashlib.sha256((directory / "train.jsonl").read_bytes()).hexdigest()  # as with an empty file
    assert snapshot_verify(snapshot)
    assert list(snapshot_rows(snapshot, "validation")) == [] and snapshot_records(snapshot, "validation") == []
    assert len(hf_load(directory / "train.jsonl", "jsonl")) == 80
    (directory / "train.jsonl").chmod(0o644)
    (directory / "train.jsonl").unlink()  # a file with rows counted that is gone is an error, not an empty split
    assert not snapshot_verify(snapshot)
    with pytest.raises(FileNotFoundError):
        snapshot_records(snapshot, "train")


def test_snapshot_split_keeps_each_prompt_on_one_side(artifacts, many):
    snapshot = snapshot_of(project=many, format="trl", aggregation="majority", filters={}, split_seed=3, validation_fraction=0.3, user=None)
    train, validation = list(snapshot_rows(snapshot, "train")), list(snapshot_rows(snapshot, "validation"))
    assert len(train) == snapshot.row_counts["train"] and len(validation) == snapshot.row_counts["validation"]
    assert prompts_of(train).isdisjoint(prompts_of(validation))
    assert len(prompts_of(train) | prompts_of(validation)) == 40


def test_same_seed_gives_the_same_split_and_another_seed_another(artifacts, many):
    def make(seed):
        return snapshot_of(project=many, format="trl", aggregation="majority", filters={}, split_seed=seed, validation_fraction=0.3, user=None)

    first, second, other = make(7), make(7), make(8)
    assert second == first  # the same rows again: the snapshot is reused (test_snapshot_reuse.py)
    assert prompts_of(snapshot_rows(other, "validation")) != prompts_of(snapshot_rows(first, "validation"))


def test_snapshot_files_are_read_only_and_tampering_is_detected(artifacts, many):
    snapshot = snapshot_of(project=many, format="trl", aggregation="majority", filters={}, split_seed=0, validation_fraction=0.1, user=None)
    path = snapshot_file(snapshot, "train")
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    path.chmod(0o644)
    path.write_text("{}\n")
    assert not snapshot_verify(snapshot)
    assert not list((artifacts / "snapshots").glob(".tmp-*"))


def test_parquet_snapshot_reads_back(artifacts, many):
    snapshot = snapshot_of(
        project=many, format="trl", aggregation="majority", filters={}, split_seed=0, validation_fraction=0.2,
        user=None, conversational=True, file="parquet",
    )
    rows = list(snapshot_rows(snapshot, "train")) + list(snapshot_rows(snapshot, "validation"))
    assert len(rows) == 80 and rows[0]["chosen"][0]["role"] == "assistant"


def test_failed_snapshot_leaves_no_files_and_says_why(artifacts, many, monkeypatch):
    def disk_full(**kwargs):
        yield from export_rows(**kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot_service, "export_rows", disk_full)
    with pytest.raises(OSError):
        snapshot_of(project=many, format="trl", aggregation="majority", filters={}, split_seed=0, validation_fraction=0.1, user=None)
    assert list((artifacts / "snapshots").iterdir()) == []
    snapshot = DatasetSnapshot.objects.get()
    assert snapshot.status == "failed" and "No space left" in snapshot.error
    assert not snapshot_verify(snapshot)


# --- snapshots written by a worker (the API) ---------------------------------------------------


SNAPSHOT_REQUEST = {"format": "kto", "split_seed": 4, "validation_fraction": 0.2, "filters": {"min_judgments": 2, "exclude_ties": True}}


@pytest.fixture
def eager_celery(monkeypatch):
    """Tasks run in this process when sent: no worker in these tests."""
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)


def request_snapshot(api, user, project, django_capture_on_commit_callbacks, payload=SNAPSHOT_REQUEST, run=True):
    """POST a snapshot; ``run``: run what was queued after commit (with ``eager_celery``, the task)."""
    with django_capture_on_commit_callbacks(execute=run) as queued:
        response = api(user).post(f"/api/projects/{project.pk}/snapshots/", payload, format="json")
    assert response.status_code == 202, response.json()
    assert len(queued) == 1
    return response.json()


def test_api_answers_202_with_a_pending_snapshot_and_the_worker_makes_it_ready(
    api, artifacts, admin_user, many, eager_celery, django_capture_on_commit_callbacks
):
    created = request_snapshot(api, admin_user, many, django_capture_on_commit_callbacks)
    assert created["status"] == "pending" and created["sha256"] == "" and created["created_by"] == admin_user.username
    assert created["filters"] == {"min_judgments": 2, "exclude_ties": True}
    assert created["options"] == {"pairs": "all", "conversational": False, "include_winners": False, "file": "jsonl"}
    detail = api(admin_user).get(f"/api/snapshots/{created['id']}/").json()
    assert detail["status"] == "ready" and detail["error"] == ""
    assert detail["row_counts"]["train"] + detail["row_counts"]["validation"] == 160  # kto: two rows per pair
    assert snapshot_verify(DatasetSnapshot.objects.get(pk=created["id"]))
    assert [s["id"] for s in api(admin_user).get(f"/api/projects/{many.pk}/snapshots/").json()] == [created["id"]]


def test_snapshot_build_claims_its_row_so_running_it_twice_writes_once(
    api, artifacts, admin_user, many, django_capture_on_commit_callbacks
):
    created = request_snapshot(api, admin_user, many, django_capture_on_commit_callbacks, run=False)
    assert DatasetSnapshot.objects.get(pk=created["id"]).status == "pending"
    assert tasks.snapshot_build(created["id"]) is True
    first = DatasetSnapshot.objects.get(pk=created["id"])
    assert tasks.snapshot_build(created["id"]) is False  # a second delivery: nothing to claim
    again = DatasetSnapshot.objects.get(pk=created["id"])
    assert (again.status, again.sha256, again.finished_at) == ("ready", first.sha256, first.finished_at)
    assert [p.name for p in (artifacts / "snapshots").iterdir()] == [Path(first.path).name]
    assert tasks.snapshot_build(999_999) is False


def test_snapshot_build_failure_is_recorded_on_the_row(
    api, artifacts, admin_user, many, monkeypatch, django_capture_on_commit_callbacks
):
    created = request_snapshot(api, admin_user, many, django_capture_on_commit_callbacks, run=False)
    monkeypatch.setattr(snapshot_service, "export_rows", lambda **kwargs: iter([(1, {"x": object()})]))
    assert tasks.snapshot_build(created["id"]) is False
    detail = api(admin_user).get(f"/api/snapshots/{created['id']}/").json()
    assert detail["status"] == "failed" and "TypeError" in detail["error"] and detail["finished_at"]
    assert list((artifacts / "snapshots").iterdir()) == []


def test_broker_down_fails_the_snapshot_at_once(api, artifacts, admin_user, many, monkeypatch, django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.snapshot_build, "apply_async", refuse)
    created = request_snapshot(api, admin_user, many, django_capture_on_commit_callbacks)
    snapshot = DatasetSnapshot.objects.get(pk=created["id"])
    assert snapshot.status == "failed" and "broker unavailable" in snapshot.error


def test_reaper_fails_stale_snapshots_and_a_late_writer_keeps_nothing(artifacts, many):
    spec = {"project": many, "format": "trl", "aggregation": "majority", "options": {"pairs": "all", "conversational": False, "include_winners": False, "file": "jsonl"}}
    long_ago = timezone.now() - timedelta(hours=3)
    stale_pending = DatasetSnapshot.objects.create(**spec, path="snapshots/a")
    DatasetSnapshot.objects.filter(pk=stale_pending.pk).update(created_at=long_ago)
    stale_running = DatasetSnapshot.objects.create(**spec, path="snapshots/b", status="running", started_at=long_ago)
    fresh = DatasetSnapshot.objects.create(**spec, path="snapshots/c")
    assert sorted(snapshot_service.snapshots_reap()) == [stale_pending.pk, stale_running.pk]
    assert DatasetSnapshot.objects.get(pk=fresh.pk).status == "pending"
    stale_running.refresh_from_db()
    assert stale_running.status == "failed" and "worker probably died" in stale_running.error
    stale_running.status = "running"  # the writer's own copy of the row, from before it was reaped
    with pytest.raises(Conflict):
        snapshot_service._write(stale_running)
    assert not (artifacts / "snapshots" / "b").exists()
    assert DatasetSnapshot.objects.get(pk=stale_running.pk).status == "failed"
    assert tasks.snapshot_build(stale_pending.pk) is False  # a message arriving after the reaper


def test_snapshot_api_refuses_others_and_hides_missing(api, artifacts, admin_user, annotator, outsider, many):
    url = f"/api/projects/{many.pk}/snapshots/"
    snapshot = snapshot_of(project=many, format="trl", user=admin_user)
    detail = f"/api/snapshots/{snapshot.pk}/"
    assert api(admin_user).get(detail).json()["sha256"] == snapshot.sha256
    assert api(annotator).get(detail).status_code == 403
    assert api(outsider).get(detail).status_code == 404
    assert api(annotator).post(url, SNAPSHOT_REQUEST, format="json").status_code == 403
    assert api(admin_user).get("/api/snapshots/999999/").status_code == 404


def test_snapshot_api_rejects_unknown_filters(api, artifacts, admin_user, many):
    url = f"/api/projects/{many.pk}/snapshots/"
    response = api(admin_user).post(url, {"format": "trl", "file": "csv"}, format="json")
    assert response.status_code == 400
    # PostgreSQL stores the seed in 32 bits: a bigger one is a 400 naming it, not a database error
    response = api(admin_user).post(url, {"format": "trl", "split_seed": -5443747325}, format="json")
    assert response.status_code == 400 and "split_seed" in response.json()
    with pytest.raises(InvalidInput, match="split_seed must be from 0 to 2147483647, got 2147483648"):
        snapshot_of(project=many, format="trl", split_seed=2**31)
    assert not DatasetSnapshot.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_snapshot_the_api_queued(api, admin_user, many):
    """The worker writes to the configured ARTIFACT_DIR (the ``artifacts`` fixture is this process's only)."""
    with celery_worker(queues="default"):  # started first: it purges messages left by earlier tests
        created = api(admin_user).post(f"/api/projects/{many.pk}/snapshots/", SNAPSHOT_REQUEST, format="json")
        assert created.status_code == 202, created.json()
        snapshot_id = created.json()["id"]
        wait_for(lambda: DatasetSnapshot.objects.get(pk=snapshot_id).status in ("ready", "failed"), timeout=120, what="snapshot")
    snapshot = DatasetSnapshot.objects.get(pk=snapshot_id)
    assert snapshot.status == "ready", snapshot.error
    assert snapshot_verify(snapshot) and snapshot.row_counts["train"] > 0
    shutil.rmtree(Path(settings.ARTIFACT_DIR) / snapshot.path)


# --- command ----------------------------------------------------------------------------------------


def test_export_data_command_writes_the_file(tmp_path, labelled):
    out = tmp_path / "prefs.jsonl"
    stdout = io.StringIO()
    call_command("export_data", "--project", labelled[0].project.slug, "--format", "trl", "--exclude-gold", "--out", str(out), stdout=stdout)
    assert jsonl(out.read_bytes()) == [{"prompt": labelled[0].prompt.messages[0]["content"], "chosen": "clear A", "rejected": "clear B", "chosen_model": "model-a", "rejected_model": "model-b", "label_confidence": 1.0}]
    assert "wrote 1 rows" in stdout.getvalue() and "1 split verdicts" in stdout.getvalue()


def test_export_data_command_snapshot(artifacts, tmp_path, many):
    stdout = io.StringIO()
    call_command("export_data", "--project", many.slug, "--format", "trl", "--snapshot", "--seed", "2", "--out", str(tmp_path / "copy"), stdout=stdout)
    snapshot = DatasetSnapshot.objects.get()
    assert snapshot.split_seed == 2 and f"snapshot {snapshot.pk}" in stdout.getvalue()
    assert (tmp_path / "copy" / "train.jsonl").read_bytes() == snapshot_file(snapshot).read_bytes()


def test_export_data_command_excludes_annotators_by_username_or_id(tmp_path, labelled, annotator):
    """--exclude-annotators took user ids only, which no export shows; judgments and the stats name
    people by username."""
    slug = labelled[0].project.slug

    def rows(*extra):
        out = tmp_path / "out.jsonl"
        call_command("export_data", "--project", slug, "--format", "raw", "--out", str(out), *extra, stdout=io.StringIO())
        return out.read_text().splitlines()

    everyone = rows()
    by_name = rows("--exclude-annotators", annotator.username)
    assert 0 < len(by_name) < len(everyone)
    assert rows("--exclude-annotators", str(annotator.pk)) == by_name
    with pytest.raises(CommandError, match="exclude_annotators: no annotator 'nobody' in this project"):
        rows("--exclude-annotators", f"{annotator.username},nobody")


@pytest.mark.parametrize("where", ["missing/dir/out.jsonl", "a-directory"])
def test_export_data_command_names_a_path_it_cannot_write(tmp_path, labelled, where):
    """A mistyped --out printed a FileNotFoundError (or IsADirectoryError) traceback."""
    (tmp_path / "a-directory").mkdir()
    out = tmp_path / where
    with pytest.raises(CommandError, match=rf"cannot write {out}: (No such file or directory|Is a directory)"):
        call_command("export_data", "--project", labelled[0].project.slug, "--format", "raw", "--out", str(out),
                     stdout=io.StringIO())


def test_export_data_command_errors_are_readable(tmp_path, labelled):
    with pytest.raises(CommandError, match="no project"):
        call_command("export_data", "--project", "nope", "--format", "trl", "--out", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="CSV is only offered"):
        call_command("export_data", "--project", labelled[0].project.slug, "--format", "trl", "--file", "csv", "--out", str(tmp_path / "x"))


# --- per criterion ----------------------------------------------------------------------------------


@pytest.fixture
def judged_per_criterion(project, voters):
    """Overall A wins; on harmlessness B wins: the rows a per-criterion reward model trains on."""
    project.criteria = ["harmless"]
    project.save(update_fields=["criteria"])
    c = make_comparison(project, texts=["Sure, here is how.", "I can't help with that."])
    for user in voters[:2]:
        judge(c, user, "a", criteria={"harmless": {"winner": "b"}})
    return project


def test_api_exports_a_row_per_criterion_verdict(api, admin_user, judged_per_criterion):
    url = EXPORT_URL.format(judged_per_criterion.pk)
    rows = jsonl(body(api(admin_user).get(url + "?format=trl&criteria=overall&criteria=harmless")))
    assert [(r["criterion"], r["chosen"]) for r in rows] == [
        ("overall", "Sure, here is how."), ("harmless", "I can't help with that."),
    ]
    response = api(admin_user).get(url + "?format=trl&criteria=honest")
    assert response.status_code == 400
    assert "has no criterion 'honest' (choose overall, harmless)" in response.json()["detail"]


def test_snapshot_per_criterion_records_its_criteria(artifacts, judged_per_criterion):
    snapshot = snapshot_of(
        project=judged_per_criterion, format="trl", criteria=["harmless"], validation_fraction=0, user=None
    )
    assert snapshot.options["criteria"] == ["harmless"]
    [row] = snapshot_rows(snapshot, "train")
    assert (row["criterion"], row["chosen"]) == ("harmless", "I can't help with that.")
    with pytest.raises(ExportError, match="has no criterion 'helpful'"):
        snapshot_of(project=judged_per_criterion, format="trl", criteria=["helpful"], user=None)
    assert DatasetSnapshot.objects.count() == 1  # the refused one stored nothing


def test_export_data_command_takes_criteria(tmp_path, judged_per_criterion):
    out = tmp_path / "harmless.jsonl"
    call_command("export_data", "--project", judged_per_criterion.slug, "--format", "trl", "--criteria", "harmless",
                 "--out", str(out), stdout=io.StringIO())
    assert [r["criterion"] for r in jsonl(out.read_bytes())] == ["harmless"]


def test_dawid_skene_export_outweighs_careless_annotators_and_gives_its_confidence(project):
    """Two careful annotators always give the better response (model-good, shown first or
    second at random); three careless ones pick at random. Where the careless outvote the
    careful, majority exports the wrong pair and Dawid-Skene, having learnt who is reliable on
    the rest, the right one."""
    import random

    rng = random.Random(0)
    careful = [UserFactory(username=f"careful-{n}") for n in range(2)]
    careless = [UserFactory(username=f"careless-{n}") for n in range(3)]
    for _ in range(60):
        order = rng.choice([("model-good", "model-bad"), ("model-bad", "model-good")])
        c = make_comparison(project, models_=order)
        for user in careful:
            judge(c, user, "a" if order[0] == "model-good" else "b")
        for user in careless:
            judge(c, user, rng.choice(["a", "b"]))

    def chosen_first(aggregation):
        out = list(export_rows(project=project, options=ExportOptions("trl", aggregation=aggregation), filters=ExportFilters()))
        return [row for _, row in out], sum(row["chosen_model"] == "model-good" for _, row in out)

    majority, majority_right = chosen_first("majority")
    ds, ds_right = chosen_first("dawid-skene")
    print(f"right: majority {majority_right}/60, dawid-skene {ds_right}/60")
    assert ds_right == 60 > majority_right
    assert all(0.5 < row["label_confidence"] <= 1.0 for row in ds)
