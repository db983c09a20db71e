"""Gzipped imports: the dashboard's upload and ``import_data`` read a gzip as the JSONL inside it,
told by its magic bytes (not its name), with the upload limit holding for the decompressed data."""

import gzip
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from labeling.imports import queued
from labeling.models import Comparison, DataImport, ImportStatus
from tests.labeling.imports.test_queued import post

LINES = 12


def candidates_file(n: int = LINES) -> bytes:
    rows = [json.dumps({"prompt": f"prompt {i}", "responses": [f"answer {i}.a", f"answer {i}.b"]}) for i in range(n)]
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def artifacts(settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    return settings.ARTIFACT_DIR


@pytest.mark.parametrize("name", ["pairs.jsonl.gz", "pairs.jsonl"])  # the bytes tell, not the name
def test_a_gzipped_upload_is_imported_in_the_request(api, project, admin_user, artifacts, name):
    response = post(api, admin_user, project, gzip.compress(candidates_file()), name)
    assert response.status_code == 201, response.json()
    assert response.json()["counts"]["comparisons"] == LINES
    assert response.json()["file_sha256"] == hashlib.sha256(candidates_file()).hexdigest()  # the data's, as unzipped


def test_a_gzipped_upload_over_the_inline_limit_once_decompressed_is_queued_decompressed(
    api, project, admin_user, artifacts, settings, monkeypatch
):
    data = candidates_file(5000)
    settings.IMPORT_INLINE_MAX_MB = 0.1
    assert len(gzip.compress(data)) < 0.1 * 1024 * 1024 < len(data)  # inline by its own size, not by what is inside
    monkeypatch.setattr(queued, "import_dispatch", lambda pk: None)
    response = post(api, admin_user, project, gzip.compress(data), "big.jsonl.gz")
    assert response.status_code == 202, response.json()
    row = DataImport.objects.get(pk=response.json()["id"])
    assert row.counts == {"lines": 5000}
    assert (Path(artifacts) / row.upload_path).read_bytes() == data
    assert queued.import_run(row.pk) and DataImport.objects.get(pk=row.pk).status == ImportStatus.DONE
    assert Comparison.objects.filter(project=project).count() == 5000


def test_a_small_gzip_that_expands_past_the_upload_limit_is_a_413_naming_the_limit(api, project, admin_user, artifacts,
                                                                                      settings):
    settings.MAX_UPLOAD_MB = 1
    bomb = gzip.compress(b" " * (3 * 1024 * 1024))
    assert len(bomb) < 10_000
    response = post(api, admin_user, project, bomb, "small.jsonl.gz")
    assert response.status_code == 413, response.json()
    assert response.json() == {
        "detail": "the gzipped file is larger than the 1 MB limit once decompressed (the limit holds for the data inside a gzip)",
        "code": "too_large", "field": "file",
    }
    assert not DataImport.objects.exists() and not Comparison.objects.exists()


def test_a_truncated_gzip_upload_is_a_400_naming_the_file(api, project, admin_user, artifacts):
    response = post(api, admin_user, project, gzip.compress(candidates_file())[:-20], "cut.jsonl.gz")
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == "file"
    assert response.json()["detail"].startswith("the file starts as a gzip but is not a valid one (truncated or corrupt")
    assert not Comparison.objects.exists()


@pytest.mark.parametrize("name", ["pairs.jsonl.gz", "pairs.data"])
def test_the_import_command_reads_a_gzipped_file(db, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(candidates_file()))
    out = io.StringIO()
    call_command("import_data", str(path), project="zipped", format="candidates", stdout=out, stderr=io.StringIO())
    assert f"{LINES} lines read" in out.getvalue()
    assert Comparison.objects.filter(project__slug="zipped").count() == LINES


def test_the_import_command_refuses_a_truncated_gzip_saying_so(db, tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(candidates_file(2000))[:-100])
    with pytest.raises(CommandError, match=r"cut.jsonl.gz: the file starts as a gzip but is not a valid one .*Nothing was imported"):
        call_command("import_data", str(path), project="never", format="candidates", no_progress=True)
    assert not Comparison.objects.exists()


def test_the_import_command_given_a_directory_says_it_is_one(db, tmp_path):
    with pytest.raises(CommandError, match="is a directory; give the path of a JSONL file"):
        call_command("import_data", str(tmp_path), project="never", format="candidates", no_progress=True)
