"""Large imports in a worker (issue #14): queued by the API (202), imported by the ``default``
queue's worker with progress visible while it runs, failed with the line named, reaped when
the worker died, and safe to run twice."""

import errno
import fcntl
import hashlib
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from labeling import tasks
from labeling.imports import queued, services
from labeling.imports.queued import import_lines_read, import_queue, import_run, imports_reap
from labeling.models import Comparison, DataImport, ImportStatus, Prompt
from tests.workers import celery_worker, wait_for

LINES = 25


def candidates_file(n: int = LINES, bad_line: int | None = None) -> bytes:
    rows = [
        json.dumps({"prompt": f"prompt {i}", "responses": [{"text": f"answer {i}.{k}", "model": f"m{k}"} for k in range(2)]})
        for i in range(1, n + 1)
    ]
    if bad_line:
        rows[bad_line - 1] = json.dumps({"prompt": "broken", "responses": [{"text": "only one", "model": "m0"}, {"model": "m1"}]})
    return ("\n".join(rows) + "\n").encode()


def post(api, user, project, data: bytes, name="big.jsonl"):
    upload = SimpleUploadedFile(name, data)
    return api(user).post(f"/api/projects/{project.pk}/imports/", {"file": upload, "format": "candidates"}, format="multipart")


@pytest.fixture
def artifacts(settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    return settings.ARTIFACT_DIR


@pytest.fixture
def queue_all(settings):
    """Every upload above 0 MB is queued."""
    settings.IMPORT_INLINE_MAX_MB = 0


def queued_row(project, data: bytes, **fields) -> DataImport:
    upload = SimpleUploadedFile("big.jsonl", data)
    row = import_queue(project=project, upload=upload, format="candidates", with_labels=False)
    DataImport.objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()
    return row


# --- the API --------------------------------------------------------------------------------------


def test_a_small_upload_is_still_imported_in_the_request(api, project, admin_user, artifacts):
    response = post(api, admin_user, project, candidates_file())
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "done" and response.json()["lines_read"] == LINES
    assert response.json()["counts"]["comparisons"] == LINES


def test_a_large_upload_is_stored_and_queued_with_202(api, project, admin_user, artifacts, queue_all, monkeypatch):
    sent = []
    monkeypatch.setattr(queued, "import_dispatch", sent.append)
    data = candidates_file()
    response = post(api, admin_user, project, data)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["lines_read"] == 0 and body["error"] == "" and body["finished_at"] is None
    assert body["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert body["counts"] == {"lines": LINES}  # the file's line count: where the progress bar ends
    row = DataImport.objects.get(pk=body["id"])
    assert (Path(artifacts) / row.upload_path).read_bytes() == data
    assert not Comparison.objects.exists()  # nothing imported by the request
    assert [r["status"] for r in api(admin_user).get(f"/api/projects/{project.pk}/imports/").json()] == ["queued"]


def test_broker_down_fails_the_queued_import_at_once_naming_why(api, project, admin_user, artifacts, queue_all,
                                                              monkeypatch, django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.import_run, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, admin_user, project, candidates_file())
    assert response.status_code == 202, response.json()
    row = DataImport.objects.get(pk=response.json()["id"])
    assert row.status == ImportStatus.FAILED
    assert row.error.startswith("could not queue the import (broker unavailable): connection refused")
    assert not Prompt.objects.filter(project=project).exists()
    assert not list(Path(artifacts).rglob("*.jsonl"))  # the upload, never to be read, was kept for good


@pytest.mark.django_db(transaction=True)
def test_the_answer_to_an_upload_the_broker_refused_says_failed(api, project, admin_user, artifacts, queue_all, monkeypatch):
    """Committed for real (no test transaction), the dispatch runs before the answer is written:
    it said "queued" for a row already failed."""
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.import_run, "apply_async", refuse)
    response = post(api, admin_user, project, candidates_file())
    assert response.status_code == 202 and response.json()["status"] == "failed"


def test_a_full_disk_is_a_507_and_stores_nothing(api, project, admin_user, artifacts, queue_all, monkeypatch):
    real_open = open

    def full(path, mode="r", *args, **kwargs):
        if "w" in mode and ".tmp-" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", full)
    response = post(api, admin_user, project, candidates_file())
    assert response.status_code == 507 and response.json()["code"] == "insufficient_storage"
    assert "storage is full" in response.json()["detail"]
    assert not DataImport.objects.exists() and not [p for p in Path(artifacts).rglob("*") if p.is_file()]


def test_a_queued_upload_with_an_impossible_option_is_refused_before_it_is_stored(api, project, admin_user, artifacts, queue_all):
    upload = SimpleUploadedFile("big.jsonl", candidates_file())
    response = api(admin_user).post(
        f"/api/projects/{project.pk}/imports/", {"file": upload, "format": "candidates", "with_labels": True},
        format="multipart",
    )
    assert response.status_code == 400 and not DataImport.objects.exists()
    assert not list(Path(artifacts).rglob("*.jsonl"))


# --- the worker's work, in this process -------------------------------------------------------------


def test_the_worker_imports_the_upload_and_finishes_the_row(project, artifacts):
    row = queued_row(project, candidates_file())
    assert import_run(row.pk) is True
    row.refresh_from_db()
    assert row.status == ImportStatus.DONE and row.lines_read == LINES and row.finished_at is not None
    assert row.counts["comparisons"] == LINES == Comparison.objects.filter(project=project).count()
    assert not (Path(artifacts) / row.upload_path).exists()  # the upload goes once its rows are stored
    assert DataImport.objects.count() == 1  # the queued row is the record, no second one
    assert import_run(row.pk) is False  # run again (a redelivered message): nothing happens


def test_a_malformed_line_fails_the_import_naming_the_line_and_field_and_stores_nothing(project, artifacts, monkeypatch):
    monkeypatch.setattr(services, "BATCH_LINES", 5)  # lines before the bad one were stored, then rolled back
    row = queued_row(project, candidates_file(bad_line=17))
    assert import_run(row.pk) is False
    row.refresh_from_db()
    assert row.status == ImportStatus.FAILED and row.finished_at is not None
    assert "line 17" in row.error and "'responses[1]'" in row.error, row.error
    assert row.lines_read == 17
    assert not Comparison.objects.exists() and not Prompt.objects.exists()
    assert not (Path(artifacts) / row.upload_path).exists()


@pytest.mark.parametrize(("line", "error"), [
    (rb'{"prompt": "q11 \ud800", "responses": ["a", "b"]}', "line 17: 'prompt' holds a lone surrogate"),
    (rb'{"prompt": "q", "responses": ["a", "b"], "metadata": {"x": NaN}}', "line 17: invalid JSON: NaN is not a JSON value"),
])
def test_a_line_the_database_cannot_store_fails_the_import_naming_the_line_and_stores_nothing(project, artifacts, monkeypatch,
                                                                                            line, error):
    """The worker's error named neither line nor field: a bare UnicodeEncodeError, or a collision to retry."""
    monkeypatch.setattr(services, "BATCH_LINES", 5)
    rows = candidates_file().splitlines(keepends=True)
    row = queued_row(project, b"".join([*rows[:16], line + b"\n", *rows[17:]]))
    assert import_run(row.pk) is False
    row.refresh_from_db()
    assert row.status == ImportStatus.FAILED and row.error.startswith(error), row.error
    assert not Comparison.objects.exists() and not Prompt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_while_the_import_runs(project, artifacts, monkeypatch):
    """Each stored chunk's progress is seen from another connection (another thread's) while the
    import's transaction is still open; the rows themselves are not."""
    monkeypatch.setattr(services, "BATCH_LINES", 5)
    row = queued_row(project, candidates_file())
    seen = []
    write = queued._write_progress

    def observed(upload, line):
        write(upload, line)
        thread = threading.Thread(target=lambda: seen.append(_seen_elsewhere(row.pk)))
        thread.start()
        thread.join()

    monkeypatch.setattr(queued, "_write_progress", observed)
    assert import_run(row.pk) is True
    assert seen == [("running", n, 0) for n in (5, 10, 15, 20, 25)]


def _seen_elsewhere(import_id: int) -> tuple[str, int, int]:
    try:
        row = DataImport.objects.get(pk=import_id)
        return row.status, import_lines_read(row), Comparison.objects.count()
    finally:
        connection.close()  # this thread's own connection


# --- a dead worker, and running twice -------------------------------------------------------------


def test_the_reaper_fails_a_running_import_whose_worker_died_and_spares_a_live_one(project, artifacts):
    dead = queued_row(project, candidates_file(), status=ImportStatus.RUNNING)
    live = queued_row(project, candidates_file(), status=ImportStatus.RUNNING)
    with open(Path(artifacts) / live.upload_path, "rb") as held:  # what a live worker holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert imports_reap() == [dead.pk]
    dead.refresh_from_db()
    live.refresh_from_db()
    assert dead.status == ImportStatus.FAILED and "worker" in dead.error and dead.finished_at is not None
    assert not (Path(artifacts) / dead.upload_path).exists()
    assert live.status == ImportStatus.RUNNING


def test_the_reaper_fails_an_import_no_worker_took(project, artifacts):
    fresh = queued_row(project, candidates_file())
    stale = queued_row(project, candidates_file(), created_at=timezone.now() - timedelta(hours=3))
    assert imports_reap() == [stale.pk]
    stale.refresh_from_db()
    assert stale.status == ImportStatus.FAILED and "no worker" in stale.error
    assert DataImport.objects.get(pk=fresh.pk).status == ImportStatus.QUEUED


def test_a_worker_reaped_while_it_ran_stores_nothing_and_the_upload_again_imports_it(project, artifacts, monkeypatch):
    row = queued_row(project, candidates_file())
    store = services._store_batch

    def reaped_meanwhile(*args):  # the reaper takes the row for dead mid-import (here on the import's
        store(*args)              # connection, so the update is rolled back with it: the worker's check fails it)
        DataImport.objects.filter(pk=row.pk).update(status=ImportStatus.FAILED, error="reaped")

    monkeypatch.setattr(services, "_store_batch", reaped_meanwhile)
    assert import_run(row.pk) is False
    failed = DataImport.objects.get(pk=row.pk)
    assert failed.status == ImportStatus.FAILED and "marked failed while it ran" in failed.error
    assert not Comparison.objects.exists()
    monkeypatch.undo()
    again = queued_row(project, candidates_file())
    assert import_run(again.pk) is True
    assert Comparison.objects.filter(project=project).count() == LINES
    third = queued_row(project, candidates_file())  # the same file a third time adds nothing
    assert import_run(third.pk) is True
    third.refresh_from_db()
    assert third.counts["comparisons"] == 0 and Comparison.objects.filter(project=project).count() == LINES


# --- the real worker --------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_the_upload_the_api_queued(api, project, admin_user, settings):
    """The worker reads the configured ARTIFACT_DIR (no ``artifacts`` fixture: it is this process's only)."""
    settings.IMPORT_INLINE_MAX_MB = 0
    with celery_worker(queues="default"):  # started first: it purges messages left by earlier tests
        response = post(api, admin_user, project, candidates_file(200))
        assert response.status_code == 202, response.json()
        import_id = response.json()["id"]
        listed = lambda: api(admin_user).get(f"/api/projects/{project.pk}/imports/").json()[0]  # noqa: E731
        wait_for(lambda: listed()["status"] in ("done", "failed"), timeout=120, what="import")
    body = listed()
    assert body["id"] == import_id and body["status"] == "done", body["error"]
    assert body["lines_read"] == 200 and body["counts"]["comparisons"] == 200
    assert Comparison.objects.filter(project=project).count() == 200
