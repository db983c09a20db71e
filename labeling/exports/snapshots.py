"""Immutable dataset snapshots: an export frozen in the artifact store, split into train/validation.

A snapshot directory ``ARTIFACT_DIR/snapshots/<uuid>/`` holds ``train.<ext>``, ``validation.<ext>``
and ``manifest.json``. It is written under a temporary name and renamed when complete, its files
are made read-only, and nothing here updates a ready snapshot afterwards. ``DatasetSnapshot.sha256``
is the sha256 of the train file's bytes followed by the validation file's bytes, so
``cat train.jsonl validation.jsonl | sha256sum`` checks it.

Two ways in, one writer: ``snapshot_request`` (the API) stores a pending row and queues
``snapshot_build`` on the ``default`` queue; ``snapshot_create`` (command line, training worker)
writes in the calling process. Either way the writer claims the row (``pending`` -> ``running``)
with a conditional update and ends it ``ready`` or ``failed``. The rows exported are those in the
database when the writer starts (``started_at``), not when the snapshot was requested.
"""

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from labeling.errors import Conflict, InvalidInput
from labeling.exports.rows import (
    SPLITS,
    ExportFilters,
    ExportOptions,
    ExportStats,
    Sink,
    check_file_type,
    make_writer,
    split_of,
)
from labeling.exports.services import check_criteria, export_representation, export_rows
from labeling.models import DatasetSnapshot, Project, SnapshotStatus

log = logging.getLogger(__name__)
MAX_SPLIT_SEED = 2**31 - 1  # DatasetSnapshot.split_seed is a 32-bit integer column

SNAPSHOT_FILE_TYPES = ("jsonl", "parquet")
# A snapshot of 1M judgments takes about 20 s; one pending or running for this long lost its
# worker (or never reached one) and is failed by ``snapshots_reap``.
SNAPSHOT_STALE_AFTER = timedelta(hours=2)
ERROR_MAX_CHARS = 2000


def snapshot_request(
    *,
    project: Project,
    format: str,
    aggregation: str = "majority",
    filters: ExportFilters | dict | None = None,
    split_seed: int = 0,
    validation_fraction: float = 0.1,
    user=None,
    pairs: str = "all",
    conversational: bool | None = None,
    include_winners: bool = False,
    file: str = "jsonl",
    criteria: tuple[str, ...] = (),
) -> DatasetSnapshot:
    """Store a pending snapshot and queue its writing (``snapshot_build``) once the row is committed.

    Options are checked here, so a bad request fails now rather than in the worker.
    """
    options = ExportOptions(format, aggregation, pairs, conversational, include_winners, criteria)
    check_criteria(project, options)
    options = export_representation(project, options)  # stored decided: the snapshot says what its files hold
    spec = _spec(options, filters, split_seed, validation_fraction, file)
    with transaction.atomic():
        snapshot = _store(project, spec, user, status=SnapshotStatus.PENDING)
        transaction.on_commit(lambda: snapshot_dispatch(snapshot.pk))
    return snapshot


def snapshot_create(
    *,
    project: Project,
    format: str,
    aggregation: str = "majority",
    filters: ExportFilters | dict | None = None,
    split_seed: int = 0,
    validation_fraction: float = 0.1,
    user=None,
    pairs: str = "all",
    conversational: bool | None = None,
    include_winners: bool = False,
    file: str = "jsonl",
    criteria: tuple[str, ...] = (),
) -> DatasetSnapshot:
    """Export ``project`` into a new snapshot in this process, split by prompt with ``split_seed``.

    Returns the ready snapshot; on failure the row is left ``failed`` and the error raised.
    """
    options = ExportOptions(format, aggregation, pairs, conversational, include_winners, criteria)
    check_criteria(project, options)
    options = export_representation(project, options)  # stored decided: the snapshot says what its files hold
    spec = _spec(options, filters, split_seed, validation_fraction, file)
    snapshot = _store(project, spec, user, status=SnapshotStatus.RUNNING, started_at=timezone.now())
    _write(snapshot)
    return snapshot


def snapshot_dispatch(snapshot_id: int) -> bool:
    """Send the snapshot's task to the broker; if the broker is down, fail the snapshot now (the
    admin sees why and asks again) rather than leave it pending."""
    from labeling.tasks import snapshot_build as task

    try:
        task.apply_async(args=[snapshot_id], retry=False)
    except OperationalError as exc:
        log.warning("broker unavailable, snapshot %s not queued: %s", snapshot_id, exc)
        _mark_failed(snapshot_id, SnapshotStatus.PENDING, f"could not queue the snapshot (broker unavailable): {exc}")
        return False
    return True


def snapshot_build(*, snapshot_id: int) -> bool:
    """Write a pending snapshot (the task's work). Safe to run twice: the caller claims the row
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


def _spec(options: ExportOptions, filters, split_seed, validation_fraction, file) -> dict:
    """The checked options of a new snapshot, as stored on its row."""
    filters = filters if isinstance(filters, ExportFilters) else ExportFilters.from_json(filters)
    _check(options, file, validation_fraction, split_seed)
    return {
        "format": options.format, "aggregation": options.aggregation, "options": _options_json(options, file),
        "filters": filters.as_json(), "split_seed": split_seed, "validation_fraction": validation_fraction,
    }


def _store(project: Project, spec: dict, user, **state) -> DatasetSnapshot:
    return DatasetSnapshot.objects.create(
        project=project, created_by=user, path=f"snapshots/{uuid.uuid4().hex}", **spec, **state
    )


def _write(snapshot: DatasetSnapshot) -> None:
    """Write the files of a snapshot this process has claimed (``running``), then mark it ready.
    On any failure nothing is left on disk and the row is marked failed before the error goes on."""
    directory = Path(settings.ARTIFACT_DIR) / snapshot.path
    try:
        manifest = _write_directory(directory, snapshot)
        _mark_ready(snapshot, manifest)
    except BaseException as exc:
        shutil.rmtree(directory, ignore_errors=True)
        _mark_failed(snapshot.pk, SnapshotStatus.RUNNING, _describe(exc))
        raise


def _mark_ready(snapshot: DatasetSnapshot, manifest: dict) -> None:
    fields = {"sha256": manifest["sha256"], "row_counts": manifest["row_counts"], "finished_at": timezone.now()}
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


def _check(options: ExportOptions, file: str, validation_fraction: float, split_seed: int) -> None:
    check_file_type(options, file)
    if not 0 <= split_seed <= MAX_SPLIT_SEED:
        raise InvalidInput(f"split_seed must be from 0 to {MAX_SPLIT_SEED}, got {split_seed}")
    if file not in SNAPSHOT_FILE_TYPES:
        raise InvalidInput(f"snapshots are written as {' or '.join(SNAPSHOT_FILE_TYPES)}")
    if not 0 <= validation_fraction < 1:
        raise InvalidInput("validation_fraction must be at least 0 and below 1")


def _options_json(options: ExportOptions, file: str) -> dict:
    stored = {"pairs": options.pairs, "conversational": options.conversational,
              "include_winners": options.include_winners, "file": file}
    return stored | ({"criteria": list(options.criteria)} if options.criteria else {})


def _write_directory(directory: Path, snapshot: DatasetSnapshot) -> dict:
    """Write the files under a temporary name, then rename to ``directory``; returns the manifest."""
    tmp = directory.with_name(f".tmp-{directory.name}")
    tmp.mkdir(parents=True)
    try:
        options = ExportOptions(snapshot.format, snapshot.aggregation, **_export_options(snapshot.options))
        options = export_representation(snapshot.project, options)  # a prompt may have been added since
        filters, file = ExportFilters.from_json(snapshot.filters), snapshot.options["file"]
        seed, fraction = snapshot.split_seed, snapshot.validation_fraction
        stats = ExportStats()
        counts = _write_splits(tmp, snapshot.project, options, filters, file, seed, fraction, stats)
        paths = [tmp / f"{split}.{file}" for split in SPLITS]
        manifest = {
            "snapshot": snapshot.pk, "project": {"id": snapshot.project.pk, "slug": snapshot.project.slug},
            "format": options.format, "aggregation": options.aggregation, "options": snapshot.options,
            "filters": snapshot.filters, "split_seed": seed, "validation_fraction": fraction,
            "row_counts": counts, "files": {p.name: _sha256(p) for p in paths}, "sha256": _sha256(*paths),
            "dropped": {"filtered_out": stats.filtered_out, "split_votes": stats.split, "ties": stats.tie},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        for path in tmp.iterdir():
            path.chmod(0o444)
        tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _export_options(options: dict) -> dict:
    """The stored options that are ``ExportOptions`` fields (``file`` is not)."""
    return {k: options[k] for k in ("pairs", "conversational", "include_winners", "criteria") if k in options}


def _write_splits(directory, project, options, filters, file, seed, fraction, stats) -> dict[str, int]:
    counts = dict.fromkeys(SPLITS, 0)
    with ExitStack() as stack:
        files = {split: stack.enter_context(open(directory / f"{split}.{file}", "wb")) for split in SPLITS}
        writers = {split: make_writer(file, Sink(f), options) for split, f in files.items()}
        for key, row in export_rows(project=project, options=options, filters=filters, stats=stats):
            split = split_of(key, seed, fraction)
            writers[split].write(row)
            counts[split] += 1
        for split, writer in writers.items():
            writer.close()
            files[split].flush()
            os.fsync(files[split].fileno())  # on disk before the rename makes the snapshot visible
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
    return project.snapshots.select_related("created_by").order_by("-created_at", "-id")


def snapshot_file(snapshot: DatasetSnapshot, split: str = "train") -> Path:
    """The path of one split's file, e.g. for ``datasets.load_dataset``."""
    if split not in SPLITS:
        raise InvalidInput(f"split must be one of {', '.join(SPLITS)}")
    file = snapshot.options.get("file", "jsonl")
    return Path(settings.ARTIFACT_DIR) / snapshot.path / f"{split}.{file}"


def snapshot_rows(snapshot: DatasetSnapshot, split: str = "train") -> Iterator[dict]:
    """The rows of one split, one dict at a time (what training reads)."""
    path = snapshot_file(snapshot, split)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # lazily: only training and Parquet snapshots need it

        for batch in pq.ParquetFile(path).iter_batches(batch_size=1000):
            yield from batch.to_pylist()
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def snapshot_verify(snapshot: DatasetSnapshot) -> bool:
    """True when the snapshot is ready and its files on disk still have the recorded sha256."""
    if snapshot.status != SnapshotStatus.READY:
        return False
    paths = [snapshot_file(snapshot, split) for split in SPLITS]
    return all(p.exists() for p in paths) and _sha256(*paths) == snapshot.sha256
