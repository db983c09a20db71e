"""Large imports, run by a worker with their progress shown (issue #14).

An upload above ``IMPORT_INLINE_MAX_MB`` is not imported in the web request: ``import_queue``
writes it to ``ARTIFACT_DIR/imports/<uuid>.jsonl`` (under a temporary name, fsynced, then
renamed; its sha256 taken on the way), stores a ``queued`` DataImport and, once that row is
committed, sends ``labeling.tasks.import_run`` to the ``default`` queue. The worker
(``import_run``) imports the file exactly as an inline upload is imported (one transaction,
nothing stored if a line is malformed) and finishes the row ``done`` in that transaction, or
``failed`` with the line and field named in ``error``.

Progress: the import's transaction holds SQLite's single write lock, so no other connection
could update the row until the end. The worker writes the number of the last stored line to
``<uuid>.progress`` next to the upload instead (replaced whole, so a reader never sees half a
number), and ``lines_read`` reads it for a running import: one way on SQLite and PostgreSQL.

A dead worker: the worker holds an exclusive ``flock`` on the upload while the row is running.
The kernel drops it when the process dies, so ``imports_reap`` (beat) fails a running row whose
upload it can lock: the lock, not a guessed duration, tells a dead worker from a slow one. A
queued row no worker took within ``QUEUED_STALE_AFTER`` is failed too. Running twice is safe:
the row is claimed with a conditional update, and imports are idempotent by content hash, so
the same file uploaded again after a failure stores only what is missing.
"""

import errno
import fcntl
import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from annotation_site.celery import celery_send
from durable import fsync_path
from labeling.errors import DomainError, StorageFull
from labeling.imports.services import import_file, import_options_check
from labeling.models import DataImport, ImportStatus, Project

__all__ = ["import_inline", "import_lines_read", "import_queue", "import_run", "imports_reap"]
log = logging.getLogger(__name__)
QUEUED_STALE_AFTER = timedelta(hours=2)
ERROR_MAX_CHARS = 2000
UPLOADS = "imports"


def import_inline(size: int) -> bool:
    """Whether an upload of ``size`` bytes is imported in the request (else queued for a worker)."""
    return size <= settings.IMPORT_INLINE_MAX_MB * 1024 * 1024


def import_queue(*, project: Project, upload, format: str, with_labels: bool, user=None) -> DataImport:
    """Store ``upload`` (a Django UploadedFile) and a queued import of it; the worker is sent for
    once the row is committed."""
    import_options_check(format, with_labels)
    path, sha256, lines = _store_upload(upload)
    with transaction.atomic():
        row = DataImport.objects.create(
            project=project, format=format, file_name=(upload.name or "")[:255], file_sha256=sha256,
            with_labels=with_labels, created_by=user, status=ImportStatus.QUEUED, upload_path=path,
            counts={"lines": lines},  # the file's, known now: where the progress bar ends
        )
        transaction.on_commit(lambda: import_dispatch(row.pk))
    row.refresh_from_db()  # a dispatch refused by the broker has failed it by now: answer what is so
    return row


def import_dispatch(import_id: int) -> bool:
    """Send the import's task; if the broker is down, fail the import now (the admin sees why and
    uploads again) rather than leave it queued."""
    from labeling.tasks import import_run as task

    failure = celery_send(task, import_id, "import")
    if failure and _mark_failed(import_id, ImportStatus.QUEUED, failure):  # never to be read: the upload goes
        _remove(_upload(DataImport.objects.get(pk=import_id)))
    return failure is None


def import_run(import_id: int) -> bool:
    """Import a queued upload (the Celery task's work). Whether this call imported it: a row that
    another worker holds, or that is no longer queued, is left alone. A failure is recorded on the
    row, not raised."""
    row = DataImport.objects.select_related("project", "created_by").filter(pk=import_id).first()
    if row is None or row.status != ImportStatus.QUEUED:
        return False
    path = _upload(row)
    try:
        with _held(path) as upload:
            if upload is None or not _claim(row):
                return False
            _import(row, upload)
    except FileNotFoundError:
        _mark_failed(row.pk, ImportStatus.QUEUED, "the uploaded file is gone from the artifact store")
        return False
    return row.status == ImportStatus.DONE


def import_lines_read(row: DataImport) -> int:
    """Lines read so far: the worker's progress file while it runs, else the row's own count."""
    if row.status != ImportStatus.RUNNING or not row.upload_path:
        return row.lines_read
    return _progress(row)


def imports_reap(*, queued_after: timedelta = QUEUED_STALE_AFTER) -> list[int]:
    """Fail running imports whose worker died (nothing holds the upload's lock) and queued ones no
    worker took within ``queued_after``. The reaped ids."""
    reaped = []
    for row in DataImport.objects.filter(status=ImportStatus.RUNNING):
        path = _upload(row)
        with _held(path, missing_ok=True) as upload:
            if upload is not None and _mark_failed(
                row.pk, ImportStatus.RUNNING, "its worker stopped before the end (the worker probably died); "
                "nothing was stored: upload the file again", lines_read=_progress(row),
            ):
                reaped.append(row.pk)
                _remove(path)
    stale = DataImport.objects.filter(status=ImportStatus.QUEUED, created_at__lt=timezone.now() - queued_after)
    for row in stale:
        if _mark_failed(row.pk, ImportStatus.QUEUED, f"no worker on the default queue took it within {queued_after}"):
            reaped.append(row.pk)
            _remove(_upload(row))
    return reaped


# --- the worker's side ------------------------------------------------------------------------


def _claim(row: DataImport) -> bool:
    claimed = DataImport.objects.filter(pk=row.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, lines_read=0
    )
    row.status = ImportStatus.RUNNING
    return claimed == 1


def _import(row: DataImport, upload) -> None:
    """Import the claimed row's upload; the row ends done (in the import's transaction) or failed."""
    path = Path(upload.name)
    try:
        import_file(
            project=row.project, lines=upload, format=row.format, file_name=row.file_name,
            with_labels=row.with_labels, user=row.created_by, claimed=row,
            on_lines=lambda line: _write_progress(path, line),
        )
    except DomainError as exc:  # a malformed line (named in the message), a collision, a reaped row
        _mark_failed(row.pk, ImportStatus.RUNNING, exc.message, lines_read=getattr(exc, "line", None) or _progress(row))
    except Exception as exc:
        log.exception("import %s failed", row.pk)
        _mark_failed(row.pk, ImportStatus.RUNNING, f"{type(exc).__name__}: {exc}", lines_read=_progress(row))
    finally:
        _remove(path)
        row.refresh_from_db()


def _progress(row: DataImport) -> int:
    try:
        return max(row.lines_read, int(_progress_path(_upload(row)).read_text() or 0))
    except (OSError, ValueError):  # not written yet, or gone with the upload
        return row.lines_read


def _write_progress(upload: Path, line: int) -> None:
    progress = _progress_path(upload)
    tmp = progress.with_name(f".tmp-{progress.name}")
    tmp.write_text(str(line))
    os.replace(tmp, progress)  # whole or not at all for a reader


@contextmanager
def _held(path: Path, missing_ok: bool = False) -> Iterator:
    """``path`` open and exclusively locked, or None if another process holds it (or, with
    ``missing_ok``, the file is gone: nothing can hold it then either)."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, which drops the lock
    except FileNotFoundError:
        if not missing_ok:
            raise
        yield path
        return
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        yield None
        return
    with f:
        yield f


def _mark_failed(import_id: int, status: str, error: str, lines_read: int | None = None) -> bool:
    """``status`` -> failed with ``error``; False if the row had moved on. Never raises: it runs
    while another error is on its way."""
    fields = {"status": ImportStatus.FAILED, "error": error[:ERROR_MAX_CHARS], "finished_at": timezone.now()}
    if lines_read is not None:
        fields["lines_read"] = lines_read
    try:
        return bool(DataImport.objects.filter(pk=import_id, status=status).update(**fields))
    except DatabaseError:
        log.exception("could not mark import %s failed", import_id)
        return False


# --- the upload in the artifact store -----------------------------------------------------------


def _store_upload(upload) -> tuple[str, str, int]:
    """Write ``upload`` under the artifact store: its path relative to ARTIFACT_DIR, its sha256 and
    its number of lines."""
    relative = f"{UPLOADS}/{uuid.uuid4().hex}.jsonl"
    path = Path(settings.ARTIFACT_DIR) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, digest, lines, last = path.with_name(f".tmp-{path.name}"), hashlib.sha256(), 0, b"\n"
    try:
        with open(tmp, "wb") as f:
            for chunk in upload.chunks():
                digest.update(chunk)
                lines, last = lines + chunk.count(b"\n"), chunk[-1:] or last
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes the upload visible
        os.replace(tmp, path)
        fsync_path(path.parent)  # the rename itself durable
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull("the server's storage is full: the upload was not stored (nothing was imported)") from exc
        raise
    return relative, digest.hexdigest(), lines + (last != b"\n")  # a last line without its newline counts


def _upload(row: DataImport) -> Path:
    return Path(settings.ARTIFACT_DIR) / row.upload_path


def _progress_path(upload: Path) -> Path:
    return upload.with_suffix(".progress")


def _remove(upload: Path) -> None:
    """The upload and its progress file, once the import is over (its rows are in the database)."""
    for path in (upload, _progress_path(upload)):
        with suppress(OSError):
            path.unlink()
