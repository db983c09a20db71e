"""Reading a project's judgments for export in bounded memory, and writing them as dataset files.

One query streams the judgments (``values_list().iterator()``, ordered by comparison); consecutive
rows are grouped into comparisons, and for each batch of ``BATCH_COMPARISONS`` comparisons two more
queries fetch their prompts and responses. Memory holds one batch whatever the project's size, and
no model instance is built. What the rows become is decided in ``labeling/exporters.py``.

Nothing here takes a lock or a transaction: on PostgreSQL the judgment cursor sees one consistent
state; judgments added during a long export may or may not be included.
"""

import functools
import hashlib
import hmac
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from labeling.exporters import (
    ExportFilters,
    ExportOptions,
    ExportStats,
    JudgedComparison,
    Sink,
    Vote,
    annotator_pseudonym,
    check_file_type,
    comparison_passes,
    comparison_rows,
    make_writer,
    sft_row,
)
from labeling.models import ComparisonResponse, Demonstration, Flag, Judgment, Project, Prompt

CHUNK_ROWS = 2000  # rows per database fetch
BATCH_COMPARISONS = 1000  # comparisons whose prompts and responses are fetched together
STREAM_BYTES = 64 * 1024  # size of the chunks handed to a streamed HTTP response

# The leading columns locate the comparison; the rest are ``Vote``'s fields, in its order.
_HEAD = ("comparison_id", "comparison__prompt_id", "comparison__is_gold")
_VOTE = ("id", "annotator_id", "winner", "strength", "ranking", "created_at")
_DETAILS = ("criteria", "rationale", "time_spent_ms")


def judgment_filter(project: Project, filters: ExportFilters) -> QuerySet[Judgment]:
    """The project's judgments after the row filters (the comparison filters come later, in Python)."""
    qs = Judgment.objects.filter(project=project)
    if filters.exclude_ties:
        qs = qs.exclude(winner="tie")
    if filters.exclude_gold:
        qs = qs.filter(comparison__is_gold=False)
    if filters.exclude_annotators:
        qs = qs.exclude(annotator_id__in=filters.exclude_annotators)
    if filters.created_after:
        qs = qs.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__lt=filters.created_before)
    if filters.models:
        other_model = ComparisonResponse.objects.filter(comparison_id=OuterRef("comparison_id")).exclude(
            response__model_name__in=filters.models
        )
        qs = qs.exclude(Exists(other_model))
    return qs


def judged_comparisons(*, project: Project, filters: ExportFilters, details: bool = False) -> Iterator[JudgedComparison]:
    """The project's judged comparisons in id order, each with its filtered judgments.

    ``details`` adds what only the ``raw`` format needs: criteria, rationale, time spent, flags.
    """
    columns = _HEAD + _VOTE + (_DETAILS if details else ())
    rows = judgment_filter(project, filters).order_by("comparison_id", "id").values_list(*columns)
    groups = ((cid, list(group)) for cid, group in groupby(rows.iterator(chunk_size=CHUNK_ROWS), key=itemgetter(0)))
    while batch := list(islice(groups, BATCH_COMPARISONS)):
        yield from _assemble(batch, details)


def _assemble(batch: list[tuple[int, list[tuple]]], details: bool) -> Iterator[JudgedComparison]:
    ids = [cid for cid, _ in batch]
    prompts = {
        pid: (messages, key)
        for pid, messages, key in Prompt.objects.filter(id__in={rows[0][1] for _, rows in batch}).values_list(
            "id", "messages", "content_hash"
        )
    }
    responses = defaultdict(list)
    slots = ComparisonResponse.objects.filter(comparison_id__in=ids).order_by("comparison_id", "position")
    for cid, rid, text, model in slots.values_list("comparison_id", "response_id", "response__text", "response__model_name"):
        responses[cid].append((rid, text, model))
    flags = _flags(ids) if details else {}
    for cid, rows in batch:
        _, pid, is_gold = rows[0][:3]
        votes = [Vote(*row[3:], flags=flags.get((cid, row[4]), ())) for row in rows]
        yield JudgedComparison(cid, pid, prompts[pid][1], prompts[pid][0], responses[cid], is_gold, votes)


def _flags(comparison_ids: list[int]) -> dict[tuple[int, int], tuple[str, ...]]:
    """Flag reasons per (comparison, annotator): a judgment's row shows what its annotator flagged."""
    out: dict[tuple[int, int], tuple[str, ...]] = {}
    rows = Flag.objects.filter(comparison_id__in=comparison_ids).order_by("reason")
    for cid, uid, reason in rows.values_list("comparison_id", "annotator_id", "reason"):
        out[(cid, uid)] = (*out.get((cid, uid), ()), reason)
    return out


def _demonstration_rows(project: Project, filters: ExportFilters) -> Iterator[tuple[str, dict]]:
    """SFT rows from demonstrations; only the annotator and date filters apply to them."""
    qs = Demonstration.objects.filter(project=project)
    if filters.exclude_annotators:
        qs = qs.exclude(annotator_id__in=filters.exclude_annotators)
    if filters.created_after:
        qs = qs.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__lt=filters.created_before)
    rows = qs.order_by("id").values_list("prompt__content_hash", "prompt__messages", "text")
    for key, messages, text in rows.iterator(chunk_size=CHUNK_ROWS):
        yield key, sft_row(messages, text)


def pseudonym_salt() -> bytes:
    """Derived from SECRET_KEY, so pseudonyms are stable across exports of one deployment and
    cannot be recomputed from user ids without the key."""
    return hmac.new(settings.SECRET_KEY.encode(), b"labeling.export.annotator", hashlib.sha256).digest()


def export_rows(
    *, project: Project, options: ExportOptions, filters: ExportFilters, stats: ExportStats | None = None
) -> Iterator[tuple[str, dict]]:
    """``(prompt key, row)`` for every row of the export, in comparison order (demonstrations first
    for ``sft``). The prompt key is what the train/validation split hashes. ``stats`` is filled in."""
    stats = stats if stats is not None else ExportStats()
    if options.format == "sft":
        for key, row in _demonstration_rows(project, filters):
            stats.rows += 1
            yield key, row
        if not options.include_winners:
            return
    salt, seen = pseudonym_salt(), set()
    pseudonym = functools.cache(lambda user_id: annotator_pseudonym(user_id, salt))
    scale = list(project.strength_scale or [])
    for comparison in judged_comparisons(project=project, filters=filters, details=options.format == "raw"):
        if not comparison_passes(comparison, filters, options.pairs):
            stats.filtered_out += 1
            continue
        stats.comparisons += 1
        for row in comparison_rows(comparison, options, stats, pseudonym=pseudonym, scale=scale, seen=seen):
            stats.rows += 1
            yield comparison.prompt_key, row


def export_stream(
    *, project: Project, options: ExportOptions, filters: ExportFilters, file_type: str, stats: ExportStats | None = None
) -> Iterator[bytes]:
    """The export file as chunks of about ``STREAM_BYTES``, for a streamed response.

    Options are checked now, so a bad request fails before the response starts.
    """
    check_file_type(options, file_type)
    return _stream(project, options, filters, file_type, stats)


def _stream(project, options, filters, file_type, stats) -> Iterator[bytes]:
    sink = Sink()
    writer = make_writer(file_type, sink, options)
    try:
        for _, row in export_rows(project=project, options=options, filters=filters, stats=stats):
            writer.write(row)
            if sink.buffered >= STREAM_BYTES:
                yield sink.drain()
    finally:  # also when the client goes away mid-stream
        writer.close()
    yield sink.drain()


@dataclass(frozen=True)
class ExportFile:
    path: Path
    sha256: str
    size: int
    stats: ExportStats


def export_to_file(
    *, project: Project, options: ExportOptions, filters: ExportFilters, file_type: str, path: str | Path
) -> ExportFile:
    """Write the export to ``path``: a temporary file beside it, renamed when complete, so a reader
    never sees half a file."""
    check_file_type(options, file_type)
    path, stats = Path(path), ExportStats()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            sink = Sink(f)
            writer = make_writer(file_type, sink, options)
            for _, row in export_rows(project=project, options=options, filters=filters, stats=stats):
                writer.write(row)
            writer.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportFile(path, sink.sha256.hexdigest(), sink.size, stats)
