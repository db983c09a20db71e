"""Immutable dataset snapshots: an export frozen in the artifact store, split into train/validation.

A snapshot directory ``ARTIFACT_DIR/snapshots/<uuid>/`` holds ``train.<ext>``, ``validation.<ext>``
and ``manifest.json``. It is written under a temporary name and renamed when complete, its files
are made read-only, and nothing here updates a snapshot afterwards. ``DatasetSnapshot.sha256`` is
the sha256 of the train file's bytes followed by the validation file's bytes, so
``cat train.jsonl validation.jsonl | sha256sum`` checks it.

The export options (``pairs``, ``conversational``, ``include_winners``, ``file``) have no column of
their own yet; they are stored under ``filters["options"]``.
"""

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from labeling.errors import InvalidInput
from labeling.exporters import (
    SPLITS,
    ExportFilters,
    ExportOptions,
    ExportStats,
    Sink,
    check_file_type,
    make_writer,
    split_of,
)
from labeling.models import DatasetSnapshot, Project
from labeling.services.exports import export_rows

SNAPSHOT_FILE_TYPES = ("jsonl", "parquet")


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
    conversational: bool = False,
    include_winners: bool = False,
    file: str = "jsonl",
) -> DatasetSnapshot:
    """Export ``project`` into a new immutable snapshot, split by prompt with ``split_seed``."""
    options = ExportOptions(format, aggregation, pairs, conversational, include_winners)
    filters = filters if isinstance(filters, ExportFilters) else ExportFilters.from_json(filters)
    _check(options, file, validation_fraction)
    root = Path(settings.ARTIFACT_DIR) / "snapshots"
    name = uuid.uuid4().hex
    directory = _write_directory(root, name, project, options, filters, file, split_seed, validation_fraction)
    try:
        return DatasetSnapshot.objects.create(
            project=project, format=format, aggregation=aggregation,
            filters={**filters.as_json(), "options": _options_json(options, file)},
            split_seed=split_seed, validation_fraction=validation_fraction,
            sha256=directory["sha256"], row_counts=directory["row_counts"],
            path=f"snapshots/{name}", created_by=user,
        )
    except BaseException:
        shutil.rmtree(root / name, ignore_errors=True)
        raise


def _check(options: ExportOptions, file: str, validation_fraction: float) -> None:
    check_file_type(options, file)
    if file not in SNAPSHOT_FILE_TYPES:
        raise InvalidInput(f"snapshots are written as {' or '.join(SNAPSHOT_FILE_TYPES)}")
    if not 0 <= validation_fraction < 1:
        raise InvalidInput("validation_fraction must be at least 0 and below 1")


def _options_json(options: ExportOptions, file: str) -> dict:
    return {"pairs": options.pairs, "conversational": options.conversational,
            "include_winners": options.include_winners, "file": file}


def _write_directory(root: Path, name: str, project, options, filters, file, seed, fraction) -> dict:
    """Write the files under a temporary name, then rename; returns the manifest."""
    tmp = root / f".tmp-{name}"
    tmp.mkdir(parents=True)
    try:
        stats = ExportStats()
        counts = _write_splits(tmp, project, options, filters, file, seed, fraction, stats)
        paths = [tmp / f"{split}.{file}" for split in SPLITS]
        manifest = {
            "project": {"id": project.pk, "slug": project.slug}, "format": options.format,
            "aggregation": options.aggregation, "options": _options_json(options, file),
            "filters": filters.as_json(), "split_seed": seed, "validation_fraction": fraction,
            "row_counts": counts, "files": {p.name: _sha256(p) for p in paths}, "sha256": _sha256(*paths),
            "dropped": {"filtered_out": stats.filtered_out, "split_votes": stats.split, "ties": stats.tie},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        for path in tmp.iterdir():
            path.chmod(0o444)
        tmp.rename(root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


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


def snapshot_options(snapshot: DatasetSnapshot) -> dict:
    return dict(snapshot.filters.get("options", {}))


def snapshot_filters(snapshot: DatasetSnapshot) -> dict:
    return {k: v for k, v in snapshot.filters.items() if k != "options"}


def snapshot_file(snapshot: DatasetSnapshot, split: str = "train") -> Path:
    """The path of one split's file, e.g. for ``datasets.load_dataset``."""
    if split not in SPLITS:
        raise InvalidInput(f"split must be one of {', '.join(SPLITS)}")
    file = snapshot_options(snapshot).get("file", "jsonl")
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
    """True when the files on disk still have the recorded sha256."""
    paths = [snapshot_file(snapshot, split) for split in SPLITS]
    return all(p.exists() for p in paths) and _sha256(*paths) == snapshot.sha256
