"""Immutable dataset snapshots: an export frozen in the artifact store, split into train/validation.

A snapshot directory ``ARTIFACT_DIR/snapshots/<uuid>/`` holds ``train.<ext>``, ``validation.<ext>``
and ``manifest.json``; a split with no row has no file (an empty JSONL file made
``datasets.load_dataset`` refuse both splits), and the manifest's ``files`` lists those written.
It is written under a temporary name and renamed when complete, its files are made read-only,
and nothing here updates a ready snapshot afterwards. ``DatasetSnapshot.sha256`` is the sha256
of the train file's bytes followed by the validation file's bytes, so
``cat train.jsonl validation.jsonl | sha256sum`` checks it (``cat train.jsonl`` alone where
validation is empty: the hash is the same as when an empty file was written).

Two ways in, one writer: ``snapshot_request`` (the API) stores a pending row and queues
``snapshot_build`` on the ``default`` queue; ``snapshot_create`` (command line, training worker)
writes in the calling process. Either way the writer claims the row (``pending`` -> ``running``)
with a conditional update and ends it ``ready`` or ``failed``. The rows exported are those in the
database when the writer starts (``started_at``), not when the snapshot was requested. Both take
one ``SnapshotOptions``, stored as the row's columns and read back by ``snapshot_options``.

Nothing changed, nothing written again: a writer whose files hash to the sha256 of a ready snapshot
of the same project with the same stored options keeps no files; its row is marked ready on that
snapshot's directory (``path``, sha256 and row counts), so it reads as reused (``reused_from``,
the first row on that path), and ``snapshot_create`` removes its row and returns the existing
snapshot. The content hash, not a guess from judgment ids or times, decides: a review reject, an
undo or an edit that changes a row changes the hash, and one that changes no row reuses rightly.
Finishing writers of one project take its row lock, so two identical snapshots at once give one.

Training reads a snapshot through ``snapshot_records`` (its rows as typed records) or
``snapshot_prompt_records`` (its distinct prompts, for online RL).
"""

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from annotation_site.celery import celery_send
from labeling.errors import Conflict, InvalidInput
from labeling.exports.options import SPLITS, ExportStats, SnapshotOptions
from labeling.exports.records import (
    PromptRecord,
    Record,
    is_one_user_turn,
    prompt_records,
    read_records,
    read_rows,
    record_row,
)
from labeling.exports.rows import split_of
from labeling.exports.services import criteria_check, export_representation, export_rows
from labeling.exports.writers import Sink, make_writer
from labeling.imports.formats import messages_hash
from labeling.models import DatasetSnapshot, Project, Prompt, SnapshotStatus

log = logging.getLogger(__name__)
# A snapshot of 1M judgments takes about 20 s; one pending or running for this long lost its
# worker (or never reached one) and is failed by ``snapshots_reap``.
SNAPSHOT_STALE_AFTER = timedelta(hours=2)
ERROR_MAX_CHARS = 2000


def snapshot_request(*, project: Project, options: SnapshotOptions, user=None) -> DatasetSnapshot:
    """Store a pending snapshot and queue its writing (``snapshot_build``) once the row is committed.

    Options are checked here, so a bad request fails now rather than in the worker.
    """
    with transaction.atomic():
        snapshot = _store(project, options, user, status=SnapshotStatus.PENDING)
        transaction.on_commit(lambda: snapshot_dispatch(snapshot.pk))
    snapshot.refresh_from_db()  # a dispatch refused by the broker has failed it by now: answer what is so
    return snapshot


def snapshot_create(*, project: Project, options: SnapshotOptions, user=None) -> DatasetSnapshot:
    """Export ``project`` into a new snapshot in this process, split by prompt with ``options.split_seed``.

    Returns the ready snapshot: the existing one when a ready snapshot with the same options already
    holds exactly these rows (the new row, never handed out, is removed). On failure the row is
    left ``failed`` and the error raised.
    """
    snapshot = _store(project, options, user, status=SnapshotStatus.RUNNING, started_at=timezone.now())
    ready = _write(snapshot)
    if ready.pk != snapshot.pk:
        snapshot.delete()
    return ready


def snapshot_from_records(
    *, project: Project, records: list[Record], options: SnapshotOptions, user=None
) -> DatasetSnapshot:
    """A ready snapshot of ``records`` made outside the database (best-of-N's selections, say),
    written as ``snapshot_create`` writes an export: the same layout, manifest and sha256, split
    by prompt with ``options.split_seed``, read-only, renamed into place when complete.

    ``options.export.format`` names the records' kind (``trl``, ``kto`` or ``sft``); an unset
    ``conversational`` is decided as for an export, and is set where a record's prompt needs it.
    """
    if not all(is_one_user_turn(r["prompt"]) for r in records):
        options = replace(options, export=replace(options.export, conversational=True))
    snapshot = _store(project, options, user, status=SnapshotStatus.RUNNING, started_at=timezone.now())
    export = snapshot_options(snapshot).export
    rows = ((messages_hash(r["prompt"]), record_row(r, export)) for r in records)
    directory = Path(settings.ARTIFACT_DIR) / snapshot.path
    try:
        _mark_ready(snapshot, _write_directory(directory, snapshot, rows))
    except BaseException as exc:
        shutil.rmtree(directory, ignore_errors=True)
        _mark_failed(snapshot.pk, SnapshotStatus.RUNNING, _describe(exc))
        raise
    return snapshot


def snapshot_dispatch(snapshot_id: int) -> bool:
    """Send the snapshot's task to the broker; if the broker is down, fail the snapshot now (the
    admin sees why and asks again) rather than leave it pending."""
    from labeling.tasks import snapshot_build as task

    if failure := celery_send(task, snapshot_id, "snapshot"):
        _mark_failed(snapshot_id, SnapshotStatus.PENDING, failure)
    return failure is None


def snapshot_build(*, snapshot_id: int) -> bool:
    """Write a pending snapshot (the Celery task's work). Safe to run twice: the caller claims the row
    with a conditional update, and a snapshot already claimed, finished or gone is left alone.
    A failure is recorded on the row (``failed``, with the error), not raised."""
    claimed = DatasetSnapshot.objects.filter(pk=snapshot_id, status=SnapshotStatus.PENDING).update(
        status=SnapshotStatus.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return False
    snapshot = DatasetSnapshot.objects.select_related("project").get(pk=snapshot_id)
    try:
        _write(snapshot)
    except Exception:
        log.exception("snapshot %s failed", snapshot_id)
        return False
    return True


def snapshots_reap(*, stale_after: timedelta = SNAPSHOT_STALE_AFTER) -> list[int]:
    """Fail snapshots pending or running for longer than ``stale_after``: their worker died or
    none picked them up. A writer that finishes later finds its row failed and removes its files."""
    cutoff = timezone.now() - stale_after
    reasons = {
        SnapshotStatus.PENDING: ("created_at", "no worker on the default queue picked it up"),
        SnapshotStatus.RUNNING: ("started_at", "its writer stopped (the worker probably died)"),
    }
    reaped = []
    for status, (since, reason) in reasons.items():
        stale = DatasetSnapshot.objects.filter(status=status, **{f"{since}__lt": cutoff}).values_list("pk", flat=True)
        reaped += [pk for pk in stale if _mark_failed(pk, status, f"{reason} within {stale_after}")]
    return reaped


def _store(project: Project, options: SnapshotOptions, user, **state) -> DatasetSnapshot:
    """The new snapshot's row, its export options decided (``conversational``): the snapshot says
    what its files hold."""
    criteria_check(project, options.export.criteria)
    options = replace(options, export=export_representation(project, options.export))
    return DatasetSnapshot.objects.create(
        project=project, created_by=user, path=f"snapshots/{uuid.uuid4().hex}", **options.stored(), **state
    )


def _write(snapshot: DatasetSnapshot) -> DatasetSnapshot:
    """Write the files of a snapshot this process has claimed (``running``), then mark it ready, or
    reused where a ready snapshot already holds the same content; returns the snapshot whose files
    hold it (``snapshot`` or that one). On any failure nothing is left on disk and the row is marked
    failed before the error goes on."""
    directory = Path(settings.ARTIFACT_DIR) / snapshot.path
    tmp = directory.with_name(f".tmp-{directory.name}")
    try:
        tmp.mkdir(parents=True)
        manifest = _write_files(tmp, snapshot)
        with transaction.atomic():
            same = _same_content(snapshot, manifest["sha256"])
            if same is None:
                tmp.rename(directory)
            _mark_ready(snapshot, manifest if same is None else _reused_manifest(same))
        return same or snapshot
    except BaseException as exc:
        shutil.rmtree(directory, ignore_errors=True)
        _mark_failed(snapshot.pk, SnapshotStatus.RUNNING, _describe(exc))
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _same_content(snapshot: DatasetSnapshot, sha256: str) -> DatasetSnapshot | None:
    """The first ready snapshot of ``snapshot``'s project written with the same stored options whose
    files have ``sha256``. Caller is in a transaction: the project's row lock, held to its end,
    makes finishing writers of one project take turns, so the second of two sees the first."""
    Project.objects.select_for_update().filter(pk=snapshot.project_id).values_list("pk").first()
    ready = DatasetSnapshot.objects.filter(
        project_id=snapshot.project_id, status=SnapshotStatus.READY, sha256=sha256
    ).exclude(pk=snapshot.pk).order_by("id")
    return next((s for s in ready if _stored(s) == _stored(snapshot)), None)


def _stored(snapshot: DatasetSnapshot) -> tuple:
    return (
        snapshot.format, snapshot.aggregation, snapshot.options, snapshot.filters, snapshot.split_seed,
        snapshot.validation_fraction,
    )


def _reused_manifest(same: DatasetSnapshot) -> dict:
    return {"sha256": same.sha256, "row_counts": same.row_counts, "path": same.path}


def _mark_ready(snapshot: DatasetSnapshot, manifest: dict) -> None:
    """``running`` -> ready with the manifest's figures (and, reusing another's files, its ``path``)."""
    fields = {"sha256": manifest["sha256"], "row_counts": manifest["row_counts"], "finished_at": timezone.now()}
    fields |= {"path": manifest["path"]} if "path" in manifest else {}
    updated = DatasetSnapshot.objects.filter(pk=snapshot.pk, status=SnapshotStatus.RUNNING).update(
        status=SnapshotStatus.READY, **fields
    )
    if updated != 1:  # failed by snapshots_reap while it was written
        raise Conflict(f"snapshot {snapshot.pk} was marked failed while it was written")
    for name, value in {"status": SnapshotStatus.READY, **fields}.items():
        setattr(snapshot, name, value)


def _mark_failed(snapshot_id: int, status: str, error: str) -> bool:
    """``status`` -> failed with ``error``; False if the row had moved on. Never raises: it runs
    while another error is on its way (and the reaper fails the row if the database is down)."""
    try:
        return bool(DatasetSnapshot.objects.filter(pk=snapshot_id, status=status).update(
            status=SnapshotStatus.FAILED, error=error[:ERROR_MAX_CHARS], finished_at=timezone.now()
        ))
    except DatabaseError:
        log.exception("could not mark snapshot %s failed", snapshot_id)
        return False


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _write_directory(directory: Path, snapshot: DatasetSnapshot, rows=None) -> dict:
    """Write the files under a temporary name, then rename to ``directory``; returns the manifest.
    ``rows`` ((prompt key, row) pairs) are written instead of the project's export when given."""
    tmp = directory.with_name(f".tmp-{directory.name}")
    tmp.mkdir(parents=True)
    try:
        manifest = _write_files(tmp, snapshot, rows)
        tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _write_files(tmp: Path, snapshot: DatasetSnapshot, rows=None) -> dict:
    """The split files and the manifest, read-only, in the directory ``tmp``; returns the manifest."""
    options = snapshot_options(snapshot)
    if rows is None:  # decided again: a prompt may have been added since the row was stored
        options = replace(options, export=export_representation(snapshot.project, options.export))
    stats = ExportStats()
    counts = _write_splits(tmp, snapshot.project, options, stats, rows)
    paths = [tmp / f"{split}.{options.file}" for split in SPLITS if counts[split]]
    manifest = {
        "snapshot": snapshot.pk, "project": {"id": snapshot.project.pk, "slug": snapshot.project.slug},
        "format": options.export.format, "aggregation": options.export.aggregation, "options": snapshot.options,
        "filters": snapshot.filters, "split_seed": options.split_seed,
        "validation_fraction": options.validation_fraction,
        "row_counts": counts, "files": {p.name: _sha256(p) for p in paths}, "sha256": _sha256(*paths),
        "dropped": {"filtered_out": stats.filtered_out, "split_votes": stats.split, "ties": stats.tie},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for path in tmp.iterdir():
        path.chmod(0o444)
    return manifest


def snapshot_options(snapshot: DatasetSnapshot) -> SnapshotOptions:
    """The options ``snapshot`` was stored with."""
    return SnapshotOptions.from_stored(
        format=snapshot.format, aggregation=snapshot.aggregation, options=snapshot.options,
        filters=snapshot.filters, split_seed=snapshot.split_seed, validation_fraction=snapshot.validation_fraction,
    )


def _write_splits(
    directory: Path, project: Project, options: SnapshotOptions, stats: ExportStats, rows=None
) -> dict[str, int]:
    counts, file, export = dict.fromkeys(SPLITS, 0), options.file, options.export
    if rows is None:
        rows = export_rows(project=project, options=export, filters=options.filters, stats=stats)
    with ExitStack() as stack:
        files = {split: stack.enter_context(open(directory / f"{split}.{file}", "wb")) for split in SPLITS}
        writers = {split: make_writer(file, Sink(f), export) for split, f in files.items()}
        for key, row in rows:
            split = split_of(key, options.split_seed, options.validation_fraction)
            writers[split].write(row)
            counts[split] += 1
        for split, writer in writers.items():
            writer.close()
            files[split].flush()
            os.fsync(files[split].fileno())  # on disk before the rename makes the snapshot visible
    for split in SPLITS:
        if not counts[split]:
            (directory / f"{split}.{file}").unlink()
    return counts


def _sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


# --- reading ----------------------------------------------------------------------------------


def snapshot_list(project: Project) -> QuerySet[DatasetSnapshot]:
    return snapshots_with_reuse(project.snapshots.select_related("created_by")).order_by("-created_at", "-id")


def snapshots_with_reuse(snapshots: QuerySet[DatasetSnapshot]) -> QuerySet[DatasetSnapshot]:
    """``snapshots`` annotated ``reused_from``: the id of the snapshot whose files a reused one reads
    (the first on its path), None for one that wrote its own."""
    first = DatasetSnapshot.objects.filter(
        project_id=OuterRef("project_id"), path=OuterRef("path"), pk__lt=OuterRef("pk")
    ).order_by("pk").values("pk")[:1]
    return snapshots.annotate(reused_from=Subquery(first))


def snapshot_file(snapshot: DatasetSnapshot, split: str = "train") -> Path:
    """The path of one split's file, e.g. for ``datasets.load_dataset``."""
    if split not in SPLITS:
        raise InvalidInput(f"split must be one of {', '.join(SPLITS)}")
    file = snapshot.options.get("file", "jsonl")
    return Path(settings.ARTIFACT_DIR) / snapshot.path / f"{split}.{file}"


def snapshot_rows(snapshot: DatasetSnapshot, split: str = "train") -> Iterator[dict]:
    """The file rows of one split, one dict at a time, as the format wrote them."""
    return read_rows(path) if (path := _split_file(snapshot, split)) else iter(())


def snapshot_records(snapshot: DatasetSnapshot, split: str = "train") -> list[Record]:
    """The records of one split of a ``trl``, ``kto`` or ``sft`` snapshot: what training reads."""
    return read_records(path, snapshot.format) if (path := _split_file(snapshot, split)) else []


def _split_file(snapshot: DatasetSnapshot, split: str) -> Path | None:
    """``split``'s file, or None for a split the snapshot wrote no row to (and so no file; one
    written before that rule has an empty file). A file missing with rows counted is an error."""
    path = snapshot_file(snapshot, split)
    return path if path.exists() or snapshot.row_counts.get(split, 0) else None


def snapshot_prompt_records(snapshot: DatasetSnapshot, split: str = "train") -> list[PromptRecord]:
    """The distinct prompts of one split, in first-seen order, each with the ``verify`` check its
    metadata holds, if any (verifiable rewards): what online RL rolls out to."""
    prompts = prompt_records(snapshot_records(snapshot, split))
    checked = Prompt.objects.filter(project_id=snapshot.project_id, metadata__has_key="verify")
    checks = dict(checked.values_list("content_hash", "metadata__verify"))
    return [p | ({"verify": checks[h]} if (h := messages_hash(p["prompt"])) in checks else {}) for p in prompts]


def snapshot_verify(snapshot: DatasetSnapshot) -> bool:
    """True when the snapshot is ready and its files on disk still have the recorded sha256."""
    if snapshot.status != SnapshotStatus.READY:
        return False
    paths = [path for split in SPLITS if (path := _split_file(snapshot, split))]
    return all(p.exists() for p in paths) and _sha256(*paths) == snapshot.sha256
